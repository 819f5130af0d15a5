"""The broker's spread: added to quotes going out and to fill prices coming back, taken off limit prices going to
the venue, so a trader's quote and fill agree to the point and the broker's revenue per fill is exact."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from routing.pipeline import ClientQuote, FillContext, Interceptor, OrderContext


@dataclass(frozen=True, slots=True)
class Markup:
    """Per side: fixed price points, or a percentage of the price."""

    points: Decimal = Decimal(0)
    percent: Decimal = Decimal(0)

    def amount(self, price: Decimal) -> Decimal:
        return self.points + price * self.percent / 100


class SpreadMarkup(Interceptor):
    """Markups keyed by (tenant, group, symbol); group or symbol ``*`` are fallbacks."""

    name = "spread_markup"

    def __init__(self, markups: Mapping[tuple[str, str, str], Markup]) -> None:
        self.markups = dict(markups)

    def markup(self, tenant_id: str, group_id: str, symbol: str) -> Markup:
        for key in ((tenant_id, group_id, symbol), (tenant_id, group_id, "*"), (tenant_id, "*", symbol),
                    (tenant_id, "*", "*")):
            if key in self.markups:
                return self.markups[key]
        return Markup()

    def before_route(self, context: OrderContext) -> None:
        order = context.order
        rule = self.markup(order.tenant_id, context.account.group_id, order.symbol)
        sign = order.side.sign
        if order.price is not None:
            context.venue_price = order.price - sign * rule.amount(order.price)
        if order.stop_price is not None:
            context.venue_stop_price = order.stop_price - sign * rule.amount(order.stop_price)
        return None

    def after_fill(self, fill: FillContext) -> None:
        order = fill.order
        rule = self.markup(order.tenant_id, fill.account.group_id, order.symbol)
        per_unit = rule.amount(fill.venue_price)
        fill.client_price = fill.venue_price + order.side.sign * per_unit
        fill.markup_revenue = per_unit * fill.quantity * fill.instrument.contract_size

    def on_quote(self, quote: ClientQuote) -> ClientQuote:
        rule = self.markup(quote.tenant_id, quote.group_id, quote.symbol)
        bid, ask = quote.bid, quote.ask
        return ClientQuote(quote.tenant_id, quote.group_id, quote.symbol,
                           None if bid is None else bid - rule.amount(bid), None if ask is None else ask + rule.amount(ask))

