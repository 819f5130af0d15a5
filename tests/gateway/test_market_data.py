"""A client subscribes to its group's prices over FIX: a snapshot, then an incremental refresh per price change,
until it unsubscribes; an unknown symbol is refused."""
from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.gateway.conftest import PROP_FIRM, World
from tests.gateway.messages import market_data
from tests.stubs import D


async def test_the_groups_marked_up_prices_come_as_a_snapshot_then_increments_until_unsubscribed(
        world: World) -> None:
    client = await world.client(PROP_FIRM)

    client.send("V", *market_data("md-1", "1", "EUR/USD"))
    snapshot = await client.next("W")
    assert (snapshot[262], snapshot[55], snapshot[268], snapshot.all(269)) == ("md-1", "EUR/USD", "2", ["0", "1"])
    assert [Decimal(p) for p in snapshot.all(270)] == [D("1.08338"), D("1.08352")], "the LPs' 1.08340/1.08350, " \
        "0.2 pip each side"

    for venue in world.lps.values():
        venue.set_quote("EUR/USD", D("1.08400"), D("1.08410"))
    update = await client.next("X", lambda m: D("1.08412") in [Decimal(p) for p in m.all(270)])  # both LPs moved
    assert (update[262], update[268], update.all(279), update.all(269), update.all(55)) == \
        ("md-1", "2", ["1", "1"], ["0", "1"], ["EUR/USD", "EUR/USD"])
    assert [Decimal(p) for p in update.all(270)] == [D("1.08398"), D("1.08412")]

    client.send("V", *market_data("md-1", "2", "EUR/USD"))             # unsubscribe
    await asyncio.sleep(0.2)
    increments = len(client.of_type("X"))
    for venue in world.lps.values():
        venue.set_quote("EUR/USD", D("1.08500"), D("1.08510"))
    await asyncio.sleep(0.3)                                            # past the feed's FX conflation
    client.send("V", *market_data("md-2", "1", "EUR/USD", "XAU/XAG"))
    refused = await client.next("Y")
    assert (refused[262], refused[281], refused[58]) == ("md-2", "0", "unknown symbol XAU/XAG")
    assert len(client.of_type("X")) == increments and len(client.of_type("W")) == 1, "nothing after unsubscribing"
    assert not client.rejects
