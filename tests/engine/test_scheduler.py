"""The scheduler on its database: a run that fails half way, or whose hub is killed (a real process, SIGKILL), is
run again under its key and pays each account once; runs missed while the hub was down are run once; the runs are
listed with their results and the next run. Then the hub's own jobs on a hub whose clock the test moves: the night's
financing and each account's statement at the rollover, and a scheduled order sent at its time.

Run as a script (``python test_scheduler.py URL``) this file is the process the kill test kills."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from adapters.memory import MemoryVenue  # noqa: E402
from backoffice.jobs.rollover import next_rollover  # noqa: E402
from backoffice.jobs.scheduled_orders import SENDING, SENT, ScheduledOrders  # noqa: E402
from dynamictech.hub import Hub  # noqa: E402
from dynamictech.runtime import configure_logging  # noqa: E402
from engine.accounting import Financing  # noqa: E402
from engine.domain.order import OrdStatus, OrdType, Side  # noqa: E402
from engine.jobs import run_key  # noqa: E402
from engine.ledger import EntryKind, Ledger, LedgerAccount, wallet  # noqa: E402
from engine.oms import NewOrder  # noqa: E402
from engine.scheduler import Scheduler  # noqa: E402
from engine.storage.cli import upgrade  # noqa: E402
from engine.storage.database import make_engine  # noqa: E402
from engine.storage.group_commit import GroupCommit  # noqa: E402
from engine.storage.job_runs import SqlJobRuns  # noqa: E402
from engine.storage.journal import SqlOrderJournal  # noqa: E402
from engine.storage.ledger_store import SqlLedgerStore  # noqa: E402
from engine.storage.unit_of_work import UnitOfWork  # noqa: E402
from tests.engine.test_hub import funded_hub, priced, seed, until, venues  # noqa: E402
from tests.stubs import NOW, D  # noqa: E402

ACCOUNTS = [f"ACC-{n}" for n in range(1, 6)]
ROLLOVER = dt.time(22, 0)
NIGHT = dt.datetime.combine(NOW.date(), ROLLOVER, tzinfo=dt.timezone.utc)


class Interest:
    """A job of the test's own, shaped as a paying job must be: one ledger entry per account and run (its reference
    is the run key and the account), so a run done again books only what the first try did not. It can be made to
    fail, or to stop for good, after paying ``stop_after`` accounts (once)."""

    name = "interest"
    schedule = "daily at 22:00 UTC"

    def __init__(self, ledger: Ledger, commits: GroupCommit, fail_after: int | None = None,
                 stall_after: int | None = None) -> None:
        self.ledger, self.commits = ledger, commits
        self.fail_after, self.stall_after = fail_after, stall_after
        self.runs: list[str] = []

    def next_due(self, last_due: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        return next_rollover(last_due, now, ROLLOVER)

    async def run(self, run_key: str, due: dt.datetime) -> str:
        self.runs.append(run_key)
        paid = 0
        for number, account in enumerate(ACCOUNTS):
            if number == self.fail_after:
                self.fail_after = None
                await self.commits.durable()
                raise RuntimeError("the rate feed went away")
            if number == self.stall_after:
                await self.commits.durable()
                print(f"paid {number}", flush=True)
                await asyncio.Event().wait()   # the test kills the process here
            reference = f"{run_key}:{account}"
            if not self.ledger.booked(EntryKind.ADJUSTMENT, reference):
                self.ledger.transfer(EntryKind.ADJUSTMENT, reference, LedgerAccount("broker", "interest"),
                                     wallet(account), "USD", D(1))
                paid += 1
        await self.commits.durable()
        return f"paid {paid} accounts 1 USD"


def books(url: str) -> tuple[GroupCommit, Ledger]:
    commits = GroupCommit(make_engine(url))
    return commits, Ledger(lambda: NOW, SqlLedgerStore(commits))


def interest_paid(ledger: Ledger) -> list[D]:
    return [ledger.balance(wallet(account), "USD") for account in ACCOUNTS]


async def test_a_run_that_fails_half_way_is_run_again_under_its_key_and_pays_each_account_once(
        database: str) -> None:
    upgrade(database)
    commits, ledger = books(database)
    now = [NIGHT + dt.timedelta(seconds=1)]
    job = Interest(ledger, commits, fail_after=2)
    scheduler = Scheduler([job], SqlJobRuns(UnitOfWork(make_engine(database))), lambda: now[0])

    await scheduler.tick()
    assert interest_paid(ledger) == [1, 1, 0, 0, 0]
    [failed] = scheduler.store.runs("interest", 10)
    assert (failed.status, failed.result) == ("failed", "RuntimeError: the rate feed went away")
    [listed] = scheduler.status()
    assert listed.last == failed and listed.next_due == NIGHT + dt.timedelta(seconds=2), "tried again in a second"

    await scheduler.tick()   # too soon: it waits for its retry
    assert len(job.runs) == 1
    now[0] += dt.timedelta(seconds=1)
    await scheduler.tick()
    assert job.runs == ["interest@2026-11-25T22:00:00Z"] * 2, "the same run, under the same key"
    assert interest_paid(ledger) == [1] * 5, "each account paid once"
    [done] = scheduler.store.runs("interest", 10)
    assert (done.run_key, done.status) == ("interest@2026-11-25T22:00:00Z", "done")
    assert done.result == "paid 3 accounts 1 USD (run again under its key: it failed)"
    [listed] = scheduler.status()
    assert listed.next_due == NIGHT + dt.timedelta(days=1) and listed.schedule == "daily at 22:00 UTC"

    await scheduler.tick()
    assert len(job.runs) == 2, "a done run is not run again"
    await commits.close()


async def main(url: str) -> None:
    """The process the kill test kills: its scheduler's run stops for good after paying two accounts."""
    configure_logging("warning")   # JSON on stderr; stdout is the test's channel
    commits, ledger = books(url)
    scheduler = Scheduler([Interest(ledger, commits, stall_after=2)], SqlJobRuns(UnitOfWork(make_engine(url))),
                          lambda: NIGHT + dt.timedelta(seconds=1))
    await scheduler.tick()


