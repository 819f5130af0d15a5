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

from adapters.equity_fix.errors import reject_code
from adapters.equity_fix.fix42 import EXEC_KINDS, CancelReject, ExecutionReport
from adapters.equity_fix.instruments import Stock
from adapters.tracked import Reporter, TrackedOrder
from engine.domain.offers import Offers
from engine.domain.order import OrdStatus, TimeInForce
from engine.ports import ReportKind, VenueOrder, VenueReport

log = structlog.get_logger("adapters.equity_fix")

# What the brokers take (adapters/README.md, "Times in force"): DAY, GTC, IOC and FOK, but no GTD (a venue order
# carries no ExpireTime): the hub sends GTD as GTC and expires it; a market order goes IOC or FOK.
OFFERS = Offers(market=frozenset({TimeInForce.IOC, TimeInForce.FOK}),
                resting=frozenset({TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}))

_ORD_STATUSES = {s.value: s for s in OrdStatus}
_TERMINAL_KINDS = {OrdStatus.CANCELED: ReportKind.CANCELED, OrdStatus.EXPIRED: ReportKind.EXPIRED,
                   OrdStatus.REJECTED: ReportKind.REJECTED}


@dataclass(slots=True)
class AtBroker:
    """How the broker knows an order: the stock, the Side(54) it went with, the ClOrdID it goes by now, and the
    cancels and replaces asked for (a replace's new terms by its ClOrdID)."""

    stock: Stock
    side: str
    cl_ord_id: str
    requests: int = 0
    replacing: dict[str, VenueOrder] = field(default_factory=dict)
    adopting: bool = False   # asked about after a restart; tracked for good once the broker says it has it
    tag: str = ""            # in this process's cancel and replace ClOrdIDs of an adopted order (see next_cl_ord_id)


Tracked = TrackedOrder[AtBroker]


