"""Bars from the marked-up quote stream: OHLC per group and interval, closed on time, stored and served."""
from __future__ import annotations

import datetime as dt

from engine.bars import BarBuilder, period_start
from engine.bus import InProcessBus
from engine.storage.bars import SqlBarStore
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.unit_of_work import UnitOfWork
from tests.stubs import D

T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc)


def publish(bus: InProcessBus, seconds: float, bid: str, group: str = "standard") -> None:
    bus.publish(f"quotes.broker-a.{group}.EUR-USD", {
        "seq": 1, "symbol": "EUR/USD", "stale": False, "bid": bid, "ask": str(D(bid) + D("0.0001")),
        "time": (T0 + dt.timedelta(seconds=seconds)).isoformat()})


def test_bars_are_built_per_group_closed_on_time_and_served_from_the_database(database: str) -> None:
    upgrade(database)
    bus = InProcessBus()
    closed: list[tuple[str, dict]] = []
    bus.subscribe("bars.#", lambda topic, event: closed.append((topic, event)))
    builder = BarBuilder(bus, SqlBarStore(UnitOfWork(make_engine(database))))
    for seconds, bid in ((0, "1.08340"), (20, "1.08360"), (40, "1.08320"), (59.9, "1.08350"), (60, "1.08400")):
        publish(bus, seconds, bid)
    publish(bus, 30, "1.09000", group="vip")
    one_minute = [e for t, e in closed if t == "bars.broker-a.standard.EUR-USD.1m"]
    assert one_minute == [{"interval": "1m", "start": T0.isoformat(), "open": "1.08340", "high": "1.08360",
                           "low": "1.08320", "close": "1.08350", "ticks": 4}]
    builder.roll(T0 + dt.timedelta(minutes=2))          # no quote since: the 10:01 bar closes anyway
    builder.flush()
    assert [b.open for b in builder.history("broker-a", "vip", "EUR-USD", "5m")] == [D("1.09000")]  # still open
    builder.roll(T0 + dt.timedelta(minutes=5))
    builder.flush()
    bars = builder.history("broker-a", "standard", "EUR-USD", "1m")
    assert [(b.start, b.open, b.close) for b in bars] == [(T0, D("1.08340"), D("1.08350")),
                                                          (T0 + dt.timedelta(minutes=1), D("1.08400"), D("1.08400"))]
    reread = BarBuilder(InProcessBus(), SqlBarStore(UnitOfWork(make_engine(database))))
    assert [b.high for b in reread.history("broker-a", "standard", "EUR-USD", "1m")] == [D("1.08360"), D("1.08400")]
    assert [b.open for b in reread.history("broker-a", "vip", "EUR-USD", "5m")] == [D("1.09000")]
    assert len(reread.history("broker-a", "standard", "EUR-USD", "1s")) == 5


def test_periods_start_on_the_boundary_of_their_interval() -> None:
    moment = dt.datetime(2026, 11, 25, 10, 7, 31, 500_000, tzinfo=dt.timezone.utc)
    assert period_start(moment, 300) == dt.datetime(2026, 11, 25, 10, 5, tzinfo=dt.timezone.utc)
    assert period_start(moment, 86400) == dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc)
