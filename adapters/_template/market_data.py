"""The venue's prices as the engine's ``Quote``: subscriptions out, the venue's book or ticker messages in, top of
book (and depth, where the venue gives it) out in engine symbols and units, each stamped ``received_at`` by the
adapter's clock. Keep it sans-IO where the protocol allows (messages in, quotes and replies out), so tests can feed
it the venue's documented messages without a socket."""
from __future__ import annotations

from collections.abc import Iterable

from adapters._template.instruments import Instruments
from engine.ports import Clock, Quote


class MarketData:
    def __init__(self, venue: str, instruments: Instruments, clock: Clock, stale_after: float) -> None:
        self.venue = venue
        self.instruments = instruments
        self.clock = clock
        self.stale_after = stale_after

    def want(self, symbols: Iterable[str]) -> list[str]:
        """Remember the subscription (it is asked again after every reconnect); return the symbols not asked for on
        this connection yet. Unknown symbols are logged and left out."""
        raise NotImplementedError

    def on_message(self, message: object) -> list[Quote]:
        """Apply one market data message; return the quotes whose top of book changed. A one-sided update keeps
        the other side; a message for a symbol not subscribed is logged, not guessed at."""
        raise NotImplementedError

    def quote(self, symbol: str) -> Quote | None:
        """The latest quote, or None if there is none, it is older than ``stale_after`` by the clock, or the
        connection dropped since."""
        raise NotImplementedError

    def disconnected(self) -> None:
        """The price connection is gone: its books with it; ``want``'s symbols are asked again on reconnect."""
        raise NotImplementedError
