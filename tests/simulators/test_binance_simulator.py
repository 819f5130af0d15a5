"""The Binance simulator as a Binance client sees it, over real sockets: signatures, timestamps, weights, 429/418,
filter failures and unknown orders answered with Binance's codes; streams with contiguous update IDs."""
from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson
import pytest

from simulators.binance import TEST_API_KEY, TEST_API_SECRET, BinanceSimulator


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    simulator = BinanceSimulator(walk_interval=None, seed=3)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, sim: BinanceSimulator, method: str, path: str,
               params: dict[str, str] | None = None, *, secret: str = TEST_API_SECRET,
               timestamp: int | None = None) -> tuple[int, Any, Any]:
    """A signed request the way rest-api.md's HMAC example builds it."""
    query = urlencode({**(params or {}), "timestamp": timestamp or int(time.time() * 1000), "recvWindow": 5000})
    query += "&signature=" + hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    async with http.request(method, f"{sim.rest_url}{path}?{query}", headers={"X-MBX-APIKEY": TEST_API_KEY}) as r:
        return r.status, await r.json(), r.headers


async def test_a_request_signed_with_the_wrong_secret_is_refused_with_1022(
        sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    status, body, _ = await call(http, sim, "GET", "/api/v3/openOrders", secret="wrong")
    assert (status, body) == (400, {"code": -1022, "msg": "Signature for this request is not valid."})
    status, body, _ = await call(http, sim, "GET", "/api/v3/openOrders")
    assert (status, body) == (200, [])


async def test_a_stale_timestamp_is_refused_with_1021(sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    status, body, _ = await call(http, sim, "GET", "/api/v3/openOrders", timestamp=int(time.time() * 1000) - 6000)
    assert status == 400 and body["code"] == -1021


async def test_an_order_breaking_lot_size_fails_the_filter_and_unknown_orders_are_named(
        sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": "50000"}
    status, body, _ = await call(http, sim, "POST", "/api/v3/order", {**order, "quantity": "0.000001"})
    assert (status, body) == (400, {"code": -1013, "msg": "Filter failure: LOT_SIZE"})
    status, body, _ = await call(http, sim, "DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "x"})
    assert (status, body) == (400, {"code": -2011, "msg": "Unknown order sent."})
    status, body, _ = await call(http, sim, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "x"})
    assert (status, body) == (400, {"code": -2013, "msg": "Order does not exist."})


async def test_cancel_replace_swaps_the_order_and_fails_as_documented(
        sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": "50000",
             "quantity": "0.01"}
    status, placed, _ = await call(http, sim, "POST", "/api/v3/order", {**order, "newClientOrderId": "o1"})
    assert status == 200 and placed["status"] == "NEW" and placed["clientOrderId"] == "o1"
    replace = {**order, "quantity": "0.02", "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrigClientOrderId": "o1",
               "newClientOrderId": "o2"}
    status, body, _ = await call(http, sim, "POST", "/api/v3/order/cancelReplace", replace)
    assert status == 200 and body["cancelResult"] == body["newOrderResult"] == "SUCCESS"
    assert body["cancelResponse"]["status"] == "CANCELED" and body["newOrderResponse"]["origQty"] == "0.02000000"
    status, body, _ = await call(http, sim, "POST", "/api/v3/order/cancelReplace", replace)   # o1 is gone
    assert status == 400 and body["code"] == -2022
    assert body["data"]["cancelResponse"] == {"code": -2011, "msg": "Unknown order sent."}
    assert body["data"]["newOrderResult"] == "NOT_ATTEMPTED"


async def test_weight_is_counted_and_a_client_ignoring_429_gets_banned(
        sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sim.rest_url}/api/v3/exchangeInfo") as first:
        used = int(first.headers["X-MBX-USED-WEIGHT-1M"])
    async with http.get(f"{sim.rest_url}/api/v3/exchangeInfo") as second:
        assert int(second.headers["X-MBX-USED-WEIGHT-1M"]) == used + 20
    sim.rate_limit_now(retry_after=5)
    statuses = []
    for _ in range(4):
        async with http.get(f"{sim.rest_url}/api/v3/ping") as response:
            statuses.append((response.status, (await response.json())["code"], response.headers["Retry-After"]))
    assert [s for s, _, _ in statuses] == [429, 429, 418, 418]
    assert statuses[0][1] == -1003 and int(statuses[0][2]) >= 4 and int(statuses[2][2]) >= 100


async def test_diff_depth_events_chain_from_the_snapshot(sim: BinanceSimulator,
                                                         http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{sim.stream_url}/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker") as ws:
        async with http.get(f"{sim.rest_url}/api/v3/depth", params={"symbol": "BTCUSDT", "limit": "5"}) as r:
            snapshot = await r.json()
        assert len(snapshot["bids"]) == len(snapshot["asks"]) == 5
        sim.set_price("BTCUSDT", D(60100))
        sim.set_price("BTCUSDT", D(60200))
        events = [orjson.loads((await ws.receive()).data) for _ in range(4)]
    depth = [e["data"] for e in events if e["stream"] == "btcusdt@depth@100ms"]
    ticker = [e["data"] for e in events if e["stream"] == "btcusdt@bookTicker"]
    assert depth[0]["U"] == snapshot["lastUpdateId"] + 1 and depth[1]["U"] == depth[0]["u"] + 1
    assert D(ticker[-1]["b"]) < D(ticker[-1]["a"]) and abs(D(ticker[-1]["b"]) - 60200) < 1


async def test_the_user_data_stream_needs_a_valid_signature_and_then_carries_execution_reports(
        sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    async def subscribe(ws: aiohttp.ClientWebSocketResponse, secret: str) -> dict[str, Any]:
        params: dict[str, Any] = {"apiKey": TEST_API_KEY, "timestamp": int(time.time() * 1000)}
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
        params["signature"] = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        await ws.send_str(orjson.dumps({"id": 1, "method": "userDataStream.subscribe.signature",
                                        "params": params}).decode())
        return orjson.loads((await ws.receive()).data)

    async with http.ws_connect(sim.ws_api_url) as ws:
        refused = await subscribe(ws, "wrong")
        assert refused["status"] == 400 and refused["error"]["code"] == -1022
        accepted = await subscribe(ws, TEST_API_SECRET)
        assert accepted["status"] == 200 and accepted["result"] == {"subscriptionId": 0}
        await call(http, sim, "POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                                         "quantity": "0.01", "newClientOrderId": "m1"})
        new, trade = [orjson.loads((await ws.receive()).data)["event"] for _ in range(2)]
    assert (new["e"], new["x"], new["c"]) == ("executionReport", "NEW", "m1")
    assert (trade["x"], trade["X"], trade["l"]) == ("TRADE", "FILLED", "0.01000000") and trade["t"] > 0


async def test_margin_orders_trade_from_the_margin_wallet_and_stream_on_the_listen_token_subscription(
        sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    sim.fund_margin("USDT", D(2000))
    status, token, _ = await call(http, sim, "POST", "/sapi/v1/userListenToken")
    assert status == 200 and token["expirationTime"] > time.time() * 1000
    buy = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "isIsolated": "FALSE"}
    async with http.ws_connect(sim.ws_api_url) as ws:
        await ws.send_str(orjson.dumps({"id": 1, "method": "userDataStream.subscribe.listenToken",
                                        "params": {"listenToken": "not-a-token"}}).decode())
        assert orjson.loads((await ws.receive()).data)["error"]["code"] == -1209
        await ws.send_str(orjson.dumps({"id": 2, "method": "userDataStream.subscribe.listenToken",
                                        "params": {"listenToken": token["token"]}}).decode())
        assert orjson.loads((await ws.receive()).data)["status"] == 200
        await call(http, sim, "POST", "/api/v3/order", {**buy, "quantity": "0.01", "newClientOrderId": "spot1"})
        status, body, headers = await call(http, sim, "POST", "/sapi/v1/margin/order", {
            **buy, "quantity": "0.05", "sideEffectType": "MARGIN_BUY", "newClientOrderId": "m1"})
        new, trade = [orjson.loads((await ws.receive(timeout=3)).data)["event"] for _ in range(2)]
    assert status == 200 and body["isIsolated"] is False and body["marginBuyBorrowAsset"] == "USDT"
    assert D(body["marginBuyBorrowAmount"]) == D("0.05") * D(body["fills"][0]["price"]) - 2000
    assert (new["c"], trade["c"], trade["X"]) == ("m1", "m1", "FILLED"), "the spot order is not on this stream"
    assert sim.margin.free["BTC"] == D("0.05") and sim.margin.borrowed["USDT"] > 0
    assert int(headers["X-MBX-USED-WEIGHT-1M"]) >= 6

    status, body, _ = await call(http, sim, "GET", "/sapi/v1/margin/order", {"symbol": "BTCUSDT",
                                                                            "origClientOrderId": "spot1"})
    assert (status, body) == (400, {"code": -2013, "msg": "Order does not exist."}), "spot orders are not margin's"
    status, body, _ = await call(http, sim, "POST", "/sapi/v1/margin/order", {
        **buy, "quantity": "1", "sideEffectType": "MARGIN_BUY"})
    assert (status, body) == (400, {"code": -3045, "msg": "The system does not have enough asset now."})
    status, body, _ = await call(http, sim, "POST", "/sapi/v1/margin/order", {
        **buy, "quantity": "0.01", "sideEffectType": "SHORT"})
    assert status == 400 and body["code"] == -1102


async def test_with_a_state_file_the_exchange_starts_again_from_its_prices_and_never_repeats_an_id(
        http: aiohttp.ClientSession, tmp_path: Path) -> None:
    """Binance's orderId and tradeId are unique per symbol for good, and a book's update ids only go up."""
    state = tmp_path / "binance.json"
    first = BinanceSimulator(walk_interval=None, state_path=state)
    await first.start()
    first.set_price("BTCUSDT", D(64000))
    status, placed, _ = await call(http, first, "POST", "/api/v3/order", {
        "symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "newOrderRespType": "FULL"})
    assert status == 200 and placed["fills"]
    trade_id, update_id = placed["fills"][-1]["tradeId"], first.exchange.books["BTCUSDT"].update_id
    killed = BinanceSimulator(walk_interval=None, state_path=state)  # as a SIGKILL now would leave it
    assert killed.exchange.books["BTCUSDT"].mid == D(64000)
    assert next(killed.exchange.order_ids) > placed["orderId"] and next(killed.exchange.trade_ids) > trade_id
    await first.stop()
    again = BinanceSimulator(walk_interval=None, state_path=state)
    await again.start()
    try:
        assert again.exchange.books["BTCUSDT"].update_id >= update_id
        status, depth, _ = await call(http, again, "GET", "/api/v3/depth", {"symbol": "BTCUSDT", "limit": "5"})
        assert D(depth["bids"][0][0]) < D(64000) < D(depth["asks"][0][0])
        status, second, _ = await call(http, again, "POST", "/api/v3/order", {
            "symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "newOrderRespType": "FULL"})
        assert status == 200 and second["orderId"] > placed["orderId"] and second["fills"][0]["tradeId"] > trade_id
    finally:
        await again.stop()


async def test_parameters_signed_in_a_form_body_are_read(sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    body = urlencode({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": "50000",
                      "quantity": "0.01", "timestamp": int(time.time() * 1000)})
    body += "&signature=" + hmac.new(TEST_API_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    async with http.post(f"{sim.rest_url}/api/v3/order", data=body, headers={
            "X-MBX-APIKEY": TEST_API_KEY, "Content-Type": "application/x-www-form-urlencoded"}) as response:
        placed = await response.json()
    assert response.status == 200 and placed["status"] == "NEW" and placed["price"] == "50000.00000000"


async def test_the_account_shows_the_spot_wallet_moved_by_a_fill(
        sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    status, before, _ = await call(http, sim, "GET", "/api/v3/account", {"omitZeroBalances": "true"})
    assert status == 200 and before["accountType"] == "SPOT"
    btc = {b["asset"]: b for b in before["balances"]}["BTC"]
    await call(http, sim, "POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                                    "quantity": "0.01"})
    _, after, _ = await call(http, sim, "GET", "/api/v3/account")
    assert D({b["asset"]: b for b in after["balances"]}["BTC"]["free"]) == D(btc["free"]) + D("0.01")


async def test_book_ticker_is_the_touch_of_the_depth_snapshot(
        sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sim.rest_url}/api/v3/depth?symbol=BTCUSDT&limit=1") as r:
        depth = await r.json()
    async with http.get(f"{sim.rest_url}/api/v3/ticker/bookTicker?symbol=BTCUSDT") as r:
        ticker = await r.json()
    assert ticker == {"symbol": "BTCUSDT", "bidPrice": depth["bids"][0][0], "bidQty": depth["bids"][0][1],
                      "askPrice": depth["asks"][0][0], "askQty": depth["asks"][0][1]}
    async with http.get(f"{sim.rest_url}/api/v3/ticker/bookTicker", params={"symbols": '["ETHUSDT"]'}) as r:
        assert [t["symbol"] for t in await r.json()] == ["ETHUSDT"]
    async with http.get(f"{sim.rest_url}/api/v3/ticker/bookTicker?symbol=NOPE") as r:
        assert (r.status, await r.json()) == (400, {"code": -1121, "msg": "Invalid symbol."})


async def test_an_unknown_route_answers_binance_json_error(sim: BinanceSimulator, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sim.rest_url}/api/v3/nothing") as r:
        assert (r.status, await r.json()) == (404, {"code": -1020, "msg": "This operation is not supported."})
    async with http.put(f"{sim.rest_url}/api/v3/ping") as r:
        assert r.status == 405 and (await r.json())["code"] == -1020
