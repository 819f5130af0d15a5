"""What an adapter knows of each order it follows at its venue, and the one place its reports are made from that
knowledge, so every adapter says the same thing in the same words.

``TrackedOrder`` holds the hub's order (with the terms the venue last accepted), the venue's id for it, the
cumulative filled quantity and average price, and the status; the status moves only along
``engine.domain.order.TRANSITIONS``. What a venue needs beyond that (its ClOrdID chain, a replace generation, the
instrument in its terms) sits in ``at_venue``, a record of the adapter's own. ``Reporter`` turns each change into a
``VenueReport`` stamped by the adapter's clock; a change the order cannot make (a fill after the cancel, a reject
of a live order) is logged and not reported, since the OMS could not apply it either.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Context, Decimal
from typing import Generic, TypeVar

import structlog

from adapters.contained import deliver
from engine.domain.order import TERMINAL, TRANSITIONS, OrdStatus
from engine.ports import Clock, ReportKind, VenueOrder, VenueReport

log = structlog.get_logger("adapters")

V = TypeVar("V")
ZERO = Decimal(0)
_WIDE = Context(prec=100)   # a venue's average may carry more digits than the 28 of Decimal's default context
_ENDINGS = {ReportKind.CANCELED: OrdStatus.CANCELED, ReportKind.EXPIRED: OrdStatus.EXPIRED,
            ReportKind.REJECTED: OrdStatus.REJECTED}


class TrackedOrder(Generic[V]):
    """One order as an adapter follows it; ``at_venue`` is the adapter's own record of how the venue knows it."""

    __slots__ = ("_status", "at_venue", "average_price", "filled", "order", "venue_order_id")

    def __init__(self, order: VenueOrder, at_venue: V, *, venue_order_id: str | None = None) -> None:
        self.order = order
        self.at_venue = at_venue
        self.venue_order_id = venue_order_id
        self.filled = ZERO
        self.average_price = ZERO
        self._status = OrdStatus.PENDING_NEW

    @property
    def status(self) -> OrdStatus:
        return self._status

    @property
    def is_open(self) -> bool:
        return self._status not in TERMINAL

    @property
    def acknowledged(self) -> bool:
        """The venue has shown it holds the order (an acknowledgement, a fill, a status answer)."""
        return self._status is not OrdStatus.PENDING_NEW

    def move(self, status: OrdStatus) -> bool:
        """Move to ``status`` if OrdStatus allows it from here; False (and no change) if not."""
        if status not in TRANSITIONS[self._status]:
            return False
        self._status = status
        return True

    def fill(self, quantity: Decimal, price: Decimal, *, average: Decimal | None = None,
             status: OrdStatus | None = None) -> bool:
        """Add a fill; ``average`` is the venue's own average price when it gives one, ``status`` its word on
        whether the order is now filled or partly filled (else what is left decides)."""
        if quantity <= 0:
            return False
        total = self.filled + quantity
        if status not in (OrdStatus.FILLED, OrdStatus.PARTIALLY_FILLED):
            status = OrdStatus.FILLED if total >= self.order.quantity else OrdStatus.PARTIALLY_FILLED
        if not self.move(status):
            return False
        self.average_price = average or (self.average_price * self.filled + price * quantity) / total
        self.filled = total
        return True

    def missing_fill(self, cumulative: Decimal, average: Decimal | None, last_quantity: Decimal | None,
                     last_price: Decimal | None) -> tuple[Decimal, Decimal] | None:
        """What a venue's cumulative quantity adds to what was reported, and at what price: the last fill's when
        it is all of it, else what the venue's average implies for the missing part (to the average's decimal
        places). None if nothing is missing or no price can be told."""
        missing = cumulative - self.filled
        if missing <= 0:
            return None
        if last_quantity == missing and last_price:
            return missing, last_price
        if not average:
            return None
        implied = (average * cumulative - self.average_price * self.filled) / missing
        return missing, implied.quantize(average, context=_WIDE)

    def adopt(self, status: OrdStatus, filled: Decimal, average_price: Decimal,
              venue_order_id: str | None) -> None:
        """Take the venue's record as this order's state: an order placed before this adapter started, whose
        fills so far the status answer tells the hub (they are not reported again)."""
        self._status, self.filled, self.average_price = status, filled, average_price
        self.venue_order_id = venue_order_id or self.venue_order_id


