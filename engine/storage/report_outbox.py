"""The report outbox: each order and execution event a door must deliver is a row written in the batch of the state
it reports, numbered in the order it happened; each door session keeps a cursor, the last event its FIX store
holds. A crash between a commit and a send delays a report, never loses it: at start a door re-sends what follows
its cursor (PossResend=Y, the same ExecIDs, so a counterparty that did get it knows it)."""
from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import orjson
from sqlalchemy import delete, func, select

from engine.ports import Clock
from engine.storage.group_commit import GroupCommit
from engine.storage.tables import ReportCursorRecord, ReportRecord

_REPORTS, _CURSORS = ReportRecord.__table__, ReportCursorRecord.__table__  # type: ignore[attr-defined]


class SqlReportOutbox:
    def __init__(self, commits: GroupCommit, clock: Clock) -> None:
        self.commits = commits
        self.engine = commits.engine
        self.clock = clock
        with self.engine.connect() as connection:
            last = connection.execute(select(func.max(_REPORTS.c.seq))).scalar()
        self._seqs = itertools.count((last or 0) + 1)

    def append(self, topic: str, event: dict[str, Any]) -> int:
        seq = next(self._seqs)
        self.commits.write(_REPORTS, {"seq": seq, "topic": topic, "payload": orjson.dumps(event).decode(),
                                      "at": self.clock()}, ("seq",), update=False)
        return seq

    def last(self) -> int:
        """The newest event's number: where a session that never had a cursor starts."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.max(_REPORTS.c.seq))).scalar() or 0)

    def last_before(self, moment: dt.datetime) -> int:
        """The number of the last event written before ``moment``: a drop copy's catch-up starts after it."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.max(_REPORTS.c.seq)).where(_REPORTS.c.at < moment)).scalar()
                       or 0)

    def cursor(self, consumer: str) -> int | None:
        with self.engine.connect() as connection:
            return connection.execute(select(_CURSORS.c.seq).where(_CURSORS.c.consumer == consumer)).scalar()

    def advance(self, consumer: str, seq: int) -> None:
        self.commits.write(_CURSORS, {"consumer": consumer, "seq": seq}, ("consumer",), update=True)

    def since(self, seq: int, topics: list[str]) -> list[tuple[int, str, dict[str, Any]]]:
        """Events after ``seq`` on ``topics``, oldest first."""
        query = (select(_REPORTS.c.seq, _REPORTS.c.topic, _REPORTS.c.payload)
                 .where(_REPORTS.c.seq > seq, _REPORTS.c.topic.in_(topics)).order_by(_REPORTS.c.seq))
        with self.engine.connect() as connection:
            return [(row.seq, row.topic, {**orjson.loads(row.payload), "seq": row.seq})
                    for row in connection.execute(query)]

    def prune(self, before: dt.datetime) -> int:
        """Forget events older than ``before`` (days after any session could still be missing them)."""
        with self.engine.begin() as connection:
            return connection.execute(delete(_REPORTS).where(_REPORTS.c.at < before)).rowcount
