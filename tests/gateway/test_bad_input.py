"""What a client gets for what the door cannot take: an account not bound to its session, a symbol the hub does not
trade, a cancel for an order nobody knows, a message type it does not serve, a malformed message."""
from __future__ import annotations

import asyncio

from engine.bus import is_latest_value
from engine.domain.order import OrdStatus, OrdType, Side
from engine.oms import NewOrder
from tests.gateway.conftest import BROKER, PROP_FIRM, World
from tests.gateway.messages import cancel, new_order
from tests.stubs import D


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


async def test_a_hostile_cl_ord_id_from_another_door_can_neither_splice_tags_nor_silence_a_report(
        world: World) -> None:
    """The REST door refuses such ids; whatever else reaches the OMS, every FIX copy still goes out, defanged."""
    client = await world.client(PROP_FIRM)
    drop_copy = await world.client(BROKER)
    hostile = "inj\x011=ACC-2\x0131=0.00001\x0132=99\x0155=FAKE/SYM ордер"
    order = await world.hub.oms.submit(NewOrder(hostile, "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    assert order.status is OrdStatus.FILLED
    for receiver in (client, drop_copy):
        fill = await receiver.next("8", lambda m: m[150] == "F")
        assert fill[11] == "inj?1=ACC-2?31=0.00001?32=99?55=FAKE/SYM ?????"
        tags = [tag for tag, _ in fill.fields]
        assert tags.count(1) == tags.count(31) == tags.count(32) == tags.count(55) == 1, "no spliced tag"
        assert (fill[1], fill[55], fill[32]) == ("ACC-1", "EUR/USD", "1.00")
