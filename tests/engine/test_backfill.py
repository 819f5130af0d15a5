"""A chart's past from the venue: asked once per symbol and interval, marked up per group as live quotes are, and
joined with this run's live bars without a gap or a repeated minute."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from engine.bars import Backfill, BarBuilder
from engine.bus import InProcessBus
from engine.ports import PastBar
from engine.storage.bars import SqlBarStore
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.unit_of_work import UnitOfWork
from tests.stubs import D

NOW = dt.datetime(2026, 11, 25, 10, 0, 30, tzinfo=dt.timezone.utc)
MINUTE = dt.timedelta(minutes=1)
MARKUP = {"standard": D("0.0002"), "vip": D("0.0001")}   # taken off the venue's bid, as the group's quotes are


def quote(bus: InProcessBus, at: dt.datetime, bid: str, group: str) -> None:
    bus.publish(f"quotes.broker-a.{group}.EUR-USD", {"seq": 1, "symbol": "EUR/USD", "stale": False, "bid": bid,
                                                     "ask": str(D(bid) + D("0.0001")), "time": at.isoformat()})


class Venue:
    """Answers every minute it is asked about, the current one included (its bar is still open there)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int, dt.datetime, dt.datetime]] = []

    async def past_bars(self, symbol: str, seconds: int, start: dt.datetime, end: dt.datetime) -> list[PastBar]:
        self.asked.append((symbol, seconds, start, end))
        count = int((end - start).total_seconds()) // seconds + 2
        return [PastBar(start + index * dt.timedelta(seconds=seconds), D("1.08000"), D("1.08100"), D("1.07900"),
                        D("1.08050"), 40 + index) for index in range(count)]


async def test_the_past_is_marked_up_per_group_and_joins_the_live_bars_without_gap_or_duplicate() -> None:
    clock = [NOW]
    bus = InProcessBus()
    builder = BarBuilder(bus)
    venue = Venue()
    Backfill(builder, venue.past_bars, lambda tenant, group, symbol, price: price - MARKUP[group],
             lambda symbol: symbol.replace("/", "-"), lambda: clock[0], depth=60)
    for group in MARKUP:   # this run's first live quotes: 10:00:30, 10:01:10
        quote(bus, NOW, "1.08500", group)
        quote(bus, NOW + dt.timedelta(seconds=40), "1.08510", group)
    clock[0] = NOW + dt.timedelta(seconds=50)
    assert builder.backfill is not None
    await builder.backfill.fill("broker-a", "standard", "EUR/USD", "1m")
    await builder.backfill.fill("broker-a", "vip", "EUR/USD", "1m")
    await builder.backfill.fill("broker-a", "vip", "EUR/USD", "1m")   # a second chart of the same: nothing more
    first_live = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc)
    assert venue.asked == [("EUR/USD", 60, dt.datetime(2026, 11, 25, 9, 1, tzinfo=dt.timezone.utc),
                            dt.datetime(2026, 11, 25, 10, 1, tzinfo=dt.timezone.utc))]
    for group, markup in MARKUP.items():
        bars = builder.history("broker-a", group, "EUR-USD", "1m")
        starts = [bar.start for bar in bars]
        assert starts == [first_live - MINUTE * back for back in range(59, -2, -1)]   # 09:01 to 10:01, each once
        past, live = [b for b in bars if b.start < first_live], [b for b in bars if b.start >= first_live]
        assert {(b.open, b.high, b.low, b.close) for b in past} == {
            (D("1.08000") - markup, D("1.08100") - markup, D("1.07900") - markup, D("1.08050") - markup)}
        assert [b.open for b in live] == [D("1.08500"), D("1.08510")]   # the venue's own 10:00 bar did not win
        assert past[0].ticks == 40 and past[-1].ticks == 98


async def test_a_venue_without_a_past_leaves_the_chart_as_it_was_and_a_failed_ask_is_asked_again() -> None:
    bus = InProcessBus()
    builder = BarBuilder(bus)
    calls: list[str] = []

    async def failing(symbol: str, seconds: int, start: dt.datetime, end: dt.datetime) -> list[PastBar]:
        calls.append(symbol)
        if len(calls) == 1:
            raise ConnectionError("venue down")
        return []

    Backfill(builder, failing, lambda tenant, group, symbol, price: price, lambda symbol: symbol, lambda: NOW)
    quote(bus, NOW, "1.08500", "standard")
    assert builder.backfill is not None
    await builder.backfill.fill("broker-a", "standard", "EUR-USD", "1m")
    await builder.backfill.fill("broker-a", "standard", "EUR-USD", "1m")
    assert calls == ["EUR-USD", "EUR-USD"]
    assert [b.open for b in builder.history("broker-a", "standard", "EUR-USD", "1m")] == [D("1.08500")]


async def test_bars_stored_by_an_earlier_run_stand_and_the_past_fills_only_the_minutes_missing(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(database)
    store = SqlBarStore(UnitOfWork(make_engine(database)))
    before = InProcessBus()
    earlier = BarBuilder(before, store)   # an earlier run saw 09:30 to 09:31, then the hub was down
    for minute in (30, 31):
        quote(before, dt.datetime(2026, 11, 25, 9, minute, 10, tzinfo=dt.timezone.utc), "1.09000", "standard")
    earlier.roll(NOW)
    earlier.flush()
    bus = InProcessBus()
    builder = BarBuilder(bus, store)
    Backfill(builder, Venue().past_bars, lambda tenant, group, symbol, price: price, lambda symbol: "EUR-USD",
             lambda: NOW + dt.timedelta(seconds=50), depth=60)
    quote(bus, NOW, "1.08500", "standard")
    assert builder.backfill is not None
    await builder.backfill.fill("broker-a", "standard", "EUR/USD", "1m")
    builder.flush()
    bars = BarBuilder(InProcessBus(), store).history("broker-a", "standard", "EUR-USD", "1m")
    first_live = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc)
    assert [b.start for b in bars] == [first_live - MINUTE * back for back in range(59, 0, -1)]   # 10:00 is open
    assert {b.start.minute for b in bars if b.open == D("1.09000")} == {30, 31}   # the earlier run's bars stood
