"""Binance's REST API as rest-api.md describes it: HMAC-SHA256 signed query strings with timestamp and recvWindow,
the X-MBX-APIKEY header, request weight read from X-MBX-USED-WEIGHT-1M, back-off on 429 and a full stop on 418."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson
import structlog
from yarl import URL

from adapters.binance.config import BinanceConfig
from adapters.binance.errors import (
    STATUS_UNKNOWN,
    BinanceError,
    StatusUnknown,
    brief,
    describe,
)
from engine.ports import Clock, VenueDown

log = structlog.get_logger("adapters.binance")

Params = list[tuple[str, str]]


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class _RateLimited(Exception):
    pass


class _ClockSkew(Exception):
    pass


class RestClient:
    """One aiohttp session (its pool reconnects by itself); every call passes the ban and back-off gate first.
    Request timestamps and the request-weight minute come from ``clock``; waits are timed on the monotonic clock."""

    def __init__(self, config: BinanceConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.latency_ms: float | None = None
        self.weight_limit: int | None = None
        self.used_weight = 0
        self.banned_until = 0.0           # time.monotonic() values
        self._backoff_until = 0.0
        self._weight_minute = 0
        self._offset_ms = 0
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.request_timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def banned(self) -> bool:
        return self.banned_until > time.monotonic()

    def timestamp(self) -> int:
        """Milliseconds on Binance's clock, as far as the last time sync tells."""
        return int(self._now() * 1000) + self._offset_ms

    async def sync_time(self) -> None:
        before = self._now() * 1000
        answer = await self.public("GET", "/api/v3/time")
        self._offset_ms = int(answer["serverTime"] - (before + self._now() * 1000) / 2)

    def _now(self) -> float:
        return self.clock().timestamp()

    async def public(self, method: str, path: str, params: Params | None = None, weight: int = 1) -> Any:
        return await self._call(method, path, params or [], weight, signed=False)

    async def signed(self, method: str, path: str, params: Params, weight: int = 1) -> Any:
        return await self._call(method, path, params, weight, signed=True)

    async def _call(self, method: str, path: str, params: Params, weight: int, signed: bool) -> Any:
        resynced = False
        while True:
            await self._gate(weight)
            query = urlencode(params)
            if signed:
                query = "&".join(filter(None, (query, f"timestamp={self.timestamp()}",
                                               f"recvWindow={self.config.recv_window_ms}")))
                query += "&signature=" + sign(self.config.api_secret, query)
            try:
                return await self._send(method, path, query, signed)
            except _RateLimited:
                continue          # the gate now waits out Retry-After, or raises VenueDown if that is long
            except _ClockSkew:
                if resynced:
                    raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.") from None
                resynced = True
                await self.sync_time()

    async def _gate(self, weight: int) -> None:
        now = time.monotonic()
        if self.banned_until > now:
            raise VenueDown(f"{self.config.name}: IP banned by Binance for another {self.banned_until - now:.0f} s")
        wait = self._backoff_until - now
        moment = self._now()
        if int(moment // 60) != self._weight_minute:
            self._weight_minute, self.used_weight = int(moment // 60), 0
        if self.weight_limit and self.used_weight + weight > self.weight_limit * self.config.weight_headroom:
            wait = max(wait, 60 - moment % 60)
        if wait > self.config.max_backoff_wait:
            raise VenueDown(f"{self.config.name}: rate limited by Binance for another {wait:.1f} s")
        if wait > 0:
            await asyncio.sleep(wait)

    async def _send(self, method: str, path: str, query: str, signed: bool) -> Any:
        url = URL(f"{self.config.rest_url}{path}" + (f"?{query}" if query else ""), encoded=True)
        headers = {"X-MBX-APIKEY": self.config.api_key} if signed else {}
        started = time.monotonic()
        try:
            async with self.session.request(method, url, headers=headers) as response:
                body, status, answer_headers = await response.read(), response.status, response.headers
        except aiohttp.ClientConnectorError as error:
            raise VenueDown(f"{self.config.name}: cannot reach {self.config.rest_url}: {brief(error)}") from error
        except (TimeoutError, aiohttp.ClientError) as error:
            if method == "GET":
                raise VenueDown(f"{self.config.name}: {path} failed: {brief(error)}") from error
            raise StatusUnknown(f"{method} {path}: the answer was lost ({brief(error)})") from error
        elapsed = (time.monotonic() - started) * 1000
        self.latency_ms = elapsed if self.latency_ms is None else 0.8 * self.latency_ms + 0.2 * elapsed
        if "X-MBX-USED-WEIGHT-1M" in answer_headers:
            self.used_weight = int(answer_headers["X-MBX-USED-WEIGHT-1M"])
            self._weight_minute = int(self._now() // 60)
        if status in (418, 429):
            retry_after = float(answer_headers.get("Retry-After", "1"))
            if status == 418:
                self.banned_until = time.monotonic() + retry_after
                log.warning("binance_ip_banned", venue=self.config.name, retry_after=retry_after)
                raise VenueDown(f"{self.config.name}: IP banned by Binance for {retry_after:.0f} s")
            self._backoff_until = time.monotonic() + retry_after
            log.warning("binance_rate_limited", venue=self.config.name, retry_after=retry_after, path=path)
            raise _RateLimited()
        try:
            data = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            data = None
        if status >= 500:
            raise StatusUnknown(f"{method} {path}: HTTP {status} from Binance, execution status unknown")
        if isinstance(data, dict) and "code" in data and status >= 400:
            code, msg = int(data["code"]), str(data.get("msg", ""))
            if code in STATUS_UNKNOWN:
                raise StatusUnknown(describe(code, msg))
            if code == -1021:
                raise _ClockSkew()
            raise BinanceError(code, msg, status, data.get("data"))
        if status >= 400:
            raise BinanceError(0, f"HTTP {status} from Binance", status)
        return data
