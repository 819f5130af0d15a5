"""Market rules per venue profile (US, HK, IN): trading hours, price increments, lots, price bands, short marking.

Each check returns a ``Refusal`` (a code and a sentence) or None, so the adapter can refuse an order before it
leaves the hub and the simulator can refuse it as the exchange would, from the same tables. Exchange holidays,
pre/post-market and auction sessions are not modelled: a weekday inside the regular windows is open.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from engine.domain.instrument import Market, TradingSession
from engine.domain.order import OrdType

D = Decimal
_NO_LIMIT = D("Infinity")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an order cannot go to the exchange: a stable code for machines and a sentence for the trader."""

    code: str
    text: str

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"


# (highest price of the band, inclusive; increment). The first band whose ceiling is at or above the price applies.
TickTable = tuple[tuple[Decimal, Decimal], ...]

# SEC Regulation NMS Rule 612 (sub-penny rule): $0.01 at or above $1.00, $0.0001 below.
REG_NMS_612: TickTable = ((D("0.9999"), D("0.0001")), (_NO_LIMIT, D("0.01")))

# HKEX spread table (Part A) after Phase 1 of the minimum spread reduction, in force from 4 August 2025
# (HK$10-20 -> 0.01, HK$20-50 -> 0.02). Phase 2 (HK$0.50-10 -> 0.005) was announced for 2026 without a date
# we could confirm; when it starts, change that one row.
HKEX_SPREADS: TickTable = (
    (D("0.25"), D("0.001")), (D("0.50"), D("0.005")), (D("10"), D("0.01")), (D("20"), D("0.01")),
    (D("50"), D("0.02")), (D("100"), D("0.05")), (D("200"), D("0.1")), (D("500"), D("0.2")),
    (D("1000"), D("0.5")), (D("2000"), D("1")), (D("5000"), D("2")), (D("9995"), D("5")),
)

# NSE capital market tick sizes by price, revised 15 April 2025 (below Rs 250 since 10 June 2024). NSE fixes each
# stock's tick monthly from the last month-end close; we read it from the previous close, which we know.
NSE_TICKS: TickTable = (
    (D("249.99"), D("0.01")), (D("1000"), D("0.05")), (D("5000"), D("0.10")), (D("10000"), D("0.50")),
    (D("20000"), D("1.00")), (_NO_LIMIT, D("5.00")),
)


def tick_for(table: TickTable, price: Decimal) -> Decimal | None:
    """The increment for ``price``, or None above the table's last band."""
    for ceiling, tick in table:
        if price <= ceiling:
            return tick
    return None


