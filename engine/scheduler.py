"""The hub's one scheduler (the brief's cron server): on each tick of the hub's clock it runs every job whose next run
is due, one run at a time per job, and records each run in ``job_runs`` (``engine.storage.job_runs``).

What survives a crash: a run is claimed (``running``) before the job starts and marked ``done`` once it returned, so
a run found ``running`` at start (the hub was killed during it) or ``failed`` is run again under the same run key,
and the job, idempotent per key, does only what the first try left undone. A ``done`` key is never run again.
Runs missed while the hub was down are not run once each: the latest one due is run, and its result says how many
were folded into it. A failed run is tried again after 1, 2, 4... seconds (at most five minutes), before any later
run of that job.

Runs happen inside the hub's tick, one after another: a long run delays the hub's next tick (expiry, margin watch)
by its length, which the jobs here keep short."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from engine.jobs import Job, run_key
from engine.ports import Clock
from engine.storage.job_runs import DONE, FAILED, JobRun, SqlJobRuns

log = structlog.get_logger("engine.scheduler")

NEVER = dt.datetime.max.replace(tzinfo=dt.timezone.utc)   # a job with nothing to do is due then: no next run
MOST_FOLDED = 100_000          # missed runs counted through at most; a job due every second is still cheap here
LONGEST_RETRY = dt.timedelta(minutes=5)


class JobBusy(Exception):
    """The job is running now: a second run would overlap the first."""


@dataclass(frozen=True, slots=True)
class JobStatus:
    """One job as the back office lists it."""

    name: str
    schedule: str        # in words: "daily at the rollover, 22:00 UTC"
    last: JobRun | None
    next_due: dt.datetime | None   # None: nothing to do until something is added (a scheduled order)
    running: bool


@dataclass(frozen=True, slots=True)
class _Planned:
    due: dt.datetime
    key: str
    note: str             # what the result adds: runs folded into this one, or that it is a run taken up again


class Scheduler:
    def __init__(self, jobs: Sequence[Job], store: SqlJobRuns, clock: Clock) -> None:
        self.jobs = {job.name: job for job in jobs}
        if len(self.jobs) != len(jobs):
            raise ValueError(f"job names must be unique: {[job.name for job in jobs]}")
        self.store = store
        self.clock = clock
        self._last_due: dict[str, dt.datetime | None] = {}
        self._again: dict[str, _Planned] = {}      # a run to do again: found running at start, or failed
        self._retry_at: dict[str, dt.datetime] = {}
        self._failures: dict[str, int] = {}
        self._running: set[str] = set()
        for name in self.jobs:
            latest = store.latest(name)
            self._last_due[name] = None if latest is None else latest.due
            if latest is not None and latest.status != DONE:
                why = "the hub stopped during it" if latest.status != FAILED else "it failed"
                self._again[name] = _Planned(latest.due, latest.run_key, f"run again under its key: {why}")
                log.warning("scheduler.run_again", job=name, run_key=latest.run_key, status=latest.status)

    async def tick(self) -> None:
        """Run, one after another, every job that is due. A failing store is logged, never raised: the hub's clock
        must keep ticking."""
        for name, job in self.jobs.items():
            if name in self._running:
                continue
            try:
                planned = self._plan(job, self.clock())
                if planned is not None:
                    await self._run(job, planned)
            except Exception:
                log.exception("scheduler.tick_failed", job=name)

    async def run_now(self, name: str, due: dt.datetime | None = None) -> JobRun:
        """Run ``name`` outside its schedule (the back office's "run now"), due ``due`` (default: now, to the
        second), under its own key. ``JobBusy`` if it is running; ``KeyError`` if there is no such job."""
        job = self.jobs[name]
        if name in self._running:
            raise JobBusy(f"job {name} is running now")
        due = due or self.clock().replace(microsecond=0)
        planned = _Planned(due, run_key(name, due), "run by hand")
        await self._run(job, planned)
        run = self.store.get(planned.key)
        assert run is not None, "a run is claimed before it starts"
        return run

    def busy(self, name: str) -> bool:
        return name in self._running

    def status(self) -> list[JobStatus]:
        now = self.clock()
        out = []
        for name, job in self.jobs.items():
            again = self._again.get(name)
            next_due = max(again.due, self._retry_at.get(name, again.due)) if again is not None \
                else job.next_due(self._last_due[name], now)
            out.append(JobStatus(name, job.schedule, self.store.latest(name), None if next_due >= NEVER else next_due,
                                 name in self._running))
        return out

    def _plan(self, job: Job, now: dt.datetime) -> _Planned | None:
        again = self._again.get(job.name)
        if again is not None:
            return again if now >= self._retry_at.get(job.name, again.due) else None
        due = job.next_due(self._last_due[job.name], now)
        if due > now:
            return None
        missed = 0
        while missed < MOST_FOLDED:
            following = job.next_due(due, now)
            if following > now or following <= due:
                break
            due, missed = following, missed + 1
        note = "" if not missed else f"{missed} earlier run{'s' if missed > 1 else ''}, missed while the hub " \
                                     f"was down or busy, folded into this one"
        return _Planned(due, run_key(job.name, due), note)

    async def _run(self, job: Job, planned: _Planned) -> None:
        name = job.name
        self._running.add(name)
        try:
            claimed = self.store.claim(planned.key, name, planned.due, self.clock())
            if claimed is None:   # done already (a run by hand in the same second)
                self._done(name, planned)
                return
            log.info("job.started", job=name, run_key=planned.key, due=planned.due.isoformat(), note=planned.note)
            try:
                result = await job.run(planned.key, planned.due)
            except Exception as error:
                failures = self._failures.get(name, 0) + 1
                self._failures[name] = failures
                retry_at = self.clock() + min(dt.timedelta(seconds=2 ** (failures - 1)), LONGEST_RETRY)
                self._again.setdefault(name, _Planned(planned.due, planned.key, "run again under its key: it failed"))
                self._retry_at[name] = retry_at
                self.store.finish(planned.key, FAILED, f"{type(error).__name__}: {error}"[:500], self.clock())
                log.exception("job.failed", job=name, run_key=planned.key, retry_at=retry_at.isoformat())
                return
            if planned.note:
                result = f"{result} ({planned.note})"
            self.store.finish(planned.key, DONE, result, self.clock())
            self._done(name, planned)
            log.info("job.done", job=name, run_key=planned.key, result=result)
        finally:
            self._running.discard(name)

    def _done(self, name: str, planned: _Planned) -> None:
        last = self._last_due[name]
        self._last_due[name] = planned.due if last is None else max(last, planned.due)
        again = self._again.get(name)
        if again is not None and again.key == planned.key:
            del self._again[name]
            self._retry_at.pop(name, None)
            self._failures.pop(name, None)
