"""The in-memory market's quotes: one board shared by every adapter instance on the market, each quote stamped by
the clock the market was made with."""
from __future__ import annotations

from decimal import Decimal

from engine.ports import Clock, Quote


class QuoteBoard:
    def __init__(self, venue: str, clock: Clock) -> None:
        self.venue = venue
        self.clock = clock
        self.quotes: dict[str, Quote] = {}

    def set(self, symbol: str, bid: Decimal, ask: Decimal) -> Quote:
        quote = self.quotes[symbol] = Quote(self.venue, symbol, bid, ask, received_at=self.clock())
        return quote

    def get(self, symbol: str) -> Quote | None:
        return self.quotes.get(symbol)
