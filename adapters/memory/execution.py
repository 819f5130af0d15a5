"""The in-memory venue's order handling.

Cancel and replace work on the orders this instance placed or adopted (``order_status`` adopts an order another
instance on the same market placed, see ``restarted``); a refusal is a CANCEL_REJECTED report to the asker.
"""
from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from routing.venue import Health, Quote, ReportKind, VenueDown, VenueOrder, VenueReport


@dataclass(slots=True)
class _Resting:
    order: VenueOrder
    filled: Decimal = Decimal(0)
    quantity: Decimal = Decimal(0)
    price: Decimal | None = None
    last_price: Decimal = Decimal(0)
    final: OrdStatus | None = None   # set once the order is done: FILLED, CANCELED


def _status(record: _Resting) -> OrdStatus:
    return record.final or (OrdStatus.PARTIALLY_FILLED if record.filled else OrdStatus.NEW)


class MemoryVenue:
    def __init__(self, name: str, quotes: dict[str, tuple[Decimal, Decimal]] | None = None) -> None:
        self.name = name
        self.quotes = {symbol: Quote(name, symbol, bid, ask) for symbol, (bid, ask) in (quotes or {}).items()}
        self.connected = True
        self.partial_fill_ratio: Decimal | None = None   # fill this share of each order at first
        self.reject_next: list[tuple[str, bool]] = []      # (reason, retryable) for the next orders
        self.latency = 0.0
        self.refuse_connections = 0                        # the next connect() calls that fail
        self.received: list[VenueOrder] = []
        self._resting: dict[str, _Resting] = {}
        self._done: dict[str, _Resting] = {}
        self._callbacks: list[Callable[[VenueReport], None]] = []
        self._quote_callbacks: list[Callable[[Quote], None]] = []
        self.subscribed: set[str] = set()
        self._exec_ids = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]  # ExecIDs stay unique across instances, as a real venue's do
        self._known: set[str] = set()         # the orders this instance placed or adopted: the ones it follows
        self._instances: list[MemoryVenue] = [self]   # every instance on this in-memory market (restarted())

    def restarted(self) -> MemoryVenue:
        """A new adapter instance on the same in-memory market, as a restarted hub would have: it shares this one's
        quotes and orders, and knows none of the orders until ``order_status`` adopts them. Reports of an order go
        to every instance that follows it."""
        other = MemoryVenue(self.name)
        other.quotes, other.received, other._resting, other._done = self.quotes, self.received, self._resting, \
            self._done
        other._exec_ids, other._session, other._instances = self._exec_ids, self._session, self._instances
        self._instances.append(other)
        return other

    # ---- the contract
    def on_report(self, callback: Callable[[VenueReport], None]) -> None:
        self._callbacks.append(callback)

    def on_quote(self, callback: Callable[[Quote], None]) -> None:
        self._quote_callbacks.append(callback)

    async def connect(self) -> None:
        if self.refuse_connections:
            self.refuse_connections -= 1
            raise VenueDown(f"{self.name} refused the connection")
        self.connected = True

    async def close(self) -> None:
        self.connected = False

    async def subscribe(self, symbols: list[str]) -> None:
        self.subscribed.update(symbols)
        for symbol in symbols:
            if symbol in self.quotes:
                self._publish(self.quotes[symbol])

    def instruments(self) -> list[str]:
        return sorted(self.quotes)

    def quote(self, symbol: str) -> Quote | None:
        return self.quotes.get(symbol)

    def health(self) -> Health:
        return Health(connected=self.connected, latency_ms=self.latency * 1000)

    async def place(self, order: VenueOrder) -> None:
        if not self.connected:
            raise VenueDown(f"{self.name} is down")
        if self.latency:
            await asyncio.sleep(self.latency)
        self.received.append(order)
        self._known.add(order.order_id)
        if self.reject_next:
            reason, retryable = self.reject_next.pop(0)
            self._report(ReportKind.REJECTED, order.order_id, reason=reason, retryable=retryable,
                         status=OrdStatus.REJECTED)
            return
        self._report(ReportKind.ACCEPTED, order.order_id, status=OrdStatus.NEW)
        resting = _Resting(order, quantity=order.quantity, price=order.price)
        self._resting[order.order_id] = resting
        self._match(resting, first=True)

    async def cancel(self, order_id: str) -> None:
        if not self.connected:
            raise VenueDown(f"{self.name} is down")
        if self.latency:
            await asyncio.sleep(self.latency)
        refusal = self._refusal(order_id)
        if refusal is not None:
            self._refuse(order_id, refusal)
            return
        self._finish(order_id, OrdStatus.CANCELED)
        self._report(ReportKind.CANCELED, order_id, status=OrdStatus.CANCELED)

    async def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> None:
        if not self.connected:
            raise VenueDown(f"{self.name} is down")
        if self.latency:
            await asyncio.sleep(self.latency)
        refusal = self._refusal(order_id)
        resting = self._resting.get(order_id)
        if refusal is None and resting is not None and quantity <= resting.filled:
            refusal = f"cannot replace: quantity {quantity} is not above the {resting.filled} filled"
        if refusal is not None or resting is None:
            self._refuse(order_id, refusal or "unknown order")
            return
        resting.quantity, resting.price = quantity, price
        self._report(ReportKind.REPLACED, order_id, status=OrdStatus.NEW)
        self._match(resting, first=False)

    async def order_status(self, order: VenueOrder) -> VenueReport | None:
        """The market's record of the order, found by its id; an order another instance placed is adopted."""
        order_id = order.order_id
        resting = self._resting.get(order_id) or self._done.get(order_id)
        if resting is None:
            return None
        self._known.add(order_id)
        return VenueReport(self.name, ReportKind.STATUS, order_id, venue_order_id=order_id,
                           last_quantity=resting.filled, last_price=resting.last_price, status=_status(resting))

    # ---- scenario controls
    def forget_subscribers(self) -> None:
        """The hub went away: reports now reach nobody until a new hub subscribes."""
        self._callbacks.clear()

    def set_quote(self, symbol: str, bid: Decimal, ask: Decimal) -> None:
        self.quotes[symbol] = quote = Quote(self.name, symbol, bid, ask)
        if symbol in self.subscribed:
            self._publish(quote)
        for resting in list(self._resting.values()):
            if resting.order.symbol == symbol:
                self._match(resting, first=False)

    def _publish(self, quote: Quote) -> None:
        for callback in self._quote_callbacks:
            callback(quote)

    # ---- matching
    def _match(self, resting: _Resting, first: bool) -> None:
        order = resting.order
        quote = self.quotes.get(order.symbol)
        if quote is None:
            return
        touch = quote.ask if order.side is Side.BUY else quote.bid
        if touch is None:
            return
        limit = resting.price
        marketable = order.ord_type is OrdType.MARKET or (
            limit is not None and (touch <= limit if order.side is Side.BUY else touch >= limit))
        left = resting.quantity - resting.filled
        if order.time_in_force is TimeInForce.FOK and first and (not marketable or self.partial_fill_ratio):
            self._finish(order.order_id, OrdStatus.CANCELED)
            self._report(ReportKind.CANCELED, order.order_id, status=OrdStatus.CANCELED, reason="fill or kill")
            return
        if marketable:
            quantity = left
            if first and self.partial_fill_ratio is not None:
                quantity = (left * self.partial_fill_ratio).quantize(Decimal(1)) or left
            resting.filled += quantity
            resting.last_price = touch
            done = resting.filled == resting.quantity
            self._report(ReportKind.FILL, order.order_id, last_quantity=quantity, last_price=touch,
                         status=OrdStatus.FILLED if done else OrdStatus.PARTIALLY_FILLED)
            if done:
                self._finish(order.order_id, OrdStatus.FILLED)
                return
        if order.time_in_force is TimeInForce.IOC or order.ord_type is OrdType.MARKET:
            self._finish(order.order_id, OrdStatus.CANCELED)
            self._report(ReportKind.CANCELED, order.order_id, status=OrdStatus.CANCELED, reason="immediate or cancel")

    def _refusal(self, order_id: str) -> str | None:
        """Why a cancel or replace of the order cannot be done, if it cannot."""
        if order_id not in self._known:
            return "unknown order"
        done = self._done.get(order_id)
        if done is not None:
            return f"too late: the order is {done.final.name.lower() if done.final else 'done'}"
        return None

    def _refuse(self, order_id: str, reason: str) -> None:
        """A refused cancel or replace, told to the instance that asked (the order stays as it was)."""
        record = (self._resting.get(order_id) or self._done.get(order_id)) if order_id in self._known else None
        self._report(ReportKind.CANCEL_REJECTED, order_id, reason=reason,
                     status=_status(record) if record is not None else None, to=[self])

    def _finish(self, order_id: str, status: OrdStatus) -> None:
        resting = self._resting.pop(order_id)
        resting.final = status
        self._done[order_id] = resting

    def _report(self, kind: ReportKind, order_id: str, *, last_quantity: Decimal = Decimal(0),
                last_price: Decimal = Decimal(0), status: OrdStatus | None, reason: str | None = None,
                retryable: bool = False, to: list[MemoryVenue] | None = None) -> None:
        exec_id = f"{self.name}-{self._session}-{next(self._exec_ids)}"
        report = VenueReport(self.name, kind, order_id, venue_order_id=order_id, exec_id=exec_id,
                             last_quantity=last_quantity, last_price=last_price, status=status, reason=reason,
                             retryable=retryable)
        for instance in to if to is not None else [i for i in self._instances if order_id in i._known]:
            for callback in instance._callbacks:
                callback(report)