class Reporter:
    """Every report of one adapter: stamped by its clock, logged, and handed to each subscriber (one that fails
    on it is logged; the others, and the venue session the report came on, carry on)."""

    def __init__(self, venue: str, clock: Clock) -> None:
        self.venue = venue
        self.clock = clock
        self._subscribers: list[Callable[[VenueReport], None]] = []

    def subscribe(self, callback: Callable[[VenueReport], None]) -> None:
        self._subscribers.append(callback)

    def forget_subscribers(self) -> None:
        self._subscribers.clear()

    def make(self, kind: ReportKind, order_id: str, *, venue_order_id: str | None = None,
             exec_id: str | None = None, last_quantity: Decimal = ZERO, last_price: Decimal = ZERO,
             status: OrdStatus | None = None, reason: str | None = None, code: str | None = None) -> VenueReport:
        return VenueReport(self.venue, kind, order_id, venue_order_id=venue_order_id, exec_id=exec_id,
                           last_quantity=last_quantity, last_price=last_price, status=status, reason=reason,
                           code=code, at=self.clock())

    def publish(self, report: VenueReport) -> None:
        log.debug("adapters.report", venue=self.venue, kind=report.kind.value, order_id=report.order_id,
                 exec_id=report.exec_id, quantity=str(report.last_quantity), price=str(report.last_price),
                 status=report.status.name if report.status else None, reason=report.reason, code=report.code)
        deliver(self._subscribers, report, venue=self.venue, what="report")

    # ---- reports made from a tracked order, each after the move it reports
    def accepted(self, tracked: TrackedOrder[V], exec_id: str | None = None) -> None:
        """The venue acknowledged the order: reported once, and only before anything else happened to it."""
        if tracked.status is OrdStatus.PENDING_NEW and tracked.move(OrdStatus.NEW):
            self.publish(self.make(ReportKind.ACCEPTED, tracked.order.order_id, exec_id=exec_id,
                                   venue_order_id=tracked.venue_order_id, status=OrdStatus.NEW))

    def filled(self, tracked: TrackedOrder[V], exec_id: str, quantity: Decimal, price: Decimal, *,
               average: Decimal | None = None, status: OrdStatus | None = None) -> None:
        if not tracked.fill(quantity, price, average=average, status=status):
            self._cannot(tracked, "fill", exec_id=exec_id, quantity=str(quantity))
            return
        self.publish(self.make(ReportKind.FILL, tracked.order.order_id, venue_order_id=tracked.venue_order_id,
                               exec_id=exec_id, last_quantity=quantity, last_price=price, status=tracked.status))

    def ended(self, tracked: TrackedOrder[V], kind: ReportKind, reason: str | None = None, code: str | None = None,
              exec_id: str | None = None) -> None:
        """The order ended without (more) fills: CANCELED, EXPIRED or REJECTED (a refused new order only)."""
        if not tracked.is_open:
            return
        if not tracked.move(_ENDINGS[kind]):
            self._cannot(tracked, kind.value, reason=reason)
            return
        self.publish(self.make(kind, tracked.order.order_id, venue_order_id=tracked.venue_order_id,
                               exec_id=exec_id, status=tracked.status, reason=reason, code=code))

    def lost(self, tracked: TrackedOrder[V], never_arrived: str, dropped: str) -> None:
        """The venue has no record of an open order after a reconnect: a new order that never got there is
        REJECTED (the venue was out of reach: another may take it), one it had acknowledged was dropped there."""
        if tracked.acknowledged:
            self.ended(tracked, ReportKind.CANCELED, dropped)
        else:
            self.ended(tracked, ReportKind.REJECTED, never_arrived, "venue_unavailable")

    def replaced(self, tracked: TrackedOrder[V], order: VenueOrder, status: OrdStatus | None = None,
                 exec_id: str | None = None) -> None:
        """The venue took the order's new terms; ``status`` is its word on where the order stands now."""
        tracked.order = order
        if status is not None and status is not tracked.status:
            tracked.move(status)
        self.publish(self.make(ReportKind.REPLACED, order.order_id, venue_order_id=tracked.venue_order_id,
                               exec_id=exec_id, status=tracked.status))

    def refused(self, tracked: TrackedOrder[V], reason: str, code: str | None,
                status: OrdStatus | None = None) -> None:
        """A cancel or replace the venue (or the adapter) would not do: the order stays as it was."""
        self.publish(self.make(ReportKind.CANCEL_REJECTED, tracked.order.order_id,
                               venue_order_id=tracked.venue_order_id, status=status or tracked.status,
                               reason=reason, code=code))

    def status_of(self, tracked: TrackedOrder[V], reason: str | None = None) -> VenueReport:
        """A STATUS answer from what the adapter knows: cumulative filled and average price."""
        return self.make(ReportKind.STATUS, tracked.order.order_id, venue_order_id=tracked.venue_order_id,
                         last_quantity=tracked.filled, last_price=tracked.average_price, status=tracked.status,
                         reason=reason)

    # ---- reports about orders the adapter does not follow
    def rejected(self, order_id: str, reason: str, code: str | None, status: OrdStatus | None = None) -> None:
        """A new order refused before it was sent; ``status`` is that of a live order whose id it took."""
        self.publish(self.make(ReportKind.REJECTED, order_id, status=status or OrdStatus.REJECTED, reason=reason,
                               code=code))

    def refused_unknown(self, order_id: str, reason: str, code: str | None = "unknown_order") -> None:
        """A cancel or replace of an order this adapter neither placed nor adopted."""
        self.publish(self.make(ReportKind.CANCEL_REJECTED, order_id, reason=reason, code=code))

    def _cannot(self, tracked: TrackedOrder[V], what: str, **details: object) -> None:
        log.warning("adapters.report_dropped", venue=self.venue, order_id=tracked.order.order_id, what=what,
                    status=tracked.status.name, **details)

