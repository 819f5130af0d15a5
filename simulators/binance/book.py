"""The simulated market: each symbol's trading rules (filters.md) and a synthetic order book around a price,
with Binance's JSON number format and error shape."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

EIGHT = Decimal("0.00000001")
ZERO = Decimal(0)
ORDER_TYPES = ("LIMIT", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT", "LIMIT_MAKER")


def fmt(value: Decimal) -> str:
    return f"{value.quantize(EIGHT):f}"


def now_ms() -> int:
    return int(time.time() * 1000)


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(ROUND_DOWN) * step if step else value


class ApiError(Exception):
    """An error the way Binance answers it: code, message, HTTP status and, for cancelReplace, a data object."""

    def __init__(self, code: int, msg: str, http_status: int = 400, data: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code} {msg}")
        self.code, self.msg, self.http_status, self.data = code, msg, http_status, data

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.data is not None:
            body["data"] = self.data
        return body


@dataclass
class SymbolSpec:
    """One symbol's trading rules; ``legacy_min_notional`` publishes MIN_NOTIONAL instead of NOTIONAL."""

    symbol: str
    base: str
    quote: str
    price: Decimal
    tick_size: Decimal = Decimal("0.01")
    min_price: Decimal = Decimal("0.01")
    max_price: Decimal = Decimal(1000000)
    step_size: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    max_qty: Decimal = Decimal(9000)
    market_max_qty: Decimal = Decimal(100)
    min_notional: Decimal = Decimal(5)
    max_notional: Decimal = Decimal(9000000)
    level_qty: Decimal = Decimal("0.5")
    legacy_min_notional: bool = False

    def filters(self) -> list[dict[str, Any]]:
        filters: list[dict[str, Any]] = [
            {"filterType": "PRICE_FILTER", "minPrice": fmt(self.min_price), "maxPrice": fmt(self.max_price),
             "tickSize": fmt(self.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": fmt(self.min_qty), "maxQty": fmt(self.max_qty),
             "stepSize": fmt(self.step_size)},
            {"filterType": "MARKET_LOT_SIZE", "minQty": fmt(ZERO), "maxQty": fmt(self.market_max_qty),
             "stepSize": fmt(ZERO)},
        ]
        if self.legacy_min_notional:
            filters.append({"filterType": "MIN_NOTIONAL", "minNotional": fmt(self.min_notional),
                            "applyToMarket": True, "avgPriceMins": 5})
        else:
            filters.append({"filterType": "NOTIONAL", "minNotional": fmt(self.min_notional), "applyMinToMarket": True,
                            "maxNotional": fmt(self.max_notional), "applyMaxToMarket": False, "avgPriceMins": 5})
        return filters

    def info(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "status": "TRADING", "baseAsset": self.base, "baseAssetPrecision": 8,
                "quoteAsset": self.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8, "orderTypes": list(ORDER_TYPES),
                "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True, "quoteOrderQtyMarketAllowed": True,
                "allowTrailingStop": False, "cancelReplaceAllowed": True, "amendAllowed": False,
                "isSpotTradingAllowed": True, "isMarginTradingAllowed": True, "filters": self.filters(),
                "permissions": [], "permissionSets": [["SPOT", "MARGIN"]],
                "defaultSelfTradePreventionMode": "NONE", "allowedSelfTradePreventionModes": ["NONE"]}

    def check_filters(self, order_type: str, quantity: Decimal, price: Decimal | None, stop_price: Decimal | None,
                      reference: Decimal) -> None:
        """Binance's order of checks: price, lot size, market lot size, notional; the first failure answers."""
        for value in (price, stop_price):
            if value is not None and (value < self.min_price or value > self.max_price or value % self.tick_size):
                raise ApiError(-1013, "Filter failure: PRICE_FILTER")
        if quantity < self.min_qty or quantity > self.max_qty or quantity % self.step_size:
            raise ApiError(-1013, "Filter failure: LOT_SIZE")
        market = order_type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT")
        if market and quantity > self.market_max_qty:
            raise ApiError(-1013, "Filter failure: MARKET_LOT_SIZE")
        notional = quantity * (reference if market or price is None else price)
        name = "MIN_NOTIONAL" if self.legacy_min_notional else "NOTIONAL"
        if notional < self.min_notional or (not market and not self.legacy_min_notional
                                            and notional > self.max_notional):
            raise ApiError(-1013, f"Filter failure: {name}")


@dataclass
class Book:
    """A synthetic book: ``levels`` price levels each side around ``mid``, ``spread_ticks`` apart at the top."""

    spec: SymbolSpec
    mid: Decimal
    levels: int = 20
    spread_ticks: int = 10
    spacing_ticks: int = 10
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    update_id: int = 1000

    def target(self) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
        tick = self.spec.tick_size
        spread, spacing = tick * self.spread_ticks, tick * self.spacing_ticks
        best_bid = floor_to(self.mid - spread / 2, tick)
        best_ask = best_bid + spread
        bids, asks = {}, {}
        for i in range(self.levels):
            qty = floor_to(self.spec.level_qty * (1 + Decimal(i) / 2), self.spec.step_size)
            if best_bid - i * spacing > 0:
                bids[best_bid - i * spacing] = qty
            asks[best_ask + i * spacing] = qty
        return bids, asks

    def best_bid(self) -> Decimal | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> Decimal | None:
        return min(self.asks) if self.asks else None

    def available(self, side: str, limit: Decimal | None) -> Decimal:
        levels = self.asks if side == "BUY" else self.bids
        return sum((q for p, q in levels.items() if limit is None or (p <= limit if side == "BUY" else p >= limit)),
                   ZERO)

    def take(self, side: str, quantity: Decimal, limit: Decimal | None) -> list[tuple[Decimal, Decimal]]:
        """Consume the opposite side best first, up to ``limit``; returns (price, quantity) executions."""
        levels = self.asks if side == "BUY" else self.bids
        executions = []
        for price in sorted(levels, reverse=side == "SELL"):
            if quantity <= 0 or (limit is not None and (price > limit if side == "BUY" else price < limit)):
                break
            qty = min(quantity, levels[price])
            executions.append((price, qty))
            quantity -= qty
            levels[price] -= qty
            if not levels[price]:
                del levels[price]
        return executions


def default_symbols() -> list[SymbolSpec]:
    """What the simulated exchange lists; DOGEUSDT with the filters Binance publishes for it (a five-decimal tick,
    whole coins, a 1 USDT minimum notional)."""
    return [SymbolSpec("BTCUSDT", "BTC", "USDT", Decimal(60000)),
            SymbolSpec("ETHUSDT", "ETH", "USDT", Decimal(3000), step_size=Decimal("0.0001"),
                       min_qty=Decimal("0.0001"), legacy_min_notional=True),
            SymbolSpec("DOGEUSDT", "DOGE", "USDT", Decimal("0.15"), tick_size=Decimal("0.00001"),
                       min_price=Decimal("0.00001"), max_price=Decimal(1000), step_size=Decimal(1),
                       min_qty=Decimal(1), max_qty=Decimal(9000000), market_max_qty=Decimal(5000000),
                       min_notional=Decimal(1), level_qty=Decimal(5000))]
