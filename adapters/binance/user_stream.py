"""The user data stream as Binance now documents it (user-data-stream.md, web-socket-api.md): a WebSocket API
connection subscribed with `userDataStream.subscribe.signature` (HMAC over the alphabetically sorted params), no
listenKey. The cross margin account has a stream of its own (Margin Trading, Trade Data Stream): a listenToken from
POST /sapi/v1/userListenToken, subscribed with `userDataStream.subscribe.listenToken` on the same WebSocket API; its
executionReports have the spot shape. It reconnects and resubscribes by itself (with a new token each time) and tells
its owner each time it is back, so that the owner can reconcile what it may have missed. A frame it cannot read or
apply is logged and passed over: the stream goes on."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson
import structlog

from adapters.binance.config import BinanceConfig
from adapters.binance.errors import BinanceError, StatusUnknown, brief, describe
from adapters.binance.rest import RestClient, sign
from adapters.contained import excerpt
from engine.ports import Clock, VenueDown

log = structlog.get_logger("adapters.binance")


class _Refused(Exception):
    """Binance refused the subscription (bad key, signature or clock)."""


class UserStream:
    def __init__(self, config: BinanceConfig, rest: RestClient, on_event: Callable[[dict[str, Any]], None],
                 on_subscribed: Callable[[bool], Awaitable[None]], clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.rest = rest
        self.on_event = on_event
        self.on_subscribed = on_subscribed           # called with True after a reconnect, False the first time
        self.connected = False
        self.last_message_at: dt.datetime | None = None
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._first: asyncio.Future[None] | None = None

    async def start(self) -> None:
        """Returns once the first subscription is active; raises VenueDown if it cannot be made."""
        self._first = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(), name=f"{self.config.name}-user-stream")
        try:
            await asyncio.wait_for(asyncio.shield(self._first), self.config.connect_timeout)
        except TimeoutError:
            await self.close()
            raise VenueDown(f"{self.config.name}: no user data stream within {self.config.connect_timeout} s") \
                from None
        except VenueDown:
            await self.close()
            raise

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.connected = False

    async def _subscription(self) -> dict[str, Any]:
        if self.config.account_type == "margin":
            try:
                answer = await self.rest.signed("POST", "/sapi/v1/userListenToken", [], weight=1)
            except BinanceError as error:
                raise _Refused(error.reason) from error
            except (VenueDown, StatusUnknown) as error:
                raise aiohttp.ClientConnectionError(f"no listenToken: {error}") from error
            return {"id": next(self._ids), "method": "userDataStream.subscribe.listenToken",
                    "params": {"listenToken": answer["token"]}}
        params: dict[str, Any] = {"apiKey": self.config.api_key, "timestamp": self.rest.timestamp(),
                                  "recvWindow": self.config.recv_window_ms}
        payload = "&".join(f"{key}={params[key]}" for key in sorted(params))
        params["signature"] = sign(self.config.api_secret, payload)
        return {"id": next(self._ids), "method": "userDataStream.subscribe.signature", "params": params}

    async def _run(self) -> None:
        delay, sessions = self.config.reconnect_delay, 0
        while True:
            try:
                async with self.rest.session.ws_connect(self.config.ws_api_url, autoping=True) as ws:
                    await self._subscribe(ws)
                    self.connected, delay = True, self.config.reconnect_delay
                    log.info("binance_user_stream_subscribed", venue=self.config.name, reconnect=sessions > 0)
                    if self._first is not None and not self._first.done():
                        self._first.set_result(None)
                    await self.on_subscribed(sessions > 0)
                    sessions += 1
                    async for message in ws:
                        if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY) and \
                                not self._read(message.data):
                            break
            except _Refused as refused:
                log.error("binance_user_stream_refused", venue=self.config.name, reason=str(refused))
                if self._first is not None and not self._first.done():
                    self._first.set_exception(VenueDown(f"{self.config.name}: user data stream refused: {refused}"))
                    return
                if "-1021" in str(refused):
                    with contextlib.suppress(VenueDown):
                        await self.rest.sync_time()
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                log.warning("binance_user_stream_failed", venue=self.config.name, error=brief(error))
            except Exception:   # an answer it could not read: a new connection, never the end of the stream
                log.exception("binance_user_stream_error", venue=self.config.name)
            self.connected = False
            log.info("binance_user_stream_disconnected", venue=self.config.name, retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.max_reconnect_delay)

    async def _subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        request = await self._subscription()
        await ws.send_str(orjson.dumps(request).decode())
        async with asyncio.timeout(self.config.request_timeout):
            async for message in ws:
                answer = orjson.loads(message.data)
                if answer.get("id") != request["id"]:
                    continue
                if answer.get("status") != 200:
                    error = answer.get("error", {})
                    raise _Refused(describe(int(error.get("code", 0)), str(error.get("msg", ""))))
                return
        raise aiohttp.ClientConnectionError("closed before the subscription was answered")

    def _read(self, data: str | bytes) -> bool:
        """One frame; one that cannot be read, or whose event cannot be applied, is logged and passed over."""
        try:
            return self._on_message(orjson.loads(data))
        except Exception:
            log.exception("binance_user_stream_bad_event", venue=self.config.name, frame=excerpt(data))
            return True

    def _on_message(self, message: dict[str, Any]) -> bool:
        """Hands executionReports on; False when the stream has ended and the connection should be renewed."""
        self.last_message_at = self.clock()
        event = message.get("event")
        if not isinstance(event, dict):
            return True
        kind = event.get("e")
        if kind == "executionReport":
            self.on_event(event)
        elif kind in ("eventStreamTerminated", "serverShutdown"):
            log.info("binance_user_stream_ended", venue=self.config.name, event=kind)
            return False
        return True
