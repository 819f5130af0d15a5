"""BinanceVenue's orders over the FIX order entry session: NewOrderSingle <D>, OrderCancelRequest <F> and
OrderCancelRequestAndNewOrderSingle <XCN> out, ExecutionReport <8>, OrderCancelReject <9> and Reject <3> back,
reported through the same TrackedOrder and Reporter as the REST path so both say the same thing. Binance's FIX has
no order status request: status queries, adoption and reconciliation stay on REST."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import structlog

from adapters.binance.errors import STATUS_UNKNOWN, describe, retryable
from adapters.binance.fix_api import (
    Execution,
    cancel_fields,
    cancel_replace_fields,
    new_order_fields,
)
from adapters.binance.fix_session import FixOrderEntry
from adapters.binance.orders import TrackedOrder, client_id
from adapters.binance.rest import Params
from engine.domain.order import OrdStatus
from routing.venue import ReportKind

if TYPE_CHECKING:
    from adapters.binance.execution import BinanceVenue

log = structlog.get_logger("adapters.binance")
REQUESTS_REMEMBERED = 20000


def request_id() -> str:
    """A ClOrdID for a cancel request: Binance's pattern ^[a-zA-Z0-9-_]{1,36}$."""
    return "x" + uuid.uuid4().hex[:20]


