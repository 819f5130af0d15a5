"""The exchanges' order rules as the simulated broker enforces them: regular trading hours, price increments, lots
and daily price bands. Each table is written from the exchange's or regulator's own document, named beside it, and
not from the hub's adapter: when the two sides disagree, the contract test is there to say so.

Left out: holidays and half days, pre-opening and closing auctions, extended hours, HKEX's order price limits
(9 or 24 spreads from the nominal price), NSE's band flexing and Reg NMS's half-penny tier (see REG_NMS_612).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from simulators.equity.fields import OrdType

D = Decimal
_ZERO = D(0)
_UNBOUNDED = D("Infinity")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the exchange would not take an order: a stable code and a sentence, sent as ``code: sentence``."""

    code: str
    text: str

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"


@dataclass(frozen=True, slots=True)
class Band:
    """Prices up to ``upper`` trade in steps of ``tick``. ``below``: the exchange writes the band as "below"
    ``upper`` (Rs 250, $1.00), so ``upper`` itself belongs to the next band; otherwise it is "up to and including"."""

    upper: Decimal
    tick: Decimal
    below: bool = False


@dataclass(frozen=True, slots=True)
class TickTable:
    name: str
    bands: tuple[Band, ...]
    lowest: Decimal = _ZERO  # the lowest price the table has a band for

    def tick(self, price: Decimal) -> Decimal | None:
        """The increment at ``price``, or None outside the table (below ``lowest``, above the highest band)."""
        if price < self.lowest:
            return None
        for band in self.bands:
            if price < band.upper or (price == band.upper and not band.below):
                return band.tick
        return None


# SEC Regulation NMS Rule 612 (17 CFR 242.612, the sub-penny rule): no order priced at $1.00 or more may be accepted
# in an increment smaller than $0.01, nor one below $1.00 in an increment smaller than $0.0001. The 2024 amendment
# adds $0.005 for stocks whose time-weighted average quoted spread was $0.015 or less over an evaluation period; the
# SEC has postponed its compliance date by exemptive order (to the first business day of November 2026 by its order
# of November 2025), and it needs each stock's measured spread, which a simulator does not have: not modelled.
REG_NMS_612 = TickTable("Reg NMS Rule 612", (Band(D("1.00"), D("0.0001"), below=True), Band(_UNBOUNDED, D("0.01"))))

# HKEX Rules of the Exchange, Second Schedule, spread table Part A (equities, REITs and other applicable securities;
# not ETPs, debt securities or structured products), with Phase 1 of HKEX's reduction of minimum spreads, in force
# since 4 August 2025: over HK$10 to 20 trades in 0.01 (was 0.02), over 20 to 50 in 0.02 (was 0.05). Phase 2 (over
# HK$0.50 to 10 in 0.005) is planned for around mid-2026, subject to HKEX's review of Phase 1 and six months' notice:
# change that row when HKEX sets its date. Bands run from "over" the previous ceiling to their own, inclusive, from
# HK$0.01 up to HK$9,995.
HKEX_SPREAD_TABLE = TickTable("HKEX spread table", (
    Band(D("0.25"), D("0.001")), Band(D("0.50"), D("0.005")), Band(D("10.00"), D("0.01")),
    Band(D("20.00"), D("0.01")), Band(D("50.00"), D("0.02")), Band(D("100.00"), D("0.05")),
    Band(D("200.00"), D("0.10")), Band(D("500.00"), D("0.20")), Band(D("1000.00"), D("0.50")),
    Band(D("2000.00"), D("1.00")), Band(D("5000.00"), D("2.00")), Band(D("9995.00"), D("5.00")),
), lowest=D("0.01"))

# NSE capital market tick sizes: below Rs 250, 0.01 (NSE circular of 24 May 2024, from 10 June 2024); Rs 250 to
# 1,000, 0.05; over 1,000 to 5,000, 0.10; over 5,000 to 10,000, 0.50; over 10,000 to 20,000, 1.00; over 20,000, 5.00
# (NSE's revision from 15 April 2025). NSE sets a stock's tick for a month from its close on the last trading day of
# the month before; the simulator takes the previous close, the close it knows.
NSE_TICK_SIZES = TickTable("NSE tick size table", (
    Band(D("250"), D("0.01"), below=True), Band(D("1000"), D("0.05")), Band(D("5000"), D("0.10")),
    Band(D("10000"), D("0.50")), Band(D("20000"), D("1.00")), Band(_UNBOUNDED, D("5.00")),
))


@dataclass(frozen=True, slots=True)
class Session:
    """A daily trading window in the exchange's time zone, Monday to Friday; an order at ``close`` is too late."""

    open: dt.time
    close: dt.time


