"""Orders and their life, as FIX's OrdStatus describes it: one transition table, one error for an illegal move.

The enums carry FIX's wire values so the doors map them one to one; inside the engine they read as words.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from engine.domain.rejects import Rejection


class Side(str, Enum):
    BUY = "1"
    SELL = "2"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1


class OrdType(str, Enum):
    MARKET = "1"
    LIMIT = "2"
    STOP = "3"
    STOP_LIMIT = "4"
    MARKET_IF_TOUCHED = "J"   # a take-profit: held until the market touches stop_price, then sent at market


# Order types the OMS holds until the quote stream touches their trigger; venues see them only once triggered.
CONDITIONAL = frozenset({OrdType.STOP, OrdType.STOP_LIMIT, OrdType.MARKET_IF_TOUCHED})


class TimeInForce(str, Enum):
    DAY = "0"
    GTC = "1"
    IOC = "3"
    FOK = "4"
    GTD = "6"


class OrdStatus(str, Enum):
    PENDING_NEW = "A"
    NEW = "0"
    PARTIALLY_FILLED = "1"
    FILLED = "2"
    PENDING_CANCEL = "6"
    CANCELED = "4"
    PENDING_REPLACE = "E"
    REJECTED = "8"
    EXPIRED = "C"


TERMINAL = frozenset({OrdStatus.FILLED, OrdStatus.CANCELED, OrdStatus.REJECTED, OrdStatus.EXPIRED})

# The legal moves. A fill may arrive while a cancel or replace is pending (the race every OMS must survive).
TRANSITIONS: dict[OrdStatus, frozenset[OrdStatus]] = {
    OrdStatus.PENDING_NEW: frozenset({OrdStatus.NEW, OrdStatus.REJECTED, OrdStatus.PARTIALLY_FILLED,
                                      OrdStatus.FILLED, OrdStatus.CANCELED, OrdStatus.EXPIRED}),
    OrdStatus.NEW: frozenset({OrdStatus.PARTIALLY_FILLED, OrdStatus.FILLED, OrdStatus.PENDING_CANCEL,
                              OrdStatus.PENDING_REPLACE, OrdStatus.CANCELED, OrdStatus.EXPIRED, OrdStatus.NEW}),
    OrdStatus.PARTIALLY_FILLED: frozenset({OrdStatus.PARTIALLY_FILLED, OrdStatus.FILLED, OrdStatus.PENDING_CANCEL,
                                           OrdStatus.PENDING_REPLACE, OrdStatus.CANCELED, OrdStatus.EXPIRED}),
    OrdStatus.PENDING_CANCEL: frozenset({OrdStatus.CANCELED, OrdStatus.PARTIALLY_FILLED, OrdStatus.FILLED,
                                         OrdStatus.NEW, OrdStatus.EXPIRED}),
    OrdStatus.PENDING_REPLACE: frozenset({OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED, OrdStatus.FILLED,
                                          OrdStatus.CANCELED}),
    OrdStatus.FILLED: frozenset(),
    OrdStatus.CANCELED: frozenset(),
    OrdStatus.REJECTED: frozenset(),
    OrdStatus.EXPIRED: frozenset(),
}


class InvalidTransition(ValueError):
    """An order was asked to move where FIX's OrdStatus rules do not allow."""

    def __init__(self, order_id: str, current: OrdStatus, wanted: OrdStatus) -> None:
        super().__init__(f"order {order_id}: {current.name} cannot become {wanted.name}")
        self.current = current
        self.wanted = wanted


@dataclass(slots=True)
class Order:
    order_id: str
    cl_ord_id: str
    tenant_id: str
    account_id: str
    symbol: str
    side: Side
    ord_type: OrdType
    quantity: Decimal
    time_in_force: TimeInForce = TimeInForce.GTC
    price: Decimal | None = None       # limit price as the client sees it (after markup)
    stop_price: Decimal | None = None
    venue_price: Decimal | None = None       # the same prices as the venue sees them (markup taken off)
    venue_stop_price: Decimal | None = None
    expire_at: dt.datetime | None = None
    trail: Decimal | None = None             # a trailing stop: stop_price follows the market at this distance
    take_profit: Decimal | None = None       # brackets attached to this order, placed as an OCO once it fills
    stop_loss: Decimal | None = None
    parent_id: str | None = None             # the order whose fill created this bracket
    oco_id: str | None = None                # orders sharing it are one-cancels-other
    position_id: str | None = None           # hedging mode: the position ticket this order closes
    status: OrdStatus = OrdStatus.PENDING_NEW
    filled: Decimal = Decimal(0)
    average_price: Decimal = Decimal(0)
    venue: str | None = None
    venue_order_id: str | None = None
    rejection: Rejection | None = None
    created_at: dt.datetime = field(kw_only=True)   # the OMS's clock

    @property
    def leaves(self) -> Decimal:
        return Decimal(0) if self.status in TERMINAL else self.quantity - self.filled

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL

    @property
    def trigger_price(self) -> Decimal | None:
        """The venue-side price whose touch releases a held order."""
        return self.venue_stop_price if self.venue_stop_price is not None else self.stop_price

    def move(self, status: OrdStatus) -> None:
        if status not in TRANSITIONS[self.status]:
            raise InvalidTransition(self.order_id, self.status, status)
        self.status = status

    def restore_status(self, status: OrdStatus) -> None:
        """Undo a move whose transaction did not commit: the move never happened, so no transition is taken."""
        self.status = status

    def fill(self, quantity: Decimal, price: Decimal) -> None:
        """Book a fill at the client's price; the status follows from what is left."""
        if quantity <= 0 or self.filled + quantity > self.quantity:
            raise ValueError(f"order {self.order_id}: fill of {quantity} would overfill {self.leaves} left")
        total = self.filled + quantity
        self.average_price = average(self.average_price, self.filled, price, quantity)
        self.filled = total
        self.move(OrdStatus.FILLED if total == self.quantity else OrdStatus.PARTIALLY_FILLED)


AVERAGE_STEP = Decimal("1E-18")   # the journal's precision (NUMERIC(38, 18)): memory and database agree after a restart


def average(held_price: Decimal, held: Decimal, price: Decimal, quantity: Decimal) -> Decimal:
    """The quantity-weighted average price of what is held and a fill, to at most the journal's 18 decimals."""
    exact = (held_price * held + price * quantity) / (held + quantity)
    exponent = exact.as_tuple().exponent
    return exact.quantize(AVERAGE_STEP) if isinstance(exponent, int) and exponent < -18 else exact


@dataclass(frozen=True, slots=True)
class Execution:
    """One fill as the client was told of it; the journal keeps it so a replayed report is never booked again."""

    exec_id: str
    order_id: str
    account_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    venue: str
    venue_price: Decimal
    markup_revenue: Decimal
    commission: Decimal
    at: dt.datetime
