"""The simulated broker's FIX 4.2 messages: ExecutionReport, OrderCancelReject and market data out, and the
order terms read from NewOrderSingle and OrderCancelReplaceRequest. Field by field from the FIX 4.2 specification
(fix_specs/FIX42.xml), on fix_sessions' codec."""
from __future__ import annotations

import time
from decimal import Decimal

from fix_sessions.codec import Message, Value
from fix_sessions.utctime import format_timestamp
from simulators.equity.book import Level, SimOrder, StockBook
from simulators.equity.fields import OrdStatus, OrdType, TimeInForce
from simulators.state import Ids

Body = list[tuple[int, Value]]

_AVG_PX = Decimal("0.000001")
LOCATE_BROKER = 5700  # the user-defined tag US brokers take the locating firm in (FIX 4.2 has no field for it)
# ExecType(150) answering a status request: the order's state, in ExecType's own values.
_STATUS_EXEC_TYPES = {OrdStatus.NEW: "0", OrdStatus.PARTIALLY_FILLED: "1", OrdStatus.FILLED: "2",
                      OrdStatus.CANCELED: "4", OrdStatus.REJECTED: "8", OrdStatus.EXPIRED: "C"}


def wire_decimal(value: Decimal) -> str:
    """Plain notation (never 1E+2), trailing zeros of the fraction dropped: FIX's float, as brokers write it."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class UnsupportedTerms(ValueError):
    """An order type or time in force the simulated broker does not take."""


def decimal_field(message: Message, tag: int) -> Decimal | None:
    raw = message.get(tag)
    return Decimal(raw.decode("ascii")) if raw else None


def read_order(message: Message) -> SimOrder:
    """A NewOrderSingle's terms; UnsupportedTerms for an order type or time in force outside MARKET, LIMIT,
    STOP, STOP_LIMIT and DAY, GTC, IOC, FOK, GTD."""
    try:
        ord_type = OrdType(message.get_str(40, ""))
        time_in_force = TimeInForce(message.get_str(59, TimeInForce.DAY.value))
    except ValueError as error:
        raise UnsupportedTerms(str(error)) from None
    return SimOrder(
        cl_ord_id=message.get_str(11, ""), ticker=message.get_str(55, ""),
        mic=message.get_str(207) or message.get_str(100, ""), side=message.get_str(54, ""),
        ord_type=ord_type, time_in_force=time_in_force, quantity=decimal_field(message, 38) or Decimal(0),
        price=decimal_field(message, 44), stop_price=decimal_field(message, 99),
        triggered=ord_type not in (OrdType.STOP, OrdType.STOP_LIMIT),
        locate_reqd=message.get_str(114), locate_broker=message.get_str(LOCATE_BROKER))


class Reports:
    """Builds ExecutionReports with ExecIDs unique across simulator runs: the run's start in each, and ``ids``
    (kept in the state file when there is one) after it."""

    def __init__(self, ids: Ids | None = None) -> None:
        self.ids = ids if ids is not None else Ids()
        self._run = f"{int(time.time()):x}"

    def execution(self, order: SimOrder, exec_type: str, *, status_request: bool = False,
                  last: tuple[Decimal, Decimal] | None = None, text: str | None = None,
                  reject_reason: str | None = None, orig_cl_ord_id: str | None = None) -> Body:
        body: Body = [(37, order.order_id), (11, order.cl_ord_id)]
        if orig_cl_ord_id:
            body.append((41, orig_cl_ord_id))
        body += [(17, f"{self._run}-{next(self.ids)}"), (20, "3" if status_request else "0"), (150, exec_type),
                 (39, order.status.value)]
        if reject_reason is not None:
            body.append((103, reject_reason))
        body += [(55, order.ticker), (207, order.mic), (54, order.side),
                 (38, wire_decimal(order.quantity)), (40, order.ord_type.value)]
        if order.price is not None:
            body.append((44, wire_decimal(order.price)))
        if order.stop_price is not None:
            body.append((99, wire_decimal(order.stop_price)))
        last_shares, last_px = last or (Decimal(0), Decimal(0))
        body += [(59, order.time_in_force.value), (32, wire_decimal(last_shares)), (31, wire_decimal(last_px)),
                 (151, wire_decimal(order.leaves)), (14, wire_decimal(order.cum_qty)),
                 (6, wire_decimal(order.avg_px.quantize(_AVG_PX))), (60, format_timestamp(time.time()))]
        if text:
            body.append((58, text))
        return body

    def status(self, order: SimOrder) -> Body:
        return self.execution(order, _STATUS_EXEC_TYPES.get(order.status, "0"), status_request=True)

    def unknown_order(self, message: Message) -> Body:
        """The answer to an OrderStatusRequest for an order the broker never had."""
        return [(37, "NONE"), (11, message.get_str(11, "")), (17, f"{self._run}-{next(self.ids)}"), (20, "3"),
                (150, "8"), (39, "8"), (103, "5"), (55, message.get_str(55, "")),
                (207, message.get_str(207, "")), (54, message.get_str(54, "1")), (151, "0"), (14, "0"), (6, "0"),
                (58, "unknown order")]


def cancel_reject(message: Message, order: SimOrder | None, response_to: str, reason: str, text: str) -> Body:
    """OrderCancelReject (9): CxlRejResponseTo 1 for a cancel, 2 for a replace."""
    return [(37, order.order_id if order else "NONE"), (11, message.get_str(11, "")),
            (41, message.get_str(41, "")), (39, order.status.value if order else OrdStatus.REJECTED.value),
            (434, response_to), (102, reason), (58, text)]


def _level(kind: str, level: Level | None) -> Body:
    return [] if level is None else [(269, kind), (270, wire_decimal(level.price)), (271, wire_decimal(level.size))]


def snapshot(md_req_id: str, book: StockBook) -> Body:
    """MarketDataSnapshotFullRefresh (W): top of book and the previous close (MDEntryType 5)."""
    bid, ask = book.top()
    entries = _level("0", bid) + _level("1", ask) + [(269, "5"), (270, wire_decimal(book.previous_close))]
    count = sum(1 for tag, _ in entries if tag == 269)
    return [(262, md_req_id), (55, book.stock.ticker), (207, book.stock.mic), (268, count), *entries]


def incremental(book: StockBook) -> Body:
    """MarketDataIncrementalRefresh (X): the new bid and offer, or their deletion when a side is empty."""
    entries: Body = []
    for kind, level in zip(("0", "1"), book.top()):
        entries += [(279, "1" if level else "2"), (269, kind), (55, book.stock.ticker),
                    (207, book.stock.mic)]
        if level is not None:
            entries += [(270, wire_decimal(level.price)), (271, wire_decimal(level.size))]
    return [(268, 2), *entries]


def instruments_requested(message: Message) -> list[tuple[str, str | None]]:
    """The (Symbol, SecurityExchange) pairs of a MarketDataRequest's NoRelatedSym group."""
    pairs: list[tuple[str, str | None]] = []
    for tag, raw in message.fields:
        if tag == 55:
            pairs.append((raw.decode("latin-1"), None))
        elif tag == 207 and pairs:
            pairs[-1] = (pairs[-1][0], raw.decode("latin-1"))
    return pairs
