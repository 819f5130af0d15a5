"""Group commit: a loop turn's rows in one transaction off the event loop, nothing heard of before it is on disk, a
failed block never written, a database that refuses a commit stalls the hub instead of losing or doubling rows."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import sqlalchemy
from sqlmodel import create_engine

from engine.domain.order import OrdStatus, OrdType, Side
from engine.ledger import EntryKind, Ledger, LedgerAccount, wallet
from engine.oms import NewOrder
from engine.ports import utc_now
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.group_commit import GroupCommit
from engine.storage.journal import SqlOrderJournal
from engine.storage.ledger_store import SqlLedgerStore
from tests.stubs import D, hub


def _rows(database: str, query: str) -> list[tuple[object, ...]]:
    engine = make_engine(database)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(sqlalchemy.text(query))]
    engine.dispose()
    return rows


async def test_a_turn_of_orders_and_fills_is_one_commit_and_every_event_follows_its_rows(database: str) -> None:
    upgrade(database)
    commits = GroupCommit(make_engine(database))
    journal = SqlOrderJournal(commits, utc_now)
    h = hub(journal=journal, ledger=Ledger(utc_now, SqlLedgerStore(commits)), commission_per_lot="7")
    seen: list[tuple[str, str, list[tuple[object, ...]]]] = []

    def on_order(topic: str, event: dict[str, str]) -> None:   # what a door would write, against the database
        seen.append((event["order_id"], event["status"],
                     _rows(database, f"SELECT status, filled FROM orders WHERE order_id = '{event['order_id']}'")))

    h.bus.subscribe("orders.#", on_order)
    orders = await asyncio.gather(*(h.oms.submit(NewOrder(f"c{n}", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET,
                                                          D(1))) for n in range(20)))
    await h.oms.settle()
    assert all(order.status is OrdStatus.FILLED for order in orders)
    assert commits.batches <= 4 < commits.rows, "twenty orders and their fills took a handful of commits"
    assert len(seen) == 40   # new and filled, for each
    for order_id, status, rows in seen:
        assert rows, f"{order_id}: the client heard of it before it was on disk"
    filled = [(rows[0][0], D(str(rows[0][1]))) for _, status, rows in seen if status == "FILLED"]
    assert filled == [(OrdStatus.FILLED.value, D(1))] * 20, "a fill is told once its order's new state is stored"
    assert len(_rows(database, "SELECT exec_id FROM executions")) == 20
    assert len(_rows(database, "SELECT entry_id FROM journal_entries WHERE kind = 'commission'")) == 20
    assert [D(str(row[0])) for row in _rows(database, "SELECT quantity FROM positions")] == [D(20)]
    await commits.close()


async def test_a_block_that_fails_writes_nothing_and_releases_nothing(database: str) -> None:
    upgrade(database)
    commits = GroupCommit(make_engine(database))
    ledger = Ledger(utc_now, SqlLedgerStore(commits))
    told: list[str] = []
    try:
        with commits.transaction():
            ledger.transfer(EntryKind.DEPOSIT, "pay-1", LedgerAccount("bank", "cash"), wallet("A"), "USD", D(5))
            commits.after_commit(lambda: told.append("pay-1"))
            raise ValueError("the fill's pipeline failed half way")
    except ValueError:
        ledger.roll_back(0)
    ledger.transfer(EntryKind.DEPOSIT, "pay-2", LedgerAccount("bank", "cash"), wallet("A"), "USD", D(7))
    commits.after_commit(lambda: told.append("pay-2"))
    await commits.durable()
    assert told == ["pay-2"]
    assert _rows(database, "SELECT reference FROM journal_entries") == [("pay-2",)]
    assert sorted(D(str(row[0])) for row in _rows(database, "SELECT amount FROM postings")) == [D(-7), D(7)]
    await commits.close()


async def test_a_batch_written_again_books_nothing_twice(database: str) -> None:
    """A restarted writer may offer rows the database already holds: the same fill, the same ledger entry."""
    upgrade(database)
    first = GroupCommit(make_engine(database))
    h = hub(journal=SqlOrderJournal(first, utc_now))
    order = await h.oms.submit(NewOrder("c1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    fill = h.oms.fills("ACC-1")[0]
    again = GroupCommit(make_engine(database))
    journal = SqlOrderJournal(again, utc_now)
    journal.record_fill(fill)
    journal.record(order)
    await again.durable()
    assert len(_rows(database, "SELECT exec_id FROM executions")) == 1
    assert _rows(database, "SELECT status FROM orders") == [(OrdStatus.FILLED.value,)]
    await first.close()
    await again.close()


async def test_a_database_that_refuses_commits_stalls_the_flow_until_it_takes_them(tmp_path: Path) -> None:
    """SQLite locked by another writer: the batch is retried, nothing is sent or told meanwhile, then all of it is."""
    path = tmp_path / "hub.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    impatient = create_engine(url, connect_args={"timeout": 0.01, "check_same_thread": False})
    commits = GroupCommit(impatient, first_retry=0.01, last_retry=0.05)
    h = hub(journal=SqlOrderJournal(commits, utc_now))
    events: list[str] = []
    h.bus.subscribe("orders.#", lambda topic, event: events.append(event["event"]))
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")   # another process holds the write lock
    submitted = asyncio.create_task(h.oms.submit(NewOrder("c1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET,
                                                          D(1))))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if commits.failing:
            break
    assert commits.failing is not None and "locked" in commits.failing
    await asyncio.sleep(0.1)
    assert h.venues["lp-1"].received == [], "nothing goes to a venue before its order is on disk"
    assert events == [] and not submitted.done()
    blocker.execute("COMMIT")
    blocker.close()
    order = await asyncio.wait_for(submitted, 5)
    await h.oms.settle()
    assert order.status is OrdStatus.FILLED and commits.failing is None
    assert events == ["new", "fill"]
    assert _rows(url, "SELECT status FROM orders") == [(OrdStatus.FILLED.value,)]
    await commits.close()


def test_without_an_event_loop_a_write_commits_at_once(tmp_path: Path) -> None:
    """Tools and scripts (a seed, a migration's data fix) have no loop: each write is its own commit."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)
    ledger = Ledger(utc_now, SqlLedgerStore(GroupCommit(make_engine(url))))
    ledger.transfer(EntryKind.DEPOSIT, "dep-1", LedgerAccount("bank", "cash"), wallet("A"), "USD", D(3))
    assert _rows(url, "SELECT reference FROM journal_entries") == [("dep-1",)]
