"""Binance market data (web-socket-streams.md): `<symbol>@bookTicker` becomes our Quote, and `<symbol>@depth@100ms`
keeps a local book by the documented procedure: buffer the diffs, fetch a GET /api/v3/depth snapshot, drop what the
snapshot already holds, apply the rest in U/u order, and start over on a gap."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import orjson
import structlog

from adapters.binance.config import BinanceConfig
from adapters.binance.errors import brief
from adapters.binance.instruments import Instruments
from adapters.binance.rest import RestClient
from adapters.contained import excerpt
from engine.ports import Clock, Quote, VenueDown

log = structlog.get_logger("adapters.binance")


def _levels(rows: list[list[str]]) -> dict[Decimal, Decimal]:
    return {Decimal(price): Decimal(qty) for price, qty in rows}


class DepthBook:
    """One symbol's local book, sans-IO: feed it diff events and snapshots; it says when it needs a snapshot."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.update_id: int | None = None       # None: not synced, diffs are being buffered
        self.resyncs = 0
        self._buffer: list[dict[str, Any]] = []

    @property
    def synced(self) -> bool:
        return self.update_id is not None

    def reset(self) -> None:
        self.bids, self.asks, self.update_id, self._buffer = {}, {}, None, []

    def on_diff(self, event: dict[str, Any]) -> bool:
        """Apply or buffer one depthUpdate; True when the book must (re)load a snapshot."""
        if self.update_id is None:
            self._buffer.append(event)
            return len(self._buffer) == 1
        if event["u"] < self.update_id:
            return False
        if event["U"] > self.update_id + 1:
            log.warning("binance_depth_gap", symbol=self.symbol, expected=self.update_id + 1, got=event["U"])
            self.reset()
            self.resyncs += 1
            self._buffer.append(event)
            return True
        self._apply(event)
        return False

    def on_snapshot(self, snapshot: dict[str, Any]) -> bool:
        """Load a GET /api/v3/depth answer; False when it is older than the first buffered diff (fetch again)."""
        last = snapshot["lastUpdateId"]
        if self._buffer and last < self._buffer[0]["U"]:
            return False
        self.bids, self.asks, self.update_id = _levels(snapshot["bids"]), _levels(snapshot["asks"]), last
        buffered, self._buffer = self._buffer, []
        for event in buffered:
            if event["u"] <= last:
                continue
            if event["U"] > self.update_id + 1:
                self.reset()
                self._buffer = [event]
                return False
            self._apply(event)
        return True

    def _apply(self, event: dict[str, Any]) -> None:
        for side, rows in ((self.bids, event["b"]), (self.asks, event["a"])):
            for price, qty in _levels(rows).items():
                if qty:
                    side[price] = qty
                else:
                    side.pop(price, None)
        self.update_id = event["u"]

    def top(self, levels: int = 10) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        bids = sorted(self.bids.items(), reverse=True)[:levels]
        asks = sorted(self.asks.items())[:levels]
        return bids, asks


