"""What the scheduler runs (``engine.scheduler``): a job says when it is next due and does one run. A run has an
id fixed by the job and the time it was due (``run_key``), and a job must make the same run twice do its work
once: a run killed half way and started again pays, books or expires each thing once."""
from __future__ import annotations

import datetime as dt
from typing import Protocol


class Job(Protocol):
    name: str       # unique: "ib_payouts", "statements", "swaps", "gtd_expiry", "scheduled_orders"
    schedule: str   # in words, for the back office: "daily at the rollover, 22:00 UTC"

    def next_due(self, last_due: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        """When the run after the one due at ``last_due`` (None: never run) is due."""
        ...

    async def run(self, run_key: str, due: dt.datetime) -> str:
        """Do the run due at ``due``; return one sentence of what it did (shown in the back office). Raising marks
        the run failed, with the error; the scheduler runs it again."""
        ...


def run_key(job: str, due: dt.datetime) -> str:
    return f"{job}@{due.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
