"""Orders the hub holds for the client (trailing stops, take-profit and stop-loss brackets, OCO), DAY and GTD expiry,
hedging accounts, and overnight financing: what the trader sees and what the ledger books."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from engine.accounting import Financing
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.domain.tenancy import Account, PositionMode
from engine.ledger import EntryKind, LedgerAccount, wallet
from engine.oms import NewOrder
from tests.stubs import NOW, D, Hub, hub


async def quote(h: Hub, bid: str, ask: str, symbol: str = "EUR/USD") -> None:
    """The market moves at every LP, and the OMS sees it."""
    for venue in h.venues.values():
        venue.set_quote(symbol, D(bid), D(ask))
    await h.oms.on_quote(symbol, D(bid), D(ask))
    await h.oms.settle()


def order(cl_ord_id: str, side: Side, ord_type: OrdType, quantity: str = "1", *, price: str | None = None,
          stop: str | None = None, account: str = "ACC-1", symbol: str = "EUR/USD", **extra: object) -> NewOrder:
    return NewOrder(cl_ord_id, account, symbol, side, ord_type, D(quantity), D(price) if price else None,
                    D(stop) if stop else None, **extra)  # type: ignore[arg-type]


async def test_a_trailing_stop_follows_the_bid_up_never_down_and_closes_the_long_when_touched() -> None:
    h = hub()
    await h.oms.submit(order("open", Side.BUY, OrdType.MARKET))
    trailing = await h.oms.submit(order("trail", Side.SELL, OrdType.STOP, trail=D("0.00050")))
    assert trailing.status is OrdStatus.NEW and h.venues["lp-1"].received[-1].side is Side.BUY
    await quote(h, "1.08340", "1.08350")
    assert trailing.stop_price == D("1.08290")
    await quote(h, "1.08400", "1.08410")
    assert trailing.stop_price == D("1.08350")                 # followed the bid up
    await quote(h, "1.08380", "1.08390")
    assert trailing.stop_price == D("1.08350")                 # and did not follow it down
    assert trailing.status is OrdStatus.NEW
    await quote(h, "1.08350", "1.08360")                       # touched
    assert trailing.status is OrdStatus.FILLED and trailing.average_price == D("1.08350")
    assert h.oms.accounting.net("ACC-1", "EUR/USD") == 0
    assert h.wallet() == D(10000)                              # bought at 1.08350, sold at 1.08350


async def test_a_bracket_is_placed_when_its_order_fills_and_the_take_profit_cancels_the_stop_loss() -> None:
    h = hub()
    entry = await h.oms.submit(order("entry", Side.BUY, OrdType.MARKET, take_profit=D("1.08500"),
                                     stop_loss=D("1.08200")))
    await h.oms.settle()
    assert entry.status is OrdStatus.FILLED
    tp, sl = (o for o in h.oms.orders.values() if o.parent_id == entry.order_id)
    assert (tp.ord_type, tp.side, tp.quantity, tp.stop_price) == (OrdType.MARKET_IF_TOUCHED, Side.SELL, D(1),
                                                                 D("1.08500"))
    assert (sl.ord_type, sl.stop_price, sl.status) == (OrdType.STOP, D("1.08200"), OrdStatus.NEW)
    assert tp.oco_id == sl.oco_id is not None
    sent = len(h.venues["lp-1"].received)
    await quote(h, "1.08450", "1.08460")
    assert len(h.venues["lp-1"].received) == sent, "nothing goes to the venue before a bracket is touched"
    await quote(h, "1.08500", "1.08510")
    assert tp.status is OrdStatus.FILLED and tp.average_price == D("1.08500")
    assert sl.status is OrdStatus.CANCELED
    assert h.oms.accounting.net("ACC-1", "EUR/USD") == 0
    assert h.wallet() == D(10000) + (D("1.08500") - D("1.08350")) * 100_000   # 150 USD of profit


async def test_a_bracket_refused_for_a_take_profit_below_a_buy_entry() -> None:
    h = hub()
    refused = await h.oms.submit(order("bad", Side.BUY, OrdType.LIMIT, price="1.08300", take_profit=D("1.08200")))
    assert refused.status is OrdStatus.REJECTED
    assert str(refused.rejection) == "bad_take_profit: take-profit 1.08200 must be above the entry 1.08300"
    assert h.venues["lp-1"].received == []


async def test_a_stop_loss_attached_to_an_open_position_closes_it_and_cancels_its_take_profit() -> None:
    h = hub()
    await h.oms.submit(order("short", Side.SELL, OrdType.MARKET, "2"))
    tp, sl = await h.oms.brackets.protect("ACC-1", "EUR/USD", take_profit=D("1.08000"), stop_loss=D("1.08600"))
    assert (tp.side, tp.quantity, sl.side, sl.quantity) == (Side.BUY, D(2), Side.BUY, D(2))
    await quote(h, "1.08590", "1.08600")
    assert sl.status is OrdStatus.FILLED and tp.status is OrdStatus.CANCELED
    assert h.oms.accounting.net("ACC-1", "EUR/USD") == 0
    assert h.wallet() == D(10000) - (D("1.08600") - D("1.08340")) * 2 * 100_000   # 520 USD of loss


async def test_oco_entry_orders_a_resting_limit_at_the_venue_is_canceled_when_the_held_stop_triggers() -> None:
    h = hub()
    limit, stop = await h.oms.brackets.submit_oco(order("dip", Side.BUY, OrdType.LIMIT, price="1.08000"),
                                         order("breakout", Side.BUY, OrdType.STOP, stop="1.08500"))
    assert limit.status is OrdStatus.NEW and limit.venue == "lp-1" and stop.venue is None
    await quote(h, "1.08495", "1.08500")
    assert stop.status is OrdStatus.FILLED
    assert limit.status is OrdStatus.CANCELED
    assert h.oms.accounting.net("ACC-1", "EUR/USD") == D(1), "only one leg of an OCO may execute"


async def test_an_oco_whose_second_leg_is_refused_does_not_leave_the_first_standing() -> None:
    h = hub()
    first, second = await h.oms.brackets.submit_oco(order("a", Side.BUY, OrdType.LIMIT, price="1.08000"),
                                           order("b", Side.BUY, OrdType.STOP, stop="1.085001"))
    assert second.status is OrdStatus.REJECTED and first.status is OrdStatus.CANCELED


async def test_day_orders_expire_at_the_end_of_the_trading_day_and_gtd_at_their_time() -> None:
    h = hub()
    day = await h.oms.submit(order("day", Side.BUY, OrdType.LIMIT, price="50000.00", symbol="BTC/USDT",
                                   quantity="0.01", time_in_force=TimeInForce.DAY))
    gtd = await h.oms.submit(order("gtd", Side.BUY, OrdType.STOP, stop="1.09000",
                                   time_in_force=TimeInForce.GTD, expire_at=NOW + dt.timedelta(hours=1)))
    assert day.expire_at == dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc)   # crypto's day ends at midnight UTC
    assert await h.oms.expire_due() == []
    h.oms.clock = lambda: NOW + dt.timedelta(hours=1)
    assert await h.oms.expire_due() == [gtd]
    assert gtd.status is OrdStatus.EXPIRED and day.status is OrdStatus.NEW
    h.oms.clock = lambda: dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc)
    await h.oms.expire_due()
    assert day.status is OrdStatus.EXPIRED, "the venue's cancel confirmation makes a routed DAY order EXPIRED"
    events = [e["event"] for topic, e in h.events if topic == "orders.broker-a.ACC-1" and e["order_id"] == day.order_id]
    assert events[-2:] == ["pending_cancel", "expired"]


async def test_a_day_order_in_hong_kong_lasts_through_the_lunch_break() -> None:
    h = hub()
    h.oms.clock = lambda: dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.timezone.utc)  # 11:00 in Hong Kong
    instrument = h.oms.instruments["0005.HK"]
    assert instrument.day_end(h.oms.clock()) == dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc)  # 16:00 HKT


async def test_a_gtd_order_without_a_future_expiry_is_refused() -> None:
    h = hub()
    refused = await h.oms.submit(order("gtd", Side.BUY, OrdType.LIMIT, price="1.08000",
                                       time_in_force=TimeInForce.GTD, expire_at=NOW))
    assert refused.status is OrdStatus.REJECTED and refused.rejection.code == "bad_expire_time"


def hedging(h: Hub) -> str:
    h.oms.directory.add_account(Account("ACC-H", "broker-a", "trader-1", "standard",
                                        position_mode=PositionMode.HEDGING))
    h.ledger.transfer(EntryKind.DEPOSIT, "dep-h", LedgerAccount("bank", "cash"), wallet("ACC-H"), "USD", D(10000))
    return "ACC-H"


async def test_a_hedging_account_holds_a_long_and_a_short_ticket_and_closes_one_by_its_id() -> None:
    h = hub()
    account = hedging(h)
    long_ = await h.oms.submit(order("l", Side.BUY, OrdType.MARKET, account=account))
    short = await h.oms.submit(order("s", Side.SELL, OrdType.MARKET, account=account))
    tickets = h.oms.accounting.positions.of_account(account)
    assert sorted((p.position_id, p.quantity) for p in tickets) == [(long_.order_id, D(1)), (short.order_id, D(-1))]
    assert h.oms.margin(account).used_margin == 2 * D("1083.45000"), "each ticket carries its own margin"
    await quote(h, "1.08440", "1.08450")
    close = await h.oms.submit(order("c", Side.SELL, OrdType.MARKET, account=account, position_id=long_.order_id))
    assert close.status is OrdStatus.FILLED
    assert [(p.position_id, p.quantity) for p in h.oms.accounting.positions.of_account(account)] == \
        [(short.order_id, D(-1))]
    assert h.wallet(account) == D(10000) + (D("1.08440") - D("1.08350")) * 100_000


async def test_closing_a_ticket_that_is_not_there_or_on_a_netting_account_is_refused() -> None:
    h = hub()
    account = hedging(h)
    wrong = await h.oms.submit(order("x", Side.SELL, OrdType.MARKET, account=account, position_id="nope"))
    assert str(wrong.rejection) == "unknown_position: no open EUR/USD position nope"
    netting = await h.oms.submit(order("y", Side.SELL, OrdType.MARKET, position_id="nope"))
    assert str(netting.rejection) == "not_hedging: only a hedging account closes positions by their id"
    assert h.venues["lp-1"].received == []


async def test_financing_is_charged_once_a_day_per_position_at_the_instruments_rate() -> None:
    h = hub()
    await h.oms.submit(order("open", Side.BUY, OrdType.MARKET, "2"))
    before = h.wallet()
    rates = {"EUR/USD": Financing(long_rate=D("3.65"), short_rate=D("-1"))}
    day = dt.date(2026, 11, 25)
    assert h.oms.accounting.charge_financing(day, rates) == 1
    charge = (D(2) * 100_000 * D("1.08345") * D("3.65") / 100 / 365).quantize(Decimal("0.01"))
    assert charge == D("21.67")
    assert h.wallet() == before - charge
    assert h.revenue("financing") == charge
    assert h.oms.accounting.charge_financing(day, rates) == 0, "the same night is never charged twice"
    assert h.wallet() == before - charge
