"""The scheduler's table: one row per run of a job, keyed by the job and the time the run was due
(``engine.jobs.run_key``), so a run is started again after a crash under the same key, and never done twice."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class JobRunRecord(SQLModel, table=True):
    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_due", "job", "due"),)   # a job's latest run, among 1,440 a day

    run_key: str = Field(primary_key=True)
    job: str = Field(index=True)
    due: dt.datetime
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    status: str                       # running, done or failed
    result: str = ""                  # one sentence: what the run did, or why it failed
