"""What a client gets for what the door cannot take: an account not bound to its session, a symbol the hub does not
trade, a cancel for an order nobody knows, a message type it does not serve, a malformed message."""
from __future__ import annotations

import asyncio

from engine.bus import is_latest_value
from tests.gateway.conftest import PROP_FIRM, World
from tests.gateway.messages import cancel, new_order


async def test_an_order_for_an_account_not_bound_to_the_session_is_rejected_and_changes_nothing(
        world: World) -> None:
    client = await world.client(PROP_FIRM)
    ledger, orders = len(world.hub.oms.accounting.ledger.entries), dict(world.hub.oms.orders)
    events: list[str] = []
    world.hub.bus.subscribe("#", lambda topic, _: None if is_latest_value(topic) else events.append(topic))

    client.send("D", new_order("X1", account="ACC-2"))      # the broker's other trader: not this session's
    client.send("D", new_order("X2", account="NOBODY"))
    for cl_ord_id in ("X1", "X2"):
        report = await client.next("8", lambda m, c=cl_ord_id: m[11] == c)
        assert (report[150], report[39], report[103], report[58], report[37]) == \
            ("8", "8", "15", "unknown account", "NONE")
        assert float(report[151]) == float(report[14]) == 0
    await asyncio.sleep(0.1)
    assert len(client.of_type("8")) == 2, "one reject each, nothing more"
    assert all(not venue.received for venue in world.lps.values()), "no order at any venue"
    assert len(world.hub.oms.accounting.ledger.entries) == ledger, "no ledger entry"
    assert world.hub.oms.orders == orders and events == [], "no order in the OMS, nothing on the bus"


async def test_the_oms_reason_reaches_the_client_and_a_malformed_message_gets_the_session_reject(
        world: World) -> None:
    client = await world.client(PROP_FIRM)

    client.send("D", new_order("U1", symbol="XAU/XAG"))
    report = await client.next("8", lambda m: m[11] == "U1")
    assert (report[150], report[39], report[103]) == ("8", "8", "1")
    assert report[58].startswith("unknown_symbol: ")

    client.send("F", cancel("C9", "NEVER-SENT"))
    refused = await client.next("9", lambda m: m[11] == "C9")
    assert (refused[41], refused[434], refused[102], refused[37], refused[39]) == ("NEVER-SENT", "1", "1", "NONE",
                                                                                   "8")

    client.send("AF", [(584, "MASS-1"), (585, "7")])         # OrderMassStatusRequest: not served here
    business = await client.next("j")
    assert (business[372], business[380]) == ("AF", "3")

    without_side = [field for field in new_order("B1") if field[0] != 54]
    client.send("D", without_side)
    for _ in range(100):
        if client.rejects:
            break
        await asyncio.sleep(0.02)
    (reject,) = client.rejects
    assert (reject[372], reject[371], reject[373]) == ("D", "54", "1"), "Required tag missing: Side(54)"
    assert not [m for m in client.of_type("8") if m[11] == "B1"], "the application never saw it"
    assert all(order.cl_ord_id != "B1" for order in world.hub.oms.orders.values())
