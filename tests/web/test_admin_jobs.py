"""The back office's jobs page through the running demo: the super admin sees every job with its schedule, last run
and next run, runs one now (audited), and reads its runs; a trader reads its own account's statements; nobody
else reaches either."""
from __future__ import annotations

from tests.web.conftest import Terminal

JOBS = {"ib_payouts", "swaps", "statements", "gtd_expiry", "scheduled_orders"}


async def test_the_super_admin_lists_the_jobs_runs_one_now_and_the_audit_log_names_it(terminal: Terminal) -> None:
    admin = await terminal.session("superadmin")
    async with admin.get("/api/admin/jobs") as answer:
        assert answer.status == 200
        jobs = {job["name"]: job for job in await answer.json()}
    assert set(jobs) == JOBS
    assert jobs["swaps"]["schedule"] == "daily at the rollover, 22:00 UTC"
    assert jobs["swaps"]["next_run"].endswith("T22:00:00+00:00") and jobs["swaps"]["running"] is False
    assert jobs["scheduled_orders"]["next_run"] is None, "nothing scheduled: no next run"

    async with admin.post("/api/admin/jobs/gtd_expiry/run") as answer:
        assert answer.status == 200, await answer.text()
        run = await answer.json()
    assert run["status"] == "done" and run["run_key"].startswith("gtd_expiry@")
    assert run["result"].startswith("0 overdue orders sent to expire")

    async with admin.get("/api/admin/jobs/gtd_expiry/runs") as answer:
        assert answer.status == 200
        assert [r["run_key"] for r in await answer.json()][0] == run["run_key"]
    async with admin.get("/api/admin/jobs") as answer:
        listed = {job["name"]: job for job in await answer.json()}
    assert listed["gtd_expiry"]["last_run"] == run

    async with admin.get("/api/admin/audit", params={"resource": "jobs"}) as answer:
        [entry] = await answer.json()
    assert (entry["actor"], entry["action"], entry["resource_id"]) == ("superadmin", "jobs.run", "gtd_expiry")
    assert entry["after"]["run_key"] == run["run_key"]

    async with admin.post("/api/admin/jobs/coffee/run") as answer:
        assert answer.status == 404
        assert (await answer.json())["code"] == "unknown_job"
    await admin.close()


async def test_jobs_are_the_platforms_a_broker_and_a_trader_are_refused_with_a_reason(terminal: Terminal) -> None:
    for login in ("broker", "alice"):
        client = await terminal.session(login)
        for method, path in (("GET", "/api/admin/jobs"), ("GET", "/api/admin/jobs/swaps/runs"),
                             ("POST", "/api/admin/jobs/swaps/run")):
            async with client.request(method, path) as answer:
                assert answer.status == 403, (login, path)
                refusal = await answer.json()
                assert refusal["code"] == "forbidden" and refusal["reason"]
        await client.close()
    admin = await terminal.session("superadmin")
    async with admin.get("/api/admin/jobs/swaps/runs") as answer:
        assert await answer.json() == [], "the refused run never ran"
    await admin.close()


async def test_a_trader_reads_its_own_statements_and_no_one_elses(terminal: Terminal) -> None:
    admin = await terminal.session("superadmin")
    async with admin.post("/api/admin/jobs/statements/run") as answer:
        run = await answer.json()
    assert run["status"] == "done" and " made" in run["result"]
    await admin.close()

    alice = await terminal.session("alice")
    async with alice.get("/api/admin/jobs/statements", params={"account_id": "ALICE-USD"}) as answer:
        assert answer.status == 200
        [statement] = await answer.json()
    assert statement["account_id"] == "ALICE-USD" and statement["currency"] == "USD"
    assert statement["balance"] == "100000" and statement["fills"] == [] and statement["financing"] == "0"
    async with alice.get("/api/admin/jobs/statements", params={"account_id": "BOB-USD"}) as answer:
        assert answer.status == 403
        assert (await answer.json())["code"] == "forbidden"
    async with alice.get("/api/admin/jobs/statements") as answer:
        assert answer.status == 400
    await alice.close()

    ib = await terminal.session("ib")   # alice is the IB's client: read only, but readable
    async with ib.get("/api/admin/jobs/statements", params={"account_id": "ALICE-USD"}) as answer:
        assert answer.status == 200 and len(await answer.json()) == 1
    await ib.close()
