"""IB rebate plans in SQL, and what the IBs accrued and were paid, read from the ledger.

An accrual is a ledger entry of kind ``ib_rebate`` whose reference is "<fill key>:<IB>", posted to the IB's
``ib_rebate_pending`` account with the fill; a payout is one entry "payout:<IB>:<period>" moving it to the IB's
wallet, written with the ``rebate_payout_items`` rows naming the accruals it paid (``write_paid``), in one
transaction."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import col, delete, select

from engine.domain.rebates import LevelRate, RebatePlan, Schedule
from engine.domain.tenancy import Role
from engine.ledger import EntryKind
from engine.storage.group_commit import GroupCommit
from engine.storage.rebate_tables import (
    RebateLevelRecord,
    RebatePayoutItemRecord,
    RebatePlanRecord,
    RebateReleaseRecord,
)
from engine.storage.tables import ExecutionRecord, JournalEntryRecord, PostingRecord
from engine.storage.types import as_utc
from engine.storage.unit_of_work import UnitOfWork

PENDING = "ib_rebate_pending"
PAYOUT_PREFIX = "payout:"
_PAID = RebatePayoutItemRecord.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Accrual:
    """One IB's rebate on one fill (negative: taken back, the trade was closed inside the minimum hold)."""

    reference: str
    ib: str
    exec_id: str
    account_id: str
    symbol: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    currency: str
    at: dt.datetime
    payout: str | None = None          # the payout's ledger reference, once paid
    paid_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Traded:
    """A client's fill as an IB's report counts it: the markup in the quote currency, the commission in the
    account's."""

    account_id: str
    symbol: str
    quantity: Decimal
    price: Decimal
    markup: Decimal
    commission: Decimal


def payout_reference(ib: str, period: str) -> str:
    return f"{PAYOUT_PREFIX}{ib}:{period}"


