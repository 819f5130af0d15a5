"""The price stream to terminals over WebSocket: subscribe to instruments, get a snapshot of each, then updates.

Protocol (JSON text frames):
- client: ``{"op": "subscribe", "symbols": ["EUR/USD", ...]}`` / ``{"op": "unsubscribe", "symbols": [...]}``
- server: ``{"type": "snapshot", "symbol": ..., "seq": n, "bid": ..., ...}`` once per subscribed symbol, then
  ``{"type": "quote", ...}``; ``seq`` is the feed's number for that topic. ``"gap": true`` on an update means the
  server saw numbers missing upstream (a broker restart, say): the client should resubscribe for a fresh snapshot.
  ``{"type": "instrument", "change": "listed"|"changed"|"delisted", "symbol": ..., ...}`` when the back office
  lists, changes or delists an instrument the connection's tenant may trade. Errors: ``{"type": "error", "code":
  ..., "reason": ...}``.

A slow client never slows the feed or the others: each connection keeps only the latest update per symbol
(conflation) and one writer task sends what is pending.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import structlog
from aiohttp import WSMsgType, web

from engine.bus import Bus
from routing.pricing import topic_symbol

log = structlog.get_logger("web.stream")

# Who is asking: the (tenant, group) whose prices this connection may see, as the policy has it (web.app's
# ``audience``: an account the caller may read, else its own group, else its tenant's first); raises a 401 or 403
# (ApiError, before the handshake) otherwise.
Audience = Callable[[web.Request], Awaitable[tuple[str, str]]]
# Whether a tenant's traders may trade a symbol (listed now, and offered to that tenant).
Offered = Callable[[str, str], bool]
INSTRUMENTS = "instruments"   # the bus topic of the back office's listings

MAX_SYMBOLS = 200
MAX_FRAME = 64 * 1024


class _Client:
    def __init__(self, socket: web.WebSocketResponse, tenant: str, group: str) -> None:
        self.socket = socket
        self.tenant = tenant
        self.group = group
        self.topics: dict[str, str] = {}       # symbol -> topic
        self.pending: dict[str, str] = {}      # symbol -> latest unsent frame
        self.last_seq: dict[str, int] = {}
        self.wake = asyncio.Event()

    def offer(self, symbol: str, frame: str) -> None:
        self.pending[symbol] = frame   # a newer update replaces an unsent one: the latest wins
        self.wake.set()


class PriceStream:
    """One bus subscription per topic however many terminals watch it; each update is encoded once."""

    def __init__(self, bus: Bus, offered: Offered, audience: Audience) -> None:
        self.bus = bus
        self.offered = offered
        self.audience = audience
        self.clients: set[_Client] = set()
        self._watchers: dict[str, set[_Client]] = {}
        self._unsubscribe: dict[str, Callable[[], None]] = {}
        bus.subscribe(INSTRUMENTS, lambda _, event: self._listing(event))

    def routes(self, app: web.Application, path: str = "/api/stream/prices") -> None:
        app.router.add_get(path, self.handle)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        tenant, group = await self.audience(request)
        socket = web.WebSocketResponse(heartbeat=20, max_msg_size=MAX_FRAME)
        await socket.prepare(request)
        client = _Client(socket, tenant, group)
        self.clients.add(client)
        writer = asyncio.create_task(self._write(client))
        try:
            async for frame in socket:
                if frame.type is not WSMsgType.TEXT:
                    continue
                await self._command(client, frame.data)
        finally:
            self.clients.discard(client)
            for symbol in list(client.topics):
                self._unwatch(client, symbol)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return socket

    async def _command(self, client: _Client, data: str) -> None:
        try:
            command = orjson.loads(data)
            op, symbols = command["op"], command["symbols"]
            # Symbols must be strings: a nested list is unhashable and used to raise out of the loop, closing the socket.
            if (op not in ("subscribe", "unsubscribe") or not isinstance(symbols, list)
                    or not all(isinstance(s, str) for s in symbols)):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            await self._error(client, "bad_request",
                              'send {"op": "subscribe"|"unsubscribe", "symbols": ["EUR/USD", ...]} (strings)')
            return
        unknown = [s for s in symbols if not self.offered(client.tenant, s)]
        if unknown:
            await self._error(client, "unknown_symbol", f"not traded here: {', '.join(map(str, unknown[:10]))}")
            return
        for symbol in symbols:
            if op == "unsubscribe":
                self._unwatch(client, symbol)
                continue
            if symbol not in client.topics and len(client.topics) >= MAX_SYMBOLS:
                await self._error(client, "too_many_symbols", f"at most {MAX_SYMBOLS} symbols per connection")
                return
            self._watch(client, symbol)

    def _watch(self, client: _Client, symbol: str) -> None:
        """(Re)subscribe: always answers with a snapshot, which is how a client recovers from a gap."""
        topic = f"quotes.{client.tenant}.{client.group}.{topic_symbol(symbol)}"
        client.topics[symbol] = topic
        watchers = self._watchers.setdefault(topic, set())
        watchers.add(client)
        if topic not in self._unsubscribe:
            self._unsubscribe[topic] = self.bus.subscribe(
                topic, lambda _, event: self._update(topic, symbol, event))
        last = self.bus.last(topic)
        if last is not None:
            client.last_seq[symbol] = last["seq"]
            client.offer(symbol, orjson.dumps({"type": "snapshot", **last}).decode())

    def _unwatch(self, client: _Client, symbol: str) -> None:
        topic = client.topics.pop(symbol, None)
        client.pending.pop(symbol, None)
        client.last_seq.pop(symbol, None)
        watchers = self._watchers.get(topic or "")
        if watchers is None:
            return
        watchers.discard(client)
        if not watchers:
            del self._watchers[topic]  # type: ignore[arg-type]
            self._unsubscribe.pop(topic)()  # type: ignore[arg-type]

    def _update(self, topic: str, symbol: str, event: dict[str, Any]) -> None:
        frame: str | None = None
        seq = event["seq"]
        for client in self._watchers.get(topic, ()):
            previous = client.last_seq.get(symbol)
            if previous is not None and seq <= previous:
                continue  # already sent (a snapshot raced its own update)
            client.last_seq[symbol] = seq
            if previous is not None and seq > previous + 1:
                client.offer(symbol, orjson.dumps({"type": "quote", "gap": True, **event}).decode())
                continue
            if frame is None:
                frame = orjson.dumps({"type": "quote", **event}).decode()
            client.offer(symbol, frame)

    def _listing(self, event: dict[str, Any]) -> None:
        """An instrument listed, changed or delisted: to every connection whose tenant may trade it (a delisted one
        is close-only, still traded). Keyed apart from its quotes, so a quote never replaces it unsent."""
        symbol = event.get("symbol")
        if not isinstance(symbol, str):
            return
        frame = orjson.dumps(event).decode()
        for client in self.clients:
            if self.offered(client.tenant, symbol):
                client.offer(f"\0instrument {symbol}", frame)

    async def _write(self, client: _Client) -> None:
        try:
            while True:
                await client.wake.wait()
                client.wake.clear()
                pending, client.pending = client.pending, {}
                for frame in pending.values():
                    await client.socket.send_str(frame)
        except ConnectionResetError:
            return   # the terminal went away; the handler's loop ends and cleans up

    async def _error(self, client: _Client, code: str, reason: str) -> None:
        log.info("stream.refused", code=code, reason=reason, tenant=client.tenant)
        await client.socket.send_str(orjson.dumps({"type": "error", "code": code, "reason": reason}).decode())
