"""The in-memory market's orders: one book shared by every adapter instance on the market (a restarted hub's too),
matched against the quote board. It fills marketable orders at the touch, rests limit orders, fills a share of an
order at first when told, and reports each event once to every instance that follows the order; a refused cancel
or replace goes to the instance that asked only.
"""
from __future__ import annotations

import dataclasses
import itertools
import uuid
from decimal import Decimal

from adapters.memory.market_data import QuoteBoard
from adapters.tracked import Reporter, TrackedOrder
from engine.domain.offers import Offers
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.ports import Clock, ReportKind, VenueOrder, VenueReport

# Everything but GTD, which no venue order carries (the hub expires it); tests give an instance other offers.
OFFERS = Offers(market=frozenset({TimeInForce.IOC, TimeInForce.FOK}),
                resting=frozenset({TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}))

Record = TrackedOrder[None]   # the market's own record of an order is all an in-memory adapter needs


class Market:
    def __init__(self, name: str, clock: Clock) -> None:
        self.name = name
        self.board = QuoteBoard(name, clock)
        self.received: list[VenueOrder] = []
        self.resting: dict[str, Record] = {}
        self.done: dict[str, Record] = {}
        self._maker = Reporter(name, clock)      # makes each report once; the followers' reporters hand it on
        self._followers: dict[str, list[Reporter]] = {}
        self._exec_ids = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]     # ExecIDs stay unique across markets, as a real venue's do

    def follow(self, order_id: str, reports: Reporter) -> None:
        """From now on ``reports`` hears of the order (it placed or adopted it)."""
        followers = self._followers.setdefault(order_id, [])
        if reports not in followers:
            followers.append(reports)

    def follows(self, order_id: str, reports: Reporter) -> bool:
        return reports in self._followers.get(order_id, [])

    def record(self, order_id: str) -> Record | None:
        return self.resting.get(order_id) or self.done.get(order_id)

    # ---- orders
    def reject(self, order: VenueOrder, reason: str, code: str) -> None:
        self._report(ReportKind.REJECTED, order.order_id, status=OrdStatus.REJECTED, reason=reason, code=code)

    def accept(self, order: VenueOrder, partial_fill_ratio: Decimal | None) -> None:
        record: Record = TrackedOrder(order, None, venue_order_id=order.order_id)
        record.move(OrdStatus.NEW)
        self._report(ReportKind.ACCEPTED, order.order_id, status=OrdStatus.NEW)
        self.resting[order.order_id] = record
        self.match(record, partial_fill_ratio, first=True)

    def cancel(self, record: Record) -> None:
        self._end(record, ReportKind.CANCELED, None)

    def replace(self, record: Record, quantity: Decimal, price: Decimal | None) -> None:
        record.order = dataclasses.replace(record.order, quantity=quantity, price=price)
        self._report(ReportKind.REPLACED, record.order.order_id, status=record.status)
        self.match(record, None, first=False)

    def status(self, record: Record) -> VenueReport:
        return self._maker.status_of(record)

    def refuse(self, order_id: str, reason: str, code: str, to: Reporter) -> None:
        """A refused cancel or replace, told to the instance that asked (the order stays as it was)."""
        record = self.record(order_id) if self.follows(order_id, to) else None
        to.publish(self._make(ReportKind.CANCEL_REJECTED, order_id, reason=reason, code=code,
                              status=record.status if record is not None else None))

    # ---- matching
    def match(self, record: Record, partial_fill_ratio: Decimal | None, first: bool) -> None:
        order = record.order
        quote = self.board.get(order.symbol)
        touch = None if quote is None else quote.ask if order.side is Side.BUY else quote.bid
        if touch is None:
            return
        limit = order.price
        marketable = order.ord_type is OrdType.MARKET or (
            limit is not None and (touch <= limit if order.side is Side.BUY else touch >= limit))
        left = order.quantity - record.filled
        if order.time_in_force is TimeInForce.FOK and first and (not marketable or partial_fill_ratio):
            self._end(record, ReportKind.CANCELED, "fill or kill")
            return
        if marketable:
            quantity = left
            if first and partial_fill_ratio is not None:
                quantity = (left * partial_fill_ratio).quantize(Decimal(1)) or left
            record.fill(quantity, touch)
            self._report(ReportKind.FILL, order.order_id, last_quantity=quantity, last_price=touch,
                         status=record.status)
            if not record.is_open:
                self.done[order.order_id] = self.resting.pop(order.order_id)
                return
        if order.time_in_force is TimeInForce.IOC or order.ord_type is OrdType.MARKET:
            self._end(record, ReportKind.CANCELED, "immediate or cancel")

    def _end(self, record: Record, kind: ReportKind, reason: str | None) -> None:
        record.move(OrdStatus.CANCELED)
        self.done[record.order.order_id] = self.resting.pop(record.order.order_id)
        self._report(kind, record.order.order_id, status=OrdStatus.CANCELED, reason=reason)

    def _report(self, kind: ReportKind, order_id: str, *, last_quantity: Decimal = Decimal(0),
                last_price: Decimal = Decimal(0), status: OrdStatus | None, reason: str | None = None,
                code: str | None = None) -> None:
        report = self._make(kind, order_id, last_quantity=last_quantity, last_price=last_price, status=status,
                            reason=reason, code=code)
        for reports in self._followers.get(order_id, []):
            reports.publish(report)

    def _make(self, kind: ReportKind, order_id: str, *, last_quantity: Decimal = Decimal(0),
              last_price: Decimal = Decimal(0), status: OrdStatus | None, reason: str | None = None,
              code: str | None = None) -> VenueReport:
        return self._maker.make(kind, order_id, venue_order_id=order_id,
                                exec_id=f"{self.name}-{self._session}-{next(self._exec_ids)}",
                                last_quantity=last_quantity, last_price=last_price, status=status, reason=reason,
                                code=code)
