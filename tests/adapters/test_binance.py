"""The Binance adapter against the Binance simulator over loopback sockets: filters refused before sending, -1007
settled by reconciliation, the depth book resynced after a gap, and a reconnect after the WebSockets drop with every
fill reported exactly once (the venue contract is test_contract.py's)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest

from adapters.binance import BinanceConfig, BinanceVenue
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.domain.rejects import retryable
from engine.ports import ReportKind, VenueDown, VenueOrder, utc_now
from simulators.binance import TEST_API_KEY, TEST_API_SECRET, BinanceSimulator
from tests.adapters.contract import Recorder


def config_for(sim: BinanceSimulator, secret: str = TEST_API_SECRET) -> BinanceConfig:
    return BinanceConfig(api_key=TEST_API_KEY, api_secret=secret, rest_url=sim.rest_url, stream_url=sim.stream_url,
                         ws_api_url=sim.ws_api_url, reconnect_delay=0.05, max_reconnect_delay=0.2,
                         reconcile_delay=0.05, connect_timeout=3.0, max_backoff_wait=2.0)


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    simulator = BinanceSimulator(walk_interval=None, seed=7)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def venue(sim: BinanceSimulator) -> AsyncIterator[tuple[BinanceVenue, Recorder]]:
    binance = BinanceVenue(config_for(sim), clock=utc_now)
    recorder = Recorder()
    binance.on_report(recorder.report)
    binance.on_quote(recorder.quote)
    await binance.connect()
    yield binance, recorder
    await binance.close()


def limit_buy(order_id: str, quantity: str, price: str) -> VenueOrder:
    return VenueOrder(order_id, "BTC/USDT", Side.BUY, OrdType.LIMIT, D(quantity), TimeInForce.GTC, price=D(price))


def posted_orders(sim: BinanceSimulator) -> list[dict[str, str]]:
    return [params for method, path, params in sim.requests if method == "POST" and path.startswith("/api/v3/order")]


async def test_the_account_with_a_wrong_secret_cannot_connect(sim: BinanceSimulator) -> None:
    binance = BinanceVenue(config_for(sim, secret="not-the-secret"), clock=utc_now)
    with pytest.raises(VenueDown, match="-1022"):
        await binance.connect()
    await binance.close()
    assert not binance.health().connected


@pytest.mark.parametrize(("quantity", "price", "broken"), [
    ("0.000001", "59000", "LOT_SIZE"),          # below minQty 0.00001
    ("0.01", "59000.001", "PRICE_FILTER"),      # off the 0.01 tick
    ("0.00005", "59000", "NOTIONAL"),            # 2.95 USDT, under the 5 USDT minimum
])
async def test_an_order_breaking_a_filter_is_refused_without_reaching_binance(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder], quantity: str, price: str, broken: str) -> None:
    binance, recorder = venue
    await binance.place(limit_buy("BAD", quantity, price))
    [reject] = recorder.of("BAD", ReportKind.REJECTED)
    assert reject.reason is not None and f"Filter failure: {broken}" in reject.reason and "-1013" in reject.reason
    assert reject.status is OrdStatus.REJECTED and reject.code == ("invalid_price" if broken == "PRICE_FILTER"
                                                                   else "invalid_quantity")
    assert posted_orders(sim) == []


async def test_a_market_order_over_market_lot_size_is_refused_before_sending(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    await binance.place(VenueOrder("BIG", "BTC/USDT", Side.BUY, OrdType.MARKET, D(150), TimeInForce.IOC))
    [reject] = recorder.of("BIG", ReportKind.REJECTED)
    assert reject.reason is not None and "MARKET_LOT_SIZE" in reject.reason
    assert posted_orders(sim) == []


async def test_a_timed_out_order_is_reconciled_not_rejected(sim: BinanceSimulator,
                                                           venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    sim.timeout_next_order(silent=True)       # -1007, and its stream events are lost: only REST can tell
    await binance.place(VenueOrder("T1", "BTC/USDT", Side.BUY, OrdType.MARKET, D("0.02"), TimeInForce.IOC))
    await recorder.until(lambda: sum(r.last_quantity for r in recorder.of("T1", ReportKind.FILL)) == D("0.02"))
    assert not recorder.of("T1", ReportKind.REJECTED)
    assert len(recorder.of("T1", ReportKind.ACCEPTED)) == 1
    assert recorder.of("T1", ReportKind.FILL)[-1].status is OrdStatus.FILLED
    status = await binance.order_status(VenueOrder("T1", "BTC/USDT", Side.BUY, OrdType.MARKET, D("0.02"),
                                                   TimeInForce.IOC))
    assert status is not None and status.status is OrdStatus.FILLED and status.last_quantity == D("0.02")


async def test_the_depth_book_resyncs_after_a_sequence_gap(sim: BinanceSimulator,
                                                           venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    await binance.subscribe(["BTC/USDT"])
    await asyncio.sleep(0.2)                  # the stream connection is up
    book = binance.depth("BTC/USDT")
    assert book is not None

    async def settle(price: str) -> None:
        sim.set_price("BTCUSDT", D(price))
        await recorder.until(lambda: (q := binance.quote("BTC/USDT")) is not None and q.bid is not None
                             and abs(q.bid - D(price)) < 1)
        for _ in range(100):
            if book.synced and book.update_id == sim.exchange.books["BTCUSDT"].update_id:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the depth book did not catch up")

    await settle("60010")
    snapshots = sim.snapshots
    sim.skip_depth_updates("BTCUSDT")         # one diff is lost on the way
    sim.set_price("BTCUSDT", D(60020))
    await settle("60030")
    assert book.resyncs == 1 and sim.snapshots == snapshots + 1
    bids, asks = book.top(20)
    truth = sim.exchange.books["BTCUSDT"]
    assert dict(bids) == truth.bids and dict(asks) == truth.asks


async def test_after_the_websockets_drop_each_fill_is_reported_exactly_once(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    await binance.subscribe(["BTC/USDT"])
    await binance.place(limit_buy("A", "0.02", "59000"))
    await binance.place(limit_buy("B", "0.01", "58000"))
    await recorder.until(lambda: bool(recorder.of("A", ReportKind.ACCEPTED) and recorder.of("B", ReportKind.ACCEPTED)))

    sim.force_partial_fill(D("0.5"))
    sim.set_price("BTCUSDT", D(58950))      # A half fills, and the stream says so
    await recorder.until(lambda: bool(recorder.of("A", ReportKind.FILL)))

    await sim.drop_websockets(refuse_for=0.3)
    sim.set_price("BTCUSDT", D(57950))      # A's rest and all of B fill while nobody listens
    await recorder.until(lambda: not binance.health().connected)
    await recorder.until(lambda: sum(r.last_quantity for r in recorder.of("B", ReportKind.FILL)) == D("0.01")
                         and sum(r.last_quantity for r in recorder.of("A", ReportKind.FILL)) == D("0.02"))

    for order_id in ("A", "B"):
        fills = recorder.of(order_id, ReportKind.FILL)
        trades = [t for t in sim.exchange.trades
                  if sim.exchange.orders[t.order_id].client_order_id == order_id]
        assert sorted(f.exec_id or "" for f in fills) == sorted(f"BTCUSDT-{t.trade_id}" for t in trades)
        assert fills[-1].status is OrdStatus.FILLED
    await asyncio.sleep(0.3)                  # nothing more arrives later either
    assert len(recorder.of("A", ReportKind.FILL)) == 2 and len(recorder.of("B", ReportKind.FILL)) == 1
    assert binance.health().connected

    sim.set_price("BTCUSDT", D(61000))      # and prices flow again on the resubscribed stream
    await recorder.until(lambda: (q := binance.quote("BTC/USDT")) is not None and q.bid is not None
                         and q.bid > D(60000))


async def test_replace_that_binance_refuses_reports_its_reason(sim: BinanceSimulator,
                                                               venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    await binance.place(limit_buy("R", "0.01", "50000"))
    sim.exchange.cancel("BTCUSDT", None, "R")  # canceled behind the adapter's back
    await recorder.until(lambda: bool(recorder.of("R", ReportKind.CANCELED)))
    recorder.reports.clear()
    await binance.replace("R", D("0.02"), D(50000))
    assert not recorder.of("R", ReportKind.REJECTED)
    [refusal] = recorder.of("R", ReportKind.CANCEL_REJECTED)
    assert refusal.status is OrdStatus.CANCELED and refusal.reason is not None


async def test_a_429_is_waited_out_and_a_418_ban_stops_orders(sim: BinanceSimulator,
                                                             venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, _ = venue
    sim.rate_limit_now(retry_after=1)
    started = asyncio.get_running_loop().time()
    assert await binance.order_status(limit_buy("NEVER", "0.01", "50000")) is None  # waited out Retry-After
    assert asyncio.get_running_loop().time() - started >= 0.9
    assert sim.banned_until == 0.0                            # it backed off, so it was never banned

    sim.ban_now(30)
    with pytest.raises(VenueDown, match="banned"):
        await binance.place(limit_buy("X", "0.01", "50000"))
    with pytest.raises(VenueDown, match="banned"):
        await binance.place(limit_buy("Y", "0.01", "50000"))
    assert not binance.health().connected
    assert not [p for p in posted_orders(sim) if p.get("newClientOrderId") == "Y"]   # nothing sent while banned


async def test_stops_become_stop_loss_or_take_profit_and_binance_rejects_carry_its_reason(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    above = VenueOrder("S1", "BTC/USDT", Side.BUY, OrdType.STOP, D("0.01"), TimeInForce.GTC, stop_price=D(61000))
    below = VenueOrder("S2", "BTC/USDT", Side.BUY, OrdType.STOP_LIMIT, D("0.01"), TimeInForce.GTC,
                       price=D(59100), stop_price=D(59000))
    await binance.place(above)
    await binance.place(below)
    assert [p["type"] for p in posted_orders(sim)] == ["STOP_LOSS", "TAKE_PROFIT_LIMIT"]
    sim.set_price("BTCUSDT", D(61500))        # the buy stop triggers and fills at market
    await recorder.until(lambda: bool(recorder.of("S1", ReportKind.FILL)))
    assert not recorder.of("S2", ReportKind.FILL)

    await binance.place(limit_buy("PM", "0.01", "70000"), post_only=True)   # would take: Binance says no
    [reject] = recorder.of("PM", ReportKind.REJECTED)
    assert reject.reason == "-2010 NEW_ORDER_REJECTED: Order would immediately match and take."
    assert posted_orders(sim)[-1]["type"] == "LIMIT_MAKER"
    assert reject.code == "venue_rejected" and not retryable(reject.code)


async def test_a_restarted_adapter_adopts_an_order_and_reports_only_its_later_fills(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    first, recorder = venue
    order = limit_buy("ADOPT", "0.02", "59000")
    await first.place(order)
    await recorder.until(lambda: bool(recorder.of("ADOPT", ReportKind.ACCEPTED)))
    sim.force_partial_fill(D("0.5"))
    sim.set_price("BTCUSDT", D(58950))
    await recorder.until(lambda: bool(recorder.of("ADOPT", ReportKind.FILL)))
    await first.close()

    restarted = BinanceVenue(config_for(sim), clock=utc_now)
    after = Recorder()
    restarted.on_report(after.report)
    await restarted.connect()
    try:
        status = await restarted.order_status(order)
        assert status is not None and status.status is OrdStatus.PARTIALLY_FILLED
        [before] = recorder.of("ADOPT", ReportKind.FILL)
        assert (status.last_quantity, status.last_price) == (D("0.01"), before.last_price)
        assert not after.of("ADOPT", ReportKind.FILL), "the fill before the restart is the status's to tell"
        sim.set_price("BTCUSDT", D(57950))
        await after.until(lambda: bool(after.of("ADOPT", ReportKind.FILL)))
        await asyncio.sleep(0.2)
        [fill] = after.of("ADOPT", ReportKind.FILL)
        assert fill.last_quantity == D("0.01") and fill.status is OrdStatus.FILLED
    finally:
        await restarted.close()