async def test_a_hub_killed_during_a_run_runs_it_again_at_start_and_pays_each_account_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)
    process = await asyncio.create_subprocess_exec(sys.executable, __file__, url, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    async with asyncio.timeout(30):
        assert await process.stdout.readline() == b"paid 2\n"
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()

    commits, ledger = books(url)   # the restarted hub: the ledger as the killed one left it on disk
    assert interest_paid(ledger) == [1, 1, 0, 0, 0]
    store = SqlJobRuns(UnitOfWork(make_engine(url)))
    [killed] = store.runs("interest", 10)
    assert killed.status == "running" and killed.finished_at is None
    job = Interest(ledger, commits)
    scheduler = Scheduler([job], store, lambda: NIGHT + dt.timedelta(minutes=5))
    await scheduler.tick()
    assert job.runs == [killed.run_key]
    assert interest_paid(ledger) == [1] * 5
    [done] = store.runs("interest", 10)
    assert done.status == "done"
    assert done.result == "paid 3 accounts 1 USD (run again under its key: the hub stopped during it)"
    await commits.close()


async def test_runs_missed_while_the_hub_was_down_are_run_once_for_the_latest_and_say_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)
    commits, ledger = books(url)
    now = [NIGHT + dt.timedelta(seconds=1)]
    store = SqlJobRuns(UnitOfWork(make_engine(url)))
    await Scheduler([Interest(ledger, commits)], store, lambda: now[0]).tick()

    now[0] = NIGHT + dt.timedelta(days=3, hours=1)   # the hub was down three nights
    job = Interest(ledger, commits)
    await Scheduler([job], store, lambda: now[0]).tick()
    assert job.runs == ["interest@2026-11-28T22:00:00Z"]
    latest, first = store.runs("interest", 10)
    assert latest.result == ("paid 5 accounts 1 USD (2 earlier runs, missed while the hub was down or busy, "
                             "folded into this one)")
    assert first.run_key == "interest@2026-11-25T22:00:00Z"
    await commits.close()


