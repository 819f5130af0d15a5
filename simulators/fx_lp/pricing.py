"""The fx-lp simulator's prices: a few levels per symbol that random-walk in whole ticks (no floats), with the
spreads an FX LP quotes for majors, metals and index CFDs. Sizes are in venue units (base currency, ounces,
contracts); each level has an Issuer, the LP number PrimeXM aggregates from."""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from decimal import Decimal

D = Decimal


@dataclass(frozen=True, slots=True)
class Spec:
    symbol: str
    currency: str       # what OrderQty counts: the base currency (the quote currency for an index)
    mid: Decimal
    spread: Decimal
    tick: Decimal
    size: Decimal       # the top level's size on each side, in venue units


def _spec(symbol: str, mid: str, spread: str, tick: str, size: int, currency: str | None = None) -> Spec:
    return Spec(symbol, currency or symbol.split("/")[0], D(mid), D(spread), D(tick), D(size))


SPECS: dict[str, Spec] = {spec.symbol: spec for spec in (
    _spec("EUR/USD", "1.08345", "0.00006", "0.00001", 1_000_000),
    _spec("GBP/USD", "1.26510", "0.00009", "0.00001", 1_000_000),
    _spec("USD/JPY", "151.420", "0.008", "0.001", 1_000_000),
    _spec("USD/CHF", "0.88120", "0.00012", "0.00001", 1_000_000),
    _spec("AUD/USD", "0.65870", "0.00008", "0.00001", 1_000_000),
    _spec("USD/CAD", "1.36210", "0.00012", "0.00001", 1_000_000),
    _spec("NZD/USD", "0.60110", "0.00014", "0.00001", 1_000_000),
    _spec("EUR/GBP", "0.85640", "0.00010", "0.00001", 1_000_000),
    _spec("EUR/JPY", "164.060", "0.012", "0.001", 1_000_000),
    _spec("GBP/JPY", "191.550", "0.020", "0.001", 1_000_000),
    _spec("XAU/USD", "2345.50", "0.30", "0.01", 500),
    _spec("XAG/USD", "29.450", "0.025", "0.001", 25_000),
    _spec("US30", "39100.0", "2.0", "0.1", 50, "USD"),
    _spec("NAS100", "18250.0", "1.5", "0.1", 50, "USD"),
    _spec("SPX500", "5230.0", "0.5", "0.1", 100, "USD"),
    _spec("GER40", "18400.0", "1.5", "0.1", 50, "EUR"),
)}


@dataclass(frozen=True, slots=True)
class Level:
    bid: Decimal | None
    ask: Decimal | None
    bid_size: Decimal | None
    ask_size: Decimal | None
    issuer: str


class PriceBook:
    """Level 0 is the top of book; deeper levels sit a half-spread further out each, with more size."""

    def __init__(self, spec: Spec, depth: int, rng: random.Random) -> None:
        self.spec = spec
        self.depth = depth
        self.rng = rng
        half = spec.spread / 2
        self.levels: list[Level] = []
        self.set_top(spec.mid - half, spec.mid + half)

    @property
    def bid(self) -> Decimal | None:
        return self.levels[0].bid

    @property
    def ask(self) -> Decimal | None:
        return self.levels[0].ask

    def set_top(self, bid: Decimal, ask: Decimal) -> None:
        """Put the top of book exactly at bid/ask and rebuild the levels below it."""
        step = max(self.spec.tick, (self.spec.spread / 2).quantize(self.spec.tick))
        self.levels = [Level(bid - step * i, ask + step * i, self.spec.size * (i + 1), self.spec.size * (i + 1),
                             str(i % 3)) for i in range(self.depth)]

    def set_level(self, index: int, **fields: Decimal | str | None) -> None:
        self.levels[index] = replace(self.levels[index], **fields)  # type: ignore[arg-type]

    def walk(self) -> None:
        """One random step of the mid, in whole ticks; now and then a level's size changes on one side."""
        move = self.spec.tick * self.rng.randint(-3, 3)
        old = self.levels
        self.levels = [replace(level, bid=None if level.bid is None else level.bid + move,
                               ask=None if level.ask is None else level.ask + move) for level in old]
        if self.rng.random() < 0.3:
            index = self.rng.randrange(self.depth)
            factor = D(self.rng.randint(5, 20)) / 10
            side = self.rng.choice(("bid_size", "ask_size"))
            self.set_level(index, **{side: (self.spec.size * (index + 1) * factor).quantize(D(1))})
