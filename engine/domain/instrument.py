"""What can be traded: symbol, asset class, units, increments, limits, trading hours and margin rate."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo


class AssetClass(str, Enum):
    CRYPTO = "crypto"
    FX = "fx"
    EQUITY = "equity"
    COMMODITY = "commodity"


class Market(str, Enum):
    US = "US"
    HK = "HK"
    IN = "IN"


@dataclass(frozen=True, slots=True)
class TradingSession:
    """One daily window in the venue's time zone; weekdays 0 = Monday."""

    open: dt.time
    close: dt.time
    weekdays: frozenset[int] = frozenset(range(5))
    time_zone: str = "UTC"

    def contains(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.time_zone))
        if self.open <= self.close:
            return local.weekday() in self.weekdays and self.open <= local.time() < self.close
        # a window that wraps midnight opens on one of ``weekdays`` and closes the next morning
        if local.time() >= self.open:
            return local.weekday() in self.weekdays
        return (local.weekday() - 1) % 7 in self.weekdays and local.time() < self.close


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    asset_class: AssetClass
    base_currency: str
    quote_currency: str
    tick_size: Decimal
    lot_step: Decimal
    min_quantity: Decimal
    max_quantity: Decimal
    margin_rate: Decimal
    contract_size: Decimal = Decimal(1)
    sessions: tuple[TradingSession, ...] = ()  # empty: always open (crypto)
    market: Market | None = None
    board_lot: Decimal | None = None
    pip_size: Decimal | None = None          # None: forex's convention (0.0001, 0.01 for yen), else the tick
    min_notional: Decimal | None = None      # in the quote currency, at the order's price
    price_precision: int | None = None       # decimals a price is shown with; None: the tick's
    quantity_precision: int | None = None
    tenant_id: str | None = None             # listed for one tenant only; None: the platform's catalogue
    close_only: bool = False                 # delisted: positions may be closed, none opened

    def offered_to(self, tenant_id: str, allowed: tuple[str, ...] = ()) -> bool:
        """Whether a tenant's traders may trade it: the platform's catalogue or the tenant's own listing, within the
        tenant's allowed symbol patterns (none: every symbol)."""
        return self.tenant_id in (None, tenant_id) and (
            not allowed or any(fnmatchcase(self.symbol, pattern) for pattern in allowed))

    @property
    def pip(self) -> Decimal:
        """The price step a "pip" markup counts: forex's 0.0001 (0.01 when the quote is yen) unless set."""
        if self.pip_size is not None:
            return self.pip_size
        if self.asset_class is AssetClass.FX:
            return Decimal("0.01") if self.quote_currency == "JPY" else Decimal("0.0001")
        return self.tick_size

    def on_tick(self, price: Decimal) -> bool:
        return price > 0 and price % self.tick_size == 0

    def on_step(self, quantity: Decimal) -> bool:
        step = self.board_lot if self.board_lot is not None else self.lot_step
        return quantity > 0 and quantity % step == 0

    def is_open(self, moment: dt.datetime) -> bool:
        return not self.sessions or any(session.contains(moment) for session in self.sessions)

    def notional(self, quantity: Decimal, price: Decimal) -> Decimal:
        """Value in the quote currency."""
        return quantity * self.contract_size * price

    def day_end(self, moment: dt.datetime) -> dt.datetime:
        """When a DAY order placed at ``moment`` expires: the last close of the trading day it belongs to (after the
        lunch break, not at it), or the next UTC midnight for an instrument that never closes."""
        if not self.sessions:
            return dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
        for days in range(8):
            closes = []
            for session in self.sessions:
                zone = ZoneInfo(session.time_zone)
                day = moment.astimezone(zone).date() + dt.timedelta(days=days)
                if day.weekday() not in session.weekdays:
                    continue
                close_day = day + dt.timedelta(days=1) if session.close <= session.open else day
                closes.append(dt.datetime.combine(close_day, session.close, tzinfo=zone))
            later = [close for close in closes if close > moment]
            if later:
                return max(later).astimezone(dt.timezone.utc)
        raise ValueError(f"{self.symbol} has no trading day in the coming week")
