"""Orders in PrimeXM's FIX 4.4, sans-IO: VenueOrders in, message bodies out; ExecutionReports, OrderCancelRejects
and refusals in, VenueReports out.

NewOrderSingle carries Currency(15) and OrderQty in base units (instruments.py), Deviation(10001) on market and
stop orders when configured, and (PrimeXM has no StopPx) a stop's trigger in Price(44). Cancel and replace go
the standard FIX 4.4 way, each under a ClOrdID of its own chained from the order's; a refused one is reported as
CANCEL_REJECTED. An order placed before a restart is adopted from the LP's answer to a status request for it.
Fills are counted by CumQty, so a fill seen twice (a resend, or a status answer after a reconnect) is reported
once, and one missed while the session was down is reported when the status answer shows it.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

import structlog

from adapters.primexm.instruments import InstrumentMap, VenueInstrument, read_decimal
from engine.domain.order import TERMINAL, OrdStatus, OrdType, Side, TimeInForce
from fix_sessions.codec import Message, Value
from fix_sessions.utctime import format_timestamp
from routing.venue import ReportKind, VenueOrder, VenueReport

log = structlog.get_logger("adapters.primexm")

Body = list[tuple[int, Value]]
Outbound = tuple[bytes, Body]

# The LP's reasons, as one table (ccxt's exact/broad split): OrdRejReason(103) codes first, then the text.
# The flag says whether another LP may take the order (the router re-routes only those).
ORD_REJ_REASONS: dict[str, tuple[str, bool]] = {
    "0": ("broker option", False), "1": ("unknown symbol", False), "2": ("market closed", True),
    "3": ("order exceeds limit", False), "4": ("too late to enter", True), "5": ("unknown order", False),
    "6": ("duplicate order", False), "11": ("unsupported order characteristic", True),
    "13": ("incorrect quantity", False), "99": ("other", False),
}
REJECT_TEXT_EXACT: dict[str, bool] = {"off quotes": True, "no liquidity": True, "price changed": True,
                                      "requote": True, "trading disabled": True}
REJECT_TEXT_BROAD: tuple[tuple[str, bool], ...] = (
    ("insufficient", False), ("credit", False), ("margin", False), ("unknown symbol", False),
    ("currency", False), ("quantity", False), ("duplicate", False),
    ("last look", True), ("deviation", True), ("slippage", True), ("stale", True), ("price", True),
    ("liquidity", True), ("timeout", True), ("closed", True),
)


def retryable(code: str | None, text: str) -> bool:
    """Whether an order the LP refused with OrdRejReason ``code`` and ``text`` may go to another LP."""
    if code in ORD_REJ_REASONS:
        return ORD_REJ_REASONS[code][1]
    lowered = text.strip().lower()
    if lowered in REJECT_TEXT_EXACT:
        return REJECT_TEXT_EXACT[lowered]
    return next((flag for pattern, flag in REJECT_TEXT_BROAD if pattern in lowered), False)


_SUPPORTED_TYPES = {"primexm": frozenset({OrdType.MARKET, OrdType.LIMIT, OrdType.STOP}),
                    "fix44": frozenset({OrdType.MARKET, OrdType.LIMIT, OrdType.STOP, OrdType.STOP_LIMIT})}
_SUPPORTED_TIF = frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK})
_FILL_TYPES = frozenset({b"F", b"1", b"2"})  # TRADE, and FIX 4.2's partial fill / fill
_PENDING_TYPES = frozenset({b"6", b"A", b"E"})


@dataclass(slots=True)
class TrackedOrder:
    order: VenueOrder
    instrument: VenueInstrument
    cl_ord_id: str                     # what the LP knows the order by now (changes with each replace)
    venue_order_id: str | None = None
    filled: Decimal = Decimal(0)       # lots
    average_price: Decimal = Decimal(0)
    status: OrdStatus = OrdStatus.PENDING_NEW
    acked: bool = False
    sent_at: float | None = None       # monotonic, until the LP's first answer
    replacing: dict[str, tuple[Decimal, Decimal | None]] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL


class Execution:
    """The trade session's order book-keeping. ``emit`` receives every report for the OMS."""

    def __init__(self, venue: str, instruments: InstrumentMap, *, dialect: str, deviation: Decimal | None,
                 emit: Callable[[VenueReport], None]) -> None:
        self.venue = venue
        self.instruments = instruments
        self.dialect = dialect
        self.deviation = deviation
        self.emit_report = emit
        self.ack_latency_ms: float | None = None
        self.orders: dict[str, TrackedOrder] = {}
        self._by_cl_ord_id: dict[str, str] = {}   # every ClOrdID sent -> the engine's order id
        self._asked: dict[str, VenueOrder] = {}    # status asked for orders this adapter did not place
        self._asked_by_request: dict[str, str] = {}  # their OrdStatusReqIDs -> order id
        self._reconciling: set[str] = set()        # status asked after a reconnect
        self._ids = itertools.count(1)
        self._token = _base36(int(time.time()))    # keeps ClOrdIDs unique across restarts

    # ------------------------------------------------------------------ outbound
    def new_order(self, order: VenueOrder) -> Outbound | None:
        """The NewOrderSingle, or None when refused here (a REJECTED report says why)."""
        instrument = self.instruments.get(order.symbol)
        problem = self._unsupported(order, instrument)
        if problem is not None:
            self._emit(ReportKind.REJECTED, order.order_id, reason=problem, retryable=True,
                       status=OrdStatus.REJECTED)
            return None
        assert instrument is not None
        if order.order_id in self.orders:
            self._emit(ReportKind.REJECTED, order.order_id, reason="order id already sent to this venue",
                       status=OrdStatus.REJECTED)
            return None
        self.orders[order.order_id] = TrackedOrder(order, instrument, order.order_id,
                                                   sent_at=time.monotonic())
        self._by_cl_ord_id[order.order_id] = order.order_id
        body: Body = [(11, order.order_id), (55, instrument.venue_symbol), (15, instrument.currency),
                      (54, order.side.value), (38, _wire(instrument.to_venue_quantity(order.quantity))),
                      (40, order.ord_type.value)]
        body += self._prices(order)
        body += [(59, order.time_in_force.value), (60, _now())]
        if self.dialect == "primexm" and self.deviation is not None and order.ord_type in (OrdType.MARKET,
                                                                                           OrdType.STOP):
            body.append((10001, _wire(self.deviation)))
        log.info("adapters.primexm.order_sent", venue=self.venue, order_id=order.order_id, symbol=order.symbol,
                 side=order.side.name, quantity=str(order.quantity), ord_type=order.ord_type.name)
        return b"D", body

    def forget(self, order_id: str) -> None:
        """A NewOrderSingle that could not be sent: the order was never at the LP."""
        if self.orders.pop(order_id, None) is not None:
            self._by_cl_ord_id.pop(order_id, None)

    def cancel(self, order_id: str) -> Outbound | None:
        tracked = self._live(order_id, "cancel")
        if tracked is None:
            return None
        cl_ord_id = self._chain(order_id, "C")
        body: Body = [(41, tracked.cl_ord_id), (11, cl_ord_id), *self._identity(tracked), (60, _now()),
                      (38, _wire(tracked.instrument.to_venue_quantity(tracked.order.quantity)))]
        log.info("adapters.primexm.cancel_sent", venue=self.venue, order_id=order_id, cl_ord_id=cl_ord_id)
        return b"F", body

    def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> Outbound | None:
        tracked = self._live(order_id, "replace")
        if tracked is None:
            return None
        if tracked.order.ord_type is OrdType.MARKET:
            self._emit(ReportKind.CANCEL_REJECTED, order_id, reason="a market order cannot be replaced",
                       status=tracked.status)
            return None
        cl_ord_id = self._chain(order_id, "R")
        tracked.replacing[cl_ord_id] = (quantity, price)
        changed = replace(tracked.order, quantity=quantity,
                          price=price if tracked.order.ord_type is not OrdType.STOP else tracked.order.price,
                          stop_price=price if tracked.order.ord_type is OrdType.STOP else tracked.order.stop_price)
        body: Body = [(41, tracked.cl_ord_id), (11, cl_ord_id), *self._identity(tracked), (60, _now()),
                      (38, _wire(tracked.instrument.to_venue_quantity(quantity))), (40, changed.ord_type.value),
                      *self._prices(changed), (59, changed.time_in_force.value), (15, tracked.instrument.currency)]
        log.info("adapters.primexm.replace_sent", venue=self.venue, order_id=order_id, cl_ord_id=cl_ord_id,
                 quantity=str(quantity), price=str(price))
        return b"G", body

    def status_request(self, order: VenueOrder, request_id: str, reconcile: bool = False) -> Outbound:
        """OrderStatusRequest by ClOrdID, with Symbol and Side. An order this adapter did not place (before a
        restart) is asked for by its first ClOrdID, the order id, and adopted if the LP knows it (``_learn``).
        After a reconnect (``reconcile``), an LP that does not know the order means it was lost with the
        connection."""
        order_id = order.order_id
        tracked = self.orders.get(order_id)
        if reconcile:
            self._reconciling.add(order_id)
        if tracked is None:
            self._asked[order_id] = order
            self._asked_by_request[request_id] = order_id
            instrument = self.instruments.get(order.symbol)
            symbol: Body = [(55, instrument.venue_symbol)] if instrument is not None else []
            return b"H", [(11, order_id), (790, request_id), *symbol, (54, order.side.value)]
        body: Body = [(11, tracked.cl_ord_id), (790, request_id), *self._identity(tracked)]
        return b"H", body

    def forget_asked(self, order_id: str) -> None:
        """A status request for an order this adapter did not place is answered or given up."""
        self._asked.pop(order_id, None)
        for request_id in [r for r, asked in self._asked_by_request.items() if asked == order_id]:
            del self._asked_by_request[request_id]

    def open_orders(self) -> list[VenueOrder]:
        return [tracked.order for tracked in self.orders.values() if tracked.is_open]

    def local_status(self, order_id: str) -> VenueReport | None:
        """What this adapter knows from the reports it received (when the LP will not say)."""
        tracked = self.orders.get(order_id)
        if tracked is None:
            return None
        return VenueReport(self.venue, ReportKind.STATUS, order_id, venue_order_id=tracked.venue_order_id,
                           last_quantity=tracked.filled, last_price=tracked.average_price, status=tracked.status)

    # ------------------------------------------------------------------ inbound
    def on_execution_report(self, message: Message) -> tuple[str, VenueReport | None] | None:
        """Apply an ExecutionReport; an answer to an OrderStatusRequest is returned as (order id, status)."""
        exec_type = message.get(150) or b""
        cl_ord_id = message.get_str(11) or ""
        order_id = self._order_id(cl_ord_id, message.get_str(41))
        if order_id is None and exec_type == b"I":  # about an order we asked for but did not place?
            asked = self._asked.get(cl_ord_id) or self._asked.get(
                self._asked_by_request.get(message.get_str(790) or "", ""))
            if asked is not None:
                self.forget_asked(asked.order_id)
                return asked.order_id, self._learn(asked, message)
        tracked = self.orders.get(order_id or "")
        if tracked is None:
            log.warning("adapters.primexm.report_for_unknown_order", venue=self.venue, cl_ord_id=cl_ord_id,
                        exec_type=exec_type.decode("latin-1"), exec_id=message.get_str(17))
            return None
        if tracked.sent_at is not None:
            self.ack_latency_ms = (time.monotonic() - tracked.sent_at) * 1000
            tracked.sent_at = None
        venue_order_id = message.get_str(37)
        if venue_order_id and venue_order_id != "NONE":
            tracked.venue_order_id = venue_order_id
        text = message.get_str(58)
        if exec_type == b"I":
            return tracked.order.order_id, self._status(tracked, message)
        if exec_type == b"0":
            self._accepted(tracked)
        elif exec_type in _FILL_TYPES:
            self._catch_up(tracked, message, message.get_str(17))
        elif exec_type == b"4":
            self._ended(tracked, ReportKind.CANCELED, OrdStatus.CANCELED, text or "canceled")
        elif exec_type == b"C":
            self._ended(tracked, ReportKind.EXPIRED, OrdStatus.EXPIRED, text or "expired")
        elif exec_type == b"5":
            self._replaced(tracked, cl_ord_id, message)
        elif exec_type == b"8":
            if cl_ord_id != tracked.order.order_id and tracked.acked:  # a cancel or replace refused as an 8
                self._refused_change(tracked, cl_ord_id, text or "refused")
            else:
                code = message.get_str(103)
                self._rejected(tracked, code, text or ORD_REJ_REASONS.get(code or "", ("rejected by the LP",))[0])
        elif exec_type not in _PENDING_TYPES:
            log.warning("adapters.primexm.unexpected_exec_type", venue=self.venue, order_id=tracked.order.order_id,
                        exec_type=exec_type.decode("latin-1"))
        return None

    def on_cancel_reject(self, message: Message) -> None:
        cl_ord_id = message.get_str(11) or ""
        order_id = self._order_id(cl_ord_id, message.get_str(41))
        tracked = self.orders.get(order_id or "")
        reason = message.get_str(58) or {"0": "too late to cancel", "1": "unknown order",
                                         "3": "already pending cancel or replace"}.get(message.get_str(102) or "",
                                                                                     "refused")
        if tracked is None:
            log.warning("adapters.primexm.cancel_reject_for_unknown_order", venue=self.venue, cl_ord_id=cl_ord_id)
            return
        self._refused_change(tracked, cl_ord_id, reason)

    def refused(self, msg_type: bytes, order_id: str | None, text: str, unknown_order: bool = False
                ) -> tuple[str, VenueReport | None] | None:
        """The LP refused one of our messages (BusinessMessageReject or session Reject); ``unknown_order`` when it
        said it has no such order."""
        tracked = self.orders.get(order_id or "")
        log.warning("adapters.primexm.message_refused", venue=self.venue, msg_type=msg_type.decode("latin-1"),
                    order_id=order_id, text=text)
        if order_id is None:
            return None
        if msg_type == b"H":
            self.forget_asked(order_id)
            reconciling = order_id in self._reconciling
            self._reconciling.discard(order_id)
            if unknown_order:
                if tracked is not None and reconciling:
                    self._lost(tracked)
                return order_id, None
            return order_id, self.local_status(order_id)  # an LP without status requests: what we know
        if tracked is None:
            return None
        if msg_type == b"D" and not tracked.acked:
            self._rejected(tracked, None, text)
        elif msg_type in (b"F", b"G"):
            self._refused_change(tracked, None, text)
        return None

    # ------------------------------------------------------------------ applying reports
    def _accepted(self, tracked: TrackedOrder) -> None:
        if tracked.acked:
            return
        tracked.acked = True
        if tracked.status is OrdStatus.PENDING_NEW:
            tracked.status = OrdStatus.NEW
        self._emit(ReportKind.ACCEPTED, tracked.order.order_id, venue_order_id=tracked.venue_order_id,
                   status=OrdStatus.NEW)

    def _catch_up(self, tracked: TrackedOrder, message: Message, exec_id: str | None) -> None:
        """Report what the LP has filled beyond what was reported already, at the price it implies."""
        instrument = tracked.instrument
        cum_units, last_units = read_decimal(message.get(14)), read_decimal(message.get(32))
        if cum_units is None and last_units is None:
            return
        cumulative = (instrument.from_venue_quantity(cum_units) if cum_units is not None
                      else tracked.filled + instrument.from_venue_quantity(last_units or Decimal(0)))
        missing = cumulative - tracked.filled
        if missing <= 0:
            if message.get(150) in _FILL_TYPES:  # a status answer that shows nothing new is not news
                log.info("adapters.primexm.fill_already_reported", venue=self.venue, order_id=tracked.order.order_id,
                         exec_id=exec_id, cumulative=str(cumulative))
            return
        last_price, average = read_decimal(message.get(31)), read_decimal(message.get(6))
        if last_units is not None and instrument.from_venue_quantity(last_units) == missing and last_price:
            price = last_price
        elif average:
            price = ((average * cumulative - tracked.average_price * tracked.filled) / missing).quantize(average)
        else:
            log.warning("adapters.primexm.fill_without_price", venue=self.venue, order_id=tracked.order.order_id)
            return
        tracked.average_price = average or (
            (tracked.average_price * tracked.filled + price * missing) / cumulative)
        tracked.filled = cumulative
        tracked.acked = True
        status = _ord_status(message.get(39)) or (
            OrdStatus.FILLED if cumulative >= tracked.order.quantity else OrdStatus.PARTIALLY_FILLED)
        if status not in (OrdStatus.FILLED, OrdStatus.PARTIALLY_FILLED):  # a status answer for a later state
            status = OrdStatus.FILLED if cumulative >= tracked.order.quantity else OrdStatus.PARTIALLY_FILLED
        tracked.status = status
        self._emit(ReportKind.FILL, tracked.order.order_id, venue_order_id=tracked.venue_order_id, exec_id=exec_id,
                   last_quantity=missing, last_price=price, status=status)

    def _status(self, tracked: TrackedOrder, message: Message) -> VenueReport | None:
        """An OrderStatusRequest's answer: book what it shows that was missed, then report where the order is."""
        status = _ord_status(message.get(39))
        text = message.get_str(58) or ""
        reconciling = tracked.order.order_id in self._reconciling
        self._reconciling.discard(tracked.order.order_id)
        if status is OrdStatus.REJECTED and _unknown_order(message):
            if reconciling:
                self._lost(tracked)
            return None
        self._catch_up(tracked, message, message.get_str(17))
        if status in (OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED):
            self._accepted(tracked)
        elif status is OrdStatus.CANCELED:
            self._ended(tracked, ReportKind.CANCELED, OrdStatus.CANCELED, text or "canceled")
        elif status is OrdStatus.EXPIRED:
            self._ended(tracked, ReportKind.EXPIRED, OrdStatus.EXPIRED, text or "expired")
        elif status is OrdStatus.REJECTED and tracked.is_open:
            self._rejected(tracked, message.get_str(103), text or "rejected by the LP")
        return VenueReport(self.venue, ReportKind.STATUS, tracked.order.order_id,
                           venue_order_id=tracked.venue_order_id, last_quantity=tracked.filled,
                           last_price=tracked.average_price, status=status or tracked.status, reason=text or None)

    def _learn(self, asked: VenueOrder, message: Message) -> VenueReport | None:
        """A status answer about an order placed before this adapter started (``asked`` is the order as the hub
        knows it): adopt it, with the terms the LP says it has now; the fills it shows count as reported (the
        STATUS answer carries them to the hub)."""
        order_id = asked.order_id
        status = _ord_status(message.get(39))
        instrument = self.instruments.by_venue_symbol(message.get_str(55) or "") or self.instruments.get(asked.symbol)
        side, quantity = message.get_str(54) or asked.side.value, read_decimal(message.get(38))
        if status is None or (status is OrdStatus.REJECTED and _unknown_order(message)):
            return None
        if instrument is None or side not in ("1", "2"):
            log.warning("adapters.primexm.status_unreadable", venue=self.venue, order_id=order_id)
            return None
        try:
            ord_type = OrdType(message.get_str(40) or asked.ord_type.value)
            time_in_force = TimeInForce(message.get_str(59) or asked.time_in_force.value)
        except ValueError:
            log.warning("adapters.primexm.status_unreadable", venue=self.venue, order_id=order_id)
            return None
        price, stop_price = read_decimal(message.get(44)), read_decimal(message.get(99)) or asked.stop_price
        if ord_type is OrdType.STOP and self.dialect == "primexm" and price is not None:
            price, stop_price = None, price  # PrimeXM has no StopPx: a stop's trigger is its Price(44)
        order = VenueOrder(order_id, instrument.symbol, Side(side), ord_type,
                           instrument.from_venue_quantity(quantity) if quantity is not None else asked.quantity,
                           time_in_force, price=asked.price if price is None and stop_price is None else price,
                           stop_price=stop_price)
        tracked = self.orders[order_id] = TrackedOrder(order, instrument, message.get_str(11) or order_id,
                                                       venue_order_id=message.get_str(37), status=status, acked=True,
                                                       filled=instrument.from_venue_quantity(
                                                           read_decimal(message.get(14)) or Decimal(0)),
                                                       average_price=read_decimal(message.get(6)) or Decimal(0))
        self._by_cl_ord_id[order_id] = self._by_cl_ord_id[tracked.cl_ord_id] = order_id
        log.info("adapters.primexm.order_learned", venue=self.venue, order_id=order_id, status=status.name)
        return self.local_status(tracked.order.order_id)

    def _lost(self, tracked: TrackedOrder) -> None:
        """The LP has no record of an order after a reconnect: it never arrived, or the LP dropped it."""
        if not tracked.is_open:
            return
        if tracked.acked:
            self._ended(tracked, ReportKind.CANCELED, OrdStatus.CANCELED, "the LP has no record of the order")
        else:
            self._rejected(tracked, None, "the order never reached the LP", retry=True)

    def _replaced(self, tracked: TrackedOrder, cl_ord_id: str, message: Message) -> None:
        quantity, price = tracked.replacing.pop(cl_ord_id, (None, None))
        if quantity is None:
            units = read_decimal(message.get(38))
            quantity = tracked.instrument.from_venue_quantity(units) if units is not None else tracked.order.quantity
            price = read_decimal(message.get(44))
        is_stop = tracked.order.ord_type is OrdType.STOP
        tracked.order = replace(tracked.order, quantity=quantity, price=tracked.order.price if is_stop else price,
                                stop_price=price if is_stop else tracked.order.stop_price)
        tracked.cl_ord_id = cl_ord_id
        tracked.status = _ord_status(message.get(39)) or tracked.status
        self._emit(ReportKind.REPLACED, tracked.order.order_id, venue_order_id=tracked.venue_order_id,
                   status=tracked.status)

    def _ended(self, tracked: TrackedOrder, kind: ReportKind, status: OrdStatus, reason: str) -> None:
        if not tracked.is_open:
            return
        tracked.status = status
        self._emit(kind, tracked.order.order_id, venue_order_id=tracked.venue_order_id, status=status, reason=reason)

    def _rejected(self, tracked: TrackedOrder, code: str | None, text: str, retry: bool | None = None) -> None:
        if not tracked.is_open:
            return
        tracked.status = OrdStatus.REJECTED
        self._emit(ReportKind.REJECTED, tracked.order.order_id, venue_order_id=tracked.venue_order_id,
                   status=OrdStatus.REJECTED, reason=text, retryable=retryable(code, text) if retry is None else retry)

    def _refused_change(self, tracked: TrackedOrder, cl_ord_id: str | None, reason: str) -> None:
        """A cancel or replace the LP would not do (CANCEL_REJECTED): the order stays as it was."""
        if cl_ord_id is not None:
            tracked.replacing.pop(cl_ord_id, None)
        else:
            tracked.replacing.clear()
        self._emit(ReportKind.CANCEL_REJECTED, tracked.order.order_id, venue_order_id=tracked.venue_order_id,
                   status=tracked.status, reason=reason)

    # ------------------------------------------------------------------ helpers
    def _unsupported(self, order: VenueOrder, instrument: VenueInstrument | None) -> str | None:
        if instrument is None:
            return f"{order.symbol} is not traded at {self.venue}"
        if order.quantity <= 0:
            return "quantity must be positive"
        if order.ord_type not in _SUPPORTED_TYPES[self.dialect]:
            return f"{order.ord_type.name} orders are not taken here (market, limit or stop" + (
                ")" if self.dialect == "primexm" else " or stop-limit)")
        if order.time_in_force not in _SUPPORTED_TIF:
            return f"time in force {order.time_in_force.name} is not offered (GTC, IOC or FOK)"
        if order.ord_type in (OrdType.LIMIT, OrdType.STOP_LIMIT) and order.price is None:
            return "a limit order needs a price"
        if order.ord_type in (OrdType.STOP, OrdType.STOP_LIMIT) and order.stop_price is None:
            return "a stop order needs a stop price"
        return None

    def _prices(self, order: VenueOrder) -> Body:
        """Price(44) and StopPx(99); PrimeXM has no StopPx, so a stop's trigger goes in Price(44) there."""
        if order.ord_type is OrdType.STOP:
            assert order.stop_price is not None
            return [(44 if self.dialect == "primexm" else 99, _wire(order.stop_price))]
        body: Body = []
        if order.price is not None and order.ord_type is not OrdType.MARKET:
            body.append((44, _wire(order.price)))
        if order.ord_type is OrdType.STOP_LIMIT and order.stop_price is not None:
            body.append((99, _wire(order.stop_price)))
        return body

    def _identity(self, tracked: TrackedOrder) -> Body:
        body: Body = [(55, tracked.instrument.venue_symbol), (54, tracked.order.side.value)]
        if tracked.venue_order_id:
            body.insert(0, (37, tracked.venue_order_id))
        return body

    def _live(self, order_id: str, what: str) -> TrackedOrder | None:
        """The order, if a cancel or replace can be asked for it; else a CANCEL_REJECTED report says why not."""
        tracked = self.orders.get(order_id)
        if tracked is None:
            self._emit(ReportKind.CANCEL_REJECTED, order_id, reason=f"cannot {what}: unknown order", status=None)
            return None
        if not tracked.is_open:
            self._emit(ReportKind.CANCEL_REJECTED, order_id,
                       reason=f"cannot {what}: the order is {tracked.status.name}", status=tracked.status)
            return None
        return tracked

    def _chain(self, order_id: str, kind: str) -> str:
        cl_ord_id = f"{order_id}~{kind}{self._token}{next(self._ids)}"
        self._by_cl_ord_id[cl_ord_id] = order_id
        return cl_ord_id

    def _order_id(self, cl_ord_id: str, orig_cl_ord_id: str | None) -> str | None:
        return self._by_cl_ord_id.get(cl_ord_id) or self._by_cl_ord_id.get(orig_cl_ord_id or "")

    def _emit(self, kind: ReportKind, order_id: str, **fields: object) -> None:
        report = VenueReport(self.venue, kind, order_id, **fields)  # type: ignore[arg-type]
        log.info("adapters.primexm.report", venue=self.venue, kind=kind.value, order_id=order_id,
                 exec_id=report.exec_id, quantity=str(report.last_quantity), price=str(report.last_price),
                 status=report.status.name if report.status else None, reason=report.reason)
        self.emit_report(report)


def _unknown_order(message: Message) -> bool:
    return message.get(103) == b"5" or "unknown" in (message.get_str(58) or "").lower()


def _ord_status(raw: bytes | None) -> OrdStatus | None:
    try:
        return OrdStatus(raw.decode("latin-1")) if raw else None
    except ValueError:
        return None


def _wire(value: Decimal) -> str:
    """A FIX decimal: plain digits, no exponent, no trailing zeros."""
    return format(value.normalize(), "f")


def _now() -> bytes:
    return format_timestamp(time.time())


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"
