"""The ``ib_payouts`` job: moves what IBs accrued (``ib_rebate_pending``) to their wallets, by the schedule of the
plan covering each accrual.

The job is due every minute. A run due at ``due`` pays, for each IB, the accruals not yet paid that are payable:
- older than their plan's minimum hold (a trade closed inside it has its accrual taken back first);
- instant plans: accrued before ``due``, under the period of that minute ("2026-12-03T13:05");
- daily plans: accrued before the last midnight UTC, once it is 00:05, under that day ("2026-12-02");
- monthly plans: accrued before the 1st of the month, once it is 00:05 on the 1st, under that month ("2026-11");
- plans that hold for review: accrued up to the broker's latest release, at the next run, under "release-<id>".
An accrual whose plan has since been deleted is paid daily.

Each IB and period is one ledger entry "payout:<IB>:<period>" (one posting pair per currency) written in one
transaction with the rows naming the accruals it paid, so a run killed half way and run again pays each IB once:
what committed is paid and not payable again, what did not is paid by the run again. A currency whose payable
total is not positive (a clawback larger than what is payable) waits.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import structlog

from backoffice.office import BackOffice
from engine.accounting import rebate_pending
from engine.domain.rebates import RebatePlan, Schedule, plan_for
from engine.ledger import EntryKind, Ledger, Posting, wallet
from engine.storage.group_commit import GroupCommit
from engine.storage.rebates import Accrual, SqlRebates, payout_reference

log = structlog.get_logger("backoffice.payouts")

PAY_AT = dt.time(0, 5)   # daily and monthly payouts, UTC: a few minutes after the period closes


class IbPayouts:
    name = "ib_payouts"
    schedule = "every minute for instant plans; daily and monthly plans at 00:05 UTC; held plans once released"

    def __init__(self, office: BackOffice, ledger: Ledger, commits: GroupCommit) -> None:
        self.office = office
        self.ledger = ledger
        self.commits = commits
        self.store = SqlRebates(office.unit)

    def next_due(self, last_due: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        """Every whole minute (instant plans); daily and monthly plans are paid by the run at their hour."""
        if last_due is None:
            return now.replace(second=0, microsecond=0)
        return last_due.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)

    async def run(self, run_key: str, due: dt.datetime) -> str:
        plans = self.store.plans()
        releases = self.store.released()
        batches: dict[tuple[str, str], list[Accrual]] = defaultdict(list)
        for accrual in self.store.accruals(until=due, unpaid=True):
            period = self._period(accrual, plans, releases, due)
            if period is not None:
                batches[accrual.ib, period].append(accrual)
        paid: dict[str, Decimal] = defaultdict(Decimal)
        ibs: set[str] = set()
        for (ib, period), accruals in sorted(batches.items()):
            for currency, amount in self._pay(ib, period, accruals).items():
                paid[currency] += amount
                ibs.add(ib)
        await self.commits.durable()   # the next run reads what this one paid
        if not ibs:
            return "nothing to pay"
        amounts = ", ".join(f"{amount:.2f} {currency}" for currency, amount in sorted(paid.items()))
        return f"paid {len(ibs)} IB{'s' if len(ibs) > 1 else ''} {amounts}"

    def _period(self, accrual: Accrual, plans: list[RebatePlan], releases: dict[str, tuple[int, dt.datetime]],
                due: dt.datetime) -> str | None:
        """The period ``accrual`` is paid under by the run due at ``due``; None: not payable yet."""
        account = self.office.directory.accounts.get(accrual.account_id)
        plan = None if account is None else plan_for(plans, account.tenant_id, account.group_id, accrual.symbol)
        if plan is not None and accrual.amount > 0 \
                and accrual.at + dt.timedelta(seconds=plan.min_hold_seconds) > due:
            return None
        if plan is not None and plan.hold_for_review:
            release = releases.get(accrual.ib)
            return f"release-{release[0]}" if release is not None and accrual.at <= release[1] else None
        schedule = Schedule.DAILY if plan is None else plan.schedule
        if schedule is Schedule.INSTANT:
            return f"{due:%Y-%m-%dT%H:%M}"
        day = due.date() if due.time() >= PAY_AT else due.date() - dt.timedelta(days=1)
        if schedule is Schedule.DAILY:
            closed = dt.datetime.combine(day, dt.time(), dt.timezone.utc)
            return f"{day - dt.timedelta(days=1)}" if accrual.at < closed else None
        month = day.replace(day=1)
        closed = dt.datetime.combine(month, dt.time(), dt.timezone.utc)
        previous = (month - dt.timedelta(days=1)).replace(day=1)
        return f"{previous:%Y-%m}" if accrual.at < closed else None

    def _pay(self, ib: str, period: str, accruals: list[Accrual]) -> dict[str, Decimal]:
        """One entry moving what ``accruals`` add up to, per currency, from pending to the IB's wallet."""
        reference = payout_reference(ib, period)
        if self.ledger.booked(EntryKind.IB_REBATE, reference):
            return {}   # paid by an earlier run; what accrued late for this period waits for the next one
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for accrual in accruals:
            totals[accrual.currency] += accrual.amount
        totals = {currency: amount for currency, amount in totals.items() if amount > 0}
        if not totals:
            return {}
        postings = [posting for currency, amount in sorted(totals.items())
                    for posting in (Posting(rebate_pending(ib), currency, -amount),
                                    Posting(wallet(ib), currency, amount))]
        at = self.office.clock()
        mark = self.ledger.mark()
        try:
            with self.commits.transaction():
                self.ledger.post(EntryKind.IB_REBATE, reference, postings)
                SqlRebates.write_paid(self.commits, reference,
                                      ib, [a for a in accruals if a.currency in totals], at)
        except Exception:
            self.ledger.roll_back(mark)
            raise
        log.info("rebates.paid", ib=ib, period=period, reference=reference,
                 amounts={currency: str(amount) for currency, amount in totals.items()},
                 accruals=sum(a.currency in totals for a in accruals))
        return totals
