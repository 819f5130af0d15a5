"""Where each door session stands in the report outbox (``engine.journal.Reports``): the last event handed to it,
so one that comes twice (a bus redelivering after a restart) goes out once, and the last one its FIX store holds
(the cursor), so that at start the door re-sends what a crash kept from going out."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from engine.journal import Reports
from fix_sessions.session_id import SessionID

log = structlog.get_logger("gateway.resume")

POSS_RESEND = [(97, "Y")]   # PossResend: this report may have been sent before; its ExecID tells


class Resume:
    def __init__(self, door: str, reports: Reports | None) -> None:
        self.door = door
        self.reports = reports
        self._put: dict[SessionID, int] = {}   # the last event handed to each session's outbox

    def missed(self, session_id: SessionID, topics: list[str],
               start: int | None = None) -> dict[int, tuple[str, dict[str, Any]]]:
        """What the session's FIX store never got, by number (topic and event). A session met for the first time
        starts after ``start``, or now."""
        if self.reports is None:
            return {}
        consumer = self._consumer(session_id)
        cursor = self.reports.cursor(consumer)
        if cursor is None:
            cursor = self.reports.last() if start is None else start
            self.reports.advance(consumer, cursor)
        self._put[session_id] = cursor
        missed = {seq: (topic, event) for seq, topic, event in self.reports.since(cursor, topics)}
        if missed:
            log.warning("gateway.resume.resending", door=self.door, session=str(session_id), events=len(missed),
                        after=cursor)
        return missed

    def wanted(self, session_id: SessionID, event: dict[str, Any]) -> bool:
        """Whether the session still needs the event (each numbered event goes to a session once)."""
        seq = event.get("seq")
        if seq is None:
            return True
        if seq <= self._put.get(session_id, 0):
            return False
        self._put[session_id] = seq
        return True

    def handed(self, session_id: SessionID) -> int:
        """The number of the last event handed to the session's outbox."""
        return self._put.get(session_id, 0)

    def taken(self, session_id: SessionID, event: dict[str, Any]) -> Callable[[], None] | None:
        """What the outbox calls once the session's store holds the report: the cursor moves past the event."""
        seq = event.get("seq")
        if self.reports is None or seq is None:
            return None
        reports, consumer = self.reports, self._consumer(session_id)
        return lambda: reports.advance(consumer, seq)

    def _consumer(self, session_id: SessionID) -> str:
        return f"{self.door}:{session_id}"
