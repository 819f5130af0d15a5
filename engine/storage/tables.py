"""The engine's tables. Money and quantities are exact decimals (``Amount``), never floating point; times are UTC."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger
from sqlmodel import Column, Field, SQLModel

from engine.storage.types import Amount


class OrderRecord(SQLModel, table=True):
    __tablename__ = "orders"

    order_id: str = Field(primary_key=True)
    cl_ord_id: str = Field(index=True)
    tenant_id: str = Field(index=True)
    account_id: str = Field(index=True)
    symbol: str
    side: str
    ord_type: str
    time_in_force: str
    quantity: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    price: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    stop_price: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    venue_price: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    venue_stop_price: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    status: str = Field(index=True)
    filled: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    average_price: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    venue: str | None = None
    venue_order_id: str | None = None
    reject_code: str | None = None
    reject_reason: str | None = None
    expire_at: dt.datetime | None = None
    trail: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    take_profit: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    stop_loss: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    parent_id: str | None = Field(default=None, index=True)
    oco_id: str | None = Field(default=None, index=True)
    position_id: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class ExecutionRecord(SQLModel, table=True):
    """Every fill as the client was told of it; its key is the venue, the order and the venue's ExecID
    (engine.oms.fill_key), so a replay cannot book it twice and a venue's new session cannot collide with it."""

    __tablename__ = "executions"

    exec_id: str = Field(primary_key=True)
    order_id: str = Field(index=True)
    account_id: str = Field(index=True)
    symbol: str
    side: str
    quantity: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    price: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    venue: str
    venue_price: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    markup_revenue: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    commission: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    at: dt.datetime


class PositionRecord(SQLModel, table=True):
    __tablename__ = "positions"

    position_id: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    symbol: str
    quantity: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    average_price: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    updated_at: dt.datetime


class JournalEntryRecord(SQLModel, table=True):
    __tablename__ = "journal_entries"

    entry_id: int = Field(primary_key=True)
    kind: str
    reference: str = Field(index=True)
    at: dt.datetime


class PostingRecord(SQLModel, table=True):
    __tablename__ = "postings"

    posting_id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="journal_entries.entry_id", index=True)
    owner: str = Field(index=True)
    purpose: str
    currency: str
    amount: Decimal = Field(sa_column=Column(Amount(), nullable=False))


class TenantRecord(SQLModel, table=True):
    """A white-label tenant, its brand and its defaults (engine.domain.tenancy.Tenant)."""

    __tablename__ = "tenants"

    tenant_id: str = Field(primary_key=True)
    name: str
    region: str = ""
    logo_url: str = ""
    primary_colour: str = "#1f6feb"
    accent_colour: str = "#f0b429"
    language: str = "en"
    domain: str = Field(default="", index=True)
    path: str = ""
    default_leverage: Decimal = Field(default=Decimal(100), sa_column=Column(Amount(), nullable=False))
    margin_call: Decimal | None = Field(default=None, sa_column=Column(Amount()))   # None: the platform's
    stop_out: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    orders_per_second: int | None = None
    allowed_instruments: str = ""     # comma-separated symbol patterns; empty: every instrument


class UserRecord(SQLModel, table=True):
    __tablename__ = "users"

    user_id: str = Field(primary_key=True)
    tenant_id: str = Field(index=True)
    role: str
    referrer_id: str | None = Field(default=None, index=True)
    name: str = ""
    email: str = ""
    region: str = ""
    locked: bool = False
    trade_clients: bool = False
    referral_code: str | None = Field(default=None, unique=True)


class GroupRecord(SQLModel, table=True):
    __tablename__ = "groups"

    group_id: str = Field(primary_key=True)
    tenant_id: str = Field(index=True)
    max_leverage: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    leverage: str = ""                # per asset class, JSON: {"crypto": "5"}
    pipeline: str = ""                # comma-separated interceptor names; empty: the tenant's order


class AuditRecord(SQLModel, table=True):
    """One back-office change: who, when, what, and the thing before and after it (JSON; secrets never)."""

    __tablename__ = "audit"

    audit_id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    actor: str = Field(index=True)
    tenant_id: str | None = Field(default=None, index=True)
    action: str                       # engine.domain.policy.Action, or a finer verb: "users.lock"
    resource: str = Field(index=True)  # "tenants", "users", "markups", ...
    resource_id: str = Field(index=True)
    before: str | None = None
    after: str | None = None


