"""Orders through the whole pipeline to in-memory LPs: what the client sees, what the broker books."""
from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace

import pytest

from engine.domain.offers import Offers
from engine.domain.order import Order, OrdStatus, OrdType, Side, TimeInForce
from engine.domain.terms import RouteRule
from engine.ledger import EntryKind
from engine.oms import NewOrder
from routing.interceptors.risk_gate import RiskLimits
from tests.stubs import NOW, D, hub


def buy(cl_ord_id: str, quantity: str, ord_type: OrdType = OrdType.MARKET, price: str | None = None,
        symbol: str = "EUR/USD", tif: TimeInForce = TimeInForce.GTC, side: Side = Side.BUY,
        stop: str | None = None) -> NewOrder:
    return NewOrder(cl_ord_id, "ACC-1", symbol, side, ord_type, D(quantity), D(price) if price else None,
                    D(stop) if stop else None, tif)


async def test_a_market_buy_fills_three_tenths_of_a_pip_worse_and_the_broker_books_the_markup() -> None:
    h = hub(markup_points="0.00003", commission_per_lot="7")
    order = await h.oms.submit(buy("c1", "1"))
    assert order.status is OrdStatus.FILLED and order.venue == "lp-1"
    assert order.average_price == D("1.08353")              # LP ask 1.08350 + 0.3 pip
    assert h.revenue("markup_revenue") == D("3.00000")       # 0.00003 x 1 lot x 100,000
    assert h.revenue("commission_revenue") == D("7")
    assert h.wallet() == D("9993")                           # deposit less commission
    margin = h.oms.margin("ACC-1")
    assert margin.used_margin == D("1083.45000")             # 1 lot at the 1.08345 mark, 1%
    assert margin.free_margin == margin.equity - margin.used_margin


async def test_a_limit_buy_rests_at_the_venue_below_the_client_price_and_fills_when_the_market_comes() -> None:
    h = hub(markup_points="0.00003")
    order = await h.oms.submit(buy("c1", "2", OrdType.LIMIT, "1.08300"))
    assert order.status is OrdStatus.NEW
    assert h.venues["lp-1"].received[0].price == D("1.08297")  # the client's 1.08300 less the markup
    h.venues["lp-1"].set_quote("EUR/USD", D("1.08290"), D("1.08296"))
    assert order.status is OrdStatus.FILLED
    assert order.average_price == D("1.08299") <= D("1.08300")


async def test_closing_a_position_realises_pnl_into_the_wallet() -> None:
    h = hub()
    await h.oms.submit(buy("open", "1"))                                   # at 1.08350
    h.venues["lp-1"].set_quote("EUR/USD", D("1.08450"), D("1.08460"))
    await h.oms.submit(buy("close", "1", side=Side.SELL))                  # at 1.08450
    assert h.oms.accounting.net("ACC-1", "EUR/USD") == 0
    assert h.wallet() == D("10100.00000")                                  # 10 pips on a lot


async def test_partial_fill_then_cancel_and_a_fill_that_races_the_cancel() -> None:
    h = hub()
    venue = h.venues["lp-1"]
    venue.partial_fill_ratio = D("0.5")
    order = await h.oms.submit(buy("c1", "4", OrdType.LIMIT, "1.08360"))
    assert order.status is OrdStatus.PARTIALLY_FILLED and order.filled == D(2)
    cancel_at_venue = venue.cancel

    async def fill_arrives_first(order_id: str) -> None:
        venue.set_quote("EUR/USD", D("1.08340"), D("1.08350"))  # the rest fills while the cancel is on its way
        await cancel_at_venue(order_id)                          # and the venue then refuses the cancel

    venue.cancel = fill_arrives_first  # type: ignore[method-assign]
    assert await h.oms.cancel("ACC-1", "c1") is None
    assert order.status is OrdStatus.FILLED and order.filled == D(4)
    assert h.oms.accounting.net("ACC-1", "EUR/USD") == D(4)
    assert (await h.oms.cancel("ACC-1", "c1")).code == "too_late_to_cancel"  # type: ignore[union-attr]


async def test_cancel_and_replace_a_resting_order() -> None:
    h = hub()
    order = await h.oms.submit(buy("c1", "1", OrdType.LIMIT, "1.08000"))
    assert await h.oms.replace("ACC-1", "c1", D(2), D("1.08100")) is None
    assert (order.status, order.quantity, order.price) == (OrdStatus.NEW, D(2), D("1.08100"))
    assert await h.oms.cancel("ACC-1", "c1") is None
    assert order.status is OrdStatus.CANCELED and h.wallet() == D(10000)


