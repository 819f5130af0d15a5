"""Binance orders over the FIX order entry session: NewOrderSingle <D>, OrderCancelRequest <F> and
OrderCancelRequestAndNewOrderSingle <XCN> out, ExecutionReport <8>, OrderCancelReject <9> and Reject <3> back,
reported through the same tracked orders and reporter as the REST path so both say the same thing. Binance's FIX has
no order status request: status queries, adoption and reconciliation stay on REST (execution.py)."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import structlog

from adapters.binance.errors import STATUS_UNKNOWN, describe, reject_code
from adapters.binance.fix_api import (
    ExecutionReport,
    cancel_fields,
    cancel_replace_fields,
    new_order_fields,
)
from adapters.binance.fix_session import FixOrderEntry
from adapters.binance.orders import Tracked, client_id, current_id, report_replaced, report_trade
from adapters.binance.rest import Params
from engine.ports import ReportKind

if TYPE_CHECKING:
    from adapters.binance.execution import OrderFlow

log = structlog.get_logger("adapters.binance")
REQUESTS_REMEMBERED = 20000


def request_id() -> str:
    """A ClOrdID for a cancel request: Binance's pattern ^[a-zA-Z0-9-_]{1,36}$."""
    return "x" + uuid.uuid4().hex[:20]


class FixOrderFlow:
    """Implements fix_session.FixHandler for one OrderFlow (whose tracked orders it shares)."""

    def __init__(self, flow: OrderFlow) -> None:
        self.flow = flow
        self.session = FixOrderEntry(flow.config, self)
        self._unanswered: dict[str, Tracked] = {}             # new orders sent, neither acknowledged nor refused
        self._requests: dict[str, tuple[str, Tracked]] = {}   # our cancel/replace ClOrdIDs -> (MsgType, order)
        self._canceled_by_replace: set[str] = set()           # orders whose XCN cancel half is done

    # ---- out
    async def place(self, t: Tracked, params: Params) -> None:
        self._unanswered[current_id(t)] = t
        try:
            await self.session.send("D", new_order_fields(params))
        except BaseException:
            self._unanswered.pop(current_id(t), None)
            raise

    def _remember(self, cl_ord_id: str, msg_type: str, t: Tracked) -> None:
        """Only a refusal needs the request again; the oldest are forgotten past REQUESTS_REMEMBERED."""
        self._requests[cl_ord_id] = (msg_type, t)
        while len(self._requests) > REQUESTS_REMEMBERED:
            del self._requests[next(iter(self._requests))]

    async def cancel(self, t: Tracked) -> None:
        cl_ord_id = request_id()
        self._remember(cl_ord_id, "F", t)
        await self.session.send("F", cancel_fields(cl_ord_id, current_id(t), t.at_venue.venue_symbol))

    async def replace(self, t: Tracked, params: Params) -> None:
        """``params`` name the new order (its newClientOrderId is the next generation's)."""
        cancel_id = request_id()
        for key in (cancel_id, dict(params)["newClientOrderId"]):
            self._remember(key, "XCN", t)
        await self.session.send("XCN", cancel_replace_fields(current_id(t), cancel_id, params))

    # ---- in (FixHandler)
    def fix_execution(self, report: ExecutionReport) -> None:
        entry = self.flow.by_client.get(report.order_key)
        if entry is None:
            return                  # an order of the account that this adapter did not place
        t, generation = entry
        reports, venue = self.flow.reports, t.at_venue
        self._unanswered.pop(client_id(t.order.order_id, generation), None)
        if generation >= venue.generation and report.order_id:
            t.venue_order_id = report.order_id
        if report.error_code in STATUS_UNKNOWN:
            self.flow.status_unknown(t, describe(report.error_code or 0, report.text or ""))
        elif report.exec_type == "NEW":
            self._canceled_by_replace.discard(t.order.order_id)
            if generation:
                report_replaced(reports, t, generation)
            else:
                reports.accepted(t)
        elif report.exec_type == "TRADE" and report.trade_id is not None:
            report_trade(reports, t, report.trade_id, report.last_qty, report.last_px)
        elif report.exec_type == "REPLACED":
            reports.replaced(t, t.order)
        elif report.exec_type == "CANCELED" and generation == venue.generation:
            if venue.pending is not None:
                self._canceled_by_replace.add(t.order.order_id)   # the cancel half of an XCN; the new order follows
            else:
                self.flow.on_final_status(t, "CANCELED")
        elif report.exec_type == "EXPIRED" and generation == venue.generation:
            self.flow.on_final_status(t, "EXPIRED", report.expiry_reason)
        elif report.exec_type == "REJECTED":
            self._rejected(t, generation, report)

    def _rejected(self, t: Tracked, generation: int, report: ExecutionReport) -> None:
        code, text = report.error_code or -2010, report.text or ""
        venue = t.at_venue
        if generation == 0 and not t.acknowledged:
            self.flow.finished(t, ReportKind.REJECTED, describe(code, text), reject_code(code, text))
        elif venue.pending is not None and generation == venue.pending[0]:
            venue.pending = None
            if t.order.order_id in self._canceled_by_replace:
                self._canceled_by_replace.discard(t.order.order_id)
                self.flow.reports.refused(t, f"{describe(code, text)}; the original order was canceled",
                                          reject_code(code, text))
                self.flow.finished(t, ReportKind.CANCELED, "canceled by a replace whose new order Binance refused")
            else:
                self.flow.refuse(t, code, text)
                self.flow.spawn(self.flow.sync(t))

    def fix_cancel_reject(self, cl_ord_id: str, orig_cl_ord_id: str | None, code: int | None, text: str) -> None:
        request = self._requests.pop(cl_ord_id, None)
        if request is None and orig_cl_ord_id and orig_cl_ord_id in self.flow.by_client:
            t = self.flow.by_client[orig_cl_ord_id][0]
            request = ("XCN" if t.at_venue.pending is not None else "F", t)
        if request is None:
            log.warning("binance_fix_cancel_reject_unmatched", venue=self.flow.name, cl_ord_id=cl_ord_id)
            return
        self._refused_request(request[0], request[1], code, text)

    def fix_refused(self, msg_type: str, cl_ord_id: str | None, code: int | None, text: str) -> None:
        if msg_type == "D" and cl_ord_id is not None:
            t = self._unanswered.pop(cl_ord_id, None)
            if t is None:
                return
            if code in STATUS_UNKNOWN:
                self.flow.status_unknown(t, describe(code or 0, text))
            elif code is not None:
                self.flow.finished(t, ReportKind.REJECTED, describe(code, text), reject_code(code, text))
            else:
                self.flow.finished(t, ReportKind.REJECTED, f"Reject: {text}", "venue_rejected")
        elif msg_type in ("F", "XCN") and cl_ord_id is not None and cl_ord_id in self._requests:
            self._refused_request(msg_type, self._requests.pop(cl_ord_id)[1], code, text)

    def _refused_request(self, msg_type: str, t: Tracked, code: int | None, text: str) -> None:
        """A cancel or replace Binance refused: CANCEL_REJECTED, and the order's true state learnt by REST."""
        if code in STATUS_UNKNOWN:
            self.flow.status_unknown(t, describe(code or 0, text))
            return
        if msg_type == "XCN":
            t.at_venue.pending = None
            self._canceled_by_replace.discard(t.order.order_id)
        if code is not None:
            self.flow.refuse(t, code, text)
        else:
            self.flow.reports.refused(t, text, "venue_rejected")
        self.flow.spawn(self.flow.sync(t))

    def fix_logged_on(self, reconnected: bool) -> None:
        if reconnected:
            self.flow.reconcile_open()

    def fix_logged_out(self) -> None:
        """Answers still owed are lost with the session (Binance resends nothing): ask REST how they ended."""
        for t in list(self._unanswered.values()):
            self.flow.status_unknown(t, "the FIX session dropped before Binance answered")
        self._unanswered.clear()
        for t in {t.order.order_id: t for _, t in self._requests.values() if t.at_venue.pending is not None}.values():
            self.flow.status_unknown(t, "the FIX session dropped during a replace")
