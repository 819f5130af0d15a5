"""Order state from the broker's reports, sans-IO: ExecutionReports, OrderCancelRejects and BusinessMessageRejects
in, VenueReports out. A refused cancel or replace is CANCEL_REJECTED; REJECTED is for refused new orders.

Fills are reported once, whether they come as ExecutionReports, as PossDup resends of them, or only as a larger
CumQty in the answer to an OrderStatusRequest (the reconciliation after each logon): CumQty decides. An order
sent before a restart is adopted from the broker's answer to a status request for it: the CumQty it shows then
is the hub's to book from that answer, and only what it adds later is reported as fills.
"""
from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import structlog

from adapters.equity_fix.fix42 import EXEC_KINDS, CancelReject, ExecutionReport
from adapters.equity_fix.instruments import Stock
from engine.domain.order import TERMINAL, OrdStatus
from routing.venue import ReportKind, VenueOrder, VenueReport

log = structlog.get_logger("adapters.equity_fix")

_ORD_STATUSES = {s.value: s for s in OrdStatus}
_TERMINAL_KINDS = {OrdStatus.CANCELED: ReportKind.CANCELED, OrdStatus.EXPIRED: ReportKind.EXPIRED,
                   OrdStatus.REJECTED: ReportKind.REJECTED}


@dataclass(slots=True)
class TrackedOrder:
    """One order as the venue knows it: the terms it last accepted and the ClOrdID it goes by now."""

    order: VenueOrder
    stock: Stock
    side: str
    cl_ord_id: str
    status: OrdStatus = OrdStatus.PENDING_NEW
    venue_order_id: str | None = None
    cum_qty: Decimal = Decimal(0)
    avg_px: Decimal = Decimal(0)
    requests: int = 0
    replacing: dict[str, VenueOrder] = field(default_factory=dict)
    adopting: bool = False   # asked about after a restart; tracked for good once the broker says it has it
    tag: str = ""            # in this process's cancel and replace ClOrdIDs of an adopted order (see next_cl_ord_id)


