"""OHLC bars per tenant group and instrument, at 1s, 1m, 5m, 15m, 1h and 1d, built from the marked-up quotes on
the bus (the bid, as trading platforms chart it; the ask when a quote is one-sided), so a trader's chart shows the
prices they were quoted. Closed bars are stored and published on ``bars.<tenant>.<group>.<symbol>.<interval>``;
``history`` serves them with the bar still open last.

``Backfill`` fills a chart's past from the venue's own bars (``engine.ports.History``) the first time a group asks
for a symbol and interval: the venue is asked once per symbol and interval, each group's copy is marked up as its
live quotes are, and only the periods before this run's first live bar with no bar yet are filled, so the two join
without a gap or a duplicate period.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import structlog

from engine.bus import Bus
from engine.ports import Clock, PastBar

log = structlog.get_logger("engine.bars")

INTERVALS: dict[str, int] = {"1s": 1, "1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86400}
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(slots=True)
class Bar:
    tenant_id: str
    group_id: str
    symbol: str          # as on the topic (topic_symbol)
    interval: str
    start: dt.datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    ticks: int = 1

    def add(self, price: Decimal) -> None:
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.close = price
        self.ticks += 1

    def as_event(self) -> dict[str, Any]:
        return {"interval": self.interval, "start": self.start.isoformat(), "open": str(self.open),
                "high": str(self.high), "low": str(self.low), "close": str(self.close), "ticks": self.ticks}


class BarStore(Protocol):
    def save_bars(self, bars: list[Bar]) -> None: ...
    def bars(self, tenant_id: str, group_id: str, symbol: str, interval: str, limit: int) -> list[Bar]: ...


def period_start(moment: dt.datetime, seconds: int) -> dt.datetime:
    elapsed = int((moment - EPOCH).total_seconds())
    return EPOCH + dt.timedelta(seconds=elapsed - elapsed % seconds)


class BarBuilder:
    def __init__(self, bus: Bus, store: BarStore | None = None, intervals: dict[str, int] = INTERVALS) -> None:
        self.bus = bus
        self.store = store
        self.intervals = intervals
        self.open: dict[tuple[str, str, str, str], Bar] = {}     # (tenant, group, symbol, interval) -> open bar
        self.closed: list[Bar] = []                               # waiting for the next flush
        self.first: dict[tuple[str, str, str, str], dt.datetime] = {}   # this run's first live bar: past ends there
        self.backfill: Backfill | None = None
        self._unsubscribe = bus.subscribe("quotes.#", self.on_quote)

    def on_quote(self, topic: str, event: dict[str, Any]) -> None:
        price_text = event.get("bid") or event.get("ask")
        if price_text is None:
            return   # a stale mark carries no price
        _, tenant, group, symbol = topic.split(".")
        price = Decimal(price_text)
        moment = dt.datetime.fromisoformat(event["time"])
        for interval, seconds in self.intervals.items():
            key = (tenant, group, symbol, interval)
            start = period_start(moment, seconds)
            bar = self.open.get(key)
            if bar is not None and bar.start == start:
                bar.add(price)
                continue
            if bar is not None and start > bar.start:
                self._close(key, bar)
            elif bar is not None:
                continue   # a late quote for a bar already closed: the stored bar stands
            else:
                self.first.setdefault(key, start)
            self.open[key] = Bar(tenant, group, symbol, interval, start, price, price, price, price)

    def roll(self, now: dt.datetime) -> None:
        """Close bars whose period has ended even if no quote came after it (the hub's clock calls this)."""
        for key, bar in list(self.open.items()):
            if bar.start + dt.timedelta(seconds=self.intervals[bar.interval]) <= now:
                self._close(key, bar)
                del self.open[key]

    def flush(self) -> None:
        """Store the bars closed since the last flush, in one transaction."""
        closed, self.closed = self.closed, []
        if closed and self.store is not None:
            self.store.save_bars(closed)

    def history(self, tenant_id: str, group_id: str, symbol: str, interval: str, limit: int = 500) -> list[Bar]:
        stored = self.store.bars(tenant_id, group_id, symbol, interval, limit) if self.store is not None else []
        waiting = [b for b in self.closed if (b.tenant_id, b.group_id, b.symbol, b.interval) ==
                   (tenant_id, group_id, symbol, interval)]
        current = self.open.get((tenant_id, group_id, symbol, interval))
        bars = {bar.start: bar for bar in stored + waiting + ([current] if current else [])}
        return [bars[start] for start in sorted(bars)][-limit:]

    def add_past(self, bars: list[Bar], before: dt.datetime) -> int:
        """Take venue bars for periods with none yet, before this run's first live bar (or ``before``, when no
        quote has come); they are stored with the next flush, never published (they are not news)."""
        if not bars:
            return 0
        tenant, group, symbol, interval = bars[0].tenant_id, bars[0].group_id, bars[0].symbol, bars[0].interval
        end = self.first.get((tenant, group, symbol, interval), before)
        known = {bar.start for bar in self.history(tenant, group, symbol, interval, len(bars) + 1)}
        fresh = [bar for bar in bars if bar.start < end and bar.start not in known]
        self.closed.extend(fresh)
        return len(fresh)

    def close(self) -> None:
        self._unsubscribe()

    def _close(self, key: tuple[str, str, str, str], bar: Bar) -> None:
        self.closed.append(bar)
        tenant, group, symbol, interval = key
        self.bus.publish(f"bars.{tenant}.{group}.{symbol}.{interval}", bar.as_event())


Source = Callable[[str, int, dt.datetime, dt.datetime], Awaitable[list[PastBar]]]   # engine symbol, seconds, [start, end)
Mark = Callable[[str, str, str, Decimal], Decimal]   # tenant, group, engine symbol, venue price -> the group's price


class Backfill:
    """``source`` answers a symbol's venue bars ([] where the venue has no past); ``mark`` prices one as the
    group's quotes are; ``topic`` is the symbol as bars are keyed. ``depth`` bars are asked for."""

    def __init__(self, builder: BarBuilder, source: Source, mark: Mark, topic: Callable[[str], str], clock: Clock,
                 depth: int = 500) -> None:
        self.builder, self.source, self.mark, self.topic, self.clock = builder, source, mark, topic, clock
        self.depth = depth
        self._asked: dict[tuple[str, str], asyncio.Task[tuple[list[PastBar], dt.datetime]]] = {}
        self._filled: set[tuple[str, str, str, str]] = set()
        builder.backfill = self

    async def fill(self, tenant_id: str, group_id: str, symbol: str, interval: str) -> None:
        """Once per group, symbol and interval; the venue is asked once per symbol and interval, in a task of its
        own (a caller that stops waiting leaves it running; a failed ask is asked again next time)."""
        key = (tenant_id, group_id, symbol, interval)
        if key in self._filled:
            return
        task = self._asked.get((symbol, interval))
        if task is None:
            task = self._asked[(symbol, interval)] = asyncio.create_task(self._ask(symbol, interval))
        try:
            past, before = await asyncio.shield(task)
        except Exception:
            log.exception("bars.backfill_failed", symbol=symbol, interval=interval)
            self._asked.pop((symbol, interval), None)
            return
        if key in self._filled:
            return
        self._filled.add(key)
        topic = self.topic(symbol)
        added = self.builder.add_past([self._marked(tenant_id, group_id, symbol, topic, interval, bar)
                                       for bar in past], before)
        log.info("bars.backfilled", tenant=tenant_id, group=group_id, symbol=symbol, interval=interval, bars=added)

    async def _ask(self, symbol: str, interval: str) -> tuple[list[PastBar], dt.datetime]:
        seconds = self.builder.intervals[interval]
        end = period_start(self.clock(), seconds)
        return await self.source(symbol, seconds, end - dt.timedelta(seconds=seconds * self.depth), end), end

    def _marked(self, tenant: str, group: str, symbol: str, topic: str, interval: str, past: PastBar) -> Bar:
        high, low = (self.mark(tenant, group, symbol, price) for price in (past.high, past.low))
        return Bar(tenant, group, topic, interval, past.start, self.mark(tenant, group, symbol, past.open),
                   max(high, low), min(high, low), self.mark(tenant, group, symbol, past.close), past.ticks)