async def test_the_hub_charges_the_night_and_writes_each_accounts_statement_at_the_rollover(tmp_path: Path) -> None:

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    now = [NOW]
    quotes = {"EUR/USD": (D("1.08340"), D("1.08350")), "USDT/USD": (D("0.9999"), D("1.0001"))}
    lps = {name: MemoryVenue(name, quotes, clock=lambda: now[0]) for name in ("lp-1", "lp-2")}   # fills at its time
    hub = funded_hub(url, lps, clock=lambda: now[0], financing={"EUR/USD": Financing(D("3.65"), D("-1"))})
    await hub.start()
    await priced(hub)
    bought = await hub.oms.submit(NewOrder("b1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    assert bought.status is OrdStatus.FILLED

    def done(job: str) -> bool:
        run = hub.scheduler.store.latest(job)
        return run is not None and run.status == "done" and run.due == NIGHT

    now[0] = NIGHT + dt.timedelta(seconds=1)
    await until(lambda: done("statements"))
    runs = {status.name: status.last for status in hub.scheduler.status()}
    assert runs["swaps"] is not None and runs["swaps"].result == "the night of 2026-11-25: 1 position charged financing"
    assert runs["statements"] is not None and runs["statements"].result == "statements for 2026-11-25: 1 made"
    statements = hub.scheduler.jobs["statements"].store.of_account("ACC-1")   # type: ignore[attr-defined]
    [statement] = statements
    assert statement.day == NOW.date() and statement.financing == D("-10.83")
    assert [(f["symbol"], f["side"], f["quantity"], f["price"]) for f in statement.fills] == [
        ("EUR/USD", "buy", "1.00", "1.08352")]
    assert statement.balance == hub.oms.accounting.ledger.balance(wallet("ACC-1"), "USD")
    await hub.stop()


async def scheduling_hub(tmp_path: Path, now: list[dt.datetime]) -> tuple[str, Hub, ScheduledOrders]:
    """A started, priced hub on its database whose clock reads ``now[0]``, and its scheduled-order book."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    hub = funded_hub(url, venues(), clock=lambda: now[0])
    await hub.start()
    await priced(hub)
    book = hub.scheduler.jobs["scheduled_orders"]
    assert isinstance(book, ScheduledOrders)
    return url, hub, book


async def test_a_scheduled_order_is_sent_at_its_time_through_the_pipeline_once(tmp_path: Path) -> None:
    now = [NOW]
    _, hub, book = await scheduling_hub(tmp_path, now)
    trader = hub.directory.users["trader-1"]
    scheduled = book.place(trader, NewOrder("later-1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)),
                           NOW + dt.timedelta(minutes=1, microseconds=500))
    assert scheduled.send_at == NOW + dt.timedelta(minutes=1), "to the second"
    [status] = [s for s in hub.scheduler.status() if s.name == "scheduled_orders"]
    assert status.next_due == NOW + dt.timedelta(minutes=1)

    now[0] = NOW + dt.timedelta(seconds=59)
    await hub.tick()
    assert hub.oms.find("ACC-1", "later-1") is None, "not before its time"
    now[0] = NOW + dt.timedelta(minutes=1)
    await until(lambda: book.of_account("ACC-1")[0].status == SENT)
    order = hub.oms.find("ACC-1", "later-1")
    assert order is not None and order.status is OrdStatus.FILLED
    assert order.average_price == D("1.08352"), "priced through the pipeline: the tenant's markup"
    assert book.of_account("ACC-1")[0].order_id == order.order_id
    run = hub.scheduler.store.latest("scheduled_orders")
    assert run is not None and (run.run_key, run.result) == ("scheduled_orders@2026-11-25T10:01:00Z", "1 sent")
    await hub.tick()
    assert len([o for o in hub.oms.orders.values() if o.cl_ord_id == "later-1"]) == 1
    [status] = [s for s in hub.scheduler.status() if s.name == "scheduled_orders"]
    assert status.next_due is None, "nothing left to send"
    await hub.stop()


async def test_a_scheduled_order_the_hub_stopped_while_sending_is_recorded_after_the_restart_not_sent_again(
        tmp_path: Path) -> None:
    """The state a kill between the OMS taking the order and the book marking it sent leaves: the run claimed, the
    order marked sending, the order journaled. The restarted hub runs the run again and records that order."""
    now = [NOW]
    url, hub, book = await scheduling_hub(tmp_path, now)
    send_at = NOW + dt.timedelta(minutes=1)
    scheduled = book.place(hub.directory.users["trader-1"],
                           NewOrder("later-1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)), send_at)
    hub.scheduler.store.claim(run_key("scheduled_orders", send_at), "scheduled_orders", send_at, send_at)
    book.store.update(scheduled.scheduled_id, send_at, status=SENDING)
    first = await hub.oms.submit(NewOrder("later-1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    await hub.stop()

    now[0] = send_at + dt.timedelta(seconds=2)
    restarted = funded_hub(url, venues(), clock=lambda: now[0])
    await restarted.start()
    book = restarted.scheduler.jobs["scheduled_orders"]
    assert isinstance(book, ScheduledOrders)
    await until(lambda: book.of_account("ACC-1")[0].status == SENT)
    assert book.of_account("ACC-1")[0].order_id == first.order_id
    journaled = SqlOrderJournal(restarted.commits, restarted.clock).all_orders()
    assert [o.order_id for o in journaled if o.cl_ord_id == "later-1"] == [first.order_id], "not sent again"
    run = restarted.scheduler.store.latest("scheduled_orders")
    assert run is not None and run.result == "1 sent (run again under its key: the hub stopped during it)"
    await restarted.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
