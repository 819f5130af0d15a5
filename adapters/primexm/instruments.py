"""PrimeXM's symbols and units <-> the engine's.

Units: the engine counts FX, metals and index CFDs in lots of ``Instrument.contract_size`` (tests/stubs.py
``eurusd()``: 1 lot = 100 000 EUR, min 0.01); PrimeXM's OrderQty, LastQty, CumQty, MDEntrySize and
BidSize/OfferSize count the base currency (ounces for metals, contracts for indices). So a venue quantity is
lots x contract_size, and a venue size divided by contract_size is lots. Prices are the same on both sides.

Currency(15) names what OrderQty counts: the base currency for FX and metals; an index has none, so its quote
currency goes there (an assumption: the public evidence shows FX only).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

import structlog

log = structlog.get_logger("adapters.primexm")

LOT = Decimal(100_000)


@dataclass(frozen=True, slots=True)
class VenueInstrument:
    symbol: str             # the engine's symbol
    venue_symbol: str       # Symbol(55) at the LP
    currency: str           # Currency(15): the unit OrderQty counts
    contract_size: Decimal  # venue units in one engine lot

    def to_venue_quantity(self, lots: Decimal) -> Decimal:
        return lots * self.contract_size

    def from_venue_quantity(self, units: Decimal) -> Decimal:
        return units / self.contract_size


def _fx(pair: str) -> VenueInstrument:
    return VenueInstrument(pair, pair, pair.split("/")[0], LOT)


def _index(symbol: str, currency: str) -> VenueInstrument:
    return VenueInstrument(symbol, symbol, currency, Decimal(1))


DEFAULT_INSTRUMENTS: tuple[VenueInstrument, ...] = (
    *(_fx(pair) for pair in ("EUR/USD", "GBP/USD", "USD/JPY", "USD/CHF", "AUD/USD", "USD/CAD", "NZD/USD",
                             "EUR/GBP", "EUR/JPY", "GBP/JPY", "EUR/CHF", "AUD/JPY")),
    VenueInstrument("XAU/USD", "XAU/USD", "XAU", Decimal(100)),    # 100 troy ounces a lot
    VenueInstrument("XAG/USD", "XAG/USD", "XAG", Decimal(5000)),   # 5 000 troy ounces a lot
    _index("US30", "USD"), _index("NAS100", "USD"), _index("SPX500", "USD"), _index("GER40", "EUR"),
    _index("UK100", "GBP"), _index("JPN225", "JPY"),
)


class InstrumentMap:
    """Both directions of the mapping; the engine never sees a venue symbol or unit."""

    def __init__(self, instruments: Iterable[VenueInstrument]) -> None:
        self._by_symbol = {i.symbol: i for i in instruments}
        self._by_venue = {i.venue_symbol: i for i in self._by_symbol.values()}

    @classmethod
    def default(cls, venue_symbols: Mapping[str, str] | None = None) -> InstrumentMap:
        """The standard table, with ``venue_symbols`` (engine symbol -> LP symbol, e.g. "US30": "US30.cash")
        for an LP that names things its own way."""
        overrides = venue_symbols or {}
        return cls(replace(i, venue_symbol=overrides.get(i.symbol, i.venue_symbol)) for i in DEFAULT_INSTRUMENTS)

    def symbols(self) -> list[str]:
        return sorted(self._by_symbol)

    def get(self, symbol: str) -> VenueInstrument | None:
        return self._by_symbol.get(symbol)

    def by_venue_symbol(self, venue_symbol: str) -> VenueInstrument | None:
        return self._by_venue.get(venue_symbol)


def read_decimal(value: bytes | None) -> Decimal | None:
    """A number from the wire; one that does not read is logged and taken as absent, never guessed."""
    if value is None:
        return None
    try:
        return Decimal(value.decode("ascii"))
    except (InvalidOperation, UnicodeDecodeError):
        log.warning("adapters.primexm.unreadable_number", value=value.decode("latin-1"))
        return None
