"""The Binance simulator process: REST (rest_api.py), the market data WebSocket streams, the WebSocket API with the
user data stream subscription, the FIX order entry endpoint (fix_acceptor.py) on the same matching engine, a
random-walk ticker, and the scenario API a QA script drives (also over HTTP: scenario_http.py). With ``state_path``
prices, update ids and the order, trade and execution id counters outlive a restart (persisted.py)."""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import structlog
from aiohttp import WSCloseCode, WSMsgType, web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from simulators.binance import persisted
from simulators.binance.book import ApiError, SymbolSpec, now_ms
from simulators.binance.exchange import Exchange
from simulators.binance.fix_acceptor import BinanceFixAcceptor
from simulators.binance.margin import MarginAccount
from simulators.binance.margin import routes as margin_routes
from simulators.binance.margin_orders import routes as margin_order_routes
from simulators.binance.rest_api import (
    SIM,
    check_api_key,
    check_signature,
    check_timestamp,
    limits,
    routes,
    unknown_routes,
)
from simulators.binance.scenario_http import routes as scenario_routes
from simulators.history import PastWalk
from simulators.state import StateFile, keep_saving

log = structlog.get_logger("simulators.binance")

# Fixtures only: the simulator's account. Real keys come from the environment (see cli.py).
TEST_API_KEY = "sim-api-key"
TEST_API_SECRET = "sim-api-secret"


@dataclass(eq=False)
class _Connection:
    """One WebSocket client; a queue and one writer task keep the frames in the order they were produced."""

    ws: web.WebSocketResponse
    combined: bool = True
    streams: set[str] = field(default_factory=set)
    subscriptions: set[int] = field(default_factory=set)
    queue: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)

    def send(self, message: Any) -> None:
        self.queue.put_nowait(orjson.dumps(message))

    def send_text(self, text: str) -> None:
        self.queue.put_nowait(text.encode())

    async def write(self) -> None:
        while not self.ws.closed:
            await self.ws.send_str((await self.queue.get()).decode())