@dataclass(frozen=True, slots=True)
class MarketProfile:
    """How one market trades. ``tick_by_reference``: the tick follows the stock's reference price (NSE) rather
    than the order's price (Reg NMS, HKEX). ``marks_short_sales``: a sale beyond the long position goes as
    Side=5. ``requires_locate``: a short sale must say who locates the stock (SEC Regulation SHO Rule 203(b)(1):
    a broker may not accept a short sale unless the stock has been borrowed, arranged to be borrowed or is
    reasonably believed borrowable), so it carries LocateReqd(114). ``has_price_bands``: limit prices must lie
    within a percentage of the previous close."""

    market: Market
    suffix: str
    exchange_name: str
    currency: str
    sessions: tuple[TradingSession, ...]
    ticks: TickTable
    tick_rule: str
    tick_by_reference: bool = False
    marks_short_sales: bool = False
    requires_locate: bool = False
    has_price_bands: bool = False

    def hours(self) -> str:
        windows = ", ".join(f"{s.open:%H:%M}-{s.close:%H:%M}" for s in self.sessions)
        return f"{windows} {self.sessions[0].time_zone}, Monday to Friday"

    def check_session(self, moment: dt.datetime) -> Refusal | None:
        if any(session.contains(moment) for session in self.sessions):
            return None
        local = moment.astimezone(ZoneInfo(self.sessions[0].time_zone))
        return Refusal("market_closed", f"{self.exchange_name} is closed at {local:%a %H:%M} local time; "
                                        f"it trades {self.hours()}")

    def check_lot(self, quantity: Decimal, lot: Decimal) -> Refusal | None:
        if quantity <= 0:
            return Refusal("bad_quantity", f"quantity {quantity} must be positive")
        if quantity % lot != 0:
            if lot == 1:
                return Refusal("off_lot", f"quantity {quantity} is not a whole number of shares")
            unit = "board lot" if self.market is Market.HK else "market lot"
            return Refusal("off_lot", f"quantity {quantity} is not a multiple of the {unit} of {lot}")
        return None

    def check_tick(self, price: Decimal, reference: Decimal | None, what: str = "price") -> Refusal | None:
        if price <= 0:
            return Refusal("bad_price", f"{what} {price} must be positive")
        basis = reference if self.tick_by_reference else price
        if basis is None:
            return Refusal("no_reference_price", f"no previous close is known to set the tick under {self.tick_rule}")
        tick = tick_for(self.ticks, basis)
        if tick is None:
            return Refusal("off_tick", f"{what} {price} is above the highest band of the {self.tick_rule}")
        if price % tick != 0:
            return Refusal("off_tick", f"{what} {price} is not a multiple of the {tick} tick ({self.tick_rule})")
        return None

    def check_band(self, price: Decimal, previous_close: Decimal | None, band_percent: Decimal | None
                   ) -> Refusal | None:
        if not self.has_price_bands or band_percent is None:
            return None
        if previous_close is None:
            return Refusal("no_reference_price", "no previous close is known to enforce the price band")
        width = previous_close * band_percent / 100
        low, high = previous_close - width, previous_close + width
        if not low <= price <= high:
            return Refusal("outside_band", f"price {price} is outside the {band_percent}% band {_plain(low)}-"
                                           f"{_plain(high)} around the previous close {previous_close}")
        return None

    def check_order(self, *, ord_type: OrdType, quantity: Decimal, price: Decimal | None,
                    stop_price: Decimal | None, lot: Decimal, band_percent: Decimal | None,
                    previous_close: Decimal | None, moment: dt.datetime) -> Refusal | None:
        """Every rule in the order a trader would fix them: prices present, hours, lot, tick, band."""
        needs_price = ord_type in (OrdType.LIMIT, OrdType.STOP_LIMIT)
        needs_stop = ord_type in (OrdType.STOP, OrdType.STOP_LIMIT)
        if needs_price and price is None:
            return Refusal("missing_price", f"a {ord_type.name.lower()} order needs a limit price")
        if needs_stop and stop_price is None:
            return Refusal("missing_price", f"a {ord_type.name.lower()} order needs a stop price")
        checks = [self.check_session(moment), self.check_lot(quantity, lot)]
        for what, value in (("price", price if needs_price else None),
                            ("stop price", stop_price if needs_stop else None)):
            if value is not None:
                checks += [self.check_tick(value, previous_close, what),
                           self.check_band(value, previous_close, band_percent)]
        return first_refusal(*checks)

    def wire_side_for_sale(self, quantity: Decimal, long_position: Decimal | None) -> str:
        """FIX Side for a sale: 5 (sell short) where the market marks short sales and the long position does
        not cover the quantity (an unknown position counts as none, as Reg SHO 200(g) requires), else 2."""
        if self.marks_short_sales and (long_position is None or long_position < quantity):
            return "5"
        return "2"


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _windows(zone: str, *spans: tuple[tuple[int, int], tuple[int, int]]) -> tuple[TradingSession, ...]:
    return tuple(TradingSession(dt.time(*open_), dt.time(*close), time_zone=zone) for open_, close in spans)


US = MarketProfile(
    Market.US, "US", "NYSE/Nasdaq", "USD", _windows("America/New_York", ((9, 30), (16, 0))),
    REG_NMS_612, "Reg NMS Rule 612 sub-penny rule", marks_short_sales=True, requires_locate=True)
HK = MarketProfile(
    Market.HK, "HK", "HKEX", "HKD", _windows("Asia/Hong_Kong", ((9, 30), (12, 0)), ((13, 0), (16, 0))),
    HKEX_SPREADS, "HKEX spread table", marks_short_sales=True)
IN = MarketProfile(
    Market.IN, "NS", "NSE", "INR", _windows("Asia/Kolkata", ((9, 15), (15, 30))),
    NSE_TICKS, "NSE tick size table", tick_by_reference=True, has_price_bands=True)

PROFILES: dict[Market, MarketProfile] = {p.market: p for p in (US, HK, IN)}


def first_refusal(*checks: Refusal | None) -> Refusal | None:
    return next((c for c in checks if c is not None), None)