class OrderFlow:
    """Every order sent through this connection, found by any ClOrdID it went by. Each report goes out through
    ``reports``; ``answer`` gets each status answer (None: the broker has no such order)."""

    def __init__(self, reports: Reporter, answer: Callable[[str, VenueReport | None], None]) -> None:
        self.name = reports.venue
        self.reports = reports
        self._answer_status = answer
        self._orders: dict[str, Tracked] = {}
        self._by_cl_ord_id: dict[str, str] = {}
        self._exec_ids: set[str] = set()
        self._log = log.bind(venue=self.name)

    def get(self, order_id: str) -> Tracked | None:
        return self._orders.get(order_id)

    def track(self, order: VenueOrder, stock: Stock, side: str) -> Tracked:
        tracked = self._orders[order.order_id] = TrackedOrder(order, AtBroker(stock, side, order.order_id))
        self._by_cl_ord_id[order.order_id] = order.order_id
        return tracked

    def adopt(self, order: VenueOrder, stock: Stock, side: str) -> Tracked:
        """An order sent before this process started, about to be asked for by its first ClOrdID (the order id):
        tracked once the broker's answer shows it has the order, forgotten if it has not (``_on_status``)."""
        tracked = self.track(order, stock, side)
        tracked.at_venue.adopting = True
        tracked.at_venue.tag = secrets.token_hex(3)  # the ClOrdIDs the last process chained are unknown
        return tracked

    def forget_unadopted(self, order_id: str) -> None:
        """A status request for an order being adopted went unanswered: it is not tracked after all."""
        tracked = self._orders.get(order_id)
        if tracked is not None and tracked.at_venue.adopting:
            self._forget(tracked)

    def next_cl_ord_id(self, tracked: Tracked, kind: str) -> str:
        """A fresh ClOrdID for a cancel (C) or replace (R) of the order."""
        venue = tracked.at_venue
        venue.requests += 1
        cl_ord_id = f"{tracked.order.order_id}.{kind}{venue.tag}{venue.requests}"
        self._by_cl_ord_id[cl_ord_id] = tracked.order.order_id
        return cl_ord_id

    def open_orders(self) -> list[Tracked]:
        return [o for o in self._orders.values() if o.is_open]

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

    def _forget(self, tracked: Tracked) -> None:
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
        elif kind is ReportKind.FILL:
            self._fill(tracked, report.exec_id, report.cum_qty, report.avg_px, report.last_shares, report.last_px,
                       status)
        elif kind is ReportKind.ACCEPTED:
            self.reports.accepted(tracked, report.exec_id)
        elif kind is ReportKind.REPLACED:
            tracked.at_venue.cl_ord_id = report.cl_ord_id
            self.reports.replaced(tracked, tracked.at_venue.replacing.pop(report.cl_ord_id, tracked.order), status,
                                  report.exec_id)
        elif kind is ReportKind.REJECTED:
            self.reports.ended(tracked, kind, report.text or "rejected by the broker", reject_code(report.reject_key),
                               report.exec_id)
        elif kind in (ReportKind.CANCELED, ReportKind.EXPIRED):
            self.reports.ended(tracked, kind, report.text, exec_id=report.exec_id)
        else:  # restated: the broker's word on where the order stands
            if status is not None and status is not tracked.status:
                tracked.move(status)
            self.reports.publish(self.reports.make(kind, order_id, venue_order_id=tracked.venue_order_id,
                                                   exec_id=report.exec_id, status=status, reason=report.text))

    def on_cancel_reject(self, reject: CancelReject) -> None:
        order_id = self._by_cl_ord_id.get(reject.cl_ord_id) or self._by_cl_ord_id.get(reject.orig_cl_ord_id)
        if order_id is None:
            self._log.warning("equity_fix.cancel_reject.unknown_order", cl_ord_id=reject.cl_ord_id)
            return
        tracked = self._orders[order_id]
        tracked.at_venue.replacing.pop(reject.cl_ord_id, None)
        self.reports.refused(tracked, reject.describe(), reject_code(reject.reject_key),
                             _ORD_STATUSES.get(reject.ord_status, tracked.status))

    def on_business_reject(self, ref_msg_type: str | None, ref_id: str | None, reason: int | None,
                           text: str) -> None:
        """A BusinessMessageReject (j) of one of our messages, matched by BusinessRejectRefID (our ClOrdID): a
        refused F or G is CANCEL_REJECTED, a refused D not yet acknowledged is REJECTED."""
        order_id = self._by_cl_ord_id.get(ref_id or "")
        tracked = self._orders.get(order_id or "")
        if tracked is None or ref_msg_type not in ("D", "F", "G"):
            self._log.warning("equity_fix.business_reject", ref_msg_type=ref_msg_type, ref_id=ref_id, text=text)
            return
        code = reject_code(f"380={reason}")
        if ref_msg_type == "D":
            if not tracked.acknowledged:
                self.reports.ended(tracked, ReportKind.REJECTED, text, code)
            return
        tracked.at_venue.replacing.pop(ref_id or "", None)
        self.reports.refused(tracked, f"{'cancel' if ref_msg_type == 'F' else 'replace'} refused: {text}", code)

    def _on_status(self, tracked: Tracked, report: ExecutionReport) -> None:
        """An answer to an OrderStatusRequest: settle what we missed, then answer whoever asked."""
        order_id = tracked.order.order_id
        if tracked.at_venue.adopting:
            self._adopted(tracked, report)
            return
        if report.exec_type == "8" and report.ord_rej_reason == "5":  # the broker has no such order
            self.reports.lost(tracked, never_arrived="the order never reached the broker",
                              dropped="the broker has no record of the order")
            self._answer_status(order_id, None)
            return
        status = _ORD_STATUSES.get(report.ord_status)
        if report.cum_qty > tracked.filled:
            self._log.warning("equity_fix.reconcile.missed_fill", order_id=order_id, known=str(tracked.filled),
                              venue=str(report.cum_qty))
            self._fill(tracked, f"{order_id}:{report.order_id}:cum:{report.cum_qty}", report.cum_qty,
                       report.avg_px, Decimal(0), Decimal(0), status)
        terminal_kind = _TERMINAL_KINDS.get(status) if status is not None else None
        if terminal_kind is not None and status is not None and tracked.is_open:
            self._log.warning("equity_fix.reconcile.closed", order_id=order_id, status=status.name)
            self.reports.ended(tracked, terminal_kind, f"reconciled: {report.text or status.name.lower()}",
                               reject_code(report.reject_key) if terminal_kind is ReportKind.REJECTED else None)
        self._answer_status(order_id, self._status_answer(tracked, report, status))

    def _adopted(self, tracked: Tracked, report: ExecutionReport) -> None:
        """The answer about an order sent before a restart: if the broker has it, track it from what it says (the
        fills so far are in the STATUS answer, not reported again), else forget it."""
        order_id, venue = tracked.order.order_id, tracked.at_venue
        status = _ORD_STATUSES.get(report.ord_status)
        if (report.exec_type == "8" and report.ord_rej_reason == "5") or status is None:
            self._log.info("equity_fix.adopt.unknown_order", order_id=order_id)
            self._forget(tracked)
            self._answer_status(order_id, None)
            return
        venue.adopting = False
        tracked.adopt(status, report.cum_qty, report.avg_px, report.order_id)
        if report.cl_ord_id and report.cl_ord_id != venue.cl_ord_id:  # it goes by a later ClOrdID now
            venue.cl_ord_id = report.cl_ord_id
            self._by_cl_ord_id[report.cl_ord_id] = order_id
        if report.side:
            venue.side = report.side
        if report.order_qty is not None:  # the terms the broker holds (a replace the hub never heard of counts)
            tracked.order = dataclasses.replace(tracked.order, quantity=report.order_qty,
                                                price=report.price if report.price is not None else
                                                tracked.order.price)
        self._log.info("equity_fix.adopted", order_id=order_id, cl_ord_id=venue.cl_ord_id, status=status.name,
                       cum_qty=str(report.cum_qty))
        self._answer_status(order_id, self._status_answer(tracked, report, status))

    def _status_answer(self, tracked: Tracked, report: ExecutionReport, status: OrdStatus | None) -> VenueReport:
        """The broker's own figures: its CumQty and AvgPx, and its OrdStatus."""
        return self.reports.make(ReportKind.STATUS, tracked.order.order_id, venue_order_id=tracked.venue_order_id,
                                 last_quantity=report.cum_qty, last_price=report.avg_px, status=status)

    def _fill(self, tracked: Tracked, exec_id: str, cum_qty: Decimal, avg_px: Decimal, last_shares: Decimal,
              last_px: Decimal, status: OrdStatus | None) -> None:
        """Report what CumQty adds to what we know, so a fill heard twice (or first from a status) counts once."""
        missing = tracked.missing_fill(cum_qty, avg_px, last_shares, last_px)
        if missing is None:
            self._log.info("equity_fix.fill.already_known", order_id=tracked.order.order_id, exec_id=exec_id)
            return
        quantity, price = missing
        self.reports.filled(tracked, exec_id, quantity, price, average=avg_px, status=status)
