"""A fuzz of the client order-entry door: a logged-on session sends orders, cancels, replaces and status requests
whose fields are drawn from what careless and hostile clients send (huge, negative, exponent and malformed numbers,
unknown enums, missing tags, ids that FIX allows and ids that it does not). Every message gets an answer, the
session stays up, nothing the door refused reaches a venue or the ledger, and a good order still fills after."""
from __future__ import annotations

import random
from decimal import Decimal

from engine.domain.order import OrdStatus
from tests.gateway.conftest import PROP_FIRM, World, until
from tests.gateway.messages import new_order, transact_time

NUMBERS = ["1", "0", "-1", "0.00001", "1E+400", "1e27", "99999999999999999999", "1.5.5", "", " 1", "1_0", "NaN",
           "Infinity", "0x10", "100000000", "0.1", "1.000000000000000000001", "abc"]
SYMBOLS = ["EUR/USD", "BTC/USDT", "XAU/XAG", "", "EUR/USD ", "eur/usd", "A" * 300, "<script>"]
ENUMS = {54: ["1", "2", "5", "9", "", "X"], 40: ["1", "2", "3", "4", "Z", "0"], 59: ["0", "1", "3", "4", "6", "Q"]}
IDS = ["{brace}", "a/b", "x" * 65, "tab\there", "ok", "%00", "'; DROP TABLE orders;--"]


def hostile_order(rng: random.Random, number: int) -> list[tuple[int, str]]:
    fields = dict(new_order(f"FZ{number}"))
    fields[55] = rng.choice(SYMBOLS) if rng.random() < 0.3 else "EUR/USD"
    fields[38] = rng.choice(NUMBERS)
    for tag, values in ENUMS.items():
        if rng.random() < 0.4:
            fields[tag] = rng.choice(values)
    if rng.random() < 0.5:
        fields[44] = rng.choice(NUMBERS)
    if rng.random() < 0.2:
        fields[99] = rng.choice(NUMBERS)
    if rng.random() < 0.1:
        fields[1] = rng.choice(IDS)
    if rng.random() < 0.15:
        del fields[rng.choice([38, 40, 54, 55, 60])]
    return list(fields.items())


async def test_hostile_orders_each_get_an_answer_and_leave_the_session_and_the_book_sound(world: World) -> None:
    client = await world.client(PROP_FIRM)
    rng = random.Random(20261203)
    ledger_before = len(world.hub.oms.accounting.ledger.entries)
    sent = 300
    for number in range(sent):
        kind = rng.random()
        if kind < 0.75:
            client.send("D", hostile_order(rng, number))
        elif kind < 0.85:
            client.send("F", [(11, f"FZ{number}"), (41, rng.choice([f"FZ{number - 1}", "nobody", *IDS])),
                              (55, "EUR/USD"), (54, "1"), (60, transact_time()), (38, rng.choice(NUMBERS))])
        elif kind < 0.95:
            client.send("G", [(11, f"FZ{number}"), (41, rng.choice([f"FZ{number - 2}", "nobody"])),
                              (55, rng.choice(SYMBOLS)), (54, "1"), (60, transact_time()), (38, rng.choice(NUMBERS)),
                              (40, "2"), (44, rng.choice(NUMBERS))])
        else:
            client.send("H", [(11, f"FZ{number}"), (55, "EUR/USD"), (54, "1")])

    def answered() -> int:
        by_id = {m.get(11) for m in client.of_type("8")} | {m.get(11) for m in client.of_type("9")}
        return len({i for i in by_id if i and i.startswith("FZ")}) + len(client.rejects) + len(client.of_type("j"))
    await until(lambda: answered() >= sent, "an answer to every message", timeout=60)

    client.send("D", new_order("GOOD-AFTER"))
    fill = await client.next("8", lambda m: m[11] == "GOOD-AFTER" and m[39] == "2", timeout=20)
    assert Decimal(fill[32]) == 1
    assert "logout" not in client.events, "the hub never ended the session"
    for order in world.hub.oms.orders.values():
        assert order.status is not OrdStatus.PENDING_NEW, f"{order.cl_ord_id} left pending: {order}"
        if order.status is not OrdStatus.REJECTED:
            assert 0 < order.quantity < 10**9 and order.symbol in ("EUR/USD", "BTC/USDT"), order
    booked = len(world.hub.oms.accounting.ledger.entries) - ledger_before
    filled = [o for o in world.hub.oms.orders.values() if o.filled > 0]
    assert booked >= 1 and all(o.filled <= o.quantity for o in filled)
