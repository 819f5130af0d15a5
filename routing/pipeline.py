"""The routing pipeline: interceptors see an order before routing, a fill after, and a quote on its way out.

Each interceptor is a small class with one method per direction (the defaults pass everything through). Before
routing it may change the order's venue-side terms or refuse with a ``Rejection`` (a code and a sentence the
client sees). The order of interceptors is configuration, per tenant.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from engine.domain.instrument import Instrument
from engine.domain.order import Order
from engine.domain.tenancy import Account


@dataclass(frozen=True, slots=True)
class Rejection:
    code: str
    reason: str


@dataclass(slots=True)
class OrderContext:
    """An order on its way to a venue; interceptors fill in the venue-side prices."""

    order: Order
    instrument: Instrument | None
    account: Account
    now: dt.datetime
    venue_price: Decimal | None = None
    venue_stop_price: Decimal | None = None


@dataclass(slots=True)
class FillContext:
    """A fill on its way back to the client: venue terms in, client terms and the broker's revenue out."""

    order: Order
    instrument: Instrument
    account: Account
    exec_id: str
    quantity: Decimal
    venue_price: Decimal
    client_price: Decimal
    markup_revenue: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)
    rebates: list[tuple[str, Decimal]] = field(default_factory=list)   # (IB user, amount in account currency)


@dataclass(frozen=True, slots=True)
class ClientQuote:
    """A price on its way to one tenant group's traders; a missing side stays missing."""

    tenant_id: str
    group_id: str
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    tick_size: Decimal | None = None   # prices going out are rounded on it, in the broker's favour


class Interceptor:
    name = "interceptor"

    def before_route(self, context: OrderContext) -> Rejection | None:
        return None

    def after_fill(self, fill: FillContext) -> None:
        return None

    def on_quote(self, quote: ClientQuote) -> ClientQuote:
        return quote


@dataclass
class Pipeline:
    interceptors: list[Interceptor] = field(default_factory=list)

    def before_route(self, context: OrderContext) -> Rejection | None:
        for interceptor in self.interceptors:
            rejection = interceptor.before_route(context)
            if rejection is not None:
                return rejection
        return None

    def after_fill(self, fill: FillContext) -> None:
        for interceptor in self.interceptors:
            interceptor.after_fill(fill)

    def on_quote(self, quote: ClientQuote) -> ClientQuote:
        for interceptor in self.interceptors:
            if type(interceptor).on_quote is not Interceptor.on_quote:  # most pass prices through untouched
                quote = interceptor.on_quote(quote)
        return quote


class Pipelines:
    """Each tenant's pipeline, built by name from shared interceptors in the order its configuration gives."""

    def __init__(self, interceptors: Iterable[Interceptor], order: Mapping[str, list[str]],
                 default: list[str]) -> None:
        self._by_name = {interceptor.name: interceptor for interceptor in interceptors}
        self._default = self._build(default)
        self._pipelines = {tenant: self._build(names) for tenant, names in order.items()}

    def _build(self, names: list[str]) -> Pipeline:
        unknown = [name for name in names if name not in self._by_name]
        if unknown:
            raise ValueError(f"unknown interceptors in the pipeline configuration: {unknown}")
        return Pipeline([self._by_name[name] for name in names])

    def for_tenant(self, tenant_id: str) -> Pipeline:
        return self._pipelines.get(tenant_id, self._default)
