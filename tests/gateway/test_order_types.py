"""Order types over FIX: a GTD stop held by the hub until the market touches it, then restated and filled; a pegged
(trailing) order is not offered."""
from __future__ import annotations

import time

from fix_sessions.utctime import format_timestamp
from tests.gateway.conftest import PROP_FIRM, World
from tests.gateway.messages import new_order
from tests.stubs import D


async def test_a_gtd_stop_is_held_then_triggered_restated_and_filled(world: World) -> None:
    client = await world.client(PROP_FIRM)
    expire = format_timestamp(time.time() + 3600, 3).decode()
    stop = [field for field in new_order("S1", side="2", ord_type="3") if field[0] != 59]
    client.send("D", [*stop, (99, "1.08200"), (59, "6"), (126, expire)])
    held = await client.next("8", lambda m: m[11] == "S1")
    assert (held[150], held[39], held[40], held[99], held[59], held[126]) == ("0", "0", "3", "1.08200", "6", expire)

    for venue in world.lps.values():
        venue.set_quote("EUR/USD", D("1.08190"), D("1.08200"))
    fill = await client.next("8", lambda m: m[11] == "S1" and m[150] == "F")
    restated = [m for m in client.of_type("8") if m[11] == "S1" and m[150] == "D"]
    assert restated and restated[0][378] == "99" and "touched" in restated[0][58]
    assert (fill[39], D(fill[32]), D(fill[31])) == ("2", 1, D("1.08188")), "the LPs' bid less the 0.2 pip markup"


async def test_a_pegged_order_is_refused_as_not_offered(world: World) -> None:
    client = await world.client(PROP_FIRM)
    pegged = [field for field in new_order("P1", side="2", ord_type="P")]
    client.send("D", [*pegged, (211, "0.00050"), (18, "a")])
    refused = await client.next("8", lambda m: m[11] == "P1")
    assert (refused[150], refused[39], refused[103]) == ("8", "8", "11")
    assert "OrdType P is not offered" in refused[58]
