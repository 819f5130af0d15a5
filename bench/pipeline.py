"""Orders through the whole hub on one core: OMS, journal, pipeline (validation, throttle, kill switch, risk gate,
spread markup, commission), router, to an in-memory venue that fills them, and back through the after-fill path.

    python bench/pipeline.py [--orders 20000] [--rounds 5] [--journal memory|sqlite|postgresql] [--window 200]

Every round runs in one process on one hub, so the orders, fills and ledger entries of the rounds before stay in
it, as they do in a hub that has run for months: a round that is slower than the one before means something on the
hot path grows with history. Per round and over all of them, two figures: orders per second end to end (submit to
fill booked, ledger and bus included), and the time an order spends inside the hub before the venue has it (from
the door's hand-off, `OMS.submit`, to the adapter's `place`), as median and p99.
Log events below warning are filtered out (writing every info event as JSON is a cost of its own).

``--journal sqlite`` (a fresh file) or ``postgresql`` (a fresh database on DATABASE_URL's server, or the local one)
runs the hub on the durable journal, ledger store and report outbox with group commit, as deployed; ``memory`` is
the in-memory journal. ``--window`` orders are submitted at a time (a door's pipelined client); 1 is one after the
other, which on a durable journal waits for a commit per order.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy  # noqa: E402
import structlog  # noqa: E402

from engine.domain.order import OrdType, Side  # noqa: E402
from engine.ledger import Ledger  # noqa: E402
from engine.oms import NewOrder  # noqa: E402
from engine.ports import VenueOrder, utc_now  # noqa: E402
from engine.storage.cli import upgrade  # noqa: E402
from engine.storage.database import make_engine  # noqa: E402
from engine.storage.group_commit import GroupCommit  # noqa: E402
from engine.storage.journal import SqlOrderJournal  # noqa: E402
from engine.storage.ledger_store import SqlLedgerStore  # noqa: E402
from engine.storage.report_outbox import SqlReportOutbox  # noqa: E402
from tests.stubs import D, hub  # noqa: E402


class Unrecorded(list[tuple[str, dict[str, Any]]]):
    """In place of the test hub's record of every bus event (kept there for assertions): a live hub's subscribers
    consume its events, so a bench that kept them all would measure its own memory, not the hub's."""

    def append(self, event: tuple[str, dict[str, Any]]) -> None:
        return None


class FullCollections:
    """Time the garbage collector spends in full collections, whose cost grows with every object kept alive."""

    def __init__(self) -> None:
        self.count, self.seconds, self._started = 0, 0.0, 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count, self.seconds = self.count + 1, self.seconds + time.perf_counter() - self._started

    def reset(self) -> None:
        self.count, self.seconds = 0, 0.0


def p99(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def durable(url: str) -> dict[str, Any]:
    """The journal, ledger store and report outbox on a fresh database, sharing one group commit."""
    upgrade(url)
    commits = GroupCommit(make_engine(url))
    return {"journal": SqlOrderJournal(commits, utc_now), "ledger": Ledger(utc_now, SqlLedgerStore(commits)),
            "reports": SqlReportOutbox(commits, utc_now)}


def fresh_database(kind: str, work: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{work / 'pipeline.db'}"
    server = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    engine = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


async def run(count: int, rounds: int, window: int, parts: dict[str, Any]) -> list[tuple[float, list[float]]]:
    """``rounds`` rounds of ``count`` orders on one hub; per round, orders/s and each order's time inside the hub."""
    h = hub(markup_points="0.00003", commission_per_lot="7", throttle=10**9, deposit="1000000000", **parts)
    venue = h.venues["lp-1"]
    handed: dict[str, float] = {}
    inside: list[float] = []
    place = venue.place

    async def timed_place(order: VenueOrder) -> None:
        inside.append(time.perf_counter() - handed.pop(order.order_id))
        await place(order)

    venue.place = timed_place  # type: ignore[method-assign]
    h.events = Unrecorded()
    sides = (Side.BUY, Side.SELL)
    results: list[tuple[float, list[float]]] = []
    collections = FullCollections()
    for round_number in range(rounds):
        inside.clear()
        collections.reset()
        first = round_number * count
        start = time.perf_counter()
        for batch in range(first, first + count, window):
            submits = []
            for number in range(batch, min(batch + window, first + count)):
                request = NewOrder(f"c{number}", "ACC-1", "EUR/USD", sides[number % 2], OrdType.MARKET, D("0.01"))
                handed[f"O{number + 1}"] = time.perf_counter()
                submits.append(h.oms.submit(request))
            await asyncio.gather(*submits)
        await h.oms.settle()   # the last batch on disk
        elapsed = time.perf_counter() - start
        mine = [h.oms.orders[f"O{number + 1}"] for number in range(first, first + count)]
        assert all(o.filled == o.quantity for o in mine), "every order should have filled"
        results.append((count / elapsed, sorted(inside)))
        rate, latencies = results[-1]
        print(f"round {round_number + 1}: {rate:,.0f} orders/s  inside the hub p50 "
              f"{statistics.median(latencies) * 1e6:.1f} µs p99 {p99(latencies) * 1e6:.1f} µs  "
              f"(full GC {collections.count}x {collections.seconds:.2f} s; {len(gc.get_objects()):,} objects tracked "
              f"after it)", flush=True)
    return results


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--orders", type=int, default=20000)
    options.add_argument("--rounds", type=int, default=5)
    options.add_argument("--journal", choices=["memory", "sqlite", "postgresql"], default="memory")
    options.add_argument("--window", type=int, default=1, help="orders submitted at a time")
    args = options.parse_args()
    # State changes are logged at info; here they are filtered out, as the figures say.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
                        cache_logger_on_first_use=True)
    print(f"# python bench/pipeline.py --orders {args.orders} --rounds {args.rounds} --journal {args.journal} "
          f"--window {args.window} (one hub, history kept)")
    with tempfile.TemporaryDirectory() as work:
        url = None if args.journal == "memory" else fresh_database(args.journal, Path(work))
        parts = durable(url) if url else {}
        results = asyncio.run(run(args.orders, args.rounds, args.window, parts))
        if url and args.journal == "postgresql":
            parts["journal"].engine.dispose()
            server, name = url.rsplit("/", 1)
            engine = sqlalchemy.create_engine(server + "/postgres", isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text(f"DROP DATABASE {name} WITH (FORCE)"))
            engine.dispose()
    rates = [rate for rate, _ in results]
    latencies = sorted(latency for _, inside in results for latency in inside)
    overall = len(results) * args.orders / sum(args.orders / rate for rate in rates)
    print(f"overall: {overall:,.0f} orders/s end to end (median round {statistics.median(rates):,.0f}, last/first "
          f"{rates[-1] / rates[0]:.2f}); inside the hub p50 {statistics.median(latencies) * 1e6:.1f} µs, "
          f"p99 {p99(latencies) * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
