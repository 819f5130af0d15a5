"""Binance symbols and their filters (filters.md), from GET /api/v3/exchangeInfo: engine "BTC/USDT" is Binance
"BTCUSDT", and an order that breaks PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL or MIN_NOTIONAL is refused
here, with the reason Binance would give, before it is sent."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZERO = Decimal(0)
MARKET_TYPES = frozenset({"MARKET", "STOP_LOSS", "TAKE_PROFIT"})


@dataclass(frozen=True, slots=True)
class Range:
    """minimum, maximum and step; a zero disables that rule, as Binance's filters do."""

    minimum: Decimal
    maximum: Decimal
    step: Decimal

    def breach(self, value: Decimal, what: str) -> str | None:
        if self.minimum and value < self.minimum:
            return f"{what} {value} is below the minimum {self.minimum.normalize():f}"
        if self.maximum and value > self.maximum:
            return f"{what} {value} is above the maximum {self.maximum.normalize():f}"
        if self.step and value % self.step:
            return f"{what} {value} is not a multiple of {self.step.normalize():f}"
        return None


@dataclass(frozen=True, slots=True)
class Notional:
    minimum: Decimal
    maximum: Decimal | None
    min_to_market: bool
    max_to_market: bool
    filter_type: str              # NOTIONAL, or the older MIN_NOTIONAL


@dataclass(frozen=True, slots=True)
class SymbolRules:
    symbol: str                   # the engine's, "BTC/USDT"
    venue_symbol: str             # Binance's, "BTCUSDT"
    base: str
    quote: str
    trading: bool
    order_types: frozenset[str]
    cancel_replace: bool
    price: Range | None
    lot: Range | None
    market_lot: Range | None
    notional: Notional | None

    def breach(self, order_type: str, quantity: Decimal, price: Decimal | None, stop_price: Decimal | None,
               reference: Decimal | None) -> str | None:
        """The first filter the order fails, as "Filter failure: NAME (why)"; None when it passes them all.
        ``reference`` stands in for Binance's average price when a market order's notional is checked."""
        for value, what in ((price, "price"), (stop_price, "stop price")):
            if value is not None and self.price is not None and (why := self.price.breach(value, what)):
                return f"Filter failure: PRICE_FILTER ({why})"
        if self.lot is not None and (why := self.lot.breach(quantity, "quantity")):
            return f"Filter failure: LOT_SIZE ({why})"
        market = order_type in MARKET_TYPES
        if market and self.market_lot is not None and (why := self.market_lot.breach(quantity, "quantity")):
            return f"Filter failure: MARKET_LOT_SIZE ({why})"
        rule = self.notional
        at = reference if market or price is None else price
        if rule is None or at is None:
            return None
        value = quantity * at
        if (not market or rule.min_to_market) and value < rule.minimum:
            return (f"Filter failure: {rule.filter_type} (notional {value.normalize():f} is below the minimum "
                    f"{rule.minimum.normalize():f})")
        if rule.maximum and (not market or rule.max_to_market) and value > rule.maximum:
            return (f"Filter failure: {rule.filter_type} (notional {value.normalize():f} is above the maximum "
                    f"{rule.maximum.normalize():f})")
        return None


def _range(spec: dict[str, Any], low: str, high: str, step: str) -> Range:
    return Range(Decimal(spec[low]), Decimal(spec[high]), Decimal(spec[step]))


def rules_from(info: dict[str, Any]) -> SymbolRules:
    """One entry of exchangeInfo's "symbols"."""
    filters = {f["filterType"]: f for f in info.get("filters", [])}
    notional = None
    if "NOTIONAL" in filters:
        spec = filters["NOTIONAL"]
        notional = Notional(Decimal(spec["minNotional"]), Decimal(spec["maxNotional"]),
                            bool(spec.get("applyMinToMarket")), bool(spec.get("applyMaxToMarket")), "NOTIONAL")
    elif "MIN_NOTIONAL" in filters:
        spec = filters["MIN_NOTIONAL"]
        notional = Notional(Decimal(spec["minNotional"]), None, bool(spec.get("applyToMarket")), False,
                            "MIN_NOTIONAL")
    return SymbolRules(
        symbol=f"{info['baseAsset']}/{info['quoteAsset']}", venue_symbol=info["symbol"], base=info["baseAsset"],
        quote=info["quoteAsset"], trading=info.get("status") == "TRADING",
        order_types=frozenset(info.get("orderTypes", ())), cancel_replace=bool(info.get("cancelReplaceAllowed")),
        price=_range(filters["PRICE_FILTER"], "minPrice", "maxPrice", "tickSize") if "PRICE_FILTER" in filters
        else None,
        lot=_range(filters["LOT_SIZE"], "minQty", "maxQty", "stepSize") if "LOT_SIZE" in filters else None,
        market_lot=_range(filters["MARKET_LOT_SIZE"], "minQty", "maxQty", "stepSize")
        if "MARKET_LOT_SIZE" in filters else None,
        notional=notional)


class Instruments:
    """Both directions of the symbol mapping, and each symbol's rules."""

    def __init__(self, rules: list[SymbolRules]) -> None:
        self._by_engine = {r.symbol: r for r in rules}
        self._by_venue = {r.venue_symbol: r for r in rules}

    @classmethod
    def from_exchange_info(cls, exchange_info: dict[str, Any]) -> Instruments:
        return cls([rules_from(info) for info in exchange_info.get("symbols", [])])

    def rules(self, symbol: str) -> SymbolRules | None:
        return self._by_engine.get(symbol)

    def by_venue(self, venue_symbol: str) -> SymbolRules | None:
        return self._by_venue.get(venue_symbol)

    def to_venue(self, symbol: str) -> str:
        return self._by_engine[symbol].venue_symbol

    def to_engine(self, venue_symbol: str) -> str:
        return self._by_venue[venue_symbol].symbol

    def tradable(self) -> list[str]:
        return sorted(r.symbol for r in self._by_engine.values() if r.trading)
