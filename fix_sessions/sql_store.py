"""A SQL message store through sqlmodel (SQLite or PostgreSQL), for hubs whose state lives in the database.

Tables ``fix_session_state`` (one row per session: creation time, next sender and target numbers) and
``fix_message`` (one row per sent message). ``save`` writes the message and the sender number in one transaction.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import LargeBinary, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Column, Field, SQLModel, create_engine

from fix_sessions.session_id import SessionID
from fix_sessions.store import SequenceNumbers, utc_now


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


_STATE = FixSessionState.__table__  # type: ignore[attr-defined]
_MESSAGE = FixMessage.__table__  # type: ignore[attr-defined]
_ENGINES: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = create_engine(url)
        SQLModel.metadata.create_all(engine, tables=[_STATE, _MESSAGE], checkfirst=True)
    return engine


class SqlStore(SequenceNumbers):
    def __init__(self, session_id: SessionID, url: str, *, persist_messages: bool = True,
                 now: dt.datetime | None = None) -> None:
        self._engine = _engine(url)
        self._persist = persist_messages
        self._key = {"begin_string": session_id.begin_string, "sender_comp_id": session_id.sender_comp_id,
                     "target_comp_id": session_id.target_comp_id, "qualifier": session_id.qualifier}
        self._state_where = [_STATE.c[k] == v for k, v in self._key.items()]
        self._message_where = [_MESSAGE.c[k] == v for k, v in self._key.items()]
        self._sender = self._target = 1
        self._unwritten: list[tuple[int, bytes]] = []
        self._created = now or utc_now()
        self._load(now)

    def _load(self, now: dt.datetime | None) -> None:
        with self._engine.begin() as connection:
            row = connection.execute(select(_STATE).where(*self._state_where)).mappings().first()
            if row is None:
                created = now or utc_now()
                connection.execute(insert(_STATE).values(**self._key, creation_time=created,
                                                         next_sender_seq_num=1, next_target_seq_num=1))
                self._created, self._sender, self._target = created, 1, 1
            else:
                created = row["creation_time"]
                self._created = created if created.tzinfo else created.replace(tzinfo=dt.timezone.utc)
                self._sender, self._target = row["next_sender_seq_num"], row["next_target_seq_num"]

    def save(self, seq_num: int, raw: bytes) -> None:
        self._unwritten.append((seq_num, raw))
        self._sender = seq_num + 1

    def flush(self) -> None:
        """Every message saved since the last flush, and the sender number, in one transaction."""
        if not self._unwritten:
            return
        rows = [{**self._key, "seq_num": seq, "raw": raw} for seq, raw in self._unwritten]
        with self._engine.begin() as connection:
            if self._persist:
                connection.execute(delete(_MESSAGE).where(
                    *self._message_where, _MESSAGE.c.seq_num.in_([seq for seq, _ in self._unwritten])))
                connection.execute(insert(_MESSAGE), rows)
            connection.execute(update(_STATE).where(*self._state_where).values(next_sender_seq_num=self._sender))
        self._unwritten.clear()

    def get(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        self.flush()
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(_MESSAGE.c.seq_num, _MESSAGE.c.raw)
                .where(*self._message_where, _MESSAGE.c.seq_num >= begin, _MESSAGE.c.seq_num <= end)
                .order_by(_MESSAGE.c.seq_num)
            ).all()
        return [(seq, bytes(raw)) for seq, raw in rows]

    def creation_time(self) -> dt.datetime:
        return self._created

    def reset(self, now: dt.datetime) -> None:
        self._unwritten.clear()
        with self._engine.begin() as connection:
            connection.execute(delete(_MESSAGE).where(*self._message_where))
            connection.execute(update(_STATE).where(*self._state_where).values(
                creation_time=now, next_sender_seq_num=1, next_target_seq_num=1))
        self._created, self._sender, self._target = now, 1, 1

    def refresh(self) -> None:
        self.flush()
        self._load(None)

    def close(self) -> None:
        """Write what is held back; the engine is shared by every session on the URL and closes with the process."""
        self.flush()

    def _numbers_changed(self) -> None:
        self.flush()
        with self._engine.begin() as connection:
            connection.execute(update(_STATE).where(*self._state_where).values(
                next_sender_seq_num=self._sender, next_target_seq_num=self._target))
