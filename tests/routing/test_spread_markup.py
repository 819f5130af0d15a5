"""A percentage markup rarely lands on the tick: prices are rounded on it in the broker's favour, and the revenue
booked is exactly the difference the client paid."""
from __future__ import annotations

from engine.domain.order import Order, OrdType, Side
from engine.domain.tenancy import Account
from engine.domain.terms import Markup, MarkupUnit
from engine.ports import FillContext, OrderContext
from routing.interceptors.spread_markup import SpreadMarkup
from tests.stubs import NOW, D, btcusdt

MARKUP = SpreadMarkup({("broker-a", "*", "*"): Markup.both(D("0.002"), MarkupUnit.PERCENT)})
ACCOUNT = Account("ACC-1", "broker-a", "trader-1", "standard")


def order(side: Side, price: str) -> Order:
    return Order("O1", "c1", "broker-a", "ACC-1", "BTC/USDT", side, OrdType.LIMIT, D("0.5"), price=D(price), created_at=NOW)


def test_a_limit_reaches_the_venue_on_its_tick_and_never_inside_the_markup() -> None:
    buy = OrderContext(order(Side.BUY, "60000.00"), btcusdt(), ACCOUNT, NOW)
    MARKUP.before_route(buy)
    assert buy.venue_price == D("59998.80")       # 60000 less 0.002% is exactly 59998.80
    sell = OrderContext(order(Side.SELL, "60000.01"), btcusdt(), ACCOUNT, NOW)
    MARKUP.before_route(sell)
    assert sell.venue_price == D("60001.22")      # 60001.2100002 rounded up: the broker keeps at least its markup


def test_a_fill_is_priced_on_the_tick_against_the_client_and_the_revenue_is_exactly_what_they_paid() -> None:
    buy = FillContext(order(Side.BUY, "60010.00"), btcusdt(), ACCOUNT, "lp:1", D("0.5"), D("60000.01"), D(0))
    MARKUP.after_fill(buy)
    assert buy.client_price == D("60001.22")      # 60000.01 plus 1.2000002, rounded up
    assert buy.markup_revenue == (D("60001.22") - D("60000.01")) * D("0.5")
    sell = FillContext(order(Side.SELL, "59990.00"), btcusdt(), ACCOUNT, "lp:2", D("0.5"), D("60000.01"), D(0))
    MARKUP.after_fill(sell)
    assert sell.client_price == D("59998.80")     # 60000.01 less 1.2000002, rounded down
    assert sell.markup_revenue == (D("60000.01") - D("59998.80")) * D("0.5")
