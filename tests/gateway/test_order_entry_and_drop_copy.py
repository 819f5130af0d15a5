"""A prop firm trades through the order-entry door with QuickFIX while the broker's QuickFIX drop copy hears every
execution; the drop copy logs out mid-stream, later loses its line, and each time it is back gets what it missed
exactly once and in order."""
from __future__ import annotations

from decimal import Decimal

from tests.gateway.conftest import BROKER, PROP_FIRM, World, until
from tests.gateway.messages import cancel, new_order, replace, status


async def test_orders_are_placed_amended_and_cancelled_while_the_drop_copy_gets_every_execution_across_a_logout(
        world: World) -> None:
    executions: list[str] = []     # the hub's executions of broker A, in the order it booked them
    world.hub.bus.subscribe("executions.broker-a", lambda _, event: executions.append(event["exec_id"]))
    client = await world.client(PROP_FIRM)
    copy = await world.client(BROKER)

    # A resting limit order, amended in place, then amended to a marketable price: it fills.
    client.send("D", new_order("L1", ord_type="2", quantity="1", price="1.08000"))
    new = await client.next("8", lambda m: m[11] == "L1")
    assert (new[150], new[39], new[1]) == ("0", "0", "ACC-1")
    assert (Decimal(new[151]), Decimal(new[14])) == (1, 0)
    order_id = new[37]
    client.send("G", replace("L1-a", "L1", quantity="2", price="1.08100"))
    amended = await client.next("8", lambda m: m[150] == "5")
    assert (amended[11], amended[41], amended[37], amended[38], amended[44], amended[39]) == \
        ("L1-a", "L1", order_id, "2", "1.08100", "0")
    client.send("D", new_order("L1-a"))           # the amendment's ClOrdID cannot name a new order
    duplicate = await client.next("8", lambda m: m[11] == "L1-a" and m[150] == "8")
    assert (duplicate[103], duplicate[37]) == ("6", "NONE")
    client.send("G", replace("L1-b", "L1-a", quantity="2", price="1.08400"))
    fill = await client.next("8", lambda m: m[150] == "F" and m[37] == order_id)
    assert (fill[11], fill[39]) == ("L1-b", "2")
    assert (Decimal(fill[32]), Decimal(fill[14]), Decimal(fill[151])) == (2, 2, 0)
    assert Decimal(fill[31]) == Decimal(fill[6]) == Decimal("1.08352"), "the LP's ask and the 0.2 pip markup"
    assert [m[41] for m in client.of_type("8") if m[150] == "5"] == ["L1", "L1-a"]

    # A second resting order, cancelled; cancelling it again and amending the filled one are too late.
    client.send("D", new_order("L2", side="2", ord_type="2", price="1.09000"))
    await client.next("8", lambda m: m[11] == "L2" and m[150] == "0")
    client.send("F", cancel("L2-c", "L2", side="2"))
    cancelled = await client.next("8", lambda m: m[150] == "4")
    pending = await client.next("8", lambda m: m[150] == "6")
    assert (cancelled[11], cancelled[41], cancelled[39], Decimal(cancelled[151])) == ("L2-c", "L2", "4", 0)
    assert (pending[11], pending[41]) == ("L2-c", "L2")
    client.send("F", cancel("L2-d", "L2-c", side="2"))
    refused = await client.next("9", lambda m: m[11] == "L2-d")
    assert (refused[41], refused[434], refused[102], refused[39]) == ("L2-c", "1", "0", "4")
    client.send("G", replace("L1-c", "L1-b", quantity="3", price="1.08400"))
    refused = await client.next("9", lambda m: m[11] == "L1-c")
    assert (refused[41], refused[434], refused[39], refused[37]) == ("L1-b", "2", "2", order_id)
    client.send("H", status("L1-b"))
    report = await client.next("8", lambda m: m[150] == "I")
    assert (report[37], report[11], report[39], Decimal(report[14]), report[17], report[790]) == \
        (order_id, "L1-b", "2", 2, "0", "status-L1-b")

    # Market orders flow while the drop copy logs out in the middle of them, and after it is gone.
    for number in range(4):
        client.send("D", new_order(f"M{number}"))
    await until(lambda: len(copy.of_type("8")) >= 3, "the drop copy's first executions")
    copy.logout()
    for number in range(4, 10):
        client.send("D", new_order(f"M{number}"))
    await until(lambda: "logout" in copy.events, "the drop copy's logout")
    for number in range(10, 13):
        client.send("D", new_order(f"M{number}"))
    await until(lambda: len(executions) == 14, "14 executions (L1 and 13 market orders)")
    copy.logon()
    await copy.logged_on(count=2)
    await until(lambda: len(copy.of_type("8")) >= len(executions), "every execution at the drop copy")

    # And the line drops, with no Logout, in the middle of more fills; QuickFIX reconnects by itself.
    for number in range(13, 20):
        client.send("D", new_order(f"M{number}"))
        if number == 15:
            copy.drop()
    await until(lambda: len(executions) == 21, "21 executions")
    await copy.logged_on(count=3)
    await until(lambda: len(copy.of_type("8")) >= len(executions), "every execution at the drop copy again")

    copied = copy.of_type("8")
    assert [m[17] for m in copied] == executions, "every execution once, in the hub's order"
    assert any(m.poss_dup for m in copied), "what was missed came back through the session's resend"
    assert {(m[150], m[797], m[1]) for m in copied} == {("F", "Y", "ACC-1")}
    assert {m[17] for m in client.of_type("8") if m[150] == "F"} == set(executions)
    assert not client.rejects and not copy.rejects
