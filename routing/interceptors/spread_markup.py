"""The broker's spread: added to quotes going out and to fill prices coming back, taken off limit prices going to
the venue, so a trader's quote and fill agree to the point and the broker's revenue per fill is exact."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from engine.domain.terms import Markup
from engine.ports import ClientQuote, FillContext, Interceptor, OrderContext


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
        tick = context.instrument.tick_size if context.instrument is not None else None
        # The venue sees the client's price less the markup, rounded on the venue's tick so the broker keeps at
        # least the markup: down for a buy, up for a sell.
        if order.price is not None:
            context.venue_price = on_tick(order.price - sign * rule.amount(order.price), tick, up=sign < 0)
        if order.stop_price is not None:
            context.venue_stop_price = on_tick(order.stop_price - sign * rule.amount(order.stop_price), tick,
                                               up=sign < 0)
        return None

    def after_fill(self, fill: FillContext) -> None:
        order = fill.order
        rule = self.markup(order.tenant_id, fill.account.group_id, order.symbol)
        sign = order.side.sign
        fill.client_price = on_tick(fill.venue_price + sign * rule.amount(fill.venue_price),
                                    fill.instrument.tick_size, up=sign > 0)
        fill.markup_revenue = abs(fill.client_price - fill.venue_price) * fill.quantity * fill.instrument.contract_size

    def on_quote(self, quote: ClientQuote) -> ClientQuote:
        rule = self.markup(quote.tenant_id, quote.group_id, quote.symbol)
        bid, ask, tick = quote.bid, quote.ask, quote.tick_size
        return ClientQuote(quote.tenant_id, quote.group_id, quote.symbol,
                           None if bid is None else on_tick(bid - rule.amount(bid), tick, up=False),
                           None if ask is None else on_tick(ask + rule.amount(ask), tick, up=True), tick)


def on_tick(price: Decimal, tick: Decimal | None, *, up: bool) -> Decimal:
    """``price`` on a multiple of ``tick``, rounded up or down (no tick: as it is)."""
    if tick is None or price % tick == 0:
        return price
    steps = (price / tick).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
    return (steps * tick).quantize(tick)
