"""Orders the OMS keeps until the quote stream touches them: stops, stop-limits, trailing stops and take-profits
(market-if-touched). Venues see them only once triggered, so one venue's rules never limit what a client may ask.

Triggers compare venue prices with venue prices: a buy stop at the ask, a sell stop at the bid; a take-profit the
other way round. A trailing stop moves its trigger with the market and never back.
"""
from __future__ import annotations

from decimal import Decimal

from engine.domain.order import Order, OrdType, Side


class HeldOrders:
    def __init__(self) -> None:
        self._by_symbol: dict[str, dict[str, Order]] = {}

    def hold(self, order: Order) -> None:
        self._by_symbol.setdefault(order.symbol, {})[order.order_id] = order

    def holds(self, order: Order) -> bool:
        return order.order_id in self._by_symbol.get(order.symbol, {})

    def release(self, order: Order) -> bool:
        """Take an order off the book; False if it was not held (already triggered or never held)."""
        return self._by_symbol.get(order.symbol, {}).pop(order.order_id, None) is not None

    def touched(self, symbol: str, bid: Decimal | None, ask: Decimal | None) -> tuple[list[Order], list[Order]]:
        """Apply a quote: returns (triggered orders, now off the book; trailing stops whose trigger moved)."""
        triggered: list[Order] = []
        trailed: list[Order] = []
        for order in list(self._by_symbol.get(symbol, {}).values()):
            if order.trail is not None and _trail(order, bid, ask):
                trailed.append(order)
            if _is_touched(order, bid, ask):
                del self._by_symbol[symbol][order.order_id]
                triggered.append(order)
        return triggered, trailed


def _is_touched(order: Order, bid: Decimal | None, ask: Decimal | None) -> bool:
    trigger = order.trigger_price
    if trigger is None:
        return False
    take_profit = order.ord_type is OrdType.MARKET_IF_TOUCHED
    if order.side is Side.BUY:   # a buy executes at the ask
        return ask is not None and (ask <= trigger if take_profit else ask >= trigger)
    return bid is not None and (bid >= trigger if take_profit else bid <= trigger)


def _trail(order: Order, bid: Decimal | None, ask: Decimal | None) -> bool:
    """Move a trailing stop's trigger toward the market; True if it moved. Client and venue stop keep their gap."""
    assert order.trail is not None
    if order.side is Side.SELL:   # protects a long: trails the bid from below
        if bid is None:
            return False
        wanted = bid - order.trail
        better = order.trigger_price is None or wanted > order.trigger_price
    else:                         # protects a short: trails the ask from above
        if ask is None:
            return False
        wanted = ask + order.trail
        better = order.trigger_price is None or wanted < order.trigger_price
    if not better:
        return False
    gap = (order.stop_price - order.venue_stop_price
           if order.stop_price is not None and order.venue_stop_price is not None else Decimal(0))
    order.venue_stop_price = wanted
    order.stop_price = wanted + gap
    return True
