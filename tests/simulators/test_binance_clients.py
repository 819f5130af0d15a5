"""Binance's own Python SDK (binance-sdk-spot) and ccxt, unchanged but for their URLs and options, trade against the
simulator over real HTTP: what QA gets when it points any Binance client at it."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from decimal import Decimal as D
from urllib.parse import urlsplit

import ccxt
import pytest
from binance_common.errors import Error
from binance_sdk_spot.spot import ConfigurationRestAPI, Spot

from simulators.binance import TEST_API_KEY, TEST_API_SECRET, BinanceSimulator
from tests.net import free_port


@pytest.fixture(scope="module")
def sim() -> Iterator[BinanceSimulator]:
    """The simulator on its own loop in a thread, as the clients here are synchronous."""
    simulator = BinanceSimulator(port=free_port(), walk_interval=None, seed=5, fix_port=None)
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(simulator.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait()
    yield simulator
    asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result()
    loop.call_soon_threadsafe(loop.stop)
    thread.join()


@pytest.fixture
def spot(sim: BinanceSimulator) -> Spot:
    return Spot(config_rest_api=ConfigurationRestAPI(api_key=TEST_API_KEY, api_secret=TEST_API_SECRET,
                                                     base_path=sim.rest_url, retries=0, timeout=5000))


def binance_error(error: Error) -> tuple[int | None, str]:
    """Binance's code and msg, as the SDK carries them (the code in ``status_code``)."""
    return error.status_code, error.error_message


def test_the_sdk_reads_market_data_and_the_account(spot: Spot) -> None:
    api = spot.rest_api
    api.ping()
    assert api.time().data().server_time > 0
    symbol = api.exchange_info(symbol="BTCUSDT").data().symbols[0]
    lot = next(f.actual_instance for f in symbol.filters if f.actual_instance.filter_type == "LOT_SIZE")
    assert (lot.min_qty, lot.step_size) == ("0.00001000", "0.00001000")
    depth = api.depth(symbol="BTCUSDT", limit=5).data()
    ticker = api.ticker_book_ticker(symbol="BTCUSDT").data().actual_instance
    assert (ticker.bid_price, ticker.ask_price) == (depth.bids[0][0], depth.asks[0][0])
    balances = {b.asset: D(b.free) for b in api.get_account().data().balances}
    assert balances["USDT"] > 0


def test_the_sdk_places_finds_and_cancels_and_gets_binance_errors(spot: Spot) -> None:
    api = spot.rest_api
    resting = api.new_order(symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", price=50000.0,
                            quantity=0.01).data()
    assert resting.status == "NEW"
    assert api.get_order(symbol="BTCUSDT", order_id=resting.order_id).data().status == "NEW"
    assert api.delete_order(symbol="BTCUSDT", order_id=resting.order_id).data().status == "CANCELED"
    market = api.new_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.6,
                           new_order_resp_type="FULL").data()
    assert market.status == "FILLED" and sum(D(f.qty) for f in market.fills) == D("0.6")
    with pytest.raises(Error) as off_lot:
        api.new_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.000001)
    assert binance_error(off_lot.value) == (-1013, "Filter failure: LOT_SIZE")
    with pytest.raises(Error) as unknown:
        api.get_order(symbol="BTCUSDT", order_id=999999)
    assert binance_error(unknown.value) == (-2013, "Order does not exist.")


def test_the_sdk_with_the_wrong_secret_gets_1022(sim: BinanceSimulator) -> None:
    wrong = Spot(config_rest_api=ConfigurationRestAPI(api_key=TEST_API_KEY, api_secret="wrong",
                                                      base_path=sim.rest_url, retries=0, timeout=5000))
    with pytest.raises(Error) as refused:
        wrong.rest_api.get_account()
    assert binance_error(refused.value) == (-1022, "Signature for this request is not valid.")


@pytest.fixture
def exchange(sim: BinanceSimulator) -> ccxt.binance:
    """ccxt's binance with every API URL it knows pointed at the simulator, and spot markets only."""
    client = ccxt.binance({"apiKey": TEST_API_KEY, "secret": TEST_API_SECRET,
                           "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                                       "fetchMargins": False}})
    client.urls["api"] = {name: sim.rest_url + urlsplit(url).path for name, url in client.urls["api"].items()}
    return client


def test_ccxt_loads_markets_reads_the_book_and_balance_and_places_and_cancels(
        exchange: ccxt.binance, sim: BinanceSimulator) -> None:
    markets = exchange.load_markets()
    assert markets["BTC/USDT"]["limits"]["amount"]["min"] == 0.00001
    book = exchange.fetch_order_book("BTC/USDT", limit=5)
    assert book["bids"][0][0] < book["asks"][0][0]
    assert exchange.fetch_balance()["USDT"]["free"] > 0
    placed = exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
    assert placed["status"] == "open"
    assert exchange.cancel_order(placed["id"], "BTC/USDT")["status"] == "canceled"
    assert {path for _, path, _ in sim.requests} <= {"/api/v3/exchangeInfo", "/api/v3/depth", "/api/v3/account",
                                                     "/api/v3/order", "/api/v3/time", "/api/v3/ping",
                                                     "/api/v3/ticker/bookTicker", "/api/v3/openOrders"}
