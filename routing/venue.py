"""The contract every venue adapter keeps; the router and the OMS see venues only through it.

Adapters convert at their edge: what crosses this contract is the engine's symbols, quantities and prices.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Protocol

from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """What the hub asks a venue to do, in the venue's prices (markup already taken off)."""

    order_id: str
    symbol: str
    side: Side
    ord_type: OrdType
    quantity: Decimal
    time_in_force: TimeInForce
    price: Decimal | None = None
    stop_price: Decimal | None = None


class ReportKind(str, Enum):
    """REJECTED is a refused new order (it never lives at the venue); CANCEL_REJECTED a refused cancel or replace
    (FIX's OrderCancelReject, 35=9, or a BusinessMessageReject or Reject of an F or G): the order stays as it was,
    and ``status`` says where it stands when the venue tells."""

    ACCEPTED = "accepted"
    FILL = "fill"
    REJECTED = "rejected"
    CANCEL_REJECTED = "cancel_rejected"
    CANCELED = "canceled"
    REPLACED = "replaced"
    EXPIRED = "expired"
    STATUS = "status"


@dataclass(frozen=True, slots=True)
class VenueReport:
    """An execution report from a venue, normalised."""

    venue: str
    kind: ReportKind
    order_id: str
    venue_order_id: str | None = None
    exec_id: str | None = None
    last_quantity: Decimal = Decimal(0)
    last_price: Decimal = Decimal(0)
    status: OrdStatus | None = None
    reason: str | None = None
    retryable: bool = False
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book (and depth, where the venue gives it) from one venue, in the engine's symbol and units. Sizes
    are in the instrument's quantity unit; either side may be missing (a one-sided LP quote) and is then None."""

    venue: str
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    venue_time: dt.datetime | None = None
    received_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    bids: tuple[tuple[Decimal, Decimal], ...] = ()   # depth as (price, size), best first, when the venue gives it
    asks: tuple[tuple[Decimal, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class Health:
    connected: bool
    latency_ms: float | None = None
    last_message_at: dt.datetime | None = None


class VenueDown(Exception):
    """The venue cannot take orders now; the router may try the next one."""


class Venue(Protocol):
    """connect() returns once the venue can take orders; the adapter reconnects, resubscribes and reconciles by
    itself after that. quote() is the latest top of book, None if the venue has none or it is stale.

    cancel() and replace() name the order by its id; a refusal comes back as a CANCEL_REJECTED report (never an
    exception), as does a cancel or replace of an order the adapter does not know.

    order_status() is given the whole order (as the hub last knew it: FIX's OrderStatusRequest needs its Symbol
    and Side, Binance its symbol), so it can ask about an order this adapter instance did not send, e.g. one
    placed before a restart. If the venue knows such an order the adapter adopts it: from then on it follows the
    order as if it had placed it (its reports, cancel, replace), and fills the venue made before are not reported
    again. The answer is a STATUS report whose last_quantity is the cumulative filled quantity and last_price its
    average price; None when the venue has no such order."""

    name: str

    def on_report(self, callback: Callable[[VenueReport], None]) -> None: ...
    def on_quote(self, callback: Callable[[Quote], None]) -> None: ...
    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    def instruments(self) -> list[str]: ...
    async def subscribe(self, symbols: list[str]) -> None: ...
    def quote(self, symbol: str) -> Quote | None: ...
    async def place(self, order: VenueOrder) -> None: ...
    async def cancel(self, order_id: str) -> None: ...
    async def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> None: ...
    async def order_status(self, order: VenueOrder) -> VenueReport | None: ...
    def health(self) -> Health: ...
