"""Cross margin orders through the adapter (account_type="margin") against the simulator: a MARGIN_BUY that borrows
what the free balance lacks, an AUTO_REPAY sell that repays it, and a buy beyond what can be borrowed rejected with
Binance's -3045 (the venue contract on /sapi/v1/margin/order is test_contract.py's)."""
from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest

from adapters.binance import BinanceConfig, BinanceVenue
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.domain.rejects import retryable
from engine.ports import ReportKind, VenueOrder, utc_now
from simulators.binance import TEST_API_KEY, TEST_API_SECRET, BinanceSimulator
from tests.adapters.contract import Recorder


def margin_config(sim: BinanceSimulator, **overrides: object) -> BinanceConfig:
    return BinanceConfig(api_key=TEST_API_KEY, api_secret=TEST_API_SECRET, rest_url=sim.rest_url,
                         stream_url=sim.stream_url, ws_api_url=sim.ws_api_url, reconnect_delay=0.05,
                         max_reconnect_delay=0.2, reconcile_delay=0.05, connect_timeout=3.0, account_type="margin",
                         **overrides)  # type: ignore[arg-type]


def market(order_id: str, side: Side, quantity: str) -> VenueOrder:
    return VenueOrder(order_id, "BTC/USDT", side, OrdType.MARKET, D(quantity), TimeInForce.IOC)


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    simulator = BinanceSimulator(walk_interval=None, seed=7, weight_limit=100000, fix_port=None)
    simulator.fund_margin("USDT", D(10000))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def venue(sim: BinanceSimulator) -> AsyncIterator[tuple[BinanceVenue, Recorder]]:
    binance = BinanceVenue(margin_config(sim), clock=utc_now)
    recorder = Recorder()
    binance.on_report(recorder.report)
    await binance.connect()
    yield binance, recorder
    await binance.close()


async def test_a_margin_buy_beyond_the_free_balance_borrows_and_an_auto_repay_sell_repays(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    await binance.place(market("LONG", Side.BUY, "0.3"))         # about 18,000 USDT against 10,000 free
    await recorder.until(lambda: bool(recorder.of("LONG", ReportKind.FILL)))
    assert recorder.of("LONG", ReportKind.FILL)[-1].status is OrdStatus.FILLED
    [sent] = [p for m, path, p in sim.requests if m == "POST" and path == "/sapi/v1/margin/order"]
    assert (sent["sideEffectType"], sent["isIsolated"]) == ("MARGIN_BUY", "FALSE")

    level = await binance.margin_level()
    usdt, btc = level.assets["USDT"], level.assets["BTC"]
    assert usdt.borrowed == D("8000.015") and usdt.free == 0     # 0.3 x 60,000.05 at the ask, less the 10,000
    assert btc.free == D("0.3") and btc.borrowed == 0
    assert level.level == D("2.24999578")                       # 18,000 of BTC at the mid over 8,000.015 owed

    await binance.place(market("FLAT", Side.SELL, "0.3"))        # AUTO_REPAY by default for sells
    await recorder.until(lambda: bool(recorder.of("FLAT", ReportKind.FILL)))
    level = await binance.margin_level()
    assert level.assets["USDT"].borrowed == 0 and level.level == D(999)
    assert level.assets["USDT"].free == D("9999.97")            # the spread, paid once each way
    assert sim.margin.inventory["USDT"] == D(1000000)


async def test_a_margin_buy_beyond_what_can_be_borrowed_is_rejected_with_3045(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    await binance.place(market("HUGE", Side.BUY, "1"))           # 60,000 USDT: 50,000 to borrow at 3x on 10,000
    [reject] = recorder.of("HUGE", ReportKind.REJECTED)
    assert reject.status is OrdStatus.REJECTED
    assert reject.reason == "-3045 INSUFFICIENT_INVENTORY: The system does not have enough asset now."
    assert reject.code == "insufficient_funds" and retryable(reject.code)
    assert not sim.margin.borrowed.get("USDT") and sim.margin.free["USDT"] == D(10000)

    sim.margin.inventory["USDT"] = D(1000)                       # Binance's pool runs short too
    await binance.place(market("POOL", Side.BUY, "0.2"))         # 2,000 to borrow, within the collateral
    [reject] = recorder.of("POOL", ReportKind.REJECTED)
    assert reject.reason is not None and reject.reason.startswith("-3045")


async def test_the_side_effects_are_configurable_and_margin_needs_rest() -> None:
    with pytest.raises(ValueError, match="side_effect"):
        BinanceConfig(api_key="k", api_secret="s", account_type="margin", side_effect=("MARGIN_BUY", "SHORT"))
    with pytest.raises(ValueError, match="account_type"):
        BinanceConfig(api_key="k", api_secret="s", account_type="futures")
    config = BinanceConfig.from_env({"BINANCE_API_KEY": "k", "BINANCE_API_SECRET": "s",
                                     "BINANCE_ACCOUNT_TYPE": "margin",
                                     "BINANCE_SIDE_EFFECT": "NO_SIDE_EFFECT,AUTO_BORROW_REPAY"})
    assert (config.account_type, config.side_effect) == ("margin", ("NO_SIDE_EFFECT", "AUTO_BORROW_REPAY"))


async def test_no_side_effect_trades_only_what_is_free(sim: BinanceSimulator) -> None:
    binance = BinanceVenue(margin_config(sim, side_effect=("NO_SIDE_EFFECT", "NO_SIDE_EFFECT")), clock=utc_now)
    recorder = Recorder()
    binance.on_report(recorder.report)
    await binance.connect()
    try:
        await binance.place(market("CASH", Side.BUY, "0.3"))
        [reject] = recorder.of("CASH", ReportKind.REJECTED)
        assert reject.reason == "-2010 NEW_ORDER_REJECTED: Account has insufficient balance for requested action."
        assert not sim.margin.borrowed.get("USDT")
    finally:
        await binance.close()
