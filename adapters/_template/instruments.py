"""The venue's symbols and units <-> the engine's. Nothing past this module sees a venue symbol or unit: quotes,
fills and quantities cross the venue contract in the engine's symbols (``EUR/USD``, ``BTC/USDT``, ``AAPL.US``) and
the instrument's quantity unit (lots, coins, shares)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class VenueInstrument:
    symbol: str             # the engine's
    venue_symbol: str       # the venue's
    contract_size: Decimal  # venue units in one engine unit (100 000 for an FX lot counted in base currency)

    def to_venue_quantity(self, quantity: Decimal) -> Decimal:
        """An engine quantity in the venue's units."""
        raise NotImplementedError

    def from_venue_quantity(self, quantity: Decimal) -> Decimal:
        """A venue quantity (order, fill or quote size) in the engine's units."""
        raise NotImplementedError


class Instruments:
    """Both directions of the mapping, from a static table or the venue's instrument list (fetched on connect)."""

    def symbols(self) -> list[str]:
        """The engine symbols the venue trades now, sorted: what ``Venue.instruments()`` returns."""
        raise NotImplementedError

    def get(self, symbol: str) -> VenueInstrument | None:
        """By engine symbol; None when the venue does not list it (an order for it is refused: unknown_symbol)."""
        raise NotImplementedError

    def by_venue_symbol(self, venue_symbol: str) -> VenueInstrument | None:
        """By the venue's symbol, for what comes back (quotes, reports, status answers)."""
        raise NotImplementedError
