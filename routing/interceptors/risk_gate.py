"""Pre-trade risk: order size, position size, leverage, free margin after the order, exposure per symbol and per
tenant. Each check is a named method that refuses with a code and a sentence; none can be bypassed."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from engine.domain.instrument import Instrument
from engine.domain.order import OrdType
from engine.domain.rejects import Rejection
from engine.domain.tenancy import Account, Group, PositionMode
from engine.margin import MarginSnapshot, margin_rate
from engine.ports import Interceptor, OrderContext


@dataclass(frozen=True, slots=True)
class RiskLimits:
    max_order_quantity: dict[str, Decimal] = field(default_factory=dict)      # symbol -> quantity
    max_position_quantity: dict[str, Decimal] = field(default_factory=dict)   # symbol -> quantity
    max_symbol_exposure: dict[str, Decimal] = field(default_factory=dict)     # symbol -> notional, per tenant
    max_tenant_exposure: Decimal | None = None                                 # notional, all symbols


@dataclass(frozen=True, slots=True)
class RiskView:
    """What the gate reads of the live book; the OMS provides it. ``group``: the account's group, whose leverage
    per asset class caps the account's."""

    margin: Callable[[Account], MarginSnapshot]
    net_position: Callable[[str, str], Decimal]        # account, symbol -> signed quantity over all tickets
    mark: Callable[[str], Decimal | None]              # symbol -> last price, None when stale or unknown
    tenant_exposure: Callable[[str, str | None], Decimal]  # tenant, symbol (None: all) -> gross notional
    rate: Callable[[str, str], Decimal]
    group: Callable[[Account], Group | None]


class RiskGate(Interceptor):
    name = "risk_gate"

    def __init__(self, limits: dict[str, RiskLimits], view: RiskView) -> None:
        self.limits = limits  # tenant id -> limits
        self.view = view

    def before_route(self, context: OrderContext) -> Rejection | None:
        instrument = context.instrument
        if instrument is None:
            return Rejection("unknown_symbol", f"{context.order.symbol} is not an instrument")
        price = self._price(context, instrument)
        if price is None:
            return Rejection("no_price", f"no current price for {instrument.symbol}; the order cannot be priced")
        limits = self.limits.get(context.order.tenant_id, RiskLimits())
        for check in (self._check_order_size, self._check_position_size, self._check_exposure,
                      self._check_free_margin):
            rejection = check(context, instrument, price, limits)
            if rejection is not None:
                return rejection
        return None

    def _price(self, context: OrderContext, instrument: Instrument) -> Decimal | None:
        order = context.order
        if order.ord_type is OrdType.LIMIT and order.price is not None:
            return order.price
        return self.view.mark(instrument.symbol)

    def _check_order_size(self, context: OrderContext, instrument: Instrument, price: Decimal,
                          limits: RiskLimits) -> Rejection | None:
        cap = limits.max_order_quantity.get(instrument.symbol)
        if cap is not None and context.order.quantity > cap:
            return Rejection("order_too_large", f"quantity {context.order.quantity} is above the {cap} allowed")
        return None

    def _check_position_size(self, context: OrderContext, instrument: Instrument, price: Decimal,
                             limits: RiskLimits) -> Rejection | None:
        cap = limits.max_position_quantity.get(instrument.symbol)
        if cap is None:
            return None
        order = context.order
        after = self.view.net_position(order.account_id, order.symbol) + order.side.sign * order.quantity
        if abs(after) > cap:
            return Rejection("position_too_large", f"the position would be {after}, beyond the {cap} allowed")
        return None

    def _check_exposure(self, context: OrderContext, instrument: Instrument, price: Decimal,
                        limits: RiskLimits) -> Rejection | None:
        order = context.order
        notional = instrument.notional(order.quantity, price) * self.view.rate(instrument.quote_currency, "USD")
        symbol_cap = limits.max_symbol_exposure.get(order.symbol)
        if symbol_cap is not None and self.view.tenant_exposure(order.tenant_id, order.symbol) + notional > symbol_cap:
            return Rejection("symbol_exposure", f"the broker's exposure in {order.symbol} would pass {symbol_cap}")
        if (limits.max_tenant_exposure is not None
                and self.view.tenant_exposure(order.tenant_id, None) + notional > limits.max_tenant_exposure):
            return Rejection("tenant_exposure", f"the broker's exposure would pass {limits.max_tenant_exposure}")
        return None

    def _check_free_margin(self, context: OrderContext, instrument: Instrument, price: Decimal,
                           limits: RiskLimits) -> Rejection | None:
        order, account = context.order, context.account
        if account.position_mode is PositionMode.HEDGING:  # a new ticket needs margin; closing one does not
            added = Decimal(0) if order.position_id else order.quantity
        else:
            position = self.view.net_position(order.account_id, order.symbol)
            added = max(Decimal(0), abs(position + order.side.sign * order.quantity) - abs(position))
        required = (instrument.notional(added, price) * margin_rate(instrument, account, self.view.group(account))
                    * self.view.rate(instrument.quote_currency, account.base_currency))
        free = self.view.margin(account).free_margin
        if required > 0 and required > free:  # closing needs no margin, even from an account under water
            return Rejection("insufficient_margin", f"the order needs {required:.2f} {account.base_currency} of "
                                                    f"margin and {free:.2f} is free")
        return None
