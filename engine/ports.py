"""The engine's ports: what drives the engine and what it drives. Routing and the adapters implement them; the
composition root (``dynamictech/``) wires them together; the engine never imports either.

- The venue contract (``Venue``, ``VenueOrder``, ``VenueReport``, ``Quote``): adapters convert at their edge, so what
  crosses it is the engine's symbols, quantities and prices.
- The interceptor protocol (``Interceptor`` with one method per direction, ``OrderContext``, ``FillContext``,
  ``ClientQuote``); a refusal is a ``Rejection`` (``engine.domain.rejects``).
- What the OMS needs of the pipelines and of the router (``Pipelines``, ``Router``).
- ``Clock``: time is an input, one clock injected from the composition root.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Protocol, runtime_checkable

from engine.domain.instrument import Instrument
from engine.domain.offers import Offers
from engine.domain.order import Order, OrdStatus, OrdType, Side, TimeInForce
from engine.domain.rejects import Rejection
from engine.domain.tenancy import Account
from engine.domain.terms import RouteRule

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The wall clock; only the composition root passes it in."""
    return dt.datetime.now(dt.timezone.utc)


# ---------------------------------------------------------------------------------------------- the venue contract
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
    reason: str | None = None   # the venue's own words, for the client's Text and the dealer
    code: str | None = None     # a refusal's code from engine.domain.rejects.VENUE_CODES
    at: dt.datetime = field(kw_only=True)   # the adapter's clock: when the report reached the hub


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
    received_at: dt.datetime = field(kw_only=True)   # the adapter's clock
    bids: tuple[tuple[Decimal, Decimal], ...] = ()   # depth as (price, size), best first, when the venue gives it
    asks: tuple[tuple[Decimal, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class Health:
    connected: bool
    latency_ms: float | None = None
    last_message_at: dt.datetime | None = None
    logon_refused: str | None = None   # why the venue refused its last logon (its Logout Text), until one succeeds


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
    average price; None when the venue has no such order.

    offers is what the venue takes (``engine.domain.offers``): the OMS fits each order to it before place()."""

    name: str
    offers: Offers

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


@dataclass(frozen=True, slots=True)
class PastBar:
    """One closed bar of a venue's own past, in the venue's prices (its trades or its bid; before any markup).
    ``ticks`` is what the venue counts in it: trades where it reports them, else price updates."""

    start: dt.datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    ticks: int
    volume: Decimal | None = None   # in the instrument's quantity unit, where the venue reports it


@runtime_checkable
class History(Protocol):
    """A venue that can tell its past (beyond the Venue contract, which stays as it is): closed bars of
    ``seconds`` each whose start lies in [start, end), oldest first; [] when it has none."""

    async def past_bars(self, symbol: str, seconds: int, start: dt.datetime, end: dt.datetime) -> list[PastBar]: ...


# ---------------------------------------------------------------------------------------------- the pipeline
@dataclass(slots=True)
class OrderContext:
    """An order on its way to a venue; interceptors fill in the venue-side prices."""

    order: Order
    instrument: Instrument | None
    account: Account
    now: dt.datetime
    venue_price: Decimal | None = None
    venue_stop_price: Decimal | None = None


@dataclass(slots=True)
class FillContext:
    """A fill on its way back to the client: venue terms in, client terms and the broker's revenue out."""

    order: Order
    instrument: Instrument
    account: Account
    exec_id: str
    quantity: Decimal
    venue_price: Decimal
    client_price: Decimal
    markup_revenue: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)
    rebates: list[tuple[str, Decimal]] = field(default_factory=list)   # (IB user, amount in account currency)


@dataclass(frozen=True, slots=True)
class ClientQuote:
    """A price on its way to one tenant group's traders; a missing side stays missing."""

    tenant_id: str
    group_id: str
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    tick_size: Decimal | None = None   # prices going out are rounded on it, in the broker's favour
    pip: Decimal | None = None         # what a markup in pips counts (Instrument.pip); None: the tick


class Interceptor:
    name = "interceptor"

    def before_route(self, context: OrderContext) -> Rejection | None:
        return None

    def after_fill(self, fill: FillContext) -> None:
        return None

    def on_quote(self, quote: ClientQuote) -> ClientQuote:
        return quote



class Pipeline(Protocol):
    def before_route(self, context: OrderContext) -> Rejection | None: ...
    def after_fill(self, fill: FillContext) -> None: ...


class Pipelines(Protocol):
    """The pipeline of an account group: its own order where the broker set one, else its tenant's."""

    def for_group(self, tenant_id: str, group_id: str) -> Pipeline: ...


# ---------------------------------------------------------------------------------------------- the router
class NoRoute(Exception):
    """No rule matches, or every venue of the matching rule is down."""


class Router(Protocol):
    """The A-Book route table over the venues: which venues to try for an order, in order, and the rule."""

    venues: Mapping[str, Venue]

    def candidates(self, order: Order, group_id: str, instrument: Instrument) -> tuple[RouteRule, list[str]]: ...
