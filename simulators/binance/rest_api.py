"""The REST endpoints of rest-api.md that Binance clients use, answered in Binance's formats with Binance's checks:
API key, HMAC-SHA256 signature over query string plus form body, timestamp within recvWindow, request weight, 429 and
418. A path or method served nowhere answers 404 or 405 with Binance's error body (-1020): Binance itself answers an
HTML page there, which no client can parse into an error."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import math
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from simulators.binance.book import ZERO, ApiError, fmt, now_ms
from simulators.binance.exchange import SimOrder, cancel_response

if TYPE_CHECKING:
    from simulators.binance.server import BinanceSimulator

SIM: web.AppKey[BinanceSimulator] = web.AppKey("binance_simulator")
routes = web.RouteTableDef()
MAX_RECV_WINDOW = 60000
ACCOUNT_UID = 354937868      # the simulator's one account


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def request_weight(method: str, path: str, params: dict[str, str]) -> int:
    """The documented weights of the endpoints served here."""
    if path == "/api/v3/depth":
        limit = int(params.get("limit", "100"))
        return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250
    if path == "/api/v3/myTrades":
        return 5 if "orderId" in params else 20
    if path == "/api/v3/openOrders":
        return 6 if "symbol" in params else 80
    if path == "/sapi/v1/margin/order":
        return 6 if method == "POST" else 10
    if path == "/api/v3/ticker/bookTicker":
        return 2 if "symbol" in params else 4
    return {"/api/v3/exchangeInfo": 20, "/api/v3/account": 20, "/api/v3/order": 4 if method == "GET" else 1,
            "/sapi/v1/margin/borrow-repay": 1500, "/sapi/v1/margin/account": 10, "/sapi/v1/margin/openOrders": 10,
            "/sapi/v1/margin/myTrades": 10, "/sapi/v1/userListenToken": 1, "/api/v3/klines": 2}.get(path, 1)


async def read_params(request: web.Request) -> tuple[dict[str, str], str, str]:
    """Query and form body merged (the query wins, as Binance documents), with both raw strings for signing.
    aiohttp keeps the body once read, so the middleware and the handler both see it (``can_read_body`` would not:
    it is false once the body has been read)."""
    raw_body = (await request.text()) if request.body_exists else ""
    params = dict((await request.post()).items()) if raw_body else {}
    params.update(request.query.items())
    return {k: str(v) for k, v in params.items()}, request.rel_url.raw_query_string, raw_body


def check_timestamp(params: dict[str, Any]) -> None:
    if "timestamp" not in params:
        raise ApiError(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
    try:
        timestamp, window = int(params["timestamp"]), float(params.get("recvWindow", 5000))
    except ValueError:
        raise ApiError(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.") from None
    if window > MAX_RECV_WINDOW:
        raise ApiError(-1102, f"'recvWindow' contains unexpected value. Cannot be greater than {MAX_RECV_WINDOW}.")
    server = now_ms()
    if timestamp >= server + 1000:
        raise ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if server - timestamp > window:
        raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")


def check_api_key(sim: BinanceSimulator, api_key: str | None) -> None:
    if not api_key:
        raise ApiError(-2014, "API-key format invalid.", 401)
    if api_key != sim.api_key:
        raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)


def check_signature(sim: BinanceSimulator, payload: str, signature: str | None) -> None:
    if not signature:
        raise ApiError(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
    expected = hmac.new(sim.api_secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise ApiError(-1022, "Signature for this request is not valid.")


def _without_signature(raw: str) -> str:
    return "&".join(part for part in raw.split("&") if part and not part.startswith("signature="))


async def signed(request: web.Request) -> dict[str, str]:
    sim = request.app[SIM]
    params, raw_query, raw_body = await read_params(request)
    check_api_key(sim, request.headers.get("X-MBX-APIKEY"))
    check_timestamp(params)
    check_signature(sim, _without_signature(raw_query) + _without_signature(raw_body), params.get("signature"))
    return params


@web.middleware
async def unknown_routes(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """No such endpoint, or not with this method: Binance's JSON error instead of aiohttp's plain text."""
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as error:
        return json_response({"code": -1020, "msg": "This operation is not supported."}, error.status)


@web.middleware
async def limits(request: web.Request,
                 handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Ban, rate limit and weight accounting in front of every /api/ and /sapi/ request; ApiError becomes Binance's
    body."""
    if not request.path.startswith(("/api/", "/sapi/")):
        return await handler(request)
    sim = request.app[SIM]
    params, _, _ = await read_params(request)
    sim.requests.append((request.method, request.path, params))
    if sim.latency:
        await asyncio.sleep(sim.latency)
    now = time.monotonic()
    if sim.banned_until > now:
        return _limited(418, sim.banned_until - now, "Way too much request weight used; IP banned until "
                        f"{now_ms() + int((sim.banned_until - now) * 1000)}. Please use WebSocket Streams for "
                        "live updates to avoid bans.")
    if sim.limited_until > now:
        sim.violations += 1
        if sim.violations > sim.ban_after_violations:
            sim.banned_until = now + sim.ban_seconds
            return _limited(418, sim.ban_seconds, "Way too much request weight used; IP banned until "
                            f"{now_ms() + int(sim.ban_seconds * 1000)}. Please use WebSocket Streams for live "
                            "updates to avoid bans.")
        return _limited(429, sim.limited_until - now, sim.weight_message())
    used = sim.use_weight(request_weight(request.method, request.path, params))
    if used > sim.weight_limit:
        sim.rate_limit_now(60 - time.time() % 60)
        return _limited(429, sim.limited_until - now, sim.weight_message())
    try:
        response = await handler(request)
    except ApiError as error:
        response = json_response(error.body(), error.http_status)
    response.headers["X-MBX-USED-WEIGHT-1M"] = str(used)
    return response


