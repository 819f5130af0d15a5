"""The engine's tables. Money and quantities are exact decimals (``Amount``), never floating point; times are UTC."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
    reject_reason: str | None = None
    created_at: dt.datetime
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


ENGINE_TABLES = ("orders", "journal_entries", "postings")
