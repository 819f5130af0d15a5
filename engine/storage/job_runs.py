"""The scheduler's runs in SQL (``job_runs``). A run key is claimed once: a claimed key that is ``done`` is never
claimed again, while one left ``running`` (the hub was killed) or ``failed`` is claimed again under the same key,
so the job does the rest of that run's work rather than a new run's."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from engine.storage.job_tables import JobRunRecord
from engine.storage.types import as_utc
from engine.storage.unit_of_work import UnitOfWork

RUNNING, DONE, FAILED = "running", "done", "failed"


@dataclass(frozen=True, slots=True)
class JobRun:
    run_key: str
    job: str
    due: dt.datetime
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    result: str


class SqlJobRuns:
    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    def claim(self, run_key: str, job: str, due: dt.datetime, now: dt.datetime) -> JobRun | None:
        """Mark the run ``running`` from ``now`` and return it; None when that key is already done."""
        with Session(self.unit.engine) as session:
            row = session.get(JobRunRecord, run_key)
            if row is not None and row.status == DONE:
                return None
            if row is None:
                row = JobRunRecord(run_key=run_key, job=job, due=due, started_at=now, status=RUNNING)
            else:
                row.started_at, row.finished_at, row.status = now, None, RUNNING
            session.add(row)
            session.commit()
            return _run(row)

    def finish(self, run_key: str, status: str, result: str, now: dt.datetime) -> JobRun:
        with Session(self.unit.engine) as session:
            row = session.get(JobRunRecord, run_key)
            if row is None:
                raise LookupError(f"no run {run_key} was claimed")
            row.status, row.result, row.finished_at = status, result, now
            session.add(row)
            session.commit()
            return _run(row)

    def get(self, run_key: str) -> JobRun | None:
        with Session(self.unit.engine) as session:
            row = session.get(JobRunRecord, run_key)
            return None if row is None else _run(row)

    def latest(self, job: str) -> JobRun | None:
        """The run of ``job`` due last (a scheduled or a manual one)."""
        runs = self.runs(job, 1)
        return runs[0] if runs else None

    def runs(self, job: str, limit: int) -> list[JobRun]:
        """Newest due first."""
        statement = (select(JobRunRecord).where(JobRunRecord.job == job)
                     .order_by(col(JobRunRecord.due).desc(), col(JobRunRecord.started_at).desc()).limit(limit))
        with Session(self.unit.engine) as session:
            return [_run(row) for row in session.exec(statement).all()]


def _run(row: JobRunRecord) -> JobRun:
    return JobRun(row.run_key, row.job, as_utc(row.due), as_utc(row.started_at),
                  None if row.finished_at is None else as_utc(row.finished_at), row.status, row.result)
