"""A SQL message store through sqlmodel (SQLite or PostgreSQL), for hubs whose state lives in the database.

Tables ``fix_session_state`` (one row per session: creation time, next sender and target numbers) and
``fix_message`` (one row per sent message). A change (a saved message, a sequence number, a reset) takes effect in
memory at once and is handed to the database's writer thread: one per URL, which commits what every session
changed since its previous commit in one transaction, so the event loop never waits on the database and, under
load, one commit covers many messages. A saved message and the sender number it implies always go in the same
transaction. ``commit`` returns a future the transport awaits before it lets the bytes of those changes out; reads
(opening a store, a resend) run on the same thread after every change made before them.
"""
from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, LargeBinary, delete, insert, select, update
from sqlmodel import Column, Field, SQLModel, create_engine

from fix_sessions.session_id import SessionID
from fix_sessions.store import SequenceNumbers, StoreError, utc_now

T = TypeVar("T")


class FixSessionState(SQLModel, table=True):
    __tablename__ = "fix_session_state"

    begin_string: str = Field(primary_key=True)
    sender_comp_id: str = Field(primary_key=True)
    target_comp_id: str = Field(primary_key=True)
    qualifier: str = Field(primary_key=True, default="")
    creation_time: dt.datetime
    next_sender_seq_num: int = 1
    next_target_seq_num: int = 1


class FixMessage(SQLModel, table=True):
    __tablename__ = "fix_message"

    begin_string: str = Field(primary_key=True)
    sender_comp_id: str = Field(primary_key=True)
    target_comp_id: str = Field(primary_key=True)
    qualifier: str = Field(primary_key=True, default="")
    seq_num: int = Field(primary_key=True)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


_STATE = SQLModel.metadata.tables["fix_session_state"]
_MESSAGE = SQLModel.metadata.tables["fix_message"]


@dataclass(slots=True)
class _Changes:
    """What one session changed, in the order the database must see it: a reset first, then messages, numbers."""

    version: int
    reset: dt.datetime | None
    messages: list[tuple[int, bytes]]
    sender: int
    target: int


@dataclass(slots=True)
class _Call(Generic[T]):
    """A read on the writer thread; whoever asked waits on ``result``."""

    function: Callable[[Connection], T]
    result: Future[T] = field(default_factory=lambda: _uncancellable(Future()))


def _uncancellable(future: Future[T]) -> Future[T]:
    """Mark the future running, so that an asyncio task cancelled while awaiting it cannot cancel it under the
    writer thread (whose ``set_result`` would then raise)."""
    future.set_running_or_notify_cancel()
    return future


