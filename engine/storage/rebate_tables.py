"""IB rebate plans and their payouts. A plan's rates are one row per IB level (master IB, IB, sub-IB); what an IB
accrued and was paid is in the ledger (``engine.storage.rebates`` reads it), and ``rebate_payout_items`` says which
payout paid which accrual, written in the payout's own transaction."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Column, Field, SQLModel

from engine.storage.types import Amount


class RebatePlanRecord(SQLModel, table=True):
    __tablename__ = "rebate_plans"

    plan_id: str = Field(primary_key=True)
    tenant_id: str = Field(index=True)
    name: str = ""
    group_id: str | None = None           # None: every group of the tenant
    symbol_pattern: str = "*"
    cap: Decimal | None = Field(default=None, sa_column=Column(Amount()))   # per fill, all levels together
    within_revenue: bool = True           # never more than the broker's commission and markup on the fill
    min_hold_seconds: int = 0
    schedule: str = "daily"               # instant, daily or monthly
    hold_for_review: bool = False


class RebateLevelRecord(SQLModel, table=True):
    __tablename__ = "rebate_levels"

    plan_id: str = Field(primary_key=True)
    role: str = Field(primary_key=True)
    per_lot: Decimal = Field(default=Decimal(0), sa_column=Column(Amount(), nullable=False))
    per_notional: Decimal = Field(default=Decimal(0), sa_column=Column(Amount(), nullable=False))
    markup_share: Decimal = Field(default=Decimal(0), sa_column=Column(Amount(), nullable=False))
    commission_share: Decimal = Field(default=Decimal(0), sa_column=Column(Amount(), nullable=False))


class RebatePayoutItemRecord(SQLModel, table=True):
    """One accrual (its ledger reference, "<fill key>:<IB>") and the payout that paid it."""

    __tablename__ = "rebate_payout_items"

    accrual: str = Field(primary_key=True)
    payout: str = Field(index=True)
    ib_id: str = Field(index=True)
    paid_at: dt.datetime


class RebateReleaseRecord(SQLModel, table=True):
    """A broker's release of an IB's held rebates: what accrued up to ``released_through`` may be paid."""

    __tablename__ = "rebate_releases"

    release_id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(index=True)
    ib_id: str = Field(index=True)
    released_through: dt.datetime
    released_by: str
