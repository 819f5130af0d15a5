"""Past candles from GET /api/v3/klines (Binance spot's market data endpoint, weight 2): klines are identified by
their open time; startTime and endTime bound it in milliseconds; at most 1000 a page. Each row is [open time,
open, high, low, close, volume, close time, quote volume, number of trades, ...]."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from adapters.binance.instruments import Instruments
from adapters.binance.rest import RestClient
from engine.ports import PastBar

PAGE = 1000
INTERVALS = {1: "1s", 60: "1m", 180: "3m", 300: "5m", 900: "15m", 1800: "30m", 3600: "1h", 7200: "2h",
             14400: "4h", 21600: "6h", 28800: "8h", 43200: "12h", 86400: "1d", 259200: "3d", 604800: "1w"}


async def past_bars(rest: RestClient, instruments: Callable[[], Instruments], symbol: str, seconds: int,
                    start: dt.datetime, end: dt.datetime) -> list[PastBar]:
    """Bars opening in [start, end), paged; none for a symbol or a length Binance does not have."""
    rules = instruments().rules(symbol)
    if rules is None or seconds not in INTERVALS:
        return []
    out: list[PastBar] = []
    since, until = _ms(start), _ms(end) - 1
    while since <= until:
        rows = await rest.public("GET", "/api/v3/klines", [
            ("symbol", rules.venue_symbol), ("interval", INTERVALS[seconds]), ("startTime", str(since)),
            ("endTime", str(until)), ("limit", str(PAGE))], weight=2)
        out.extend(PastBar(dt.datetime.fromtimestamp(row[0] / 1000, dt.timezone.utc), Decimal(row[1]),
                           Decimal(row[2]), Decimal(row[3]), Decimal(row[4]), int(row[8]), Decimal(row[5]))
                   for row in rows)
        if len(rows) < PAGE:
            break
        since = int(rows[-1][0]) + seconds * 1000
    return out


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)
