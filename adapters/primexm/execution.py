"""Orders in PrimeXM's FIX 4.4, sans-IO: VenueOrders in, message bodies out (fix44.py); ExecutionReports,
OrderCancelRejects and refusals in, VenueReports out.

Cancel and replace go the standard FIX 4.4 way, each under a ClOrdID of its own chained from the order's; a
refused one is reported as CANCEL_REJECTED. An order placed before a restart is adopted from the LP's answer to a
status request for it. Fills are counted by CumQty, so a fill seen twice (a resend, or a status answer after a
reconnect) is reported once, and one missed while the session was down is reported when the status answer shows it.
"""
from __future__ import annotations

import dataclasses
import itertools
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal

import structlog

from adapters.primexm import fix44
from adapters.primexm.errors import reject_code
from adapters.primexm.fix44 import Outbound, ord_status, unknown_order
from adapters.primexm.instruments import InstrumentMap, VenueInstrument, read_decimal
from adapters.tracked import Reporter, TrackedOrder
from engine.domain.offers import Offers
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.ports import Clock, ReportKind, VenueOrder, VenueReport
from fix_sessions.codec import Message

log = structlog.get_logger("adapters.primexm")

_SUPPORTED_TYPES = {"primexm": frozenset({OrdType.MARKET, OrdType.LIMIT, OrdType.STOP}),
                    "fix44": frozenset({OrdType.MARKET, OrdType.LIMIT, OrdType.STOP, OrdType.STOP_LIMIT})}
# What the LP takes (adapters/README.md, "Times in force"): no DAY and no GTD, which the hub sends as GTC and expires
# itself; a market order is immediate, IOC or FOK.
OFFERS = Offers(market=frozenset({TimeInForce.IOC, TimeInForce.FOK}),
                resting=frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}))
_FILL_TYPES = frozenset({b"F", b"1", b"2"})  # TRADE, and FIX 4.2's partial fill / fill
_PENDING_TYPES = frozenset({b"6", b"A", b"E"})


@dataclass(slots=True)
class AtLP:
    """How the LP knows an order: the instrument in its terms, the ClOrdID the order goes by now (each replace
    gives it a new one), the replaces asked for by their ClOrdIDs, and when it was sent (until the first answer)."""

    instrument: VenueInstrument
    cl_ord_id: str
    replacing: dict[str, VenueOrder] = field(default_factory=dict)
    sent_at: float | None = None


Tracked = TrackedOrder[AtLP]
# An answer to an OrderStatusRequest: the order asked about and what to tell the asker (None: no such order).
StatusAnswer = tuple[str, VenueReport | None]


