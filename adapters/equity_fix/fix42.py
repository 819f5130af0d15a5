"""The FIX 4.2 wire form of the adapter's messages: D, F, G, H and V out; ExecutionReport (8), OrderCancelReject (9)
and BusinessMessageReject (j) in. ExecType becomes our report kind here; reject reasons become our codes in
errors.py."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from adapters.equity_fix.instruments import Stock
from engine.ports import ReportKind, VenueOrder
from fix_sessions.codec import Message, Value

Body = list[tuple[int, Value]]

# ExecType(150) -> what the hub hears. Pending states (6, A, E) and 7/9/B are informational: no report.
EXEC_KINDS: dict[str, ReportKind] = {
    "0": ReportKind.ACCEPTED, "1": ReportKind.FILL, "2": ReportKind.FILL, "3": ReportKind.EXPIRED,
    "4": ReportKind.CANCELED, "5": ReportKind.REPLACED, "8": ReportKind.REJECTED, "C": ReportKind.EXPIRED,
    "D": ReportKind.STATUS,
}
STATUS_TRANS_TYPE = "3"  # ExecTransType(20)=Status: the answer to an OrderStatusRequest
SELL_SHORT = "5"
# LocateBroker: FIX 4.2 has LocateReqd(114) but no field for the firm that located the stock; US brokers take it in
# the user-defined tag 5700 (FIX 4.3 and later name it in Parties with PartyRole 8, "Locate/Lending Firm").
LOCATE_BROKER = 5700


def decimal_text(value: Decimal) -> str:
    """Plain notation (never 1E+2), trailing zeros of the fraction dropped."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def _instrument(stock: Stock) -> Body:
    return [(55, stock.venue_symbol), (207, stock.exchange)]


def new_order_single(cl_ord_id: str, order: VenueOrder, stock: Stock, side: str, account: str | None,
                     now: dt.datetime, locate_broker: str | None = None) -> Body:
    return [(11, cl_ord_id), *_order_terms(order, stock, side, account, now, locate_broker)]


def _order_terms(order: VenueOrder, stock: Stock, side: str, account: str | None, now: dt.datetime,
                 locate_broker: str | None) -> Body:
    """What a new order and its replacement both carry, from Account(1) to TimeInForce(59), and a short sale's
    locate."""
    body: Body = [(1, account)] if account else []
    body += [(21, "1"), (100, stock.exchange), *_instrument(stock), (54, side)]
    locating = side == SELL_SHORT and stock.profile.requires_locate
    if locating:  # Y: the broker is to locate the stock; N: it was located at locate_broker
        body.append((114, "N" if locate_broker else "Y"))
    body += [(60, timestamp(now)), (38, decimal_text(order.quantity)), (40, order.ord_type.value)]
    if order.price is not None:
        body.append((44, decimal_text(order.price)))
    if order.stop_price is not None:
        body.append((99, decimal_text(order.stop_price)))
    body.append((59, order.time_in_force.value))
    if locating and locate_broker:
        body.append((LOCATE_BROKER, locate_broker))
    return body


def cancel_request(cl_ord_id: str, orig_cl_ord_id: str, venue_order_id: str | None, stock: Stock, side: str,
                   quantity: Decimal, now: dt.datetime) -> Body:
    body: Body = [(41, orig_cl_ord_id)]
    if venue_order_id:
        body.append((37, venue_order_id))
    return body + [(11, cl_ord_id), *_instrument(stock), (54, side), (60, timestamp(now)),
                   (38, decimal_text(quantity))]


def replace_request(cl_ord_id: str, orig_cl_ord_id: str, venue_order_id: str | None, order: VenueOrder,
                    stock: Stock, side: str, account: str | None, now: dt.datetime,
                    locate_broker: str | None = None) -> Body:
    body: Body = [(37, venue_order_id)] if venue_order_id else []
    return body + [(41, orig_cl_ord_id), (11, cl_ord_id),
                   *_order_terms(order, stock, side, account, now, locate_broker)]


def status_request(cl_ord_id: str, venue_order_id: str | None, stock: Stock, side: str) -> Body:
    body: Body = [(37, venue_order_id)] if venue_order_id else []
    return body + [(11, cl_ord_id), *_instrument(stock), (54, side)]


def market_data_request(md_req_id: str, stocks: list[Stock], subscribe: bool = True) -> Body:
    """Top of book (depth 1) bid, offer and closing price, snapshot then incremental updates."""
    body: Body = [(262, md_req_id), (263, "1" if subscribe else "2"), (264, 1), (265, 1),
                  (267, 3), (269, "0"), (269, "1"), (269, "5"), (146, len(stocks))]
    for stock in stocks:
        body += _instrument(stock)
    return body


def _decimal(message: Message, tag: int) -> Decimal:
    raw = message.get(tag)
    return Decimal(raw.decode("ascii")) if raw else Decimal(0)


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """An ExecutionReport (8) as FIX 4.2 sends it: ExecTransType(20) and ExecType(150) both present."""

    cl_ord_id: str
    orig_cl_ord_id: str | None
    order_id: str
    exec_id: str
    exec_trans_type: str
    exec_type: str
    ord_status: str
    last_shares: Decimal
    last_px: Decimal
    cum_qty: Decimal
    avg_px: Decimal
    ord_rej_reason: str | None
    text: str | None
    side: str | None = None
    order_qty: Decimal | None = None   # the order's terms as the broker holds them (a status answer's 38 and 44)
    price: Decimal | None = None

    @classmethod
    def parse(cls, message: Message) -> ExecutionReport:
        return cls(
            cl_ord_id=message.get_str(11) or "", orig_cl_ord_id=message.get_str(41),
            order_id=message.get_str(37) or "", exec_id=message.get_str(17) or "",
            exec_trans_type=message.get_str(20) or "0", exec_type=message.get_str(150) or "",
            ord_status=message.get_str(39) or "",
            last_shares=_decimal(message, 32), last_px=_decimal(message, 31), cum_qty=_decimal(message, 14),
            avg_px=_decimal(message, 6), ord_rej_reason=message.get_str(103), text=message.get_str(58),
            side=message.get_str(54), order_qty=_decimal(message, 38) if message.get(38) else None,
            price=_decimal(message, 44) if message.get(44) else None,
        )

    @property
    def is_status(self) -> bool:
        return self.exec_trans_type == STATUS_TRANS_TYPE

    @property
    def reject_key(self) -> str:
        """The reject's reason as errors.CODES names it (a reject without one is the broker's option)."""
        return f"103={self.ord_rej_reason or '0'}"


@dataclass(frozen=True, slots=True)
class CancelReject:
    """An OrderCancelReject (9): the cancel (CxlRejResponseTo=1) or replace (2) was refused."""

    cl_ord_id: str
    orig_cl_ord_id: str
    order_id: str
    ord_status: str
    response_to: str
    reason: str | None
    text: str | None

    @classmethod
    def parse(cls, message: Message) -> CancelReject:
        return cls(cl_ord_id=message.get_str(11) or "", orig_cl_ord_id=message.get_str(41) or "",
                   order_id=message.get_str(37) or "", ord_status=message.get_str(39) or "",
                   response_to=message.get_str(434) or "1", reason=message.get_str(102), text=message.get_str(58))

    @property
    def reject_key(self) -> str:
        """The refusal's reason as errors.CODES names it (one without a reason is the broker's option)."""
        return f"102={self.reason or '2'}"

    def describe(self) -> str:
        what = "cancel" if self.response_to == "1" else "replace"
        return f"{what} refused: {self.text or 'by the broker'}"