class FixOrderFlow:
    """Implements fix_session.FixHandler for one BinanceVenue (whose order book of TrackedOrders it shares)."""

    def __init__(self, venue: BinanceVenue) -> None:
        self.venue = venue
        self.session = FixOrderEntry(venue.config, self)
        self._unanswered: dict[str, TrackedOrder] = {}        # new orders sent, neither acknowledged nor refused
        self._requests: dict[str, tuple[str, TrackedOrder]] = {}   # our cancel/replace ClOrdIDs -> (MsgType, order)
        self._canceled_by_replace: set[int] = set()            # id() of orders whose XCN cancel half is done

    # ---- out
    async def place(self, t: TrackedOrder, params: Params) -> None:
        self._unanswered[t.client_id] = t
        try:
            await self.session.send("D", new_order_fields(params))
        except BaseException:
            self._unanswered.pop(t.client_id, None)
            raise

    def _remember(self, cl_ord_id: str, msg_type: str, t: TrackedOrder) -> None:
        """Only a refusal needs the request again; the oldest are forgotten past REQUESTS_REMEMBERED."""
        self._requests[cl_ord_id] = (msg_type, t)
        while len(self._requests) > REQUESTS_REMEMBERED:
            del self._requests[next(iter(self._requests))]

    async def cancel(self, t: TrackedOrder) -> None:
        cl_ord_id = request_id()
        self._remember(cl_ord_id, "F", t)
        await self.session.send("F", cancel_fields(cl_ord_id, t.client_id, t.venue_symbol))

    async def replace(self, t: TrackedOrder, params: Params) -> None:
        """``params`` name the new order (its newClientOrderId is the next generation's)."""
        cancel_id = request_id()
        for key in (cancel_id, dict(params)["newClientOrderId"]):
            self._remember(key, "XCN", t)
        await self.session.send("XCN", cancel_replace_fields(t.client_id, cancel_id, params))

    # ---- in (FixHandler)
    def fix_execution(self, e: Execution) -> None:
        entry = self.venue._by_client.get(e.order_key)
        if entry is None:
            return                  # an order of the account that this adapter did not place
        t, generation = entry
        reports = self.venue._reports
        self._unanswered.pop(client_id(t.order.order_id, generation), None)
        if generation >= t.generation and e.order_id:
            t.venue_order_id = e.order_id
        if e.error_code in STATUS_UNKNOWN:
            self._status_unknown(t, describe(e.error_code or 0, e.text or ""))
        elif e.exec_type == "NEW":
            self._canceled_by_replace.discard(id(t))
            if generation:
                reports.replaced(t, generation)
            else:
                reports.accepted(t)
        elif e.exec_type == "TRADE" and e.trade_id is not None:
            reports.fill(t, e.trade_id, e.last_qty, e.last_px)
        elif e.exec_type == "REPLACED":
            reports.emit(ReportKind.REPLACED, t.order.order_id, venue_order_id=t.venue_order_id, status=t.status)
        elif e.exec_type == "CANCELED" and generation == t.generation:
            if t.pending is not None:
                self._canceled_by_replace.add(id(t))     # the cancel half of an XCN; the new order follows
            else:
                self.venue._on_final_status(t, "CANCELED")
        elif e.exec_type == "EXPIRED" and generation == t.generation:
            self.venue._on_final_status(t, "EXPIRED", e.expiry_reason)
        elif e.exec_type == "REJECTED":
            self._rejected(t, generation, e)

    def _rejected(self, t: TrackedOrder, generation: int, e: Execution) -> None:
        reports = self.venue._reports
        reason = describe(e.error_code or -2010, e.text or "")
        if generation == 0 and not t.accepted:
            reports.finished(t, ReportKind.REJECTED, OrdStatus.REJECTED, reason,
                             retryable(e.error_code or -2010, e.text or ""))
        elif t.pending is not None and generation == t.pending[0]:
            t.pending = None
            if id(t) in self._canceled_by_replace:
                self._canceled_by_replace.discard(id(t))
                reports.refused(t, f"{reason}; the original order was canceled")
                reports.finished(t, ReportKind.CANCELED, OrdStatus.CANCELED,
                                 "canceled by a replace whose new order Binance refused")
            else:
                reports.refused(t, reason)
                self.venue._spawn(self.venue._sync(t))

    def fix_cancel_reject(self, cl_ord_id: str, orig_cl_ord_id: str | None, code: int | None, text: str) -> None:
        request = self._requests.pop(cl_ord_id, None)
        if request is None and orig_cl_ord_id and orig_cl_ord_id in self.venue._by_client:
            t = self.venue._by_client[orig_cl_ord_id][0]
            request = ("XCN" if t.pending is not None else "F", t)
        if request is None:
            log.warning("binance_fix_cancel_reject_unmatched", venue=self.venue.name, cl_ord_id=cl_ord_id)
            return
        self._refused_request(request[0], request[1], code, text)

    def fix_refused(self, msg_type: str, cl_ord_id: str | None, code: int | None, text: str) -> None:
        reason = describe(code, text) if code is not None else f"Reject: {text}"
        if msg_type == "D" and cl_ord_id is not None:
            t = self._unanswered.pop(cl_ord_id, None)
            if t is None:
                return
            if code in STATUS_UNKNOWN:
                self._status_unknown(t, reason)
            else:
                self.venue._reports.finished(t, ReportKind.REJECTED, OrdStatus.REJECTED, reason,
                                             retryable(code or 0, text))
        elif msg_type in ("F", "XCN") and cl_ord_id is not None and cl_ord_id in self._requests:
            self._refused_request(msg_type, self._requests.pop(cl_ord_id)[1], code, text)

    def _refused_request(self, msg_type: str, t: TrackedOrder, code: int | None, text: str) -> None:
        """A cancel or replace Binance refused: CANCEL_REJECTED, and the order's true state learnt by REST."""
        reason = describe(code, text) if code is not None else text
        if code in STATUS_UNKNOWN:
            self._status_unknown(t, reason)
            return
        if msg_type == "XCN":
            t.pending = None
            self._canceled_by_replace.discard(id(t))
        self.venue._reports.refused(t, reason)
        self.venue._spawn(self.venue._sync(t))

    def fix_logged_on(self, reconnected: bool) -> None:
        if reconnected:
            self.venue._spawn(self.venue._reconcile_open())

    def fix_logged_out(self) -> None:
        """Answers still owed are lost with the session (Binance resends nothing): ask REST how they ended."""
        for t in list(self._unanswered.values()):
            self._status_unknown(t, "the FIX session dropped before Binance answered")
        self._unanswered.clear()
        for t in {id(t): t for _, t in self._requests.values() if t.pending is not None}.values():
            self._status_unknown(t, "the FIX session dropped during a replace")

    def _status_unknown(self, t: TrackedOrder, why: str) -> None:
        """-1006/-1007 or a lost session: the request may or may not have been executed (never a reject)."""
        venue, reports = self.venue, self.venue._reports
        log.warning("binance_fix_status_unknown", venue=venue.name, order_id=t.order.order_id, why=why)
        if not t.accepted and t.generation == 0 and t.pending is None:
            venue._spawn(venue._reconcile(t, settled=lambda chain: bool(chain), give_up=lambda: reports.finished(
                t, ReportKind.REJECTED, OrdStatus.REJECTED, f"{why}; Binance has no such order afterwards",
                retryable=True)))
        elif t.pending is not None:
            generation = t.pending[0]
            venue._spawn(venue._reconcile(t, settled=lambda chain: len(chain) > generation or t.done,
                                          give_up=lambda: venue._replace_lost(t, why)))
        else:
            venue._spawn(venue._reconcile(t, settled=lambda chain: t.done, give_up=lambda: reports.refused(
                t, f"{why}; the order is still open at Binance")))