class SqlRebates:
    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    # ---------------------------------------------------------------- plans
    def plans(self) -> list[RebatePlan]:
        with self.unit.session() as session:
            levels: dict[str, dict[Role, LevelRate]] = {}
            for row in session.exec(select(RebateLevelRecord)):
                levels.setdefault(row.plan_id, {})[Role(row.role)] = LevelRate(
                    row.per_lot, row.per_notional, row.markup_share, row.commission_share)
            return [_plan(row, levels.get(row.plan_id, {}))
                    for row in session.exec(select(RebatePlanRecord).order_by(col(RebatePlanRecord.plan_id)))]

    def plan(self, plan_id: str) -> RebatePlan | None:
        return next((plan for plan in self.plans() if plan.plan_id == plan_id), None)

    def save(self, plan: RebatePlan) -> None:
        """Insert or replace the plan and its levels (inside the caller's transaction, when there is one)."""
        with self.unit.session() as session:
            session.merge(RebatePlanRecord(
                plan_id=plan.plan_id, tenant_id=plan.tenant_id, name=plan.name, group_id=plan.group_id,
                symbol_pattern=plan.symbol_pattern, cap=plan.cap, within_revenue=plan.within_revenue,
                min_hold_seconds=plan.min_hold_seconds, schedule=plan.schedule.value,
                hold_for_review=plan.hold_for_review))
            session.exec(delete(RebateLevelRecord).where(col(RebateLevelRecord.plan_id) == plan.plan_id))
            for role, rate in plan.levels.items():
                session.add(RebateLevelRecord(plan_id=plan.plan_id, role=role.value, per_lot=rate.per_lot,
                                              per_notional=rate.per_notional, markup_share=rate.markup_share,
                                              commission_share=rate.commission_share))

    def delete(self, plan_id: str) -> None:
        with self.unit.session() as session:
            session.exec(delete(RebateLevelRecord).where(col(RebateLevelRecord.plan_id) == plan_id))
            session.exec(delete(RebatePlanRecord).where(col(RebatePlanRecord.plan_id) == plan_id))

    # ---------------------------------------------------------------- accruals and payouts
    def accruals(self, ibs: Iterable[str] | None = None, since: dt.datetime | None = None,
                 until: dt.datetime | None = None, *, unpaid: bool = False) -> list[Accrual]:
        """Accruals of ``ibs`` (None: every IB) booked in [since, until), oldest first, each with its payout."""
        exec_id = func.substr(JournalEntryRecord.reference, 1,
                              func.length(JournalEntryRecord.reference) - func.length(PostingRecord.owner) - 1)
        statement = (
            select(JournalEntryRecord, PostingRecord, ExecutionRecord, RebatePayoutItemRecord)
            .join(PostingRecord, col(PostingRecord.entry_id) == col(JournalEntryRecord.entry_id))
            .join(ExecutionRecord, col(ExecutionRecord.exec_id) == exec_id)
            .outerjoin(RebatePayoutItemRecord,
                       col(RebatePayoutItemRecord.accrual) == col(JournalEntryRecord.reference))
            .where(col(JournalEntryRecord.kind) == EntryKind.IB_REBATE.value,
                   col(PostingRecord.purpose) == PENDING,
                   ~col(JournalEntryRecord.reference).startswith(PAYOUT_PREFIX))
            .order_by(col(JournalEntryRecord.entry_id)))
        if ibs is not None:
            statement = statement.where(col(PostingRecord.owner).in_(sorted(set(ibs))))
        if since is not None:
            statement = statement.where(col(JournalEntryRecord.at) >= since)
        if until is not None:
            statement = statement.where(col(JournalEntryRecord.at) < until)
        if unpaid:
            statement = statement.where(col(RebatePayoutItemRecord.accrual).is_(None))
        with self.unit.session() as session:
            return [Accrual(entry.reference, posting.owner, execution.exec_id, execution.account_id,
                            execution.symbol, execution.quantity, execution.price, posting.amount, posting.currency,
                            as_utc(entry.at), paid.payout if paid else None,
                            as_utc(paid.paid_at) if paid else None)
                    for entry, posting, execution, paid in session.exec(statement)]

    @staticmethod
    def write_paid(commits: GroupCommit, payout: str, ib: str, accruals: Iterable[Accrual],
                   at: dt.datetime) -> None:
        """Which accruals ``payout`` paid: call inside the payout's ledger transaction, so they commit together."""
        for accrual in accruals:
            commits.write(_PAID, {"accrual": accrual.reference, "payout": payout, "ib_id": ib, "paid_at": at},
                          ("accrual",), update=False)

    def traded(self, account_ids: Iterable[str], since: dt.datetime, until: dt.datetime) -> list[Traded]:
        """The fills of ``account_ids`` in [since, until), with what the broker earned on each."""
        statement = select(ExecutionRecord).where(col(ExecutionRecord.account_id).in_(sorted(set(account_ids))),
                                                  col(ExecutionRecord.at) >= since, col(ExecutionRecord.at) < until)
        with self.unit.session() as session:
            return [Traded(row.account_id, row.symbol, row.quantity, row.price, row.markup_revenue, row.commission)
                    for row in session.exec(statement)]

    # ---------------------------------------------------------------- the broker's release of held rebates
    def release(self, tenant_id: str, ib: str, through: dt.datetime, by: str) -> int:
        with self.unit.session() as session:
            row = RebateReleaseRecord(tenant_id=tenant_id, ib_id=ib, released_through=through, released_by=by)
            session.add(row)
            session.flush()
            assert row.release_id is not None
            return row.release_id

    def released(self) -> dict[str, tuple[int, dt.datetime]]:
        """Each IB's latest release: its id and up to when it released."""
        latest: dict[str, tuple[int, dt.datetime]] = {}
        with self.unit.session() as session:
            for row in session.exec(select(RebateReleaseRecord).order_by(col(RebateReleaseRecord.release_id))):
                assert row.release_id is not None
                latest[row.ib_id] = (row.release_id, as_utc(row.released_through))
        return latest


def _plan(row: RebatePlanRecord, levels: dict[Role, LevelRate]) -> RebatePlan:
    return RebatePlan(row.plan_id, row.tenant_id, levels, row.name, row.group_id, row.symbol_pattern, row.cap,
                      row.within_revenue, row.min_hold_seconds, Schedule(row.schedule), row.hold_for_review)