class OrderFlow:
    """The trade session's order book-keeping; every report goes out through ``reports``."""

    def __init__(self, instruments: InstrumentMap, reports: Reporter, clock: Clock, *, dialect: str,
                 deviation: Decimal | None) -> None:
        self.venue = reports.venue
        self.instruments = instruments
        self.reports = reports
        self.clock = clock
        self.dialect = dialect
        self.deviation = deviation
        self.ack_latency_ms: float | None = None
        self.orders: dict[str, Tracked] = {}
        self._by_cl_ord_id: dict[str, str] = {}      # every ClOrdID sent -> the engine's order id
        self._asked: dict[str, VenueOrder] = {}       # status asked for orders this adapter did not place
        self._asked_by_request: dict[str, str] = {}   # their OrdStatusReqIDs -> order id
        self._reconciling: set[str] = set()           # status asked after a reconnect
        self._ids = itertools.count(1)
        self._token = secrets.token_hex(3)            # keeps chained ClOrdIDs unique across restarts

    # ------------------------------------------------------------------ outbound
    def new_order(self, order: VenueOrder) -> Outbound | None:
        """The NewOrderSingle, or None when refused here (a REJECTED report says why)."""
        instrument = self.instruments.get(order.symbol)
        refusal = self._unsupported(order, instrument)
        if refusal is not None:
            self.reports.rejected(order.order_id, *refusal)
            return None
        assert instrument is not None
        if order.order_id in self.orders:
            self.reports.rejected(order.order_id, "order id already sent to this venue", "duplicate_order")
            return None
        self.orders[order.order_id] = TrackedOrder(order, AtLP(instrument, order.order_id, sent_at=time.monotonic()))
        self._by_cl_ord_id[order.order_id] = order.order_id
        log.debug("adapters.primexm.order_sent", venue=self.venue, order_id=order.order_id, symbol=order.symbol,
                  side=order.side.name, quantity=str(order.quantity), ord_type=order.ord_type.name)
        return fix44.new_order_single(order, instrument, dialect=self.dialect, deviation=self.deviation,
                                      now=self.clock())

    def forget(self, order_id: str) -> None:
        """A NewOrderSingle that could not be sent: the order was never at the LP."""
        if self.orders.pop(order_id, None) is not None:
            self._by_cl_ord_id.pop(order_id, None)

    def cancel(self, order_id: str) -> Outbound | None:
        tracked = self._live(order_id, "cancel")
        if tracked is None:
            return None
        cl_ord_id = self._chain(order_id, "C")
        log.info("adapters.primexm.cancel_sent", venue=self.venue, order_id=order_id, cl_ord_id=cl_ord_id)
        return fix44.cancel_request(cl_ord_id, tracked.at_venue.cl_ord_id, tracked.venue_order_id, tracked.order,
                                    tracked.at_venue.instrument, self.clock())

    def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> Outbound | None:
        tracked = self._live(order_id, "replace")
        if tracked is None:
            return None
        if tracked.order.ord_type is OrdType.MARKET:
            self.reports.refused(tracked, "a market order cannot be replaced", "unsupported")
            return None
        cl_ord_id = self._chain(order_id, "R")
        changed = tracked.at_venue.replacing[cl_ord_id] = fix44.with_terms(tracked.order, quantity, price)
        log.info("adapters.primexm.replace_sent", venue=self.venue, order_id=order_id, cl_ord_id=cl_ord_id,
                 quantity=str(quantity), price=str(price))
        return fix44.replace_request(cl_ord_id, tracked.at_venue.cl_ord_id, tracked.venue_order_id, changed,
                                     tracked.at_venue.instrument, dialect=self.dialect, now=self.clock())

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
            return fix44.status_request(order_id, request_id, None, order, self.instruments.get(order.symbol))
        return fix44.status_request(tracked.at_venue.cl_ord_id, request_id, tracked.venue_order_id, tracked.order,
                                    tracked.at_venue.instrument)

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
        return self.reports.status_of(tracked) if tracked is not None else None

    # ------------------------------------------------------------------ inbound
    def on_execution_report(self, message: Message) -> StatusAnswer | None:
        """Apply an ExecutionReport; an answer to an OrderStatusRequest is returned for its asker."""
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
        if tracked.at_venue.sent_at is not None:
            self.ack_latency_ms = (time.monotonic() - tracked.at_venue.sent_at) * 1000
            tracked.at_venue.sent_at = None
        venue_order_id = message.get_str(37)
        if venue_order_id and venue_order_id != "NONE":
            tracked.venue_order_id = venue_order_id
        text = message.get_str(58)
        if exec_type == b"I":
            return tracked.order.order_id, self._status(tracked, message)
        if exec_type == b"0":
            self.reports.accepted(tracked)
        elif exec_type in _FILL_TYPES:
            self._catch_up(tracked, message)
        elif exec_type == b"4":
            self.reports.ended(tracked, ReportKind.CANCELED, text or "canceled")
        elif exec_type == b"C":
            self.reports.ended(tracked, ReportKind.EXPIRED, text or "expired")
        elif exec_type == b"5":
            self._replaced(tracked, cl_ord_id, message)
        elif exec_type == b"8":
            code = message.get_str(103)
            if cl_ord_id != tracked.order.order_id and tracked.acknowledged:  # a cancel or replace refused as an 8
                self._refused_change(tracked, cl_ord_id, text or "refused", reject_code(103, code, text))
            else:
                self.reports.ended(tracked, ReportKind.REJECTED, text or _rejected_by_lp(code),
                                   reject_code(103, code, text))
        elif exec_type not in _PENDING_TYPES:
            log.warning("adapters.primexm.unexpected_exec_type", venue=self.venue, order_id=tracked.order.order_id,
                        exec_type=exec_type.decode("latin-1"))
        return None

    def on_cancel_reject(self, message: Message) -> None:
        cl_ord_id = message.get_str(11) or ""
        order_id = self._order_id(cl_ord_id, message.get_str(41))
        tracked = self.orders.get(order_id or "")
        reason_code, text = message.get_str(102), message.get_str(58)
        reason = text or {"0": "too late to cancel", "1": "unknown order",
                          "3": "already pending cancel or replace"}.get(reason_code or "", "refused")
        if tracked is None:
            log.warning("adapters.primexm.cancel_reject_for_unknown_order", venue=self.venue, cl_ord_id=cl_ord_id)
            return
        self._refused_change(tracked, cl_ord_id, reason, reject_code(102, reason_code, text))

    def refused(self, msg_type: bytes, order_id: str | None, text: str, code: str) -> StatusAnswer | None:
        """The LP refused one of our messages (BusinessMessageReject or session Reject) for a reason ``code`` from
        errors.CODES."""
        tracked = self.orders.get(order_id or "")
        log.warning("adapters.primexm.message_refused", venue=self.venue, msg_type=msg_type.decode("latin-1"),
                    order_id=order_id, text=text, code=code)
        if order_id is None:
            return None
        if msg_type == b"H":
            self.forget_asked(order_id)
            reconciling = order_id in self._reconciling
            self._reconciling.discard(order_id)
            if code == "unknown_order":
                if tracked is not None and reconciling:
                    self._lost(tracked)
                return order_id, None
            return order_id, self.local_status(order_id)  # an LP without status requests: what we know
        if tracked is None:
            return None
        if msg_type == b"D" and not tracked.acknowledged:
            self.reports.ended(tracked, ReportKind.REJECTED, text, code)
        elif msg_type in (b"F", b"G"):
            self._refused_change(tracked, None, text, code)
        return None

    # ------------------------------------------------------------------ applying reports
    def _catch_up(self, tracked: Tracked, message: Message) -> None:
        """Report what the LP has filled beyond what was reported already, at the price it implies."""
        instrument, exec_id = tracked.at_venue.instrument, message.get_str(17)
        cum_units, last_units = read_decimal(message.get(14)), read_decimal(message.get(32))
        if cum_units is None and last_units is None:
            return
        last = instrument.from_venue_quantity(last_units) if last_units is not None else None
        cumulative = (instrument.from_venue_quantity(cum_units) if cum_units is not None
                      else tracked.filled + (last or Decimal(0)))
        average = read_decimal(message.get(6))
        missing = tracked.missing_fill(cumulative, average, last, read_decimal(message.get(31)))
        if missing is None:
            if cumulative <= tracked.filled and message.get(150) in _FILL_TYPES:  # a status showing nothing new
                log.info("adapters.primexm.fill_already_reported", venue=self.venue,
                         order_id=tracked.order.order_id, exec_id=exec_id, cumulative=str(cumulative))
            elif cumulative > tracked.filled:
                log.warning("adapters.primexm.fill_without_price", venue=self.venue, order_id=tracked.order.order_id)
            return
        quantity, price = missing
        self.reports.filled(tracked, exec_id or f"{tracked.order.order_id}:cum:{cumulative}", quantity, price,
                            average=average, status=ord_status(message))

    def _status(self, tracked: Tracked, message: Message) -> VenueReport | None:
        """An OrderStatusRequest's answer: book what it shows that was missed, then report where the order is."""
        status = ord_status(message)
        text = message.get_str(58) or ""
        reconciling = tracked.order.order_id in self._reconciling
        self._reconciling.discard(tracked.order.order_id)
        if status is OrdStatus.REJECTED and unknown_order(message):
            if reconciling:
                self._lost(tracked)
            return None
        self._catch_up(tracked, message)
        if status in (OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED):
            self.reports.accepted(tracked)
        elif status is OrdStatus.CANCELED:
            self.reports.ended(tracked, ReportKind.CANCELED, text or "canceled")
        elif status is OrdStatus.EXPIRED:
            self.reports.ended(tracked, ReportKind.EXPIRED, text or "expired")
        elif status is OrdStatus.REJECTED:
            code = message.get_str(103)
            self.reports.ended(tracked, ReportKind.REJECTED, text or _rejected_by_lp(code),
                               reject_code(103, code, text))
        report = self.reports.status_of(tracked, text or None)
        return report if status is None else dataclasses.replace(report, status=status)  # the LP's word

    def _learn(self, asked: VenueOrder, message: Message) -> VenueReport | None:
        """A status answer about an order placed before this adapter started (``asked`` is the order as the hub
        knows it): adopt it, with the terms the LP says it has now; the fills it shows count as reported (the
        STATUS answer carries them to the hub)."""
        order_id = asked.order_id
        status = ord_status(message)
        instrument = self.instruments.by_venue_symbol(message.get_str(55) or "") or self.instruments.get(asked.symbol)
        side, quantity = message.get_str(54) or asked.side.value, read_decimal(message.get(38))
        if status is None or (status is OrdStatus.REJECTED and unknown_order(message)):
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
        tracked = TrackedOrder(order, AtLP(instrument, message.get_str(11) or order_id))
        tracked.adopt(status, instrument.from_venue_quantity(read_decimal(message.get(14)) or Decimal(0)),
                      read_decimal(message.get(6)) or Decimal(0), message.get_str(37))
        self.orders[order_id] = tracked
        self._by_cl_ord_id[order_id] = self._by_cl_ord_id[tracked.at_venue.cl_ord_id] = order_id
        log.info("adapters.primexm.order_learned", venue=self.venue, order_id=order_id, status=status.name)
        return self.reports.status_of(tracked)

    def _lost(self, tracked: Tracked) -> None:
        """The LP has no record of an order after a reconnect: it never arrived, or the LP dropped it."""
        self.reports.lost(tracked, never_arrived="the order never reached the LP",
                          dropped="the LP has no record of the order")

    def _replaced(self, tracked: Tracked, cl_ord_id: str, message: Message) -> None:
        changed = tracked.at_venue.replacing.pop(cl_ord_id, None)
        if changed is None:  # a replace this adapter did not ask for: the terms are the LP's
            units = read_decimal(message.get(38))
            quantity = tracked.at_venue.instrument.from_venue_quantity(units) if units is not None \
                else tracked.order.quantity
            changed = fix44.with_terms(tracked.order, quantity, read_decimal(message.get(44)))
        tracked.at_venue.cl_ord_id = cl_ord_id
        self.reports.replaced(tracked, changed, ord_status(message))

    def _refused_change(self, tracked: Tracked, cl_ord_id: str | None, reason: str, code: str) -> None:
        """A cancel or replace the LP would not do (CANCEL_REJECTED): the order stays as it was."""
        if cl_ord_id is not None:
            tracked.at_venue.replacing.pop(cl_ord_id, None)
        else:
            tracked.at_venue.replacing.clear()
        self.reports.refused(tracked, reason, code)

    # ------------------------------------------------------------------ helpers
    def _unsupported(self, order: VenueOrder, instrument: VenueInstrument | None) -> tuple[str, str] | None:
        """Why this LP cannot take the order, and the code; None when it can."""
        if instrument is None:
            return f"{order.symbol} is not traded at {self.venue}", "unknown_symbol"
        if order.quantity <= 0:
            return "quantity must be positive", "invalid_quantity"
        if order.ord_type not in _SUPPORTED_TYPES[self.dialect]:
            return f"{order.ord_type.name} orders are not taken here (market, limit or stop" + (
                ")" if self.dialect == "primexm" else " or stop-limit)"), "unsupported"
        offered = OFFERS.market if order.ord_type is OrdType.MARKET else OFFERS.resting
        if order.time_in_force not in offered:
            *others, last = [tif.name for tif in TimeInForce if tif in offered]
            names = f"{', '.join(others)} or {last}" if others else last
            return f"time in force {order.time_in_force.name} is not offered ({names})", "unsupported"
        if order.ord_type in (OrdType.LIMIT, OrdType.STOP_LIMIT) and order.price is None:
            return "a limit order needs a price", "invalid_price"
        if order.ord_type in (OrdType.STOP, OrdType.STOP_LIMIT) and order.stop_price is None:
            return "a stop order needs a stop price", "invalid_price"
        return None

    def _live(self, order_id: str, what: str) -> Tracked | None:
        """The order, if a cancel or replace can be asked for it; else a CANCEL_REJECTED report says why not."""
        tracked = self.orders.get(order_id)
        if tracked is None:
            self.reports.refused_unknown(order_id, f"cannot {what}: unknown order")
            return None
        if not tracked.is_open:
            self.reports.refused(tracked, f"cannot {what}: the order is {tracked.status.name}", "too_late")
            return None
        return tracked

    def _chain(self, order_id: str, kind: str) -> str:
        cl_ord_id = f"{order_id}~{kind}{self._token}{next(self._ids)}"
        self._by_cl_ord_id[cl_ord_id] = order_id
        return cl_ord_id

    def _order_id(self, cl_ord_id: str, orig_cl_ord_id: str | None) -> str | None:
        return self._by_cl_ord_id.get(cl_ord_id) or self._by_cl_ord_id.get(orig_cl_ord_id or "")


def _rejected_by_lp(code: str | None) -> str:
    return f"rejected by the LP (OrdRejReason {code})" if code else "rejected by the LP"

