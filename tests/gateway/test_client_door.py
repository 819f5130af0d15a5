"""The client FIX door as a client sees it: what FIX leaves to defaults reaches an LP in terms it offers, every
reject carries the order's terms, each bad price is named, and a drop copy that resets on logon still gets the day.

The FX tests put the real PrimeXM adapter behind the door, over FIX to the fx-lp simulator, which offers no DAY.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.primexm import PrimeXMVenue
from adapters.primexm.config import PrimeXMConfig
from dynamictech.hub import Hub, HubSettings
from engine.ledger import EntryKind, LedgerAccount, wallet
from engine.ports import utc_now
from fix_sessions.settings import parse_settings
from fix_sessions.utctime import format_timestamp
from gateway.config import BindingError, parse_bindings
from gateway.reports import transact_time
from gateway.service import Gateway
from simulators.fx_lp import FxLP, FxLPConfig
from tests.gateway.conftest import BROKER, PROP_FIRM, World, bindings_table, gateway_cfg, seed, until
from tests.gateway.messages import new_order, replace
from tests.stubs import D, eurusd


class ShiftedClock:
    """The hub's one clock, which the test moves on to the end of the trading day."""

    def __init__(self) -> None:
        self.shift = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return utc_now() + self.shift


@pytest.fixture
async def fx(tmp_path: Path) -> AsyncIterator[tuple[World, FxLP, ShiftedClock]]:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)   # routes to lp-1: here the PrimeXM adapter
    lp = FxLP(FxLPConfig(tick_interval=0.05, seed=7))
    await lp.start()
    clock = ShiftedClock()
    venue = PrimeXMVenue(PrimeXMConfig(name="lp-1", quote_port=lp.port, trade_port=lp.port, username="demo",
                                       password="demo", connect_timeout=5, first_retry=0.1), clock=clock)
    hub = Hub(HubSettings(url, tick_seconds=0.05), {"EUR/USD": eurusd()}, {"lp-1": venue}, clock=clock)
    hub.oms.accounting.ledger.transfer(EntryKind.DEPOSIT, "dep-ACC-1", LedgerAccount("bank", "cash"),
                                       wallet("ACC-1"), "USD", D(100000))
    bindings = parse_bindings(bindings_table({PROP_FIRM: {"accounts": ["ACC-1"]}}, {BROKER: {"tenant": "broker-a"}}))
    gateway = Gateway(hub.services, parse_settings(gateway_cfg(tmp_path / "fix")), bindings)
    await hub.start()
    await until(lambda: not hub.feed.is_stale("EUR/USD"), "the LP's first EUR/USD prices")
    await gateway.start()
    world = World(hub, gateway, {}, tmp_path)
    try:
        yield world, lp, clock
    finally:
        for client in world.clients:
            await client.stop()
        await gateway.stop()
        await hub.stop()
        await lp.stop()


def without(fields: list[tuple[int, object]], *tags: int) -> list[tuple[int, object]]:
    return [field for field in fields if field[0] not in tags]


async def test_orders_without_time_in_force_trade_at_an_lp_that_offers_no_day(
        fx: tuple[World, FxLP, ShiftedClock]) -> None:
    world, lp, clock = fx
    client = await world.client(PROP_FIRM)

    # FIX's default is DAY; a market order is for now, so it goes to the LP as IOC and fills.
    client.send("D", without(new_order("M1"), 59))
    fill = await client.next("8", lambda m: m[11] == "M1" and m[150] in ("F", "8"))
    assert (fill[150], fill[39], fill[59]) == ("F", "2", "0"), fill.get(58)
    assert lp.matcher.orders[fill[37]].time_in_force == "3"

    # A DAY limit and a GTD limit rest at the LP as GTC; the hub expires each at its time.
    client.send("D", without(new_order("L1", ord_type="2", price="0.50000"), 59))
    expire = format_timestamp(time.time() + 2 * 3600, 3).decode()
    client.send("D", [*without(new_order("G1", ord_type="2", price="0.50000"), 59), (59, "6"), (126, expire)])
    day = await client.next("8", lambda m: m[11] == "L1" and m[150] in ("0", "8"))
    gtd = await client.next("8", lambda m: m[11] == "G1" and m[150] in ("0", "8"))
    assert (day[150], day[39], day[59]) == ("0", "0", "0"), day.get(58)
    assert (gtd[150], gtd[59], gtd[126]) == ("0", "6", expire), gtd.get(58)
    assert lp.matcher.orders[day[37]].time_in_force == lp.matcher.orders[gtd[37]].time_in_force == "1"

    now = clock()
    day_end = eurusd().day_end(now)
    assert world.hub.oms.orders[day[37]].expire_at == day_end
    clock.shift = max(day_end, now + dt.timedelta(hours=2)) - now + dt.timedelta(seconds=1)
    for order in (day, gtd):
        expired = await client.next("8", lambda m, o=order: m[37] == o[37] and m[150] == "C")
        assert (expired[39], expired[151]) == ("C", "0")
        assert expired[58].startswith(f"expired: {'DAY' if order is day else 'GTD'} order reached")
        assert lp.matcher.orders[order[37]].status == "4", "canceled at the LP by the hub"
    assert not client.rejects


