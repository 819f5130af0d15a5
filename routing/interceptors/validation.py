"""Refuse what no venue should see: unknown symbols, quantities off the lot step or out of range, prices off the
tick, orders outside the instrument's trading hours."""
from __future__ import annotations

from engine.domain.order import OrdType
from routing.pipeline import Interceptor, OrderContext, Rejection


class Validation(Interceptor):
    name = "validation"

    def before_route(self, context: OrderContext) -> Rejection | None:
        order, instrument = context.order, context.instrument
        if instrument is None:
            return Rejection("unknown_symbol", f"{order.symbol} is not an instrument this account can trade")
        if order.quantity <= 0:
            return Rejection("bad_quantity", f"quantity must be positive, got {order.quantity}")
        if not instrument.on_step(order.quantity):
            step = instrument.board_lot or instrument.lot_step
            return Rejection("quantity_off_step", f"quantity {order.quantity} is not a multiple of {step}")
        if not instrument.min_quantity <= order.quantity <= instrument.max_quantity:
            return Rejection("quantity_out_of_range", f"quantity {order.quantity} is outside "
                                                      f"{instrument.min_quantity}..{instrument.max_quantity}")
        needs_price = order.ord_type in (OrdType.LIMIT, OrdType.STOP_LIMIT)
        if needs_price and (order.price is None or not instrument.on_tick(order.price)):
            return Rejection("price_off_tick", f"price {order.price} is not a multiple of {instrument.tick_size}")
        needs_stop = order.ord_type in (OrdType.STOP, OrdType.STOP_LIMIT)
        if needs_stop and (order.stop_price is None or not instrument.on_tick(order.stop_price)):
            return Rejection("stop_off_tick", f"stop price {order.stop_price} is not a multiple of "
                                              f"{instrument.tick_size}")
        if not instrument.is_open(context.now):
            return Rejection("market_closed", f"{order.symbol} is outside its trading hours")
        return None