@dataclass(frozen=True, slots=True)
class Market:
    """How one exchange trades. ``tick_from_close``: the tick follows the stock's previous close (NSE) rather than
    the order's price (Reg NMS, HKEX). ``price_bands``: limit and stop prices must lie in the stock's band around
    the previous close. ``lot_name``: the exchange's word for the lot a quantity must be a multiple of.
    ``locate_rule``: the rule a short sale's locate answers to, if the broker must see one (see check_locate)."""

    name: str
    time_zone: str
    sessions: tuple[Session, ...]
    ticks: TickTable
    lot_name: str
    tick_from_close: bool = False
    price_bands: bool = False
    locate_rule: str | None = None

    def is_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.time_zone))
        return local.weekday() < 5 and any(s.open <= local.time() < s.close for s in self.sessions)

    def hours(self) -> str:
        windows = ", ".join(f"{s.open:%H:%M}-{s.close:%H:%M}" for s in self.sessions)
        return f"{windows} {self.time_zone}, Monday to Friday"

    def tick(self, price: Decimal, previous_close: Decimal) -> Decimal | None:
        """The increment for ``price`` in a stock that closed at ``previous_close``; None outside the table."""
        return self.ticks.tick(previous_close if self.tick_from_close else price)

    def check_session(self, moment: dt.datetime) -> Refusal | None:
        if self.is_open(moment):
            return None
        local = moment.astimezone(ZoneInfo(self.time_zone))
        return Refusal("market_closed", f"{self.name} is closed at {local:%a %H:%M} local time; it trades "
                                        f"{self.hours()}")

    def check_lot(self, quantity: Decimal, lot: Decimal) -> Refusal | None:
        if quantity <= 0:
            return Refusal("bad_quantity", f"quantity {quantity} must be positive")
        if quantity % lot == 0:
            return None
        if lot == 1:
            return Refusal("off_lot", f"quantity {quantity} is not a whole number of shares")
        return Refusal("off_lot", f"quantity {quantity} is not a multiple of the {self.lot_name} of {lot}")

    def check_tick(self, price: Decimal, previous_close: Decimal, what: str = "price") -> Refusal | None:
        if price <= 0:
            return Refusal("bad_price", f"{what} {price} must be positive")
        if price < self.ticks.lowest:
            return Refusal("off_tick", f"{what} {price} is below {_plain(self.ticks.lowest)}, the lowest price of "
                                       f"the {self.ticks.name}")
        tick = self.tick(price, previous_close)
        if tick is None:
            return Refusal("off_tick", f"{what} {price} is above the highest band of the {self.ticks.name}")
        if price % tick != 0:
            return Refusal("off_tick", f"{what} {price} is not a multiple of the {_plain(tick)} tick "
                                       f"({self.ticks.name})")
        return None

    def check_band(self, price: Decimal, previous_close: Decimal, band_percent: Decimal | None) -> Refusal | None:
        if not self.price_bands or band_percent is None:
            return None
        width = previous_close * band_percent / 100
        low, high = previous_close - width, previous_close + width
        if low <= price <= high:
            return None
        return Refusal("outside_band", f"price {price} is outside the {band_percent}% band {_plain(low)}-"
                                       f"{_plain(high)} around the previous close {_plain(previous_close)}")

    def check_locate(self, side: str, locate_reqd: str | None, locate_broker: str | None) -> Refusal | None:
        """A short sale (Side=5) must say who locates the stock: LocateReqd(114)=Y asks us to (this broker finds
        every stock it lists borrowable), N says it was located elsewhere and names that firm in LocateBroker(5700)."""
        if self.locate_rule is None or side != "5":
            return None
        if locate_reqd == "Y" or (locate_reqd == "N" and locate_broker):
            return None
        if locate_reqd == "N":
            return Refusal("locate_required", f"a short sale with LocateReqd(114)=N must name the firm that located "
                                              f"the stock in LocateBroker(5700) ({self.locate_rule})")
        return Refusal("locate_required", f"a short sale needs a locate: LocateReqd(114)=Y for us to locate the "
                                          f"stock, or N with the locating firm in LocateBroker(5700) "
                                          f"({self.locate_rule})")

    def check_order(self, *, ord_type: OrdType, quantity: Decimal, price: Decimal | None,
                    stop_price: Decimal | None, lot: Decimal, band_percent: Decimal | None,
                    previous_close: Decimal, moment: dt.datetime) -> Refusal | None:
        """The first rule the order breaks, in the order a trader would fix them: prices, hours, lot, tick, band."""
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
        return next((refusal for refusal in checks if refusal is not None), None)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


# NYSE and Nasdaq: the core (regular) session, 9:30 to 16:00 Eastern time. SEC Regulation SHO Rule 203(b)(1)
# (17 CFR 242.203): a broker-dealer may not accept a short sale order in an equity security unless it has borrowed
# the security, entered into an arrangement to borrow it, or has reasonable grounds to believe it can be borrowed
# for delivery when due, and has documented that (the "locate").
US = Market("NYSE/Nasdaq", "America/New_York", (Session(dt.time(9, 30), dt.time(16)),), REG_NMS_612,
            lot_name="trading unit", locate_rule="Reg SHO Rule 203(b)(1)")
# HKEX Rules of the Exchange, Rule 501(1): the Morning Session 9:30 to 12:00 noon and the Afternoon Session 13:00 to
# 16:00, the lunch break between them; orders must be whole board lots.
HK = Market("HKEX", "Asia/Hong_Kong",
            (Session(dt.time(9, 30), dt.time(12)), Session(dt.time(13), dt.time(16))), HKEX_SPREAD_TABLE,
            lot_name="board lot")
# NSE capital market: the normal market, 9:15 to 15:30 India time (the pre-open call auction before it is left out).
IN = Market("NSE", "Asia/Kolkata", (Session(dt.time(9, 15), dt.time(15, 30)),), NSE_TICK_SIZES,
            lot_name="market lot", tick_from_close=True, price_bands=True)
