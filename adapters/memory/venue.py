"""MemoryVenue: the venue contract (engine/ports.py) on an in-memory market (execution.py), with the scenario
controls tests and benchmarks drive: fill partially, reject the next orders with a reason and a code, take time, go
down. Cancel and replace work on the orders this instance placed or adopted (``order_status`` adopts an order
another instance on the same market placed, see ``restarted``); a refusal is a CANCEL_REJECTED report to the asker.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from decimal import Decimal

from adapters.memory.errors import reject_code
from adapters.memory.execution import OFFERS, Market
from adapters.memory.instruments import listed
from adapters.tracked import Reporter
from engine.domain.offers import Offers
from engine.ports import Clock, Health, Quote, VenueDown, VenueOrder, VenueReport


class MemoryVenue:
    def __init__(self, name: str, quotes: Mapping[str, tuple[Decimal, Decimal]] | None = None, *, clock: Clock,
                 market: Market | None = None) -> None:
        """``market``: another instance's (see ``restarted``); else a new market opening with ``quotes``."""
        self.name = name
        self.offers: Offers = OFFERS                       # what it takes; a test may narrow it
        self.connected = True
        self.partial_fill_ratio: Decimal | None = None   # fill this share of each order at first
        self.reject_next: list[tuple[str, str]] = []      # (reason, code) for the next orders
        self.latency = 0.0
        self.refuse_connections = 0                       # the next connect() calls that fail
        self.subscribed: set[str] = set()
        self._clock = clock
        self._market = market or Market(name, clock)
        for symbol, (bid, ask) in (quotes or {}).items():
            self._market.board.set(symbol, bid, ask)
        self._reports = Reporter(name, clock)
        self._quote_callbacks: list[Callable[[Quote], None]] = []

    @property
    def received(self) -> list[VenueOrder]:
        """Every order the market was sent, by any instance."""
        return self._market.received

    def restarted(self) -> MemoryVenue:
        """A new adapter instance on the same in-memory market, as a restarted hub would have: it shares this one's
        quotes and orders, and knows none of the orders until ``order_status`` adopts them. Reports of an order go
        to every instance that follows it."""
        return MemoryVenue(self.name, clock=self._clock, market=self._market)

    # ---- the contract
    def on_report(self, callback: Callable[[VenueReport], None]) -> None:
        self._reports.subscribe(callback)

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
            quote = self._market.board.get(symbol)
            if quote is not None:
                self._publish(quote)

    def instruments(self) -> list[str]:
        return listed(self._market.board.quotes)

    def quote(self, symbol: str) -> Quote | None:
        return self._market.board.get(symbol)

    def health(self) -> Health:
        return Health(connected=self.connected, latency_ms=self.latency * 1000)

    async def place(self, order: VenueOrder) -> None:
        await self._arrive()
        self._market.received.append(order)
        self._market.follow(order.order_id, self._reports)
        if self.reject_next:
            reason, code = self.reject_next.pop(0)
            self._market.reject(order, reason, code)
            return
        self._market.accept(order, self.partial_fill_ratio)

    async def cancel(self, order_id: str) -> None:
        await self._arrive()
        refusal = self._refusal(order_id)
        record = self._market.resting.get(order_id)
        if refusal is not None or record is None:
            self._refuse(order_id, refusal or "unknown order")
            return
        self._market.cancel(record)

    async def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> None:
        await self._arrive()
        refusal = self._refusal(order_id)
        record = self._market.resting.get(order_id)
        if refusal is None and record is not None and quantity <= record.filled:
            refusal = f"cannot replace: quantity {quantity} is not above the {record.filled} filled"
        if refusal is not None or record is None:
            self._refuse(order_id, refusal or "unknown order")
            return
        self._market.replace(record, quantity, price)

    async def order_status(self, order: VenueOrder) -> VenueReport | None:
        """The market's record of the order, found by its id; an order another instance placed is adopted."""
        record = self._market.record(order.order_id)
        if record is None:
            return None
        self._market.follow(order.order_id, self._reports)
        return self._market.status(record)

    # ---- scenario controls
    def forget_subscribers(self) -> None:
        """The hub went away: reports now reach nobody until a new hub subscribes."""
        self._reports.forget_subscribers()

    def set_quote(self, symbol: str, bid: Decimal, ask: Decimal) -> None:
        quote = self._market.board.set(symbol, bid, ask)
        if symbol in self.subscribed:
            self._publish(quote)
        for record in list(self._market.resting.values()):
            if record.order.symbol == symbol:
                self._market.match(record, None, first=False)

    # ---- plumbing
    async def _arrive(self) -> None:
        """A request reaches the market: not while it is down, and after its latency."""
        if not self.connected:
            raise VenueDown(f"{self.name} is down")
        if self.latency:
            await asyncio.sleep(self.latency)

    def _refusal(self, order_id: str) -> str | None:
        """Why a cancel or replace of the order cannot be done, if it cannot."""
        if not self._market.follows(order_id, self._reports):
            return "unknown order"
        done = self._market.done.get(order_id)
        if done is not None:
            return f"too late: the order is {done.status.name.lower()}"
        return None

    def _refuse(self, order_id: str, reason: str) -> None:
        self._market.refuse(order_id, reason, reject_code(reason), to=self._reports)

    def _publish(self, quote: Quote) -> None:
        for callback in self._quote_callbacks:
            callback(quote)