class Executions:
    """Every order sent through this connection, found by any ClOrdID it went by. ``emit`` gets each report;
    ``answer`` gets each status answer (None: the broker has no such order)."""

    def __init__(self, venue: str, emit: Callable[[VenueReport], None],
                 answer: Callable[[str, VenueReport | None], None]) -> None:
        self.name = venue
        self._emit = emit
        self._answer_status = answer
        self._orders: dict[str, TrackedOrder] = {}
        self._by_cl_ord_id: dict[str, str] = {}
        self._exec_ids: set[str] = set()
        self._log = log.bind(venue=venue)

    def get(self, order_id: str) -> TrackedOrder | None:
        return self._orders.get(order_id)

    def track(self, order: VenueOrder, stock: Stock, side: str) -> TrackedOrder:
        tracked = self._orders[order.order_id] = TrackedOrder(order, stock, side, cl_ord_id=order.order_id)
        self._by_cl_ord_id[order.order_id] = order.order_id
        return tracked

    def adopt(self, order: VenueOrder, stock: Stock, side: str) -> TrackedOrder:
        """An order sent before this process started, about to be asked for by its first ClOrdID (the order id):
        tracked once the broker's answer shows it has the order, forgotten if it has not (``_on_status``)."""
        tracked = self.track(order, stock, side)
        tracked.status, tracked.adopting = OrdStatus.NEW, True
        tracked.tag = secrets.token_hex(3)  # the ClOrdIDs the last process chained from the order id are unknown
        return tracked

    def forget_unadopted(self, order_id: str) -> None:
        """A status request for an order being adopted went unanswered: it is not tracked after all."""
        tracked = self._orders.get(order_id)
        if tracked is not None and tracked.adopting:
            self._forget(tracked)

    def next_cl_ord_id(self, tracked: TrackedOrder, kind: str) -> str:
        """A fresh ClOrdID for a cancel (C) or replace (R) of the order."""
        tracked.requests += 1
        cl_ord_id = f"{tracked.order.order_id}.{kind}{tracked.tag}{tracked.requests}"
        self._by_cl_ord_id[cl_ord_id] = tracked.order.order_id
        return cl_ord_id

    def open_orders(self) -> list[TrackedOrder]:
        return [o for o in self._orders.values() if o.status not in TERMINAL]

    def _order_id(self, *cl_ord_ids: str | None) -> str | None:
        """The order a ClOrdID belongs to: one we sent, or one the broker chained from an order's id (a status
        answer about an adopted order gives the ClOrdID it goes by now, which the last process chose)."""
        for cl_ord_id in cl_ord_ids:
            if cl_ord_id and cl_ord_id in self._by_cl_ord_id:
                return self._by_cl_ord_id[cl_ord_id]
        for cl_ord_id in cl_ord_ids:
            head = (cl_ord_id or "").rpartition(".")[0]
            if head in self._orders:
                return head
        return None

    def _forget(self, tracked: TrackedOrder) -> None:
        order_id = tracked.order.order_id
        self._orders.pop(order_id, None)
        for cl_ord_id in [c for c, o in self._by_cl_ord_id.items() if o == order_id]:
            del self._by_cl_ord_id[cl_ord_id]

    def on_execution_report(self, report: ExecutionReport) -> None:
        order_id = self._order_id(report.cl_ord_id, report.orig_cl_ord_id)
        if order_id is None:
            self._log.warning("equity_fix.report.unknown_order", cl_ord_id=report.cl_ord_id, exec_id=report.exec_id)
            return
        tracked = self._orders[order_id]
        if report.order_id:
            tracked.venue_order_id = report.order_id
        if report.is_status:
            self._on_status(tracked, report)
            return
        if report.exec_trans_type != "0":  # a bust or correction of an earlier execution: a dealer's job
            self._log.warning("equity_fix.report.correction_ignored", order_id=order_id, exec_id=report.exec_id,
                              exec_trans_type=report.exec_trans_type, ref=report.text)
            return
        if report.exec_id in self._exec_ids:  # a PossDup resend of what we already heard
            self._log.info("equity_fix.report.duplicate", order_id=order_id, exec_id=report.exec_id)
            return
        self._exec_ids.add(report.exec_id)
        kind = EXEC_KINDS.get(report.exec_type)
        status = _ORD_STATUSES.get(report.ord_status)
        if kind is None:
            self._log.info("equity_fix.report.pending", order_id=order_id, exec_type=report.exec_type)
            return
        if kind is ReportKind.FILL:
            self._fill(tracked, report.exec_id, report.cum_qty, report.avg_px, report.last_shares, report.last_px,
                       status)
            return
        reason, retryable = report.reject_reason() if kind is ReportKind.REJECTED else (report.text, False)
        if kind is ReportKind.REPLACED:
            tracked.order = tracked.replacing.pop(report.cl_ord_id, tracked.order)
            tracked.cl_ord_id = report.cl_ord_id
        if status is not None:
            tracked.status = status
        self._emit(VenueReport(self.name, kind, order_id, venue_order_id=tracked.venue_order_id,
                               exec_id=report.exec_id, status=status, reason=reason, retryable=retryable))

    def on_cancel_reject(self, reject: CancelReject) -> None:
        order_id = self._by_cl_ord_id.get(reject.cl_ord_id) or self._by_cl_ord_id.get(reject.orig_cl_ord_id)
        if order_id is None:
            self._log.warning("equity_fix.cancel_reject.unknown_order", cl_ord_id=reject.cl_ord_id)
            return
        tracked = self._orders[order_id]
        tracked.replacing.pop(reject.cl_ord_id, None)
        status = _ORD_STATUSES.get(reject.ord_status, tracked.status)
        self._emit(VenueReport(self.name, ReportKind.CANCEL_REJECTED, order_id,
                               venue_order_id=tracked.venue_order_id, status=status, reason=reject.describe()))

    def on_business_reject(self, ref_msg_type: str | None, ref_id: str | None, text: str) -> None:
        """A BusinessMessageReject (j) of one of our messages, matched by BusinessRejectRefID (our ClOrdID): a
        refused F or G is CANCEL_REJECTED, a refused D not yet acknowledged is REJECTED."""
        order_id = self._by_cl_ord_id.get(ref_id or "")
        tracked = self._orders.get(order_id or "")
        if tracked is None or ref_msg_type not in ("D", "F", "G"):
            self._log.warning("equity_fix.business_reject", ref_msg_type=ref_msg_type, ref_id=ref_id, text=text)
            return
        reason = f"broker_option: {text}"
        if ref_msg_type == "D":
            if tracked.status is OrdStatus.PENDING_NEW:
                tracked.status = OrdStatus.REJECTED
                self._emit(VenueReport(self.name, ReportKind.REJECTED, tracked.order.order_id,
                                       status=OrdStatus.REJECTED, reason=reason))
            return
        tracked.replacing.pop(ref_id or "", None)
        self._emit(VenueReport(self.name, ReportKind.CANCEL_REJECTED, tracked.order.order_id,
                               venue_order_id=tracked.venue_order_id, status=tracked.status,
                               reason=f"{reason} ({'cancel' if ref_msg_type == 'F' else 'replace'} refused)"))

    def _on_status(self, tracked: TrackedOrder, report: ExecutionReport) -> None:
        """An answer to an OrderStatusRequest: settle what we missed, then answer whoever asked."""
        order_id = tracked.order.order_id
        if tracked.adopting:
            self._adopted(tracked, report)
            return
        if report.exec_type == "8" and report.ord_rej_reason == "5":  # the broker has no such order
            if tracked.status not in TERMINAL and tracked.cum_qty == 0:
                tracked.status = OrdStatus.REJECTED
                self._emit(VenueReport(self.name, ReportKind.REJECTED, order_id, status=OrdStatus.REJECTED,
                                       reason="unknown_order: the broker has no record of the order",
                                       retryable=True))
            self._answer_status(order_id, None)
            return
        status = _ORD_STATUSES.get(report.ord_status)
        if report.cum_qty > tracked.cum_qty:
            self._log.warning("equity_fix.reconcile.missed_fill", order_id=order_id, known=str(tracked.cum_qty),
                              venue=str(report.cum_qty))
            self._fill(tracked, f"{order_id}:{report.order_id}:cum:{report.cum_qty}", report.cum_qty,
                       report.avg_px, Decimal(0), Decimal(0), status)
        terminal_kind = _TERMINAL_KINDS.get(status) if status is not None else None
        if terminal_kind is not None and tracked.status not in TERMINAL:
            self._log.warning("equity_fix.reconcile.closed", order_id=order_id, status=status.name)
            tracked.status = status
            self._emit(VenueReport(self.name, terminal_kind, order_id, venue_order_id=tracked.venue_order_id,
                                   status=status, reason=f"reconciled: {report.text or status.name.lower()}"))
        self._answer_status(order_id, VenueReport(
            self.name, ReportKind.STATUS, order_id, venue_order_id=tracked.venue_order_id,
            last_quantity=report.cum_qty, last_price=report.avg_px, status=status))

    def _adopted(self, tracked: TrackedOrder, report: ExecutionReport) -> None:
        """The answer about an order sent before a restart: if the broker has it, track it from what it says (the
        fills so far are in the STATUS answer, not reported again), else forget it."""
        order_id = tracked.order.order_id
        status = _ORD_STATUSES.get(report.ord_status)
        if (report.exec_type == "8" and report.ord_rej_reason == "5") or status is None:
            self._log.info("equity_fix.adopt.unknown_order", order_id=order_id)
            self._forget(tracked)
            self._answer_status(order_id, None)
            return
        tracked.adopting = False
        tracked.status, tracked.cum_qty, tracked.avg_px = status, report.cum_qty, report.avg_px
        if report.cl_ord_id and report.cl_ord_id != tracked.cl_ord_id:  # it goes by a later ClOrdID now
            tracked.cl_ord_id = report.cl_ord_id
            self._by_cl_ord_id[report.cl_ord_id] = order_id
        if report.side:
            tracked.side = report.side
        if report.order_qty is not None:  # the terms the broker holds (a replace the hub never heard of counts)
            tracked.order = dataclasses.replace(tracked.order, quantity=report.order_qty,
                                                price=report.price if report.price is not None else
                                                tracked.order.price)
        self._log.info("equity_fix.adopted", order_id=order_id, cl_ord_id=tracked.cl_ord_id, status=status.name,
                       cum_qty=str(report.cum_qty))
        self._answer_status(order_id, VenueReport(
            self.name, ReportKind.STATUS, order_id, venue_order_id=tracked.venue_order_id,
            last_quantity=report.cum_qty, last_price=report.avg_px, status=status))

    def _fill(self, tracked: TrackedOrder, exec_id: str, cum_qty: Decimal, avg_px: Decimal, last_shares: Decimal,
              last_px: Decimal, status: OrdStatus | None) -> None:
        """Report what CumQty adds to what we know, so a fill heard twice (or first from a status) counts once."""
        quantity = cum_qty - tracked.cum_qty
        if quantity <= 0:
            self._log.info("equity_fix.fill.already_known", order_id=tracked.order.order_id, exec_id=exec_id)
            return
        if quantity == last_shares and last_px > 0:
            price = last_px
        else:  # what the missed executions averaged
            price = (avg_px * cum_qty - tracked.avg_px * tracked.cum_qty) / quantity
        tracked.cum_qty, tracked.avg_px = cum_qty, avg_px
        filled = cum_qty >= tracked.order.quantity
        tracked.status = status or (OrdStatus.FILLED if filled else OrdStatus.PARTIALLY_FILLED)
        self._emit(VenueReport(self.name, ReportKind.FILL, tracked.order.order_id,
                               venue_order_id=tracked.venue_order_id, exec_id=exec_id, last_quantity=quantity,
                               last_price=price, status=tracked.status))