async def test_a_held_stop_is_amended_by_the_hub_and_triggers_at_its_new_price() -> None:
    h = hub()
    stop = await h.oms.submit(buy("s1", "1", OrdType.STOP, stop="1.09000"))
    assert stop.status is OrdStatus.NEW and stop.venue is None
    assert await h.oms.replace("ACC-1", "s1", D(2), None, D("1.08500")) is None
    assert (stop.status, stop.quantity, stop.stop_price) == (OrdStatus.NEW, D(2), D("1.08500"))
    refused = await h.oms.replace("ACC-1", "s1", D(2), D("1.08600"))
    assert refused is not None and refused.code == "cannot_replace" and stop.price is None
    h.venues["lp-1"].set_quote("EUR/USD", D("1.08480"), D("1.08520"))
    await h.oms.on_quote("EUR/USD", D("1.08480"), D("1.08520"))   # above the new trigger, below the old one
    assert stop.status is OrdStatus.FILLED and h.oms.accounting.net("ACC-1", "EUR/USD") == D(2)


async def test_ioc_fills_what_it_can_and_fok_fills_all_or_nothing() -> None:
    h = hub()
    ioc = await h.oms.submit(buy("ioc", "1", OrdType.LIMIT, "1.08000", tif=TimeInForce.IOC))
    assert ioc.status is OrdStatus.CANCELED and ioc.filled == 0
    h.venues["lp-1"].partial_fill_ratio = D("0.5")
    fok = await h.oms.submit(buy("fok", "2", OrdType.LIMIT, "1.08400", tif=TimeInForce.FOK))
    assert fok.status is OrdStatus.CANCELED and fok.filled == 0


async def test_a_stop_is_held_by_the_hub_and_triggered_by_the_quote_stream() -> None:
    h = hub()
    order = await h.oms.submit(buy("stop", "1", OrdType.STOP, stop="1.08500"))
    assert order.status is OrdStatus.NEW and h.venues["lp-1"].received == []
    h.venues["lp-1"].set_quote("EUR/USD", D("1.08500"), D("1.08510"))
    await h.oms.on_quote("EUR/USD", D("1.08500"), D("1.08510"))
    assert order.status is OrdStatus.FILLED and order.average_price == D("1.08510")


async def test_failover_when_the_primary_is_down_and_reroute_on_a_retryable_reject() -> None:
    h = hub()
    h.venues["lp-1"].connected = False
    first = await h.oms.submit(buy("c1", "1"))
    assert first.venue == "lp-2" and first.status is OrdStatus.FILLED
    h.venues["lp-1"].connected = True
    h.venues["lp-1"].reject_next.append(("last look", "venue_unavailable"))
    second = await h.oms.submit(buy("c2", "1"))
    await h.oms.settle()
    assert second.venue == "lp-2" and second.status is OrdStatus.FILLED
    h.venues["lp-1"].reject_next.append(("unknown symbol", "venue_rejected"))
    third = await h.oms.submit(buy("c3", "1"))
    assert third.status is OrdStatus.REJECTED and "unknown symbol" in (third.rejection.reason if third.rejection else "")


async def test_best_price_across_venues_and_live_rule_changes() -> None:
    h = hub(rules=[RouteRule(("lp-1", "lp-2"), best_price=True)])
    order = await h.oms.submit(buy("c1", "1"))
    assert order.venue == "lp-2"                     # 1.08348 beats 1.08350
    h.router.replace_rules([RouteRule(("lp-1",), symbol_pattern="EUR/*")])
    assert (await h.oms.submit(buy("c2", "1"))).venue == "lp-1"
    assert (await h.oms.submit(buy("c3", "0.001", symbol="BTC/USDT"))).status is OrdStatus.REJECTED


@pytest.mark.parametrize(("request_", "code"), [
    (buy("c", "1", symbol="XAU/JPY"), "unknown_symbol"),
    (buy("c", "-1"), "bad_quantity"),
    (buy("c", "0.015"), "quantity_off_step"),
    (buy("c", "1", OrdType.LIMIT, "1.083001"), "price_off_tick"),
    (buy("c", "1", OrdType.LIMIT), "missing_price"),
    (buy("c", "1", OrdType.LIMIT, "0"), "bad_price"),
    (buy("c", "1", OrdType.STOP_LIMIT, "1.08400"), "missing_stop_price"),
    (buy("c", "1", OrdType.STOP, stop="-1"), "bad_stop_price"),
    (buy("c", "100"), "insufficient_margin"),
    (buy("c", "400", symbol="0005.HK"), "market_closed"),
])
async def test_bad_orders_are_rejected_with_a_reason_and_nothing_is_booked(request_: NewOrder, code: str) -> None:
    h = hub()
    entries = len(h.ledger.entries)
    order = await h.oms.submit(request_)
    assert order.status is OrdStatus.REJECTED and order.rejection is not None and order.rejection.code == code
    assert len(h.ledger.entries) == entries and h.venues["lp-1"].received == []


