"""What the adapter knows of each order it placed, and the one place reports are made from it, so that the REST
answers, the user data stream and reconciliation can all say the same thing without saying it twice."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import structlog

from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from routing.venue import ReportKind, VenueOrder, VenueReport

log = structlog.get_logger("adapters.binance")
ZERO = Decimal(0)

ORDER_STATUS = {
    "NEW": OrdStatus.NEW, "PENDING_NEW": OrdStatus.PENDING_NEW, "PARTIALLY_FILLED": OrdStatus.PARTIALLY_FILLED,
    "FILLED": OrdStatus.FILLED, "CANCELED": OrdStatus.CANCELED, "PENDING_CANCEL": OrdStatus.PENDING_CANCEL,
    "REJECTED": OrdStatus.REJECTED, "EXPIRED": OrdStatus.EXPIRED, "EXPIRED_IN_MATCH": OrdStatus.EXPIRED,
}
SIDES = {Side.BUY: "BUY", Side.SELL: "SELL"}
TIME_IN_FORCE = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}
ORD_TYPES = {"MARKET": OrdType.MARKET, "LIMIT": OrdType.LIMIT, "LIMIT_MAKER": OrdType.LIMIT,
             "STOP_LOSS": OrdType.STOP, "TAKE_PROFIT": OrdType.STOP,
             "STOP_LOSS_LIMIT": OrdType.STOP_LIMIT, "TAKE_PROFIT_LIMIT": OrdType.STOP_LIMIT}


@dataclass(frozen=True, slots=True)
class OrderEndpoints:
    """Where an account's orders and trades live, with each call's documented request weight."""

    order: str
    trades: str
    place_weight: int
    cancel_weight: int
    query_weight: int
    trades_weight: int
    params: tuple[tuple[str, str], ...] = ()     # sent with every order, cancel and query


SPOT = OrderEndpoints("/api/v3/order", "/api/v3/myTrades", 1, 1, 4, 5)
# Margin Trading, Trade: weights 6 (UID) to place, 10 (IP) to cancel, query or list trades; cross margin only.
MARGIN = OrderEndpoints("/sapi/v1/margin/order", "/sapi/v1/margin/myTrades", 6, 10, 10, 10, (("isIsolated", "FALSE"),))


def client_id(order_id: str, generation: int) -> str:
    """newClientOrderId of each generation: our order ID first, then one new ID per cancelReplace."""
    return order_id if generation == 0 else f"{order_id}-r{generation}"


@dataclass(eq=False)
class TrackedOrder:
    order: VenueOrder
    venue_symbol: str
    venue_type: str
    quantity: Decimal                      # total, across replaces, as our contract counts it
    price: Decimal | None
    generation: int = 0
    venue_order_id: str | None = None
    filled: Decimal = ZERO
    trade_ids: set[int] = field(default_factory=set)
    accepted: bool = False
    replaced: set[int] = field(default_factory=set)
    done: bool = False
    status: OrdStatus = OrdStatus.PENDING_NEW
    pending: tuple[int, Decimal, Decimal | None] | None = None   # replace in flight: generation, quantity, price

    @property
    def client_id(self) -> str:
        return client_id(self.order.order_id, self.generation)


class Reporter:
    """Turns state changes of a TrackedOrder into VenueReports, each at most once."""

    def __init__(self, venue: str, publish: Callable[[VenueReport], None]) -> None:
        self.venue = venue
        self.publish = publish

    def emit(self, kind: ReportKind, order_id: str, *, venue_order_id: str | None = None, exec_id: str | None = None,
             last_quantity: Decimal = ZERO, last_price: Decimal = ZERO, status: OrdStatus | None = None,
             reason: str | None = None, retryable: bool = False) -> None:
        report = VenueReport(self.venue, kind, order_id, venue_order_id=venue_order_id, exec_id=exec_id,
                             last_quantity=last_quantity, last_price=last_price, status=status, reason=reason,
                             retryable=retryable)
        log.info("binance_report", venue=self.venue, kind=kind.value, order_id=order_id,
                 status=status.name if status else None, exec_id=exec_id, quantity=str(last_quantity),
                 price=str(last_price), reason=reason)
        self.publish(report)

    def accepted(self, t: TrackedOrder) -> None:
        if t.accepted:
            return
        t.accepted = True
        if t.status is OrdStatus.PENDING_NEW:
            t.status = OrdStatus.NEW
        self.emit(ReportKind.ACCEPTED, t.order.order_id, venue_order_id=t.venue_order_id, status=OrdStatus.NEW)

    def replaced(self, t: TrackedOrder, generation: int, quantity: Decimal | None = None,
                 price: Decimal | None = None) -> None:
        if generation in t.replaced:
            return
        t.replaced.add(generation)
        if t.pending is not None and t.pending[0] == generation:
            _, quantity, price = t.pending
            t.pending = None
        if quantity is not None:
            t.quantity, t.price = quantity, price
        t.generation = max(t.generation, generation)
        self.emit(ReportKind.REPLACED, t.order.order_id, venue_order_id=t.venue_order_id,
                  status=OrdStatus.PARTIALLY_FILLED if t.filled else OrdStatus.NEW)

    def fill(self, t: TrackedOrder, trade_id: int, quantity: Decimal, price: Decimal) -> None:
        if trade_id in t.trade_ids or quantity <= 0:
            return
        self.accepted(t)
        t.trade_ids.add(trade_id)
        t.filled += quantity
        t.status = OrdStatus.FILLED if t.filled >= t.quantity else OrdStatus.PARTIALLY_FILLED
        t.done = t.status is OrdStatus.FILLED
        self.emit(ReportKind.FILL, t.order.order_id, venue_order_id=t.venue_order_id,
                  exec_id=f"{t.venue_symbol}-{trade_id}", last_quantity=quantity, last_price=price, status=t.status)

    def finished(self, t: TrackedOrder, kind: ReportKind, status: OrdStatus, reason: str | None = None,
                 retryable: bool = False) -> None:
        """The order ended without (more) fills: canceled, expired or rejected."""
        if t.done:
            return
        if kind is not ReportKind.REJECTED:
            self.accepted(t)
        t.done, t.status = True, status
        self.emit(kind, t.order.order_id, venue_order_id=t.venue_order_id, status=status, reason=reason,
                  retryable=retryable)

    def refused(self, t: TrackedOrder, reason: str) -> None:
        """A cancel or replace was refused (CANCEL_REJECTED); the order itself stays as it was (its status says
        so)."""
        self.emit(ReportKind.CANCEL_REJECTED, t.order.order_id, venue_order_id=t.venue_order_id, status=t.status,
                  reason=reason)
