"""Column types. Money and quantities stay exact: NUMERIC(38, 18) on PostgreSQL (read back without its padding
zeros); on SQLite, whose NUMERIC goes through floating point, the decimal's text. Times read back are made UTC-aware (``as_utc``)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class Amount(TypeDecorator[Decimal]):
    impl = Numeric(38, 18)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(38, 18))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return str(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(value)
        return _without_padding(value)


def _without_padding(value: Decimal) -> Decimal:
    """NUMERIC(38, 18) hands every value back with 18 decimals: zero as ``0E-18``, which a FIX field must never
    carry, and 1.5 as 1.500000000000000000. The trailing zeros go, never an integer's own digits."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Times are stored in UTC; SQLite hands them back without their zone, PostgreSQL with it."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)