async def test_cancel_of_an_unknown_order_and_duplicate_cl_ord_id_are_refused() -> None:
    h = hub()
    assert (await h.oms.cancel("ACC-1", "nope")).code == "unknown_order"  # type: ignore[union-attr]
    await h.oms.submit(buy("c1", "1"))
    assert _code(await h.oms.submit(buy("c1", "1"))) == "duplicate_cl_ord_id"


async def test_kill_switch_throttle_and_risk_limits() -> None:
    h = hub(throttle=2, limits=RiskLimits(max_order_quantity={"EUR/USD": D(5)}))
    h.kill_switch.halt(symbol="EUR/USD")
    assert _code(await h.oms.submit(buy("k", "1"))) == "halted"
    h.kill_switch.resume(symbol="EUR/USD")
    assert _code(await h.oms.submit(buy("big", "6"))) == "order_too_large"
    assert _code(await h.oms.submit(buy("t3", "1"))) == "throttled"


async def test_the_throttle_counts_orders_when_they_arrived_not_when_a_busy_hub_got_to_them() -> None:
    """Three orders that came 0.6 s apart reach the pipeline at one instant (the hub was behind): all pass a throttle
    of 2 a second; three that came at once do not."""
    h = hub(throttle=2)
    spread = [replace(buy(f"s{n}", "1"), received_at=NOW - dt.timedelta(seconds=1.2 - 0.6 * n)) for n in range(3)]
    assert [_code(await h.oms.submit(order)) for order in spread] == [None, None, None]
    at_once = [replace(buy(f"b{n}", "1"), received_at=NOW + dt.timedelta(seconds=5)) for n in range(3)]
    assert [_code(await h.oms.submit(order)) for order in at_once] == [None, None, "throttled"]


async def test_an_order_ended_a_day_ago_is_let_go_and_its_cl_ord_id_may_name_a_new_one() -> None:
    """A hub runs for months: what it holds must not grow with every order it took (the journal keeps them)."""
    h = hub()
    done = await h.oms.submit(buy("d1", "1"))
    resting = await h.oms.submit(buy("r1", "1", OrdType.LIMIT, "1.07000"))
    h.oms.clock = lambda: NOW + dt.timedelta(hours=23)
    assert h.oms.forget_ended() == 0, "the day's orders answer status requests"
    h.oms.clock = lambda: NOW + dt.timedelta(days=1, seconds=1)
    assert h.oms.forget_ended() == 1
    assert done.order_id not in h.oms.orders and h.oms.orders[resting.order_id] is resting
    again = await h.oms.submit(buy("d1", "1"))   # ClOrdIDs are unique within a day
    assert again.status is OrdStatus.FILLED and again.order_id != done.order_id
    assert [o.cl_ord_id for o in h.oms.history("ACC-1", 10)].count("d1") == 2, "the history still has both"


async def test_a_replayed_fill_and_an_overfill_are_never_booked_twice() -> None:
    h = hub()
    report = None

    def keep(r):  # type: ignore[no-untyped-def]
        nonlocal report
        if r.kind.value == "fill":
            report = r
    h.venues["lp-1"].on_report(keep)
    order = await h.oms.submit(buy("c1", "1"))
    entries = len(h.ledger.entries)
    h.oms.on_report(report)  # the same ExecID again
    assert order.filled == D(1) and len(h.ledger.entries) == entries
    h.oms.on_report(replace(report, exec_id="other"))  # more than was ordered
    assert order.filled == D(1) and len(h.ledger.entries) == entries


async def test_every_state_change_goes_on_the_bus() -> None:
    h = hub(commission_per_lot="7")
    await h.oms.submit(buy("c1", "1"))
    topics = [topic for topic, _ in h.events]
    assert "orders.broker-a.ACC-1" in topics and "executions.broker-a" in topics
    assert "positions.broker-a.ACC-1" in topics and "balances.broker-a.ACC-1" in topics
    fill = next(event for topic, event in h.events if topic == "executions.broker-a")
    assert fill["venue"] == "lp-1" and fill["commission"] == "7.00"
    assert EntryKind.COMMISSION in {e.kind for e in h.ledger.entries}