async def test_a_refused_order_names_its_account_and_terms(world: World) -> None:
    client = await world.client(PROP_FIRM)
    client.send("D", new_order("R1", ord_type="2", price="1.08000"))
    await client.next("8", lambda m: m[11] == "R1" and m[150] == "0")
    client.send("G", replace("R1-a", "R1", quantity="2", price="1.08100"))
    await client.next("8", lambda m: m[11] == "R1-a" and m[150] == "5")

    client.send("D", new_order("R1-a", ord_type="2", price="1.08200"))     # no Account(1): the session's default
    client.send("D", new_order("X1", ord_type="1", account="NOBODY"))
    duplicate = await client.next("8", lambda m: m[11] == "R1-a" and m[150] == "8")
    unknown = await client.next("8", lambda m: m[11] == "X1")
    assert (duplicate[103], duplicate[37], duplicate[1]) == ("6", "NONE", "ACC-1")
    assert (duplicate[40], duplicate[44], duplicate[59]) == ("2", "1.08200", "1")
    assert (unknown[103], unknown[1], unknown[40], unknown[59]) == ("15", "NOBODY", "1", "1")


async def test_a_drop_copy_report_carries_the_orders_type_price_and_time_in_force(world: World) -> None:
    client = await world.client(PROP_FIRM)
    copy = await world.client(BROKER)
    client.send("D", new_order("T1"))
    client.send("D", new_order("T2", ord_type="2", price="1.08400"))
    market = await copy.next("8", lambda m: m[11] == "T1")
    limit = await copy.next("8", lambda m: m[11] == "T2")
    assert (market[40], market[59], market.get(44)) == ("1", "1", None)
    assert (limit[40], limit[59], limit[44], limit[150]) == ("2", "1", "1.08400", "F")


@pytest.mark.parametrize(("price", "code", "reason"), [
    (None, "missing_price", "missing_price: a limit order needs a price (FIX: Price(44))"),
    ("0", "bad_price", "bad_price: price must be above zero, got 0"),
    ("-1.08", "bad_price", "bad_price: price must be above zero, got -1.08"),
    ("1.083501", "price_off_tick", "price_off_tick: price 1.083501 is not a multiple of 0.00001"),
])
async def test_each_bad_limit_price_gets_the_reason_that_names_it(world: World, price: str | None, code: str,
                                                                 reason: str) -> None:
    client = await world.client(PROP_FIRM)
    client.send("D", new_order("P1", ord_type="2", price=price))
    refused = await client.next("8", lambda m: m[11] == "P1")
    assert (refused[150], refused[39], refused[58]) == ("8", "8", reason)
    assert world.hub.oms.find("ACC-1", "P1").rejection.code == code  # type: ignore[union-attr]


async def test_a_stop_without_a_stop_price_is_told_so(world: World) -> None:
    client = await world.client(PROP_FIRM)
    client.send("D", new_order("S1", side="2", ord_type="3"))
    refused = await client.next("8", lambda m: m[11] == "S1")
    assert refused[58] == "missing_stop_price: a stop order needs a stop price (FIX: StopPx(99))"


async def test_a_drop_copy_that_resets_on_logon_gets_the_days_executions_before_it_connected(world: World) -> None:
    executions: list[str] = []
    executed_at: list[str] = []   # TransactTime(60) of each, as the hub booked it
    world.hub.bus.subscribe("executions.broker-a", lambda _, event: (
        executions.append(event["exec_id"]),
        executed_at.append(transact_time(dt.datetime.fromisoformat(event["at"])).decode())))
    client = await world.client(PROP_FIRM)
    for number in range(3):
        client.send("D", new_order(f"E{number}"))
    await until(lambda: len(executions) == 3, "three executions before the drop copy connects")
    await world.gateway.outbox.drain()

    copy = await world.client(BROKER, reset_on_logon=True)   # ResetSeqNumFlag=Y: what was stored for it is gone
    await until(lambda: len(copy.of_type("8")) >= 3, "the day's executions again")
    client.send("D", new_order("E3"))
    await until(lambda: len(executions) == 4, "a fourth execution")
    await until(lambda: len(copy.of_type("8")) >= 4, "the fourth at the drop copy")

    copied = copy.of_type("8")   # one outbox, in order: a repeat of the first three would have come before
    assert [m[17] for m in copied] == executions, "each once, in the hub's order"
    assert [m.get(97) for m in copied] == ["Y", "Y", "Y", None], "the caught-up ones PossResend=Y, the new one not"
    assert [m[60] for m in copied] == executed_at, "each says when it was executed, not when it was sent"
    assert not copy.rejects


def test_a_drop_copy_binding_says_how_it_catches_up_and_a_wrong_word_is_refused() -> None:
    def binding(**entry: object) -> object:
        return parse_bindings(bindings_table({}, {BROKER: {"tenant": "broker-a", **entry}})).drop_copies[BROKER]

    assert binding().catch_up == "day"   # type: ignore[attr-defined]
    assert binding(catch_up="none").catch_up == "none"   # type: ignore[attr-defined]
    with pytest.raises(BindingError, match='catch_up must be "day" or "none"'):
        binding(catch_up="week")
