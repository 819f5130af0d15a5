"""The price stream to terminals over WebSocket: subscribe to instruments, get a snapshot of each, then updates.

Protocol (JSON text frames):
- client: ``{"op": "subscribe", "symbols": ["EUR/USD", ...]}`` / ``{"op": "unsubscribe", "symbols": [...]}``
- server: ``{"type": "snapshot", "symbol": ..., "seq": n, "bid": ..., ...}`` once per subscribed symbol, then
  ``{"type": "quote", ...}``; ``seq`` is the feed's number for that topic. ``"gap": true`` on an update means the
  server saw numbers missing upstream (a broker restart, say): the client should resubscribe for a fresh snapshot.
  Errors: ``{"type": "error", "code": ..., "reason": ...}``.

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

# Who is asking: the (tenant, group) whose prices this connection may see; raises HTTPUnauthorized otherwise.
Audience = Callable[[web.Request], Awaitable[tuple[str, str]]]

MAX_SYMBOLS = 200
MAX_FRAME = 64 * 1024


class _Client:
    def __init__(self, socket: web.WebSocketResponse, tenant: str, group: str) -> None:
        self.socket = socket
        self.tenant = tenant
        self.group = group
        self.symbols: dict[str, Callable[[], None]] = {}    # symbol -> unsubscribe
        self.pending: dict[str, dict[str, Any]] = {}        # symbol -> latest unsent message
        self.last_seq: dict[str, int] = {}
        self.wake = asyncio.Event()

    def offer(self, symbol: str, message: dict[str, Any]) -> None:
        self.pending[symbol] = message   # a newer update replaces an unsent one: the latest wins
        self.wake.set()


class PriceStream:
    def __init__(self, bus: Bus, symbols: set[str], audience: Audience) -> None:
        self.bus = bus
        self.symbols = symbols
        self.audience = audience
        self.clients: set[_Client] = set()

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
            for unsubscribe in client.symbols.values():
                unsubscribe()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return socket

    async def _command(self, client: _Client, data: str) -> None:
        try:
            command = orjson.loads(data)
            op, symbols = command["op"], command["symbols"]
            if op not in ("subscribe", "unsubscribe") or not isinstance(symbols, list):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            await self._error(client, "bad_request", 'send {"op": "subscribe"|"unsubscribe", "symbols": [...]}')
            return
        unknown = [s for s in symbols if s not in self.symbols]
        if unknown:
            await self._error(client, "unknown_symbol", f"not traded here: {', '.join(map(str, unknown[:10]))}")
            return
        for symbol in symbols:
            if op == "unsubscribe":
                unsubscribe = client.symbols.pop(symbol, None)
                if unsubscribe is not None:
                    unsubscribe()
                client.pending.pop(symbol, None)
                continue
            if symbol not in client.symbols and len(client.symbols) >= MAX_SYMBOLS:
                await self._error(client, "too_many_symbols", f"at most {MAX_SYMBOLS} symbols per connection")
                return
            self._subscribe(client, symbol)

    def _subscribe(self, client: _Client, symbol: str) -> None:
        """(Re)subscribe: always answers with a snapshot, which is how a client recovers from a gap."""
        topic = f"quotes.{client.tenant}.{client.group}.{topic_symbol(symbol)}"
        if symbol not in client.symbols:
            client.symbols[symbol] = self.bus.subscribe(topic, lambda _, event: self._update(client, symbol, event))
        last = self.bus.last(topic)
        if last is not None:
            client.last_seq[symbol] = last["seq"]
            client.offer(symbol, {"type": "snapshot", **last})

    def _update(self, client: _Client, symbol: str, event: dict[str, Any]) -> None:
        previous = client.last_seq.get(symbol)
        if previous is not None and event["seq"] <= previous:
            return  # already sent (a snapshot raced its own update)
        client.last_seq[symbol] = event["seq"]
        gap = previous is not None and event["seq"] > previous + 1
        client.offer(symbol, {"type": "quote", "gap": gap, **event} if gap else {"type": "quote", **event})

    async def _write(self, client: _Client) -> None:
        while True:
            await client.wake.wait()
            client.wake.clear()
            pending, client.pending = client.pending, {}
            for message in pending.values():
                await client.socket.send_str(orjson.dumps(message).decode())

    async def _error(self, client: _Client, code: str, reason: str) -> None:
        log.info("stream.refused", code=code, reason=reason, tenant=client.tenant)
        await client.socket.send_str(orjson.dumps({"type": "error", "code": code, "reason": reason}).decode())