async def test_each_order_event_carries_what_a_door_needs_to_report_it() -> None:
    h = hub(markup_points="0.00003")
    await h.oms.submit(buy("c1", "1"))
    events = [e for topic, e in h.events if topic == "orders.broker-a.ACC-1"]
    assert [e["event"] for e in events] == ["new", "fill"]
    fill = events[-1]
    assert (fill["symbol"], fill["side"], fill["ord_type"], fill["quantity"], fill["leaves"]) == \
        ("EUR/USD", "BUY", "MARKET", "1", "0")
    assert (fill["last_quantity"], fill["last_price"], fill["status"]) == ("1.00", "1.08353", "FILLED")
    assert fill["exec_id"].startswith("lp-1:")


async def test_a_cancel_while_a_replace_is_in_flight_is_refused_not_crashed() -> None:
    h = hub()
    order = await h.oms.submit(buy("c1", "2", OrdType.LIMIT, "1.08000"))
    h.venues["lp-1"].latency = 0.05
    replacing = asyncio.create_task(h.oms.replace("ACC-1", "c1", D(3), D("1.08000")))
    await asyncio.sleep(0.01)
    assert order.status is OrdStatus.PENDING_REPLACE
    refused = await h.oms.cancel("ACC-1", "c1")
    assert refused is not None and refused.code == "request_pending"
    await replacing


async def test_a_replace_while_a_cancel_is_in_flight_is_refused() -> None:
    h = hub()
    await h.oms.submit(buy("c1", "2", OrdType.LIMIT, "1.08000"))
    h.venues["lp-1"].latency = 0.05
    canceling = asyncio.create_task(h.oms.cancel("ACC-1", "c1"))
    await asyncio.sleep(0.01)
    refused = await h.oms.replace("ACC-1", "c1", D(3), D("1.08000"))
    assert refused is not None and refused.code == "request_pending"
    await canceling


def _code(order: Order) -> str | None:
    return order.rejection.code if order.rejection else None


async def test_a_throttle_of_zero_lets_every_order_through() -> None:
    h = hub(throttle=0)
    orders = [await h.oms.submit(buy(f"z{n}", "0.01")) for n in range(60)]
    assert all(o.status is OrdStatus.FILLED for o in orders), {_code(o) for o in orders}


async def test_an_order_goes_to_each_venue_in_a_time_in_force_it_offers_and_the_hub_expires_day_and_gtd() -> None:
    h = hub()
    fx_lp = h.venues["lp-1"]
    fx_lp.offers = Offers(market=frozenset({TimeInForce.IOC, TimeInForce.FOK}),
                          resting=frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}))
    market = await h.oms.submit(buy("m", "1", tif=TimeInForce.DAY))
    fok = await h.oms.submit(buy("f", "1", tif=TimeInForce.FOK))
    day = await h.oms.submit(buy("d", "1", OrdType.LIMIT, "1.08000", tif=TimeInForce.DAY))
    gtd = await h.oms.submit(replace(buy("g", "1", OrdType.LIMIT, "1.08000", tif=TimeInForce.GTD),
                                     expire_at=h.oms.clock() + dt.timedelta(hours=1)))
    assert [o.time_in_force for o in fx_lp.received] == [TimeInForce.IOC, TimeInForce.FOK, TimeInForce.GTC,
                                                        TimeInForce.GTC]
    assert (market.status, fok.status, day.status, gtd.status) == (OrdStatus.FILLED, OrdStatus.FILLED,
                                                                   OrdStatus.NEW, OrdStatus.NEW)
    assert (market.time_in_force, day.time_in_force) == (TimeInForce.DAY, TimeInForce.DAY), "as the client asked"

    gtd_end, day_end = gtd.expire_at, day.expire_at
    assert gtd_end is not None and day_end is not None
    h.oms.clock = lambda: gtd_end
    await h.oms.expire_due()
    assert (gtd.status, gtd.rejection.code) == (OrdStatus.EXPIRED, "expired")   # type: ignore[union-attr]
    h.oms.clock = lambda: day_end
    await h.oms.expire_due()
    assert day.status is OrdStatus.EXPIRED and "DAY order reached" in day.rejection.reason  # type: ignore[union-attr]
