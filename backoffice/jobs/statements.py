"""``statements``: each account's daily statement at the rollover: its balance and equity when the statement was
made, the day's fills, the commission they paid and the night's financing. One statement per account and day (the
table's key), written in batches: a run taken up again after a crash writes only the accounts it had not reached,
and never a second statement for a day."""
from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
import structlog
from sqlmodel import Column, Field, Session, SQLModel, col, select

from backoffice.jobs.rollover import day_window, next_rollover, trading_day
from engine.accounting import Accounting
from engine.domain.order import Side
from engine.domain.tenancy import Directory
from engine.ledger import EntryKind, wallet
from engine.ports import Clock
from engine.storage.tables import ExecutionRecord, JournalEntryRecord, PostingRecord
from engine.storage.types import Amount, as_utc
from engine.storage.unit_of_work import UnitOfWork

log = structlog.get_logger("backoffice.statements")

BATCH = 200   # statements a transaction writes; between batches the hub's other work runs


class StatementRecord(SQLModel, table=True):
    __tablename__ = "statements"

    account_id: str = Field(primary_key=True)
    day: dt.date = Field(primary_key=True)
    tenant_id: str = Field(index=True)
    currency: str
    balance: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    equity: Decimal | None = Field(default=None, sa_column=Column(Amount()))   # None: a price to value it missing
    commission: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    financing: Decimal = Field(sa_column=Column(Amount(), nullable=False))    # negative: the account paid
    fills: str                          # JSON: the day's fills, oldest first
    made_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Statement:
    account_id: str
    day: dt.date
    tenant_id: str
    currency: str
    balance: Decimal
    equity: Decimal | None
    commission: Decimal
    financing: Decimal
    fills: list[dict[str, Any]]
    made_at: dt.datetime


class SqlStatements:
    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    def of_account(self, account_id: str, since: dt.date | None = None, until: dt.date | None = None,
                   limit: int = 31) -> list[Statement]:
        """Newest day first; ``since`` and ``until`` inclusive."""
        statement = select(StatementRecord).where(StatementRecord.account_id == account_id)
        if since is not None:
            statement = statement.where(col(StatementRecord.day) >= since)
        if until is not None:
            statement = statement.where(col(StatementRecord.day) <= until)
        statement = statement.order_by(col(StatementRecord.day).desc()).limit(limit)
        with Session(self.unit.engine) as session:
            return [_statement(row) for row in session.exec(statement).all()]

    def made(self, day: dt.date) -> set[str]:
        """The accounts that have their statement for ``day``."""
        with Session(self.unit.engine) as session:
            return set(session.exec(select(StatementRecord.account_id).where(StatementRecord.day == day)).all())

    def write(self, rows: list[StatementRecord]) -> None:
        with Session(self.unit.engine, expire_on_commit=False) as session:
            session.add_all(rows)
            session.commit()

    def fills(self, start: dt.datetime, end: dt.datetime) -> dict[str, list[ExecutionRecord]]:
        """Every account's fills after ``start`` up to ``end``, oldest first."""
        statement = (select(ExecutionRecord).where(col(ExecutionRecord.at) > start, col(ExecutionRecord.at) <= end)
                     .order_by(col(ExecutionRecord.at)))
        out: dict[str, list[ExecutionRecord]] = defaultdict(list)
        with Session(self.unit.engine) as session:
            for row in session.exec(statement).all():
                out[row.account_id].append(row)
        return out

    def financing(self, day: dt.date) -> dict[tuple[str, str], Decimal]:
        """(account, currency) -> what the night of ``day`` booked to its wallet (the entries' references are the
        day and the position: ``Accounting.charge_financing``)."""
        statement = (select(col(PostingRecord.owner), col(PostingRecord.currency), col(PostingRecord.amount))
                     .join(JournalEntryRecord, col(JournalEntryRecord.entry_id) == col(PostingRecord.entry_id))
                     .where(JournalEntryRecord.kind == EntryKind.FINANCING.value, PostingRecord.purpose == "wallet",
                            col(JournalEntryRecord.reference).startswith(f"{day.isoformat()}:")))
        out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        with Session(self.unit.engine) as session:
            for owner, currency, amount in session.exec(statement).all():
                out[(owner, currency)] += amount   # summed here: Amount is text on SQLite
        return out


class Statements:
    name = "statements"

    def __init__(self, unit: UnitOfWork, directory: Directory, accounting: Accounting, rollover: dt.time,
                 clock: Clock) -> None:
        self.store = SqlStatements(unit)
        self.directory = directory
        self.accounting = accounting
        self.rollover = rollover
        self.clock = clock
        self.schedule = f"daily at the rollover, {rollover:%H:%M} UTC, after swaps"

    def next_due(self, last_due: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        return next_rollover(last_due, now, self.rollover)

    async def run(self, run_key: str, due: dt.datetime) -> str:
        day = trading_day(due, self.rollover)
        made = self.store.made(day)
        todo = [a for a in sorted(self.directory.accounts.values(), key=lambda a: a.account_id)
                if a.account_id not in made]
        fills = self.store.fills(*day_window(day, self.rollover))
        financing = self.store.financing(day)
        unvalued = 0
        for start in range(0, len(todo), BATCH):
            rows = []
            for account in todo[start:start + BATCH]:
                row = self._statement(account.account_id, day, fills.get(account.account_id, []), financing)
                unvalued += row.equity is None
                rows.append(row)
            self.store.write(rows)
            log.info("statements.written", day=day.isoformat(), accounts=[r.account_id for r in rows])
            await asyncio.sleep(0)   # a long run lets the hub's quotes and orders through between batches
        again = f", {len(made)} made before" if made else ""
        priced = f"; {unvalued} without equity (a price to value a position was missing)" if unvalued else ""
        return f"statements for {day}: {len(todo)} made{again}{priced}"

    def _statement(self, account_id: str, day: dt.date, fills: list[ExecutionRecord],
                   financing: dict[tuple[str, str], Decimal]) -> StatementRecord:
        account = self.directory.accounts[account_id]
        currency = account.base_currency
        balance = self.accounting.ledger.balance(wallet(account_id), currency)
        try:
            equity: Decimal | None = self.accounting.margin(account_id).equity
        except LookupError:
            equity = None
        return StatementRecord(
            account_id=account_id, day=day, tenant_id=account.tenant_id, currency=currency, balance=balance,
            equity=equity, commission=sum((f.commission for f in fills), Decimal(0)),
            financing=financing.get((account_id, currency), Decimal(0)),
            fills=orjson.dumps([_fill(f) for f in fills]).decode(), made_at=self.clock())


def _fill(row: ExecutionRecord) -> dict[str, Any]:
    return {"exec_id": row.exec_id, "order_id": row.order_id, "symbol": row.symbol,
            "side": "buy" if Side(row.side) is Side.BUY else "sell", "quantity": str(row.quantity),
            "price": str(row.price), "commission": str(row.commission), "at": as_utc(row.at).isoformat()}


def _statement(row: StatementRecord) -> Statement:
    return Statement(row.account_id, row.day, row.tenant_id, row.currency, row.balance, row.equity, row.commission,
                     row.financing, orjson.loads(row.fills), as_utc(row.made_at))
