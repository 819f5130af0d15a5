"""The assembled hub on its database: configuration from SQL, quotes from the venues driving held orders, the
expiry and financing clocks, a restart that keeps positions, and a route table swapped while it runs."""
from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.memory import MemoryVenue
from dynamictech.hub import BusUnreachable, Hub, HubSettings
from engine.accounting import Financing
from engine.domain.order import Order, OrdStatus, OrdType, Side, TimeInForce
from engine.domain.tenancy import Account, Directory, Group, Role, Tenant, User
from engine.domain.terms import Markup, RouteRule
from engine.ledger import EntryKind, LedgerAccount, wallet
from engine.oms import NewOrder
from engine.ports import VenueDown, utc_now
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.directory import SqlDirectory
from engine.storage.unit_of_work import UnitOfWork
from tests.net import free_port
from tests.stubs import NOW, D, btcusdt, eurusd


def seed(url: str) -> None:
    upgrade(url)
    directory = Directory()
    directory.add_tenant(Tenant("broker-a", "Broker A"))
    directory.add_user(User("owner", "broker-a", Role.BROKER))
    directory.add_user(User("trader-1", "broker-a", Role.END_USER, referrer_id="owner"))
    directory.add_group(Group("standard", "broker-a"))
    directory.add_account(Account("ACC-1", "broker-a", "trader-1", "standard"))
    store = SqlDirectory(UnitOfWork(make_engine(url)))
    store.save_directory(directory)
    store.save_route_rules([RouteRule(("lp-1", "lp-2"))])
    store.save_markups({("broker-a", "*", "*"): Markup.both(D("0.00002"))})


def venues() -> dict[str, MemoryVenue]:
    quotes = {"EUR/USD": (D("1.08340"), D("1.08350")), "BTC/USDT": (D("60000"), D("60010")),
              "USDT/USD": (D("0.9999"), D("1.0001"))}
    return {"lp-1": MemoryVenue("lp-1", quotes, clock=utc_now), "lp-2": MemoryVenue("lp-2", quotes, clock=utc_now)}


def funded_hub(url: str, lps: dict[str, MemoryVenue], **settings: Any) -> Hub:
    """A hub on ``url`` (seeded) in front of ``lps``, its clock ticking every 20 ms, ACC-1 funded with 10,000 USD."""
    clock = settings.pop("clock", None)
    hub = Hub(HubSettings(url, tick_seconds=0.02, **settings), {"EUR/USD": eurusd(), "BTC/USDT": btcusdt()},
              dict(lps), **({"clock": clock} if clock else {}))
    hub.oms.accounting.ledger.transfer(EntryKind.DEPOSIT, "dep-1", LedgerAccount("bank", "cash"), wallet("ACC-1"), "USD",
                                 D(10000))
    return hub


async def priced(hub: Hub) -> None:
    """Until the OMS has marks for what the tests trade and convert (the LPs quote on subscribe)."""
    await until(lambda: {"EUR/USD", "USDT/USD"} <= hub.oms.accounting.marks.keys())


