"""Instruments listed from the back office, on top of those the hub's configuration gives: a new crypto token or
pair with its filters, the venue that carries it and its symbol there, whether coins may be deposited and withdrawn
and after how many confirmations, the tenant it is listed for, and whether it is delisted to close-only."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from engine.storage.types import Amount


class ListedInstrumentRecord(SQLModel, table=True):
    __tablename__ = "listed_instruments"

    symbol: str = Field(primary_key=True)
    asset_class: str
    base_currency: str
    quote_currency: str
    tick_size: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    lot_step: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    min_quantity: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    max_quantity: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    min_notional: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    margin_rate: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    contract_size: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    pip_size: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    price_precision: int | None = None
    quantity_precision: int | None = None
    venue: str
    venue_symbol: str
    deposit_enabled: bool = False
    withdraw_enabled: bool = False
    confirmations: int | None = None
    tenant_id: str | None = Field(default=None, index=True)   # None: the platform's catalogue
    close_only: bool = False
    listed_at: dt.datetime           # UTC (engine.storage.types.as_utc when read)
