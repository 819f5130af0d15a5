"""The fx-lp simulator's order handling, sans-IO: order messages in, ExecutionReports (or OrderCancelRejects)
out. Fills at the current top of book with optional adverse slippage, partial fills, last-look rejects,
resting limits and stops matched on every price change, cancel, replace and status requests."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from fix_sessions.codec import Message, Value
from fix_sessions.reject import BusinessReject, BusinessRejectReason
from fix_sessions.utctime import format_timestamp
from simulators.fx_lp.pricing import PriceBook
from simulators.state import Ids

Body = list[tuple[int, Value]]
Outbound = tuple[bytes, Body]

NEW, PARTIAL, FILLED, CANCELED, REJECTED = "0", "1", "2", "4", "8"
MARKET, LIMIT, STOP, STOP_LIMIT = "1", "2", "3", "4"
IOC, FOK = "3", "4"
TERMINAL = frozenset({FILLED, CANCELED, REJECTED})


@dataclass(slots=True)
class SimOrder:
    order_id: str
    cl_ord_ids: list[str]
    symbol: str
    side: str
    ord_type: str
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: str
    currency: str
    deviation: Decimal | None
    cum: Decimal = Decimal(0)
    average: Decimal = Decimal(0)
    status: str = NEW
    triggered: bool = False
    fills: int = 0

    @property
    def leaves(self) -> Decimal:
        return Decimal(0) if self.status in TERMINAL else self.quantity - self.cum


@dataclass
class Matcher:
    """The LP's order book. The scenario knobs are public fields a test sets."""

    books: dict[str, PriceBook]
    dialect: str = "primexm"
    partial_fill_ratio: Decimal | None = None   # the first fill of each order takes this share of it
    slippage: Decimal = Decimal(0)              # fills this much worse than the touch
    last_look: list[str] = field(default_factory=list)  # texts of the next orders to refuse
    orders: dict[str, SimOrder] = field(default_factory=dict)   # by every ClOrdID of its chain
    ids: Ids = field(default_factory=Ids)                       # OrderIDs and ExecIDs, one sequence

    # ------------------------------------------------------------------ requests
    def new_order(self, message: Message) -> list[Outbound]:
        cl_ord_id = message.get_str(11) or ""
        symbol = message.get_str(55) or ""
        book = self.books.get(symbol)
        price_tag = 99 if self.dialect == "fix44" else 44
        ord_type = message.get_str(40) or MARKET
        order = SimOrder(
            order_id=f"PXM-{next(self.ids)}", cl_ord_ids=[cl_ord_id], symbol=symbol, side=message.get_str(54) or "1",
            ord_type=ord_type, quantity=_decimal(message.get(38)) or Decimal(0),
            price=_decimal(message.get(44)) if ord_type in (LIMIT, STOP_LIMIT) else None,
            stop_price=_decimal(message.get(price_tag)) if ord_type in (STOP, STOP_LIMIT) else None,
            time_in_force=message.get_str(59) or "1", currency=message.get_str(15) or "",
            deviation=_decimal(message.get(10001)))
        refusal = None
        if cl_ord_id in self.orders:
            refusal = ("6", f"Duplicate ClOrdID {cl_ord_id}")
        elif book is None:
            refusal = ("1", f"Unknown symbol {symbol}")
        elif order.currency and order.currency != book.spec.currency:
            refusal = ("99", f"Currency must be {book.spec.currency}")
        elif order.quantity <= 0:
            refusal = ("13", "Quantity must be positive")
        elif self.last_look:
            refusal = (None, self.last_look.pop(0))
        if refusal is not None:
            order.status = REJECTED
            code, text = refusal
            extra: Body = [(103, code)] if code is not None and self.dialect == "fix44" else []
            return [(b"8", self._report(order, "8", cl_ord_id, text=text) + extra)]
        for known in order.cl_ord_ids:
            self.orders[known] = order
        return [(b"8", self._report(order, "0", cl_ord_id)), *self._match(order)]

    def cancel(self, message: Message) -> list[Outbound]:
        cl_ord_id, original = message.get_str(11) or "", message.get_str(41) or ""
        order = self.orders.get(original)
        if order is None or order.status in TERMINAL:
            return [self._cancel_reject(order, cl_ord_id, original, "1")]
        self.orders[cl_ord_id] = order
        order.cl_ord_ids.append(cl_ord_id)
        order.status = CANCELED
        return [(b"8", self._report(order, "4", cl_ord_id, original=original, text="Canceled on request"))]

    def replace(self, message: Message) -> list[Outbound]:
        cl_ord_id, original = message.get_str(11) or "", message.get_str(41) or ""
        order = self.orders.get(original)
        quantity = _decimal(message.get(38)) or Decimal(0)
        if order is None or order.status in TERMINAL or quantity <= order.cum:
            return [self._cancel_reject(order, cl_ord_id, original, "2")]
        self.orders[cl_ord_id] = order
        order.cl_ord_ids.append(cl_ord_id)
        order.quantity = quantity
        new_price = _decimal(message.get(44 if order.ord_type != STOP or self.dialect == "primexm" else 99))
        if order.ord_type == STOP:
            order.stop_price = new_price or order.stop_price
        else:
            order.price = new_price or order.price
        order.time_in_force = message.get_str(59) or order.time_in_force
        return [(b"8", self._report(order, "5", cl_ord_id, original=original)), *self._match(order)]

    def status(self, message: Message) -> list[Outbound]:
        """An ExecutionReport (ExecType I); an order it never saw is refused with BusinessMessageReject."""
        cl_ord_id = message.get_str(11) or ""
        order = self.orders.get(cl_ord_id)
        if order is None:
            raise BusinessReject(BusinessRejectReason.UNKNOWN_ID, 11, f"Unknown order {cl_ord_id}")
        body = self._report(order, "I", cl_ord_id)
        if (request_id := message.get(790)) is not None:
            body.append((790, request_id))
        return [(b"8", body)]

    def match(self, symbol: str) -> list[Outbound]:
        """Resting orders against a new price."""
        out: list[Outbound] = []
        for order in {id(o): o for o in self.orders.values()}.values():
            if order.symbol == symbol and order.status not in TERMINAL:
                out += self._match(order)
        return out

    # ------------------------------------------------------------------ matching
    def _match(self, order: SimOrder) -> list[Outbound]:
        book = self.books[order.symbol]
        buy = order.side == "1"
        touch = book.ask if buy else book.bid
        cl_ord_id = order.cl_ord_ids[-1]
        if touch is None:
            return []
        if order.ord_type in (STOP, STOP_LIMIT) and not order.triggered:
            assert order.stop_price is not None
            order.triggered = touch >= order.stop_price if buy else touch <= order.stop_price
            if not order.triggered:
                return []  # a stop waits for its price whatever its time in force
        limit = order.price if order.ord_type in (LIMIT, STOP_LIMIT) else None
        marketable = limit is None or (touch <= limit if buy else touch >= limit)
        immediate = order.time_in_force in (IOC, FOK) or order.ord_type == MARKET
        if not marketable:
            if immediate and order.fills == 0:
                order.status = CANCELED
                return [(b"8", self._report(order, "4", cl_ord_id, text="No price within the limit"))]
            return []
        price = touch + self.slippage if buy else touch - self.slippage
        if limit is not None:
            price = min(price, limit) if buy else max(price, limit)
        elif order.deviation is not None and self.slippage > order.deviation:
            order.status = CANCELED
            return [(b"8", self._report(order, "4", cl_ord_id, text="Price moved beyond the deviation"))]
        left = order.quantity - order.cum
        quantity = left
        if order.fills == 0 and self.partial_fill_ratio is not None:
            if order.time_in_force == FOK:
                order.status = CANCELED
                return [(b"8", self._report(order, "4", cl_ord_id, text="Fill or kill: not enough liquidity"))]
            quantity = (left * self.partial_fill_ratio).quantize(Decimal(1), ROUND_DOWN) or left
        order.average = ((order.average * order.cum + price * quantity) / (order.cum + quantity)).quantize(
            book.spec.tick / 100)
        order.cum += quantity
        order.fills += 1
        order.status = FILLED if order.cum == order.quantity else PARTIAL
        out: list[Outbound] = [(b"8", self._report(order, "F", cl_ord_id, last=(quantity, price)))]
        if order.status == PARTIAL and immediate:
            order.status = CANCELED
            out.append((b"8", self._report(order, "4", cl_ord_id, text="Immediate or cancel: remainder canceled")))
        return out

    # ------------------------------------------------------------------ messages
    def _report(self, order: SimOrder, exec_type: str, cl_ord_id: str, *, original: str | None = None,
                last: tuple[Decimal, Decimal] | None = None, text: str | None = None) -> Body:
        body: Body = [(37, order.order_id), (11, cl_ord_id)]
        if original:
            body.append((41, original))
        body += [(17, f"E{next(self.ids)}"), (150, exec_type), (39, order.status), (55, order.symbol),
                 (54, order.side), (38, _wire(order.quantity)), (40, order.ord_type)]
        if order.price is not None:
            body.append((44, _wire(order.price)))
        if order.currency:
            body.append((15, order.currency))
        body.append((59, order.time_in_force))
        if last is not None:
            body += [(32, _wire(last[0])), (31, _wire(last[1]))]
        body += [(151, _wire(order.leaves)), (14, _wire(order.cum)), (6, _wire(order.average)),
                 (60, format_timestamp(time.time()))]
        if text:
            body.append((58, text))
        return body

    def _cancel_reject(self, order: SimOrder | None, cl_ord_id: str, original: str, response_to: str) -> Outbound:
        if order is None:
            reason, text, status, order_id = "1", "Unknown order", REJECTED, "NONE"
        elif order.status in TERMINAL:
            reason, text, status, order_id = "0", "Too late: the order is done", order.status, order.order_id
        else:
            reason, text, status, order_id = "99", "Cannot reduce below the filled quantity", order.status, \
                order.order_id
        return b"9", [(37, order_id), (11, cl_ord_id), (41, original), (39, status), (434, response_to),
                      (102, reason), (58, text)]


def _decimal(value: bytes | None) -> Decimal | None:
    return None if value is None else Decimal(value.decode("ascii"))


def _wire(value: Decimal) -> str:
    return format(value.normalize(), "f")