async def until(condition, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_the_hub_runs_on_its_database_and_a_restart_keeps_positions_and_held_orders(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    now = [NOW]
    lps = venues()
    hub = funded_hub(url, lps, clock=lambda: now[0], financing={"EUR/USD": Financing(D("3.65"), D("-1"))})
    await hub.start()
    assert hub.ready.is_set() and lps["lp-1"].subscribed == {"EUR/USD", "BTC/USDT", "USDT/USD"}
    await priced(hub)

    bought = await hub.oms.submit(NewOrder("b1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    assert bought.average_price == D("1.08352")                    # the tenant's markup, loaded from SQL
    stop = await hub.oms.submit(NewOrder("s1", "ACC-1", "EUR/USD", Side.SELL, OrdType.STOP, D(1),
                                         stop_price=D("1.08200")))
    gtd = await hub.oms.submit(NewOrder("g1", "ACC-1", "BTC/USDT", Side.BUY, OrdType.LIMIT, D("0.01"),
                                        D("50000.00"), time_in_force=TimeInForce.GTD,
                                        expire_at=NOW + dt.timedelta(minutes=5)))
    now[0] = NOW + dt.timedelta(minutes=5)
    await until(lambda: gtd.status is OrdStatus.EXPIRED)               # the hub's clock expired it at its venue

    now[0] = dt.datetime.combine(NOW.date(), dt.time(22, 0, 1), tzinfo=dt.timezone.utc)
    await until(lambda: hub.oms.accounting.ledger.balance(LedgerAccount("broker-a", "financing"), "USD") > 0)
    assert hub.oms.accounting.ledger.balance(LedgerAccount("broker-a", "financing"), "USD") == D("10.83")
    await hub.stop()

    lps = venues()
    restarted = funded_hub(url, lps, clock=lambda: now[0])   # the same deposit reference: not booked again
    await restarted.start()
    assert restarted.oms.accounting.net("ACC-1", "EUR/USD") == D(1), "the position from before the restart is kept"
    held = restarted.oms.orders[stop.order_id]
    assert held.status is OrdStatus.NEW and lps["lp-1"].received == []
    for venue in lps.values():                                           # the market touches the stop
        venue.set_quote("EUR/USD", D("1.08200"), D("1.08210"))
    await until(lambda: held.status is OrdStatus.FILLED)
    assert restarted.oms.accounting.net("ACC-1", "EUR/USD") == 0

    SqlDirectory(restarted.unit).save_route_rules([RouteRule(("lp-2",))])
    restarted.reload_routes()
    moved = await restarted.oms.submit(NewOrder("b2", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    assert moved.venue == "lp-2"
    await restarted.stop()


async def test_the_hub_publishes_each_groups_price_and_refuses_to_price_a_market_order_on_a_stale_quote(
        tmp_path: Path) -> None:
    from engine.domain.instrument import AssetClass
    from routing.pricing import FeedLimits

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    lps = venues()
    limits = FeedLimits(throttle={}, stale_after={AssetClass.FX: 0.2, AssetClass.CRYPTO: 0.2})
    hub = funded_hub(url, lps, feed_limits=limits)
    seen: list[dict] = []
    hub.bus.subscribe("quotes.broker-a.standard.EUR-USD", lambda topic, event: seen.append(event))
    await hub.start()
    await until(lambda: bool(seen))
    assert (seen[-1]["bid"], seen[-1]["ask"]) == ("1.08338", "1.08352")  # the best across LPs, 0.2 pip each side
    await until(lambda: hub.feed.is_stale("EUR/USD"))                     # the LPs fall silent
    assert seen[-1]["stale"] is True
    refused = await hub.oms.submit(NewOrder("m1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    assert refused.rejection is not None and refused.rejection.code == "no_price"
    assert all(not venue.received for venue in lps.values())
    await hub.stop()


async def test_a_falling_market_brings_a_margin_call_then_a_stop_out_that_closes_the_position(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    lps = venues()
    hub = funded_hub(url, lps)
    risk: list[dict] = []
    hub.bus.subscribe("risk.broker-a", lambda topic, event: risk.append(event))
    await hub.start()
    await priced(hub)
    bought = await hub.oms.submit(NewOrder("b1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(9)))
    assert bought.status is OrdStatus.FILLED
    assert hub.oms.margin("ACC-1").margin_level > 100
    for venue in lps.values():
        venue.set_quote("EUR/USD", D("1.08000"), D("1.08010"))        # down 35 pips: about 3,150 USD lost
    await until(lambda: [e["state"] for e in risk] == ["margin_call"])
    assert hub.oms.accounting.net("ACC-1", "EUR/USD") == D(9), "a margin call warns; it closes nothing"
    for venue in lps.values():
        venue.set_quote("EUR/USD", D("1.07700"), D("1.07710"))        # down 65 pips: equity under half the margin
    await until(lambda: hub.oms.accounting.net("ACC-1", "EUR/USD") == 0)
    closing = [o for o in hub.oms.orders.values() if o.cl_ord_id.startswith("stop-out-")]
    assert len(closing) == 1 and closing[0].status is OrdStatus.FILLED and closing[0].side is Side.SELL
    assert [e["state"] for e in risk][:2] == ["margin_call", "stop_out"]
    await hub.stop()


async def test_a_tenants_own_margin_call_level_replaces_the_platforms_while_the_hub_runs(tmp_path: Path) -> None:
    """The broker raised its margin call level to 150 % in the back office: the account at about 110 % is called
    without any price move, where the platform's 100 % says nothing."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    hub = funded_hub(url, venues())
    risk: list[dict] = []
    hub.bus.subscribe("risk.broker-a", lambda topic, event: risk.append(event))
    await hub.start()
    await priced(hub)
    await hub.oms.submit(NewOrder("b1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(9)))
    assert 100 < hub.oms.margin("ACC-1").margin_level < 150
    await hub.tick()
    assert risk == [], "above the platform's margin call level"
    tenant = hub.directory.tenants["broker-a"]
    hub.directory.tenants["broker-a"] = replace(tenant, defaults=replace(tenant.defaults, margin_call=D(150)))
    await until(lambda: [e["state"] for e in risk] == ["margin_call"])
    assert hub.margin_levels("broker-a").stop_out == D(50), "the platform's stop-out, which the tenant left unset"
    await hub.stop()


async def resting_then_stopped(tmp_path: Path) -> tuple[str, dict[str, MemoryVenue], Order]:
    """A hub that rested a EUR/USD buy at lp-1 and stopped: its database, its LPs and the order."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    lps = venues()
    first = funded_hub(url, lps)
    await first.start()
    await priced(first)
    resting = await first.oms.submit(NewOrder("r1", "ACC-1", "EUR/USD", Side.BUY, OrdType.LIMIT, D(1),
                                              D("1.08000")))
    assert resting.venue == "lp-1" and resting.status is OrdStatus.NEW
    await first.stop()
    return url, lps, resting


async def test_a_venue_down_at_start_does_not_keep_the_hub_down_and_its_orders_are_reconciled_when_it_is_back(
        tmp_path: Path) -> None:
    url, lps, resting = await resting_then_stopped(tmp_path)
    lps["lp-1"].forget_subscribers()
    lps["lp-1"].set_quote("EUR/USD", D("1.07990"), D("1.07998"))   # it fills while the hub is away
    lps["lp-1"].refuse_connections = 2                               # and lp-1 is unreachable when the hub restarts

    second = funded_hub(url, lps, venue_retry_seconds=0.05)
    await second.start()
    assert second.ready.is_set(), "one LP down must not keep the hub down"
    assert second.oms.orders[resting.order_id].status is OrdStatus.NEW, "not reconciled while lp-1 is unreachable"
    await until(lambda: "EUR/USD" in second.oms.accounting.marks)
    moved = await second.oms.submit(NewOrder("m1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    assert moved.venue == "lp-2" and moved.status is OrdStatus.FILLED
    await until(lambda: second.oms.orders[resting.order_id].status is OrdStatus.FILLED)
    assert second.oms.accounting.net("ACC-1", "EUR/USD") == D(2)
    await second.stop()


async def test_a_traders_quote_and_fill_agree_to_the_point(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    lps = venues()
    hub = funded_hub(url, lps)
    quoted: list[dict] = []
    hub.bus.subscribe("quotes.broker-a.standard.EUR-USD", lambda topic, event: quoted.append(event))
    await hub.start()
    await priced(hub)
    await until(lambda: bool(quoted))
    bought = await hub.oms.submit(NewOrder("b1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    sold = await hub.oms.submit(NewOrder("s1", "ACC-1", "EUR/USD", Side.SELL, OrdType.MARKET, D(1)))
    assert str(bought.average_price) == quoted[-1]["ask"] == "1.08352"    # the LP's 1.08350 plus 0.2 pip
    assert str(sold.average_price) == quoted[-1]["bid"] == "1.08338"
    await hub.stop()


async def test_held_orders_trigger_on_the_checked_best_price_not_on_one_venues_bad_or_lone_quote(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    lps = venues()
    hub = funded_hub(url, lps)
    await hub.start()
    await priced(hub)
    await hub.oms.submit(NewOrder("b1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    stop = await hub.oms.submit(NewOrder("s1", "ACC-1", "EUR/USD", Side.SELL, OrdType.STOP, D(1),
                                         stop_price=D("1.08200")))
    lps["lp-1"].set_quote("EUR/USD", D("1.09000"), D("1.08000"))   # crossed: dropped by the feed
    lps["lp-2"].set_quote("EUR/USD", D("1.08100"), D("1.08110"))   # one LP off the market; lp-1's last bid is best
    await asyncio.sleep(0.1)
    assert hub.feed.dropped["crossed"] == 1
    assert stop.status is OrdStatus.NEW, "neither a bad quote nor one LP below the best bid touches the stop"
    assert hub.oms.accounting.marks["EUR/USD"] == (D("1.08340") + D("1.08110")) / 2   # best bid and best ask
    assert hub.oms.accounting.marks["EUR/USD"] != (D("1.09000") + D("1.08000")) / 2
    lps["lp-1"].set_quote("EUR/USD", D("1.08190"), D("1.08200"))
    await until(lambda: stop.status is OrdStatus.FILLED)
    await hub.stop()


async def test_a_hub_whose_bus_cannot_be_reached_never_says_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    hub = funded_hub(url, venues(), bus_url=f"redis://127.0.0.1:{free_port()}/0", bus_connect_seconds=1.0)
    with pytest.raises(BusUnreachable, match="cannot be reached"):
        await hub.start()
    assert not hub.ready.is_set(), "no door may take an order no terminal or drop copy would hear of"


async def test_a_venue_that_fails_its_reconcile_never_keeps_the_hub_down_and_is_reconciled_later(
        tmp_path: Path) -> None:
    url, lps, resting = await resting_then_stopped(tmp_path)
    venue = lps[resting.venue or ""]
    answer, calls = venue.order_status, []

    async def failing_once(order):  # type: ignore[no-untyped-def]
        calls.append(order.order_id)
        if len(calls) == 1:
            raise VenueDown("the order-status request timed out")
        return await answer(order)

    venue.order_status = failing_once  # type: ignore[method-assign]
    again = funded_hub(url, lps, venue_retry_seconds=0.05)
    await again.start()
    assert again.ready.is_set()
    await until(lambda: len(calls) == 2)
    assert again.oms.find("ACC-1", "r1").status is OrdStatus.NEW   # type: ignore[union-attr]
    assert await again.oms.cancel("ACC-1", "r1") is None
    await again.stop()