def _limited(status: int, retry_after: float, message: str) -> web.Response:
    response = json_response({"code": -1003, "msg": message}, status)
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


@routes.get("/api/v3/ping")
async def ping(request: web.Request) -> web.Response:
    return json_response({})


@routes.get("/api/v3/time")
async def server_time(request: web.Request) -> web.Response:
    return json_response({"serverTime": now_ms()})


@routes.get("/api/v3/exchangeInfo")
async def exchange_info(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    return json_response({
        "timezone": "UTC", "serverTime": now_ms(),
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": sim.weight_limit},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000}],
        "exchangeFilters": [],
        "symbols": [spec.info() for spec in sim.exchange.specs.values()]})


@routes.get("/api/v3/depth")
async def depth(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params, _, _ = await read_params(request)
    if "symbol" not in params:
        raise ApiError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
    sim.snapshots += 1
    return json_response(sim.exchange.depth(params["symbol"], min(int(params.get("limit", "100")), 5000)))


@routes.get("/api/v3/ticker/bookTicker")
async def book_ticker(request: web.Request) -> web.Response:
    """The best bid and ask of ``symbol``, of each of ``symbols`` (a JSON array), or of every symbol."""
    sim = request.app[SIM]
    params, _, _ = await read_params(request)
    if "symbol" in params and "symbols" in params:
        raise ApiError(-1128, "Combination of optional parameters invalid.")
    if "symbol" in params:
        return json_response(sim.exchange.book_ticker(params["symbol"]))
    if "symbols" in params:
        try:
            names = orjson.loads(params["symbols"])
        except orjson.JSONDecodeError:
            names = None
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ApiError(-1100, "Illegal characters found in parameter 'symbols'.")
    else:
        names = list(sim.exchange.specs)
    return json_response([sim.exchange.book_ticker(name) for name in names])


KLINE_SECONDS = {"1s": 1, "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200,
                 "4h": 14400, "6h": 21600, "8h": 28800, "12h": 43200, "1d": 86400, "3d": 259200, "1w": 604800}


@routes.get("/api/v3/klines")
async def klines(request: web.Request) -> web.Response:
    """Candles identified by their open time, oldest first: startTime and endTime (ms) bound the open times, limit
    defaults to 500 and is at most 1000; without startTime the newest. The past is the simulator's walk."""
    sim = request.app[SIM]
    params, _, _ = await read_params(request)
    for name in ("symbol", "interval"):
        if name not in params:
            raise ApiError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
    if params["interval"] not in KLINE_SECONDS:
        raise ApiError(-1120, "Invalid interval.")
    spec = sim.exchange.spec(params["symbol"])
    limit = min(int(params.get("limit", "500")), 1000)
    moment = {key: dt.datetime.fromtimestamp(int(params[key]) / 1000, dt.timezone.utc)
              for key in ("startTime", "endTime") if key in params}
    seconds = KLINE_SECONDS[params["interval"]]
    bars = sim.past.bars(spec.symbol, seconds, sim.exchange.books[spec.symbol].mid, spec.tick_size,
                         dt.datetime.now(dt.timezone.utc), moment.get("startTime"), moment.get("endTime"), limit)
    return json_response([[int(b.start.timestamp() * 1000), fmt(b.open), fmt(b.high), fmt(b.low), fmt(b.close),
                           fmt(b.volume), int(b.start.timestamp() * 1000) + seconds * 1000 - 1,
                           fmt(b.volume * b.close), b.trades, fmt(b.volume / 2), fmt(b.volume * b.close / 2), "0"]
                          for b in bars])


@routes.post("/api/v3/order")
async def new_order(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    if params.get("newOrderRespType") not in (None, "ACK", "RESULT", "FULL"):
        raise ApiError(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
    if sim.timeout_next is not None:
        silent, sim.timeout_next = sim.timeout_next, None
        if silent:
            sim.exchange.silence_next_order()
        try:
            sim.exchange.place(params)
        except ApiError:
            pass    # the order failed, and the client is not told that either
        # Binance does not document the HTTP status that carries -1007; 408 is what the simulator uses.
        raise ApiError(-1007, "Timeout waiting for response from backend server. Send status unknown; "
                              "execution status unknown.", 408)
    order = sim.exchange.place(params)
    return json_response(order_response(sim, order, params.get("newOrderRespType")))


def order_response(sim: BinanceSimulator, order: SimOrder, response_type: str | None) -> dict[str, Any]:
    """ACK, RESULT or FULL; without newOrderRespType, MARKET and LIMIT orders get FULL and the others ACK."""
    response_type = response_type or ("FULL" if order.type in ("MARKET", "LIMIT") else "ACK")
    if response_type == "ACK":
        return {"symbol": order.symbol, "orderId": order.order_id, "orderListId": -1,
                "clientOrderId": order.client_order_id, "transactTime": order.time}
    body = sim.exchange.full_response(order)
    if response_type == "RESULT":
        del body["fills"]
    return body


@routes.delete("/api/v3/order")
async def cancel_order(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    order, cancel_id = sim.exchange.cancel(params.get("symbol", ""), params.get("orderId"),
                                           params.get("origClientOrderId"), params.get("newClientOrderId"))
    return json_response(cancel_response(order, cancel_id))


@routes.get("/api/v3/order")
async def query_order(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    if "orderId" not in params and "origClientOrderId" not in params:
        raise ApiError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
    order = sim.exchange.query(params.get("symbol", ""), params.get("orderId"), params.get("origClientOrderId"))
    return json_response(order.as_json())


@routes.post("/api/v3/order/cancelReplace")
async def cancel_replace(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    return json_response(sim.exchange.cancel_replace(params))


@routes.get("/api/v3/openOrders")
async def open_orders(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    return json_response([o.as_json() for o in sim.exchange.open_orders(params.get("symbol"))])


@routes.get("/api/v3/myTrades")
async def my_trades(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    order_id = int(params["orderId"]) if "orderId" in params else None
    return json_response([t.as_json() for t in sim.exchange.my_trades(params.get("symbol", ""), order_id)])


@routes.get("/api/v3/account")
async def account(request: web.Request) -> web.Response:
    """The spot wallet; ``locked`` is zero, as the simulator does not lock balances for resting orders."""
    sim = request.app[SIM]
    params = await signed(request)
    omit_zero = params.get("omitZeroBalances", "false").lower() == "true"
    balances = [{"asset": asset, "free": fmt(amount), "locked": fmt(ZERO)}
                for asset, amount in sorted(sim.exchange.balances.items()) if amount or not omit_zero]
    no_commission = {"maker": fmt(ZERO), "taker": fmt(ZERO), "buyer": fmt(ZERO), "seller": fmt(ZERO)}
    return json_response({
        "makerCommission": 0, "takerCommission": 0, "buyerCommission": 0, "sellerCommission": 0,
        "commissionRates": no_commission, "canTrade": True, "canWithdraw": True, "canDeposit": True,
        "brokered": False, "requireSelfTradePrevention": False, "preventSor": False,
        "updateTime": sim.exchange.balances_time, "accountType": "SPOT", "balances": balances,
        "permissions": ["SPOT"], "uid": ACCOUNT_UID})
