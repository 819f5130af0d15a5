"""Refuse what no venue should see: unknown symbols (and those listed for another tenant or outside the tenant's
allowed instruments), quantities off the lot step or out of range, prices missing, not above zero or off the tick,
a notional below the instrument's minimum, orders outside the instrument's trading hours, and orders that would
open a position in a delisted (close-only) instrument. Each refusal names what is wrong."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from engine.domain.instrument import Instrument
from engine.domain.order import OrdType, TimeInForce
from engine.domain.rejects import Rejection
from engine.domain.tenancy import Directory, PositionMode
from engine.ports import Interceptor, OrderContext

# (account, symbol) -> the account's net position: positive long, negative short
NetPosition = Callable[[str, str], Decimal]


class Validation(Interceptor):
    """``net_position`` tells a closing order from an opening one in a close-only instrument; ``directory`` gives
    each tenant's allowed instruments."""

    name = "validation"

    def __init__(self, net_position: NetPosition, directory: Directory) -> None:
        self.net_position = net_position
        self.directory = directory

    def before_route(self, context: OrderContext) -> Rejection | None:
        order, instrument = context.order, context.instrument
        if instrument is None or not instrument.offered_to(order.tenant_id, self._allowed(order.tenant_id)):
            return Rejection("unknown_symbol", f"{order.symbol} is not an instrument this account can trade")
        if instrument.close_only and not self._closes(context):
            return Rejection("close_only", f"{order.symbol} is delisted: positions in it may be closed, no new ones "
                                           "opened")
        if order.quantity <= 0:
            return Rejection("bad_quantity", f"quantity must be positive, got {order.quantity}")
        if not instrument.on_step(order.quantity):
            step = instrument.board_lot or instrument.lot_step
            return Rejection("quantity_off_step", f"quantity {order.quantity} is not a multiple of {step}")
        if not instrument.min_quantity <= order.quantity <= instrument.max_quantity:
            return Rejection("quantity_out_of_range", f"quantity {order.quantity} is outside "
                                                      f"{instrument.min_quantity}..{instrument.max_quantity}")
        if order.ord_type in (OrdType.LIMIT, OrdType.STOP_LIMIT):
            rejection = _check_price(order.ord_type, "price", order.price, instrument)
            if rejection is not None:
                return rejection
        if order.trail is not None:
            if order.ord_type is not OrdType.STOP or order.trail <= 0 or not instrument.on_tick(order.trail):
                return Rejection("bad_trail", f"a trailing stop needs a stop order and a positive distance on the "
                                              f"tick {instrument.tick_size}, got {order.trail}")
        elif order.ord_type in (OrdType.STOP, OrdType.STOP_LIMIT, OrdType.MARKET_IF_TOUCHED):
            rejection = _check_price(order.ord_type, "stop", order.stop_price, instrument)
            if rejection is not None:
                return rejection
        rejection = self._check_brackets(context)
        if rejection is not None:
            return rejection
        limit = order.price if order.price is not None else order.stop_price
        if instrument.min_notional is not None and limit is not None \
                and instrument.notional(order.quantity, limit) < instrument.min_notional:
            return Rejection("below_min_notional", f"{order.quantity} {order.symbol} at {limit} is worth less than "
                                                   f"the minimum {instrument.min_notional} {instrument.quote_currency}")
        if order.time_in_force is TimeInForce.GTD and (order.expire_at is None or order.expire_at <= context.now):
            return Rejection("bad_expire_time", f"a GTD order needs an expiry time after {context.now.isoformat()}")
        if not instrument.is_open(context.now):
            return Rejection("market_closed", f"{order.symbol} is outside its trading hours")
        return None

    def _allowed(self, tenant_id: str) -> tuple[str, ...]:
        tenant = self.directory.tenants.get(tenant_id)
        return tenant.defaults.allowed_instruments if tenant is not None else ()

    def _closes(self, context: OrderContext) -> bool:
        """Whether the order only reduces a position: it names the hedging ticket it closes, or it is against the
        account's net position and no larger than it (a hedging account opens a new ticket unless it names one)."""
        order = context.order
        if order.position_id is not None:
            return True
        if context.account.position_mode is PositionMode.HEDGING:
            return False
        net = self.net_position(order.account_id, order.symbol)
        return net * order.side.sign < 0 and order.quantity <= abs(net)

    @staticmethod
    def _check_brackets(context: OrderContext) -> Rejection | None:
        """Take-profit above and stop-loss below a buy's entry (the other way for a sell), each on the tick."""
        order, instrument = context.order, context.instrument
        assert instrument is not None
        entry = order.price if order.price is not None else order.stop_price
        sign = order.side.sign
        for name, level, beyond in (("take_profit", order.take_profit, 1), ("stop_loss", order.stop_loss, -1)):
            if level is None:
                continue
            if level <= 0 or not instrument.on_tick(level):
                return Rejection(f"bad_{name}", f"{name.replace('_', '-')} {level} is not a price on the tick "
                                                f"{instrument.tick_size}")
            if entry is not None and (level - entry) * sign * beyond <= 0:
                side = "above" if sign * beyond > 0 else "below"
                return Rejection(f"bad_{name}", f"{name.replace('_', '-')} {level} must be {side} the entry {entry}")
        return None


# Each price an order type needs: its name, its tag on the FIX door (so a client of either door knows the field to
# fix) and the code of a price off the tick.
_PRICES = {"price": ("price", "Price(44)", "price_off_tick"), "stop": ("stop price", "StopPx(99)", "stop_off_tick")}


def _check_price(ord_type: OrdType, kind: str, price: Decimal | None, instrument: Instrument) -> Rejection | None:
    """A price the order type needs: there, above zero, on the tick; each with its own code and sentence."""
    name, tag, off_tick = _PRICES[kind]
    code = name.replace(" ", "_")
    if price is None:
        return Rejection(f"missing_{code}", f"a {ord_type.name.lower().replace('_', '-')} order needs a {name} "
                                            f"(FIX: {tag})")
    if price <= 0:
        return Rejection(f"bad_{code}", f"{name} must be above zero, got {price}")
    if not instrument.on_tick(price):
        return Rejection(off_tick, f"{name} {price} is not a multiple of {instrument.tick_size}")
    return None
