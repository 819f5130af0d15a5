"""The broker's rebate plans through /api/admin/rebate-plans, the IB's own view through /api/ib, and the payout job,
against the running demo: master <- ib <- subib, alice a client of the IB, bob of the sub-IB, plan demo-ib paying
2 / 1.50 / 1 USD per lot."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from backoffice.payouts import IbPayouts
from dynamictech.demo import start
from engine.accounting import rebate_pending
from engine.jobs import run_key
from engine.ledger import wallet
from tests.web.conftest import Terminal, until

PLANS = "/api/admin/rebate-plans"




async def call(client: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with client.request(method, path, json=body) as answer:
        return answer.status, await answer.json()


async def trade(client: aiohttp.ClientSession, account: str, cl_ord_id: str, quantity: str = "1") -> None:
    order = {"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": quantity, "cl_ord_id": cl_ord_id}
    status, placed = await call(client, "POST", f"/api/accounts/{account}/orders", order)
    assert status == 201, placed

    async def filled() -> bool:
        return (await call(client, "GET", f"/api/accounts/{account}/orders?state=all"))[1][0]["status"] == "filled"
    await until(filled)


async def earnings(client: aiohttp.ClientSession, ib: str = "") -> dict[str, Any]:
    status, answer = await call(client, "GET", "/api/ib/earnings" + (f"?ib={ib}" if ib else ""))
    assert status == 200, answer
    return answer  # type: ignore[no-any-return]


async def accrued(client: aiohttp.ClientSession, fills: int) -> None:
    """Until the IB's view holds ``fills`` fills: it reads the database, which the fill reaches a moment after the
    order shows filled."""
    async def booked() -> bool:
        return len((await earnings(client))["fills"]) == fills
    await until(booked)


async def test_the_broker_changes_the_plan_and_the_next_fill_earns_by_it(terminal: Terminal) -> None:
    broker, alice, ib = [await terminal.session(login) for login in ("broker", "alice", "ib")]
    async with broker, alice, ib:
        status, plans = await call(broker, "GET", PLANS)
        assert status == 200 and [p["plan_id"] for p in plans] == ["demo-ib"]
        status, plan = await call(broker, "PATCH", f"{PLANS}/demo-ib", {"levels": {
            "master_ib": {"per_lot": "5"}, "ib": {"per_lot": "4"}, "sub_ib": {"per_lot": "1"}}})
        assert status == 200 and plan["levels"]["ib"]["per_lot"] == "4", plan
        await trade(alice, "ALICE-USD", "a1")   # 3 USD commission and the markup: the IB's 4 fits, the master's 1
        await accrued(ib, 1)
        mine = await earnings(ib)
        [fill] = mine["fills"]
        assert (fill["account_id"], fill["symbol"], fill["quantity"], fill["rebate"], fill["status"]) == \
            ("ALICE-USD", "EUR/USD", "1.00", "4.00", "pending")
        assert mine["pending"] == {"USD": "4.00"} and mine["paid"] == {}
        status, view = await call(ib, "GET", "/api/ib/clients")
        assert status == 200
        clients = {client["user_id"]: client for client in view["clients"]}
        assert set(clients) == {"alice", "subib", "bob"}
        [account] = clients["alice"]["accounts"]
        assert (account["account_id"], account["fills"], account["lots"], account["commission"],
                account["rebate"]) == ("ALICE-USD", 1, "1.00", "3.00", "4.00")
        assert Decimal(account["markup"]["USD"]) > 0
        status, audit = await call(broker, "GET", "/api/admin/audit?resource=rebate-plans")
        assert [(entry["action"], entry["resource_id"]) for entry in audit] == [("rebate-plans.update", "demo-ib")]
        assert audit[0]["before"]["levels"]["ib"]["per_lot"] == "1.5"


async def test_each_role_sees_only_what_its_scope_reaches(terminal: Terminal) -> None:
    broker, alice, ib, master = [await terminal.session(login) for login in ("broker", "alice", "ib", "master")]
    async with broker, alice, ib, master:
        for method, path, body in (("GET", PLANS, None), ("POST", PLANS, {"plan_id": "mine"}),
                                   ("GET", f"{PLANS}/demo-ib", None), ("PATCH", f"{PLANS}/demo-ib", {"name": "x"}),
                                   ("DELETE", f"{PLANS}/demo-ib", None),
                                   ("POST", f"{PLANS}/payouts/ib/release", None)):
            for client in (alice, ib):
                status, answer = await call(client, method, path, body)
                assert status == 403 and answer["code"] == "forbidden", (method, path, answer)
        for path in ("/api/ib/earnings", "/api/ib/clients", "/api/ib/earnings?ib=ib"):
            status, answer = await call(alice, "GET", path)
            assert status == 403 and answer["code"] == "forbidden", answer
        assert (await earnings(master, "ib"))["ib"] == "ib", "a master IB reads the IB below it"
        assert (await earnings(broker, "subib"))["ib"] == "subib"
        status, answer = await call(ib, "GET", "/api/ib/earnings?ib=master")
        assert status == 403, "an IB does not read the master IB above it"
        status, plans = await call(broker, "GET", PLANS)
        assert [p["plan_id"] for p in plans] == ["demo-ib"], "nothing was changed by the refusals"


async def test_a_plan_is_checked_before_it_is_stored(terminal: Terminal) -> None:
    broker = await terminal.session("broker")
    async with broker:
        for body, code in (({"plan_id": "p", "levels": {"ib": {"per_lot": 2}}}, "bad_per_lot"),
                           ({"plan_id": "p", "levels": {"broker": {"per_lot": "2"}}}, "bad_levels"),
                           ({"plan_id": "p", "levels": {"ib": {"markup_share": "1.5"}}}, "bad_levels"),
                           ({"plan_id": "p", "schedule": "weekly"}, "bad_schedule"),
                           ({"plan_id": "p", "group_id": "gold"}, "unknown_group"),
                           ({"plan_id": "p", "min_hold_seconds": -1}, "bad_min_hold_seconds"),
                           ({"plan_id": "p", "colour": "red"}, "unknown_field")):
            status, answer = await call(broker, "POST", PLANS, body)
            assert (status, answer["code"]) == (422, code), (body, answer)
        status, answer = await call(broker, "POST", PLANS, {"plan_id": "p", "tenant_id": "other-broker"})
        assert (status, answer["code"]) == (403, "forbidden"), "a broker creates plans for its own tenant only"
        status, answer = await call(broker, "POST", PLANS, {"plan_id": "demo-ib"})
        assert (status, answer["code"]) == (409, "rebate_plan_exists")
        status, answer = await call(broker, "POST", PLANS, {"plan_id": "again"})
        assert (status, answer["code"]) == (409, "rebate_plan_overlaps"), "demo-ib covers every group and symbol"
        status, plan = await call(broker, "POST", PLANS, {
            "plan_id": "vip-eur", "group_id": "vip", "symbol_pattern": "EUR/*", "schedule": "monthly",
            "cap": "10", "min_hold_seconds": 60, "levels": {"sub_ib": {"commission_share": "0.5"}}})
        assert status == 201 and plan["levels"]["sub_ib"] == {
            "per_lot": "0", "per_notional": "0", "markup_share": "0", "commission_share": "0.5"}, plan
        status, read = await call(broker, "GET", f"{PLANS}/vip-eur")
        assert (status, read) == (200, plan)
        status, _ = await call(broker, "DELETE", f"{PLANS}/vip-eur")
        assert status == 200
        status, answer = await call(broker, "GET", f"{PLANS}/vip-eur")
        assert (status, answer["code"]) == (404, "unknown_rebate_plan")


async def test_the_payout_job_pays_each_ib_once_and_held_rebates_wait_for_release(terminal: Terminal) -> None:
    hub = terminal.demo.hub
    broker, bob, ib, subib = [await terminal.session(login) for login in ("broker", "bob", "ib", "subib")]
    async with broker, bob, ib, subib:
        await trade(bob, "BOB-USD", "b1")    # the sub-IB 1, the IB 0.50, the master 0.50
        await accrued(subib, 1)
        assert (await earnings(subib))["pending"] == {"USD": "1.00"}
        job = IbPayouts(hub.office, hub.oms.accounting.ledger, hub.commits)
        now = hub.clock()
        assert await job.run(run_key(job.name, now), now) == "nothing to pay", "a daily plan pays after midnight"
        tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0, 5), dt.timezone.utc)
        assert await job.run(run_key(job.name, tomorrow), tomorrow) == "paid 3 IBs 2.00 USD"
        assert await job.run(run_key(job.name, tomorrow), tomorrow) == "nothing to pay", "run again: paid once"
        ledger = hub.oms.accounting.ledger
        assert [ledger.balance(wallet(user), "USD") for user in ("subib", "ib", "master")] == \
            [Decimal(1), Decimal("0.5"), Decimal("0.5")]
        paid = await earnings(subib)
        assert paid["pending"] == {} and paid["paid"] == {"USD": "1.00"}
        assert paid["fills"][0]["payout"] == f"payout:subib:{now.date()}"

        status, _ = await call(broker, "PATCH", f"{PLANS}/demo-ib", {"hold_for_review": True})
        assert status == 200
        await trade(bob, "BOB-USD", "b2")
        await accrued(subib, 2)
        later = tomorrow + dt.timedelta(days=1)
        assert await job.run(run_key(job.name, later), later) == "nothing to pay", "held for the broker's review"
        status, release = await call(broker, "POST", f"{PLANS}/payouts/subib/release")
        assert status == 200 and release["ib"] == "subib"
        status, answer = await call(broker, "POST", f"{PLANS}/payouts/alice/release")
        assert (status, answer["code"]) == (404, "unknown_ib")

        async def released() -> bool:   # the hub's own scheduler may pay it first: once, either way
            await job.run(run_key(job.name, hub.clock()), hub.clock())
            return ledger.balance(wallet("subib"), "USD") == Decimal(2)
        await until(released)
        assert ledger.balance(wallet("ib"), "USD") == Decimal("0.5"), "the IB's rebate was not released"
        assert (await earnings(subib))["paid"] == {"USD": "2.00"}


async def test_a_payout_run_again_after_a_restart_pays_nothing_twice(tmp_path: Path) -> None:
    demo = await start(tmp_path, web_port=0, fix_ports=(0, 0))
    try:
        terminal = Terminal(demo, demo.urls["terminal"].rstrip("/"), dict(demo.logins))
        alice = await terminal.session("alice")
        async with alice:
            await trade(alice, "ALICE-USD", "a1")   # the IB 1.50, the master 0.50
            ib = await terminal.session("ib")
            async with ib:
                await accrued(ib, 1)
        hub = demo.hub
        job = IbPayouts(hub.office, hub.oms.accounting.ledger, hub.commits)
        due = dt.datetime.combine(hub.clock().date() + dt.timedelta(days=1), dt.time(0, 5), dt.timezone.utc)
        assert await job.run(run_key(job.name, due), due) == "paid 2 IBs 2.00 USD"
    finally:
        await demo.stop()
    demo = await start(tmp_path, web_port=0, fix_ports=(0, 0))   # the same database: what was paid stays paid
    try:
        hub = demo.hub
        job = IbPayouts(hub.office, hub.oms.accounting.ledger, hub.commits)
        assert await job.run(run_key(job.name, due), due) == "nothing to pay"
        ledger = hub.oms.accounting.ledger
        assert (ledger.balance(wallet("ib"), "USD"), ledger.balance(rebate_pending("ib"), "USD")) == \
            (Decimal("1.5"), Decimal(0))
    finally:
        await demo.stop()