class BinanceSimulator:
    """Serves on ``host:port`` (0 = ephemeral), FIX order entry on ``fix_port`` (0 = ephemeral, None = none).
    ``walk_interval`` None keeps prices still until set_price; ``state_path`` is the state file (None: none)."""

    def __init__(self, *, api_key: str = TEST_API_KEY, api_secret: str = TEST_API_SECRET, host: str = "127.0.0.1",
                 port: int = 0, walk_interval: float | None = 0.5, seed: int | None = None,
                 symbols: list[SymbolSpec] | None = None, weight_limit: int = 6000, fix_port: int | None = 0,
                 fix_keys: dict[str, Ed25519PublicKey] | None = None, state_path: Path | str | None = None) -> None:
        self.api_key, self.api_secret = api_key, api_secret
        self.host, self.port = host, port
        self.walk_interval = walk_interval
        self.exchange = Exchange(symbols, seed=seed)
        self.past = PastWalk(volatility=0.00008)   # what /api/v3/klines answers
        self._state = StateFile(state_path) if state_path is not None else None
        if self._state is not None:
            persisted.restore(self.exchange, self._state.load() or {})
            persisted.reserve_through(self.exchange, self._save)
        self.weight_limit = weight_limit
        self.requests: list[tuple[str, str, dict[str, str]]] = []   # every /api/ request, for QA assertions
        self.snapshots = 0
        self.latency = 0.0
        self.timeout_next: bool | None = None
        self.limited_until = 0.0
        self.banned_until = 0.0
        self.violations = 0
        self.ban_after_violations = 2
        self.ban_seconds = 120.0
        self._weight_minute = 0
        self._used_weight = 0
        self._refuse_ws_until = 0.0
        self._streams: set[_Connection] = set()
        self._api: set[_Connection] = set()
        self._subscription_ids = itertools.count(0)
        self.user_stream_subscriptions = 0          # subscriptions made, for QA: a new one is a reconnect
        self._runner: web.AppRunner | None = None
        self._walker: asyncio.Task[None] | None = None
        self._saver: asyncio.Task[None] | None = None
        self.exchange.market_listeners.append(self._on_market)
        self.exchange.user_listeners.append(self._on_user_event)
        self.exchange.margin_listeners.append(self._on_margin_event)
        self.margin = MarginAccount(self.exchange)
        self.listen_tokens: dict[str, int] = {}          # margin user data stream token -> expiry (ms)
        self._margin_subscriptions: set[int] = set()
        self.fix_keys: dict[str, Ed25519PublicKey] = dict(fix_keys or {})
        self.fix = BinanceFixAcceptor(self.exchange, self.fix_keys, host, fix_port) if fix_port is not None else None

    # ---- life
    def create_app(self) -> web.Application:
        app = web.Application(middlewares=[unknown_routes, limits])
        app[SIM] = self
        app.add_routes(routes)
        app.add_routes(margin_routes)
        app.add_routes(margin_order_routes)
        app.router.add_get("/stream", self._stream_handler)
        app.router.add_get("/ws/{name}", self._stream_handler)
        app.router.add_get("/ws-api/v3", self._api_handler)
        app.add_routes(scenario_routes)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.create_app(), shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if self.fix is not None:
            await self.fix.start()
        if self.walk_interval:
            self._walker = asyncio.create_task(self._walk())
        if self._state is not None:
            self._saver = asyncio.create_task(keep_saving(self._save))
        log.info("binance_simulator_started", url=self.rest_url, fix_port=self.fix.port if self.fix else None)

    async def stop(self) -> None:
        for task in (self._walker, self._saver):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.drop_websockets()
        if self.fix is not None:
            await self.fix.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._state is not None:
            self._save()
        log.info("binance_simulator_stopped", url=self.rest_url)

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def ws_api_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws-api/v3"

    async def _walk(self) -> None:
        assert self.walk_interval
        while True:
            await asyncio.sleep(self.walk_interval)
            self.exchange.walk()

    @property
    def fix_port(self) -> int:
        assert self.fix is not None, "started without a FIX acceptor"
        return self.fix.port

    # ---- scenario API
    def register_fix_key(self, api_key: str, public_key: Ed25519PublicKey | str) -> None:
        """An Ed25519 API key for FIX sessions: its public key, as an object or PEM text."""
        if isinstance(public_key, str):
            loaded = load_pem_public_key(public_key.encode())
            if not isinstance(loaded, Ed25519PublicKey):
                raise ValueError("Binance FIX API keys are Ed25519 keys")
            public_key = loaded
        self.fix_keys[api_key] = public_key

    def fund_margin(self, asset: str, amount: Decimal) -> None:
        """Collateral into the cross margin account."""
        self.margin.deposit(asset, amount)

    def announce_maintenance(self, headline: str = "Your connection is about to be closed. Please reconnect."
                             ) -> None:
        """News <B> to every FIX session: clients are to log on afresh and close the old session."""
        if self.fix is not None:
            self.fix.announce_maintenance(headline)

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move the book to ``price``; resting orders that become marketable trade."""
        self.exchange.set_price(symbol, price)

    def force_partial_fill(self, ratio: Decimal = Decimal("0.5")) -> None:
        """The next order that trades fills only ``ratio`` of what is left; the rest waits (or expires)."""
        self.exchange.partial_fill_next = ratio

    def timeout_next_order(self, silent: bool = True) -> None:
        """The next new order is executed but answered with -1007; ``silent`` also loses its stream events."""
        self.timeout_next = silent

    def skip_depth_updates(self, symbol: str, count: int = 1) -> None:
        """The next ``count`` diff depth events are never sent (a sequence gap the client must notice)."""
        self.exchange.skip_depth[symbol] = self.exchange.skip_depth.get(symbol, 0) + count

    def rate_limit_now(self, retry_after: float = 1.0) -> None:
        """Answer 429 with Retry-After for ``retry_after`` seconds; clients that keep sending get a 418 ban."""
        self.limited_until = time.monotonic() + retry_after
        self.violations = 0

    def ban_now(self, seconds: float) -> None:
        self.banned_until = time.monotonic() + seconds

    def add_latency(self, seconds: float) -> None:
        self.latency = seconds

    async def drop_websockets(self, refuse_for: float = 0.0) -> None:
        """Close every stream and WebSocket API connection; refuse new ones for ``refuse_for`` seconds."""
        self._refuse_ws_until = time.monotonic() + refuse_for
        connections = list(self._streams | self._api)
        await asyncio.gather(*(c.ws.close(code=WSCloseCode.GOING_AWAY) for c in connections))
        log.info("binance_simulator_dropped_websockets", count=len(connections), refuse_for=refuse_for)

    def inject_user_event(self, event: dict[str, Any] | str) -> None:
        """One user data stream event of QA's own making to every subscription (given as text: a frame sent as it
        is, JSON or not), as a broken or unexpected event."""
        for connection in self._api:
            for subscription in connection.subscriptions:
                if isinstance(event, str):
                    connection.send_text(event)
                else:
                    connection.send({"subscriptionId": subscription, "event": event})

    def _save(self) -> None:
        assert self._state is not None
        self._state.save(persisted.snapshot(self.exchange))

    def weight_message(self) -> str:
        return (f"Too much request weight used; current limit is {self.weight_limit} request weight per 1 MINUTE. "
                "Please use WebSocket Streams for live updates to avoid polling the API.")

    def use_weight(self, weight: int) -> int:
        minute = int(time.time() // 60)
        if minute != self._weight_minute:
            self._weight_minute, self._used_weight = minute, 0
        self._used_weight += weight
        return self._used_weight

    # ---- WebSockets
    async def _serve(self, request: web.Request, connection: _Connection, registry: set[_Connection],
                     answer: Any) -> web.WebSocketResponse:
        await connection.ws.prepare(request)
        registry.add(connection)
        writer = asyncio.create_task(connection.write())
        try:
            async for message in connection.ws:
                if message.type is WSMsgType.TEXT:
                    connection.send(answer(connection, message.data))
        finally:
            registry.discard(connection)
            writer.cancel()
        return connection.ws

    def _refusing(self) -> bool:
        return time.monotonic() < self._refuse_ws_until

    async def _stream_handler(self, request: web.Request) -> web.StreamResponse:
        if self._refusing():
            raise web.HTTPServiceUnavailable()
        combined = request.path == "/stream"
        names = request.query.get("streams", "") if combined else request.match_info["name"]
        connection = _Connection(web.WebSocketResponse(heartbeat=20), combined, set(filter(None, names.split("/"))))
        return await self._serve(request, connection, self._streams, self._stream_request)

    def _stream_request(self, connection: _Connection, text: str) -> dict[str, Any]:
        try:
            request = orjson.loads(text)
            method, params, request_id = request["method"], request.get("params", []), request.get("id")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}
        if method == "SUBSCRIBE":
            connection.streams.update(params)
        elif method == "UNSUBSCRIBE":
            connection.streams.difference_update(params)
        elif method == "LIST_SUBSCRIPTIONS":
            return {"result": sorted(connection.streams), "id": request_id}
        else:
            return {"code": 2, "msg": f"Invalid request: unknown variant {method}", "id": request_id}
        return {"result": None, "id": request_id}

    def _on_market(self, kind: str, symbol: str, payload: dict[str, Any]) -> None:
        lower = symbol.lower()
        names = (f"{lower}@depth", f"{lower}@depth@100ms") if kind == "depth" else (f"{lower}@bookTicker",)
        for connection in self._streams:
            for name in names:
                if name in connection.streams:
                    connection.send({"stream": name, "data": payload} if connection.combined else payload)

    async def _api_handler(self, request: web.Request) -> web.StreamResponse:
        if self._refusing():
            raise web.HTTPServiceUnavailable()
        connection = _Connection(web.WebSocketResponse(heartbeat=20))
        return await self._serve(request, connection, self._api, self._api_request)

    def _api_request(self, connection: _Connection, text: str) -> dict[str, Any]:
        request_id = None
        rate_limits = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                        "limit": self.weight_limit, "count": self.use_weight(2)}]
        try:
            request = orjson.loads(text)
            request_id, method, params = request.get("id"), request["method"], request.get("params", {})
            result = self._api_method(connection, method.removeprefix("v3/"), params)
        except ApiError as error:
            return {"id": request_id, "status": error.http_status, "error": error.body(), "rateLimits": rate_limits}
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return {"id": request_id, "status": 400, "error": {"code": -1135, "msg": "Invalid JSON Request"},
                    "rateLimits": rate_limits}
        return {"id": request_id, "status": 200, "result": result, "rateLimits": rate_limits}

    def _api_method(self, connection: _Connection, method: str, params: dict[str, Any]) -> Any:
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": now_ms()}
        if method == "userDataStream.subscribe.signature":
            check_api_key(self, params.get("apiKey"))
            check_timestamp(params)
            payload = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature")
            check_signature(self, payload, params.get("signature"))
            self.user_stream_subscriptions += 1
            subscription = next(self._subscription_ids)
            connection.subscriptions.add(subscription)
            return {"subscriptionId": subscription}
        if method == "userDataStream.subscribe.listenToken":
            if self.listen_tokens.get(str(params.get("listenToken")), 0) <= now_ms():
                raise ApiError(-1209, "Invalid listenToken.")
            self.user_stream_subscriptions += 1
            subscription = next(self._subscription_ids)
            connection.subscriptions.add(subscription)
            self._margin_subscriptions.add(subscription)
            return {"subscriptionId": subscription}
        if method == "userDataStream.unsubscribe":
            ended = ({params["subscriptionId"]} if "subscriptionId" in params else set(connection.subscriptions))
            for subscription in ended & connection.subscriptions:
                connection.send({"subscriptionId": subscription,
                                 "event": {"e": "eventStreamTerminated", "E": now_ms()}})
            connection.subscriptions -= ended
            return {}
        if method == "session.subscriptions":
            return [{"subscriptionId": s} for s in sorted(connection.subscriptions)]
        raise ApiError(-1020, "This operation is not supported.")

    def _on_user_event(self, event: dict[str, Any]) -> None:
        for connection in self._api:
            for subscription in connection.subscriptions - self._margin_subscriptions:
                connection.send({"subscriptionId": subscription, "event": event})

    def _on_margin_event(self, event: dict[str, Any]) -> None:
        for connection in self._api:
            for subscription in connection.subscriptions & self._margin_subscriptions:
                connection.send({"subscriptionId": subscription, "event": event})
