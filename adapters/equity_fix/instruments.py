"""Engine symbols <-> the broker's FIX symbols, and the per-stock facts the market rules need.

Engine symbols are ``<exchange ticker>.<suffix>``: ``AAPL.US``, ``0005.HK`` (the four-digit HKEX stock code),
``RELIANCE.NS`` (the NSE symbol); the suffix names the market profile. On the wire the order carries the bare
ticker in Symbol(55) and the listing market's ISO 10383 MIC in SecurityExchange(207) and ExDestination(100).
Quantities are shares and prices are in the listing currency on both sides, so no unit is converted.

Board lots are HKEX's as published per stock. NSE price bands (2, 5, 10 or 20% of the previous close) are
revised by NSE daily; the values here are demo defaults, and F&O stocks, which NSE gives dynamic bands, carry
10% (the first stage).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from adapters.equity_fix.profiles import PROFILES, MarketProfile
from engine.domain.instrument import Market

D = Decimal


@dataclass(frozen=True, slots=True)
class Stock:
    symbol: str            # the engine's, e.g. "0005.HK"
    venue_symbol: str      # Symbol(55), e.g. "0005"
    exchange: str          # listing MIC, SecurityExchange(207)
    market: Market
    lot: Decimal           # orders must be whole multiples of this
    band_percent: Decimal | None = None  # NSE circuit limit around the previous close

    @property
    def profile(self) -> MarketProfile:
        return PROFILES[self.market]


def _us(ticker: str, mic: str) -> Stock:
    return Stock(f"{ticker}.US", ticker, mic, Market.US, lot=D(1))


def _hk(code: str, board_lot: int) -> Stock:
    return Stock(f"{code}.HK", code, "XHKG", Market.HK, lot=D(board_lot))


def _in(ticker: str, band_percent: int) -> Stock:
    return Stock(f"{ticker}.NS", ticker, "XNSE", Market.IN, lot=D(1), band_percent=D(band_percent))


STOCKS: tuple[Stock, ...] = (
    _us("AAPL", "XNAS"), _us("MSFT", "XNAS"), _us("NVDA", "XNAS"), _us("IBM", "XNYS"), _us("JPM", "XNYS"),
    _hk("0005", 400), _hk("0700", 100), _hk("9988", 100), _hk("0941", 500), _hk("1299", 200), _hk("0388", 100),
    _in("RELIANCE", 10), _in("TCS", 10), _in("INFY", 10), _in("SUZLON", 5), _in("IRFC", 10),
)


class Instruments:
    """The stocks of the configured markets, found by engine symbol or by (Symbol, SecurityExchange)."""

    def __init__(self, markets: Iterable[Market], stocks: Iterable[Stock] = STOCKS) -> None:
        wanted = set(markets)
        self._by_symbol = {s.symbol: s for s in stocks if s.market in wanted}
        self._by_venue = {(s.venue_symbol, s.exchange): s for s in self._by_symbol.values()}

    def symbols(self) -> list[str]:
        return sorted(self._by_symbol)

    def get(self, symbol: str) -> Stock | None:
        return self._by_symbol.get(symbol)

    def from_venue(self, venue_symbol: str, exchange: str | None) -> Stock | None:
        """The stock a FIX message names; without SecurityExchange the ticker must be unambiguous."""
        if exchange is not None:
            return self._by_venue.get((venue_symbol, exchange))
        matches = [s for (ticker, _), s in self._by_venue.items() if ticker == venue_symbol]
        return matches[0] if len(matches) == 1 else None
