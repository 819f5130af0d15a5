"""The broker's spread: added to quotes going out and to fill prices coming back, taken off limit prices going to
the venue, so a trader's quote and fill agree to the point and the broker's revenue per fill is exact."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from engine.domain.order import Side
from engine.domain.terms import Markup
from engine.ports import ClientQuote, FillContext, Interceptor, OrderContext


class SpreadMarkup(Interceptor):
    """Markups keyed by (tenant, group, symbol); group or symbol ``*`` are fallbacks. A buy trades on the ask side's
    markup and a sell on the bid side's."""

    name = "spread_markup"

    def __init__(self, markups: Mapping[tuple[str, str, str], Markup]) -> None:
        self.markups = dict(markups)

    def markup(self, tenant_id: str, group_id: str, symbol: str) -> Markup:
        for key in ((tenant_id, group_id, symbol), (tenant_id, group_id, "*"), (tenant_id, "*", symbol),
                    (tenant_id, "*", "*")):
            if key in self.markups:
                return self.markups[key]
        return Markup()

    def set(self, key: tuple[str, str, str], markup: Markup | None) -> None:
        """Put (or with None, remove) one markup: the next quote and the next order see it."""
        if markup is None:
            self.markups.pop(key, None)
        else:
            self.markups[key] = markup

    def before_route(self, context: OrderContext) -> None:
        order = context.order
        rule = self.markup(order.tenant_id, context.account.group_id, order.symbol)
        instrument = context.instrument
        tick = instrument.tick_size if instrument is not None else None
        pip = instrument.pip if instrument is not None else Decimal(0)
        # The venue sees the client's price less the markup, rounded on the venue's tick so the broker keeps at
        # least the markup: down for a buy, up for a sell.
        if order.price is not None:
            context.venue_price = on_tick(_venue_side(rule, order.side, order.price, pip), tick,
                                          up=order.side is Side.SELL)
        if order.stop_price is not None:
            context.venue_stop_price = on_tick(_venue_side(rule, order.side, order.stop_price, pip), tick,
                                               up=order.side is Side.SELL)
        return None

    def after_fill(self, fill: FillContext) -> None:
        order = fill.order
        rule = self.markup(order.tenant_id, fill.account.group_id, order.symbol)
        pip = fill.instrument.pip
        if order.side is Side.BUY:
            client = fill.venue_price + rule.on_ask(fill.venue_price, pip)
        else:
            client = fill.venue_price - rule.on_bid(fill.venue_price, pip)
        fill.client_price = on_tick(client, fill.instrument.tick_size, up=order.side is Side.BUY)
        fill.markup_revenue = abs(fill.client_price - fill.venue_price) * fill.quantity * fill.instrument.contract_size

    def on_quote(self, quote: ClientQuote) -> ClientQuote:
        rule = self.markup(quote.tenant_id, quote.group_id, quote.symbol)
        bid, ask, tick = quote.bid, quote.ask, quote.tick_size
        pip = quote.pip if quote.pip is not None else tick or Decimal(0)
        return ClientQuote(quote.tenant_id, quote.group_id, quote.symbol,
                           None if bid is None else on_tick(bid - rule.on_bid(bid, pip), tick, up=False),
                           None if ask is None else on_tick(ask + rule.on_ask(ask, pip), tick, up=True), tick,
                           quote.pip)


def _venue_side(rule: Markup, side: Side, price: Decimal, pip: Decimal) -> Decimal:
    """A client's limit or stop price as the venue must see it: a buy's less the ask side's markup, a sell's plus
    the bid side's."""
    return price - rule.on_ask(price, pip) if side is Side.BUY else price + rule.on_bid(price, pip)


def on_tick(price: Decimal, tick: Decimal | None, *, up: bool) -> Decimal:
    """``price`` on a multiple of ``tick``, rounded up or down (no tick: as it is)."""
    if tick is None or price % tick == 0:
        return price
    steps = (price / tick).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
    return (steps * tick).quantize(tick)
