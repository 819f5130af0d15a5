"""Group commit: the hot path's rows (orders, fills, positions, ledger entries) are queued as plain rows and written
by one thread, everything one turn of the event loop produced in one transaction. The durable path pays for one
commit per batch, not one per record, and never on the event loop.

The promise stays "journaled before anything is acknowledged or sent": what must wait for the disk waits for its
batch (``await durable()`` before a venue send, ``after_commit`` for every event a client or the drop copy hears
of). A batch that cannot commit (the database is down, the disk is full) is retried with back-off and nothing after
it is released, so the hub stalls rather than tell anyone of a state the database does not hold.

Rows are keyed: a row written twice in one batch (an order changing state three times in one turn) is written
once, as it stands last; a key already in the database is updated (orders, positions) or left as it is (a fill, a
ledger entry: the same key is the same fact), so a batch replayed after a failed commit cannot book anything twice.
"""
from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import structlog
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

log = structlog.get_logger("engine.storage.group_commit")

Row = dict[str, Any]


class Write(NamedTuple):
    table: Table
    row: Row
    key: tuple[str, ...]       # the columns that identify the row
    update: bool               # True: a later state replaces the stored one; False: the first one stands


@dataclass(slots=True)
class _Batch:
    writes: list[Write] = field(default_factory=list)
    after: list[Callable[[], None]] = field(default_factory=list)
    done: asyncio.Future[None] | None = None

    def __bool__(self) -> bool:
        return bool(self.writes or self.after or self.done)


class GroupCommit:
    def __init__(self, engine: Engine, *, first_retry: float = 0.05, last_retry: float = 5.0) -> None:
        self.engine = engine
        self.first_retry, self.last_retry = first_retry, last_retry
        self._batch = _Batch()
        self._in_flight: _Batch | None = None
        self._scheduled = False
        self._depth = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: queue.SimpleQueue[_Batch | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.failing: str | None = None   # why the batch being written does not commit, while it is retried
        self.batches = 0                  # committed so far, with ``rows``: what a benchmark or an operator reads
        self.rows = 0

    # ---------------------------------------------------------------- the writers' side
    def write(self, table: Table, row: Row, key: tuple[str, ...], *, update: bool) -> None:
        self._batch.writes.append(Write(table, row, key, update))
        self._schedule()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once everything written so far has committed: at once when nothing is waiting."""
        if not self._batch and self._in_flight is None and not self._depth:
            callback()
            return
        self._batch.after.append(callback)
        self._schedule()

    async def durable(self) -> None:
        """Return once everything written so far has committed."""
        if self._batch:
            target = self._batch
        elif self._in_flight is not None:
            target = self._in_flight
        else:
            return
        if target.done is None:
            target.done = asyncio.get_running_loop().create_future()
        await asyncio.shield(target.done)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """What is written inside commits with the rest of its batch, or, if the block raises, is never written."""
        writes, after = len(self._batch.writes), len(self._batch.after)
        self._depth += 1
        try:
            yield
        except BaseException:
            del self._batch.writes[writes:]
            del self._batch.after[after:]
            raise
        finally:
            self._depth -= 1
        self._schedule()

    async def close(self) -> None:
        """Commit what is queued, then stop the writer."""
        await self.durable()
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    # ---------------------------------------------------------------- batching
    def _schedule(self) -> None:
        if self._depth or self._scheduled or self._in_flight is not None:
            return   # a transaction is open, a flush is due, or one is being written: its end flushes what follows
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:   # no event loop (a tool, a migration, a synchronous test): commit here and now
            batch, self._batch = self._batch, _Batch()
            self._commit(batch)
            self._release(batch)
            return
        self._scheduled = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        if self._in_flight is not None or not self._batch:
            return
        batch, self._batch = self._batch, _Batch()
        if not batch.writes:
            self._release(batch)
            return
        self._in_flight = batch
        if self._thread is None:
            self._loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._write_batches, name="group-commit", daemon=True)
            self._thread.start()
        self._queue.put(batch)

    def _committed(self, batch: _Batch) -> None:
        self._in_flight = None
        self._release(batch)
        self._flush()   # what came meanwhile is the next batch

    @staticmethod
    def _release(batch: _Batch) -> None:
        for callback in batch.after:
            try:
                callback()
            except Exception:   # one subscriber's failure must not keep the others from hearing
                log.exception("group_commit.after_commit_failed")
        if batch.done is not None and not batch.done.done():
            batch.done.set_result(None)

    # ---------------------------------------------------------------- the writer thread
    def _write_batches(self) -> None:
        while (batch := self._queue.get()) is not None:
            delay = self.first_retry
            while True:
                try:
                    self._commit(batch)
                    break
                except Exception as error:   # the database is down or full: nothing after this batch goes out
                    if self._loop is not None and self._loop.is_closed():
                        return   # the process is ending: nothing of this batch was told to anyone
                    self.failing = f"{type(error).__name__}: {error}"
                    log.error("group_commit.commit_failed", reason=self.failing, rows=len(batch.writes),
                              retry_in=delay)
                    time.sleep(delay)
                    delay = min(delay * 2, self.last_retry)
            if self.failing is not None:
                log.warning("group_commit.recovered", rows=len(batch.writes))
                self.failing = None
            assert self._loop is not None
            try:
                self._loop.call_soon_threadsafe(self._committed, batch)
            except RuntimeError:   # the loop is gone (the process is ending): the rows are on disk all the same
                return

    def _commit(self, batch: _Batch) -> None:
        tables: dict[str, tuple[Write, dict[tuple[Any, ...], Row]]] = {}
        for write in batch.writes:   # tables in the order first written: a ledger entry before its postings
            first, rows = tables.setdefault(write.table.name, (write, {}))
            key = tuple(write.row[column] for column in write.key) if write.key else (len(rows),)
            rows[key] = write.row
        with self.engine.begin() as connection:
            for first, rows in tables.values():
                connection.execute(self._statement(first), list(rows.values()))
        self.batches += 1
        self.rows += len(batch.writes)

    def _statement(self, write: Write) -> Any:
        statement = (postgresql.insert(write.table) if self.engine.dialect.name == "postgresql"
                     else sqlite.insert(write.table))
        if not write.key:
            return statement
        if not write.update:
            return statement.on_conflict_do_nothing(index_elements=list(write.key))
        columns = [column.name for column in write.table.columns if column.name not in write.key]
        return statement.on_conflict_do_update(index_elements=list(write.key),
                                               set_={name: statement.excluded[name] for name in columns})