class MarketData:
    """One combined-stream connection for all subscribed symbols; reconnects, resubscribes and resyncs by itself."""

    def __init__(self, config: BinanceConfig, rest: RestClient, instruments: Callable[[], Instruments],
                 publish: Callable[[Quote], None], clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.rest = rest
        self.instruments = instruments
        self.publish = publish
        self.quotes: dict[str, Quote] = {}
        self.books: dict[str, DepthBook] = {}           # by Binance symbol
        self.last_message_at: dt.datetime | None = None
        self.connected = False
        self._symbols: list[str] = []                    # Binance symbols, in subscription order
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None
        self._resyncing: dict[str, asyncio.Task[None]] = {}
        self._ids = itertools.count(1)

    @staticmethod
    def streams(venue_symbol: str) -> list[str]:
        lower = venue_symbol.lower()
        return [f"{lower}@bookTicker", f"{lower}@depth@100ms"]

    async def subscribe(self, venue_symbols: list[str]) -> None:
        new = [s for s in dict.fromkeys(venue_symbols) if s not in self._symbols]
        if not new:
            return
        self._symbols.extend(new)
        for symbol in new:
            self.books[symbol] = DepthBook(symbol)
        if self._ws is not None and not self._ws.closed:
            params = [name for symbol in new for name in self.streams(symbol)]
            await self._ws.send_str(orjson.dumps({"method": "SUBSCRIBE", "params": params, "id": next(self._ids)}).decode())
        elif self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"{self.config.name}-market-data")

    async def close(self) -> None:
        tasks = [t for t in (self._task, *self._resyncing.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        self.connected = False

    def quote(self, symbol: str) -> Quote | None:
        quote = self.quotes.get(symbol)
        if quote is None or (self.clock() - quote.received_at).total_seconds() > self.config.quote_stale_after:
            return None
        return quote

    async def _run(self) -> None:
        delay = self.config.reconnect_delay
        while True:
            names = "/".join(name for symbol in self._symbols for name in self.streams(symbol))
            try:
                async with self.rest.session.ws_connect(f"{self.config.stream_url}/stream?streams={names}",
                                                        autoping=True) as ws:
                    self._ws, self.connected, delay = ws, True, self.config.reconnect_delay
                    log.info("binance_market_data_connected", venue=self.config.name, symbols=self._symbols)
                    for book in self.books.values():
                        book.reset()        # what happened while we were away is unknown: resync each book
                    async for message in ws:
                        if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                            self._read(message.data)
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                log.warning("binance_market_data_failed", venue=self.config.name, error=brief(error))
            self._ws, self.connected = None, False
            log.info("binance_market_data_disconnected", venue=self.config.name, retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.max_reconnect_delay)

    def _read(self, data: str | bytes) -> None:
        """One frame; one that cannot be read or applied is logged and passed over: the stream goes on."""
        try:
            self._on_message(orjson.loads(data))
        except Exception:
            log.exception("binance_market_data_bad_event", venue=self.config.name, frame=excerpt(data))

    def _on_message(self, message: dict[str, Any]) -> None:
        self.last_message_at = self.clock()
        data = message.get("data")
        if not isinstance(data, dict):
            return          # answers to SUBSCRIBE carry "result" and "id", nothing to do
        if data.get("e") == "depthUpdate":
            book = self.books.get(data["s"])
            if book is not None and book.on_diff(data):
                self._resync(book)
        elif data.get("e") == "serverShutdown" and self._ws is not None:
            asyncio.ensure_future(self._ws.close())
        elif "b" in data and "a" in data and "s" in data:
            self._on_book_ticker(data)

    def _on_book_ticker(self, data: dict[str, Any]) -> None:
        rules = self.instruments().by_venue(data["s"])
        if rules is None:
            return
        quote = Quote(self.config.name, rules.symbol, bid=Decimal(data["b"]) or None, ask=Decimal(data["a"]) or None,
                      bid_size=Decimal(data["B"]), ask_size=Decimal(data["A"]), received_at=self.clock())
        self.quotes[rules.symbol] = quote
        self.publish(quote)

    def _resync(self, book: DepthBook) -> None:
        if book.symbol not in self._resyncing or self._resyncing[book.symbol].done():
            self._resyncing[book.symbol] = asyncio.create_task(self._load_snapshot(book))

    async def _load_snapshot(self, book: DepthBook) -> None:
        weight = 5 if self.config.depth_limit <= 100 else 25 if self.config.depth_limit <= 500 else 50
        while not book.synced:
            started = time.monotonic()
            try:
                snapshot = await self.rest.public("GET", "/api/v3/depth", [
                    ("symbol", book.symbol), ("limit", str(self.config.depth_limit))], weight=weight)
            except VenueDown as error:
                log.warning("binance_depth_snapshot_failed", symbol=book.symbol, error=str(error))
                await asyncio.sleep(self.config.reconnect_delay)
                continue
            if book.on_snapshot(snapshot):
                log.info("binance_depth_synced", symbol=book.symbol, update_id=book.update_id)
                return
            await asyncio.sleep(max(0.0, 0.1 - (time.monotonic() - started)))