class AccountRecord(SQLModel, table=True):
    __tablename__ = "accounts"

    account_id: str = Field(primary_key=True)
    tenant_id: str = Field(index=True)
    user_id: str = Field(index=True)
    group_id: str
    base_currency: str
    leverage: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    position_mode: str


class RouteRuleRecord(SQLModel, table=True):
    """One row of the route table; ``rank`` orders the rules (the first match decides). No tenant: platform-wide."""

    __tablename__ = "route_rules"

    rank: int = Field(primary_key=True)
    venues: str                       # comma-separated, in order of preference
    tenant_id: str | None = Field(default=None, index=True)
    group_id: str | None = None
    asset_class: str | None = None
    symbol_pattern: str = "*"
    min_quantity: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    max_quantity: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    best_price: bool = False
    reroute_on_reject: bool = True


class MarkupRecord(SQLModel, table=True):
    __tablename__ = "markups"

    tenant_id: str = Field(primary_key=True)
    group_id: str = Field(primary_key=True)   # "*": every group of the tenant
    symbol: str = Field(primary_key=True)     # "*": every symbol
    bid: Decimal = Field(default=Decimal(0), sa_column=Column(Amount(), nullable=False))   # per side, in ``unit``
    ask: Decimal = Field(default=Decimal(0), sa_column=Column(Amount(), nullable=False))
    unit: str = "points"              # engine.domain.terms.MarkupUnit: points, pips or percent


class CommissionPlanRecord(SQLModel, table=True):
    __tablename__ = "commission_plans"

    group_id: str = Field(primary_key=True)
    tenant_id: str = Field(index=True)
    rate: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    unit: str                              # engine.domain.terms.CommissionUnit: lot, unit or notional
    per_trade: Decimal = Field(sa_column=Column(Amount(), nullable=False))


class BarRecord(SQLModel, table=True):
    __tablename__ = "bars"

    tenant_id: str = Field(primary_key=True)
    group_id: str = Field(primary_key=True)
    symbol: str = Field(primary_key=True)
    interval: str = Field(primary_key=True)
    start: dt.datetime = Field(primary_key=True)
    open: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    high: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    low: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    close: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    ticks: int


class CredentialRecord(SQLModel, table=True):
    """A user's login; the password is kept only as a salted scrypt hash."""

    __tablename__ = "credentials"

    user_id: str = Field(primary_key=True)
    login: str = Field(unique=True, index=True)
    password_hash: str


class ApiKeyRecord(SQLModel, table=True):
    """A program's key: the HMAC secret is encrypted at rest (Fernet, key from the environment)."""

    __tablename__ = "api_keys"

    key_id: str = Field(primary_key=True)
    user_id: str = Field(index=True)
    secret_encrypted: str
    created_at: dt.datetime
    revoked: bool = False


class LayoutRecord(SQLModel, table=True):
    __tablename__ = "layouts"

    user_id: str = Field(primary_key=True)
    layout: str                       # the terminal's JSON, as it sent it
    updated_at: dt.datetime


class ReportRecord(SQLModel, table=True):
    """An order or execution event a door must deliver, numbered in the order it happened; written with the state
    it reports (``engine.storage.report_outbox``)."""

    __tablename__ = "report_outbox"

    seq: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    topic: str = Field(index=True)
    payload: str                      # the event as JSON
    at: dt.datetime = Field(index=True)


class ReportCursorRecord(SQLModel, table=True):
    """The last event a door's session has durably taken (its FIX store holds the message)."""

    __tablename__ = "report_cursors"

    consumer: str = Field(primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger(), nullable=False))


ENGINE_TABLES = ("orders", "journal_entries", "postings", "executions", "positions", "tenants", "users", "groups",
                 "accounts", "route_rules", "markups", "commission_plans", "bars", "credentials", "api_keys", "layouts",
                 "report_outbox", "report_cursors", "audit", "job_runs", "rebate_plans", "rebate_levels",
                 "rebate_payout_items", "rebate_releases", "statements", "scheduled_orders",
                 "sessions", "invites", "ib_requests", "listed_instruments")
