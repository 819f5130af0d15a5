"""The stocks the simulated broker lists, each with what its exchange publishes for it (HKEX's board lot, NSE's
price band) and an opening price for the synthetic book.

On the wire a stock is its ticker in Symbol(55) and its listing market's ISO 10383 MIC in SecurityExchange(207)
(XNAS, XNYS, XHKG, XNSE). The scenario API names it ``<ticker>.<market code>``: ``AAPL.US``, ``0005.HK`` (the
four-digit HKEX stock code), ``RELIANCE.NS``. Prices are in the listing currency and quantities in shares.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from simulators.equity.market_rules import HK, IN, US, Market

D = Decimal


@dataclass(frozen=True, slots=True)
class Stock:
    symbol: str              # the scenario API's name, e.g. "0005.HK"
    ticker: str              # Symbol(55), e.g. "0005"
    mic: str                 # SecurityExchange(207)
    market: Market
    lot: Decimal             # quantities must be whole multiples of this
    opening_price: Decimal   # the book's first reference price and previous close
    band_percent: Decimal | None = None  # NSE: the band either side of the previous close


def _us(ticker: str, mic: str, price: str) -> Stock:
    """US exchanges take any whole number of shares (a round lot of 100 matters only to quote display)."""
    return Stock(f"{ticker}.US", ticker, mic, US, D(1), D(price))


def _hk(code: str, board_lot: int, price: str) -> Stock:
    return Stock(f"{code}.HK", code, "XHKG", HK, D(board_lot), D(price))


def _in(ticker: str, band_percent: int, price: str) -> Stock:
    """NSE's capital market trades equities in a market lot of one share."""
    return Stock(f"{ticker}.NS", ticker, "XNSE", IN, D(1), D(price), band_percent=D(band_percent))


STOCKS: tuple[Stock, ...] = (
    _us("AAPL", "XNAS", "190.00"), _us("MSFT", "XNAS", "420.00"), _us("NVDA", "XNAS", "140.00"),
    _us("IBM", "XNYS", "230.00"), _us("JPM", "XNYS", "240.00"),
    # Board lots as HKEX lists them per stock: HSBC Holdings 400, Tencent 100, Alibaba 100, China Mobile 500,
    # AIA 200, HKEX 100. Issuers change them: check HKEX's list before relying on one.
    _hk("0005", 400, "98.50"), _hk("0700", 100, "600.0"), _hk("9988", 100, "150.0"), _hk("0941", 500, "80.00"),
    _hk("1299", 200, "70.00"), _hk("0388", 100, "400.0"),
    # NSE sets no price band on stocks with derivatives but a dynamic one of 10% of the previous close, flexed in
    # 5% steps as trading reaches it (NSE FAQs on price band / operating range flex): RELIANCE, TCS, INFY and IRFC
    # (in F&O since 29 November 2024) carry that first 10% stage. Other stocks get 2, 5, 10 or 20% (a few 40%) in
    # NSE's daily price band circulars; SUZLON's 5% is a demo value of that kind.
    _in("RELIANCE", 10, "1500.00"), _in("TCS", 10, "3500.00"), _in("INFY", 10, "1600.00"),
    _in("SUZLON", 5, "60.00"), _in("IRFC", 10, "130.00"),
)


class Listings:
    """The listed stocks, found as a FIX message names them."""

    def __init__(self, stocks: tuple[Stock, ...] = STOCKS) -> None:
        self._by_wire = {(s.ticker, s.mic): s for s in stocks}

    def find(self, ticker: str, mic: str | None) -> Stock | None:
        """The stock a FIX message names; without SecurityExchange the ticker must be unambiguous."""
        if mic is not None:
            return self._by_wire.get((ticker, mic))
        matches = [s for (listed, _), s in self._by_wire.items() if listed == ticker]
        return matches[0] if len(matches) == 1 else None