class _Database:
    """The one thread that does a URL's SQL: queued writes of all its sessions in one transaction, then any read,
    in the order asked. All SQL on one thread also keeps an in-memory SQLite database a single database."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url, hide_parameters=True)  # errors are logged: no message bytes in them
        self._queue: queue.SimpleQueue[SqlStore | _Call[Any]] = queue.SimpleQueue()
        threading.Thread(target=self._run, name=f"fix-sql-store {self._engine.url!r}", daemon=True).start()
        self.call(lambda connection: SQLModel.metadata.create_all(connection, tables=[_STATE, _MESSAGE]))

    def schedule(self, store: SqlStore) -> None:
        self._queue.put(store)

    def call(self, function: Callable[[Connection], T]) -> T:
        request = _Call(function)
        self._queue.put(request)
        return request.result.result()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stores: list[SqlStore] = []
            for item in batch:
                if isinstance(item, SqlStore):
                    stores.append(item)
                    continue
                self._commit(stores)
                stores = []
                try:
                    with self._engine.begin() as connection:
                        result = item.function(connection)
                except Exception as error:  # the caller waits on this future: it raises there
                    item.result.set_exception(error)
                else:
                    item.result.set_result(result)
            self._commit(stores)

    def _commit(self, stores: list[SqlStore]) -> None:
        if not stores:
            return
        changes = [store.take_changes() for store in stores]
        try:
            with self._engine.begin() as connection:
                for store, change in zip(stores, changes):
                    store.write(connection, change)
        except Exception as error:  # the database refused or went away: every store keeps its changes for later
            for store, change in zip(stores, changes):
                store.not_written(change, error)
            return
        for store, change in zip(stores, changes):
            store.written(change)


_DATABASES: dict[str, _Database] = {}


class SqlStore(SequenceNumbers):
    def __init__(self, session_id: SessionID, url: str, *, persist_messages: bool = True,
                 now: dt.datetime | None = None) -> None:
        database = _DATABASES.get(url)
        if database is None:
            database = _DATABASES[url] = _Database(url)
        self._database = database
        self._persist = persist_messages
        self._key = {"begin_string": session_id.begin_string, "sender_comp_id": session_id.sender_comp_id,
                     "target_comp_id": session_id.target_comp_id, "qualifier": session_id.qualifier}
        self._state_where = [_STATE.c[k] == v for k, v in self._key.items()]
        self._message_where = [_MESSAGE.c[k] == v for k, v in self._key.items()]
        # The event loop changes, the writer thread takes and confirms; the lock keeps each step whole.
        self._lock = threading.Lock()
        self._sender = self._target = 1
        self._reset: dt.datetime | None = None
        self._unwritten: list[tuple[int, bytes]] = []
        self._version = self._taken = self._written = 0   # changes made, handed to the writer, committed
        self._queued = False
        self._waiters: list[tuple[int, Future[None]]] = []
        self._created = now or utc_now()
        self._load(now)

    def _load(self, now: dt.datetime | None) -> None:
        def load(connection: Connection) -> tuple[dt.datetime, int, int]:
            row = connection.execute(select(_STATE).where(*self._state_where)).mappings().first()
            if row is None:
                created = now or utc_now()
                connection.execute(insert(_STATE).values(**self._key, creation_time=created,
                                                         next_sender_seq_num=1, next_target_seq_num=1))
                return created, 1, 1
            created = row["creation_time"]
            return created, row["next_sender_seq_num"], row["next_target_seq_num"]

        created, sender, target = self._database.call(load)
        self._created = created if created.tzinfo else created.replace(tzinfo=dt.timezone.utc)
        self._sender, self._target = sender, target

    def save(self, seq_num: int, raw: bytes) -> None:
        with self._lock:
            if self._persist:
                self._unwritten.append((seq_num, raw))
            self._sender = seq_num + 1
            self._changed()

    def commit(self) -> Future[None] | None:
        """None once every change is committed, else a future done when it is (or failed, with StoreError)."""
        with self._lock:
            if self._written == self._version:
                return None
            waiter: Future[None] = _uncancellable(Future())
            self._waiters.append((self._version, waiter))
            if not self._queued and self._taken < self._version:  # changes a failed commit handed back
                self._queue_for_writer()
        return waiter

    def flush(self) -> None:
        """Block until every change is committed (opening, resend, close; the transport awaits ``commit``)."""
        waiter = self.commit()
        if waiter is not None:
            waiter.result()

    def get(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        self.flush()
        rows = self._database.call(lambda connection: connection.execute(
            select(_MESSAGE.c.seq_num, _MESSAGE.c.raw)
            .where(*self._message_where, _MESSAGE.c.seq_num >= begin, _MESSAGE.c.seq_num <= end)
            .order_by(_MESSAGE.c.seq_num)
        ).all())
        return [(seq, bytes(raw)) for seq, raw in rows]

    def creation_time(self) -> dt.datetime:
        return self._created

    def reset(self, now: dt.datetime) -> None:
        with self._lock:
            self._reset, self._unwritten = now, []
            self._created, self._sender, self._target = now, 1, 1
            self._changed()

    def refresh(self) -> None:
        self.flush()
        self._load(None)

    def close(self) -> None:
        """Write what is held back; the database is shared by every session on the URL and ends with the process."""
        self.flush()

    def _numbers_changed(self) -> None:
        with self._lock:
            self._changed()

    def _changed(self) -> None:
        """Under the lock: one more change, and the writer told to take it (once, however many come first)."""
        self._version += 1
        if not self._queued:
            self._queue_for_writer()

    def _queue_for_writer(self) -> None:
        self._queued = True
        self._database.schedule(self)

    # ------------------------------------------------------------------ on the writer thread
    def take_changes(self) -> _Changes:
        with self._lock:
            changes = _Changes(self._version, self._reset, self._unwritten, self._sender, self.stored_target())
            self._reset, self._unwritten, self._queued, self._taken = None, [], False, self._version
        return changes

    def write(self, connection: Connection, changes: _Changes) -> None:
        if changes.reset is not None:
            connection.execute(delete(_MESSAGE).where(*self._message_where))
            connection.execute(update(_STATE).where(*self._state_where).values(creation_time=changes.reset))
        if changes.messages:
            connection.execute(delete(_MESSAGE).where(
                *self._message_where, _MESSAGE.c.seq_num.in_([seq for seq, _ in changes.messages])))
            connection.execute(insert(_MESSAGE), [{**self._key, "seq_num": seq, "raw": raw}
                                                  for seq, raw in changes.messages])
        connection.execute(update(_STATE).where(*self._state_where).values(
            next_sender_seq_num=changes.sender, next_target_seq_num=changes.target))

    def written(self, changes: _Changes) -> None:
        with self._lock:
            self._written = max(self._written, changes.version)
            done = [waiter for version, waiter in self._waiters if version <= self._written]
            self._waiters = [(version, waiter) for version, waiter in self._waiters if version > self._written]
        for waiter in done:
            waiter.set_result(None)

    def not_written(self, changes: _Changes, error: Exception) -> None:
        """Put the changes back before any made since (unless a reset since makes them moot) for the next commit;
        whoever waits for them learns now."""
        with self._lock:
            if self._reset is None:
                self._reset, self._unwritten = changes.reset, changes.messages + self._unwritten
            self._taken = self._written
            failed = [waiter for version, waiter in self._waiters if version <= changes.version]
            self._waiters = [(version, waiter) for version, waiter in self._waiters if version > changes.version]
        for waiter in failed:
            waiter.set_exception(StoreError(f"the SQL store could not commit: {error}"))
