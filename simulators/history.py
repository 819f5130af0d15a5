"""A venue's past for the demo: per symbol and bar length, a seeded random walk backwards from the price the
simulator shows when first asked, so the last past bar closes where the live prices begin. Generated once and
kept, so every later request for the same bars answers the same numbers."""
from __future__ import annotations

import datetime as dt
import math
import random
import zlib
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
DEPTH = 1500   # bars kept per symbol and length: more than one of Binance's klines pages (1000)


@dataclass(frozen=True, slots=True)
class PastBar:
    start: dt.datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal   # in the symbol's quantity unit
    trades: int


class PastWalk:
    """``volatility`` is the relative move per square root of a second (0.00003 is about a major FX pair)."""

    def __init__(self, volatility: float = 0.00003, seed: int = 7) -> None:
        self.volatility = volatility
        self.seed = seed
        self._walks: dict[tuple[str, int], list[PastBar]] = {}

    def bars(self, symbol: str, seconds: int, price: Decimal, tick: Decimal, now: dt.datetime,
             start: dt.datetime | None = None, end: dt.datetime | None = None, limit: int = 500) -> list[PastBar]:
        """Closed bars opening in [start, end], oldest first, at most ``limit`` (the newest when no start)."""
        walk = self._walks.get((symbol, seconds))
        if walk is None:
            walk = self._walks[(symbol, seconds)] = self._generate(symbol, seconds, price, tick, now)
        chosen = [bar for bar in walk if (start is None or bar.start >= start) and (end is None or bar.start <= end)]
        return chosen[:limit] if start is not None else chosen[-limit:]

    def _generate(self, symbol: str, seconds: int, price: Decimal, tick: Decimal, now: dt.datetime) -> list[PastBar]:
        rng = random.Random(zlib.crc32(f"{self.seed}:{symbol}:{seconds}".encode()))
        step = self.volatility * math.sqrt(seconds / 4)     # four moves a bar
        elapsed = int((now - EPOCH).total_seconds())
        current = EPOCH + dt.timedelta(seconds=elapsed - elapsed % seconds)
        close = float(price)
        out: list[PastBar] = []
        for index in range(1, DEPTH + 1):
            path = [close]
            for _ in range(4):    # backwards: from the close to the open
                path.append(path[-1] * (1 - rng.gauss(0, step)))
            wick = [abs(rng.gauss(0, step / 2)) * close for _ in range(2)]
            on = [_tick(value, tick) for value in (path[-1], max(path) + wick[0], min(path) - wick[1], path[0])]
            trades = rng.randint(20, 120) * max(1, seconds // 60)
            out.append(PastBar(current - dt.timedelta(seconds=seconds * index), on[0], on[1], max(on[2], tick),
                               on[3], Decimal(rng.randint(1, 500) * trades) / 100, trades))
            close = path[-1]
        return out[::-1]


def _tick(value: float, tick: Decimal) -> Decimal:
    return (Decimal(repr(value)) / tick).quantize(Decimal(1), ROUND_HALF_EVEN) * tick
