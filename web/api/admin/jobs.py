"""/api/admin/jobs: the scheduler's jobs (schedule in words, last run with its result, next run), each job's runs,
"run now", and the accounts' daily statements the ``statements`` job makes.

The jobs run platform-wide (a payout run pays every tenant's IBs, a swaps run charges every tenant's positions), so
listing them, their runs and running one are the platform's: ``jobs.run`` on the platform's target, which only a
super admin holds. A run by hand is audited (who asked, under which run key) before it starts. Statements are an
account's: ``accounts.read`` on it."""
from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from backoffice.jobs.statements import SqlStatements, Statement
from backoffice.office import Conflict, NotFound
from engine.domain.policy import PLATFORM, Action
from engine.jobs import run_key
from engine.scheduler import JobStatus, Scheduler
from engine.storage.job_runs import DONE, JobRun
from web.api.admin.base import Admin
from web.api.errors import ApiError, json_response
from web.api.openapi import AMOUNT, MAYBE_AMOUNT
from web.api.schema import errors, ok, record, ref

NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}


class Jobs:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.statements = SqlStatements(admin.office.unit)

    @property
    def scheduler(self) -> Scheduler:
        scheduler = self.admin.office.scheduler
        if scheduler is None:
            raise RuntimeError("the hub sets office.scheduler when it builds its jobs")
        return scheduler

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/jobs", self.list)
        app.router.add_get("/api/admin/jobs/statements", self.account_statements)
        app.router.add_get("/api/admin/jobs/{name}/runs", self.runs)
        app.router.add_post("/api/admin/jobs/{name}/run", self.run)

    async def list(self, request: web.Request) -> web.Response:
        self.admin.office.require(self.admin.actor(request), Action.JOBS_RUN, PLATFORM)
        return json_response([_job(status) for status in self.scheduler.status()])

    async def runs(self, request: web.Request) -> web.Response:
        self.admin.office.require(self.admin.actor(request), Action.JOBS_RUN, PLATFORM)
        name = self._job(request)
        limit = _limit(request, 50, 500)
        return json_response([_run(run) for run in self.scheduler.store.runs(name, limit)])

    async def run(self, request: web.Request) -> web.Response:
        """Run a job now, outside its schedule; the answer is the run, with its result (or why it failed)."""
        actor = self.admin.actor(request)
        office, scheduler = self.admin.office, self.scheduler
        office.require(actor, Action.JOBS_RUN, PLATFORM)
        name = self._job(request)
        with office.change(actor, Action.JOBS_RUN, PLATFORM, "jobs", name) as change:
            due = office.clock().replace(microsecond=0)
            key = run_key(name, due)
            if scheduler.busy(name):
                raise Conflict("job_running", f"job {name} is running now; its run is listed when it ends")
            done = scheduler.store.get(key)
            if done is not None and done.status == DONE:
                raise Conflict("job_just_ran", f"job {name} ran at {due.isoformat()} already; try again in a second")
            change.after = {"run_key": key, "due": due.isoformat()}
        return json_response(_run(await scheduler.run_now(name, due)))

    async def account_statements(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        account_id = request.query.get("account_id")
        if not account_id:
            raise ApiError(400, "bad_request", "account_id is required")
        target = self.admin.office.policy.account_target(account_id)
        if target is None:
            raise ApiError(403, "forbidden", f"account {account_id} is not within your reach")
        self.admin.office.require(actor, Action.ACCOUNTS_READ, target)
        try:
            since, until = (dt.date.fromisoformat(request.query[name]) if name in request.query else None
                            for name in ("since", "until"))
        except ValueError:
            raise ApiError(400, "bad_request", "since and until are days, such as 2026-12-03") from None
        statements = self.statements.of_account(account_id, since, until, _limit(request, 31, 366))
        return json_response([_statement(s) for s in statements])

    def _job(self, request: web.Request) -> str:
        name = request.match_info["name"]
        if name not in self.scheduler.jobs:
            raise NotFound("unknown_job", f"there is no job {name[:64]!r}; the jobs are "
                                          f"{', '.join(self.scheduler.jobs)}")
        return name

    def paths(self) -> dict[str, Any]:
        limit = {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 500}}
        day = {"type": "string", "format": "date"}
        return {
            "/api/admin/jobs": {"get": {
                "summary": "The scheduler's jobs: schedule, last run with its result, next run (super admin)",
                "responses": {**ok(200, {"type": "array", "items": ref("Job")}, "the jobs"),
                              **errors(401, 403)}}},
            "/api/admin/jobs/{name}/runs": {"get": {
                "summary": "A job's runs, newest first (super admin)", "parameters": [NAME, limit],
                "responses": {**ok(200, {"type": "array", "items": ref("JobRun")}, "the runs"),
                              **errors(400, 401, 403, 404)}}},
            "/api/admin/jobs/{name}/run": {"post": {
                "summary": "Run a job now (super admin); audited", "parameters": [NAME],
                "responses": {**ok(200, ref("JobRun"), "the run: done with its result, or failed with why"),
                              **errors(401, 403, 404, 409, 415)}}},
            "/api/admin/jobs/statements": {"get": {
                "summary": "An account's daily statements, newest day first (accounts.read on the account)",
                "parameters": [
                    {"name": "account_id", "in": "query", "required": True,
                     "schema": {"type": "string", "minLength": 1, "maxLength": 64}},
                    {"name": "since", "in": "query", "required": False, "schema": day},
                    {"name": "until", "in": "query", "required": False, "schema": day},
                    {**limit, "schema": {"type": "integer", "minimum": 1, "maximum": 366}}],
                "responses": {**ok(200, {"type": "array", "items": ref("Statement")}, "the statements"),
                              **errors(400, 401, 403)}}},
        }

    def schemas(self) -> dict[str, Any]:
        time = {"type": "string", "format": "date-time"}
        maybe_time = {"type": ["string", "null"], "format": "date-time"}
        run = record({"run_key": {"type": "string"}, "job": {"type": "string"}, "due": time, "started_at": time,
                      "finished_at": maybe_time, "status": {"enum": ["running", "done", "failed"]},
                      "result": {"type": "string"}})
        fill = record({"exec_id": {"type": "string"}, "order_id": {"type": "string"}, "symbol": {"type": "string"},
                       "side": {"enum": ["buy", "sell"]}, "quantity": AMOUNT, "price": AMOUNT,
                       "commission": AMOUNT, "at": time})
        return {
            "JobRun": run,
            "Job": record({"name": {"type": "string"}, "schedule": {"type": "string"}, "next_run": maybe_time,
                           "running": {"type": "boolean"}, "last_run": {"oneOf": [ref("JobRun"), {"type": "null"}]}}),
            "Statement": record({"account_id": {"type": "string"}, "day": {"type": "string", "format": "date"},
                                 "tenant_id": {"type": "string"}, "currency": {"type": "string"},
                                 "balance": AMOUNT, "equity": MAYBE_AMOUNT, "commission": AMOUNT,
                                 "financing": AMOUNT, "fills": {"type": "array", "items": fill},
                                 "made_at": time}),
        }


def _limit(request: web.Request, default: int, most: int) -> int:
    try:
        limit = int(request.query.get("limit", default))
    except ValueError:
        raise ApiError(400, "bad_request", "limit must be a whole number") from None
    if not 1 <= limit <= most:
        raise ApiError(400, "bad_request", f"limit must be between 1 and {most}")
    return limit


def _run(run: JobRun) -> dict[str, Any]:
    return {"run_key": run.run_key, "job": run.job, "due": run.due.isoformat(),
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None, "status": run.status,
            "result": run.result}


def _job(status: JobStatus) -> dict[str, Any]:
    return {"name": status.name, "schedule": status.schedule,
            "next_run": status.next_due.isoformat() if status.next_due else None, "running": status.running,
            "last_run": _run(status.last) if status.last else None}


def _statement(statement: Statement) -> dict[str, Any]:
    return {"account_id": statement.account_id, "day": statement.day.isoformat(), "tenant_id": statement.tenant_id,
            "currency": statement.currency, "balance": f"{statement.balance:f}",
            "equity": None if statement.equity is None else f"{statement.equity:f}",
            "commission": f"{statement.commission:f}", "financing": f"{statement.financing:f}",
            "fills": statement.fills, "made_at": statement.made_at.isoformat()}
