"""Where the OMS writes what must survive it: each order as it changes, each fill (by ExecID) and each position it
moved. ``engine.storage.journal.SqlOrderJournal`` is the durable one; ``MemoryJournal`` serves tests and benchmarks."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

from engine.bus import Publisher
from engine.domain.order import Execution, Order
from engine.domain.position import Position


class OrderJournal(Protocol):
    def record(self, order: Order) -> None: ...
    def record_fill(self, execution: Execution) -> None: ...
    def record_position(self, position: Position) -> None: ...
    def open_orders(self) -> list[Order]: ...
    def positions(self) -> list[Position]: ...
    def exec_ids(self, order_ids: list[str]) -> dict[str, set[str]]: ...
    def executions(self, account_id: str) -> list[Execution]: ...
    def orders_since(self, since: dt.datetime) -> list[Order]: ...
    def account_orders(self, account_id: str, limit: int) -> list[Order]: ...


class Transactions(Protocol):
    """When journal and ledger writes are on disk (``engine.storage.group_commit``): a block of them is one
    transaction, a venue send waits for ``durable``, and what a client hears of is released by ``after_commit``."""

    def transaction(self) -> AbstractContextManager[None]: ...
    def after_commit(self, callback: Callable[[], None]) -> None: ...
    async def durable(self) -> None: ...


class Immediate:
    """Transactions of a journal in memory: nothing to wait for."""

    def transaction(self) -> AbstractContextManager[None]:
        return nullcontext()

    def after_commit(self, callback: Callable[[], None]) -> None:
        callback()

    async def durable(self) -> None:
        return None


class Reports(Protocol):
    """The durable outbox of the events doors must deliver (``engine.storage.report_outbox``): ``append`` writes
    one with the state it reports and numbers it; a door session's cursor is the last one it holds."""

    def append(self, topic: str, event: dict[str, Any]) -> int: ...
    def last(self) -> int: ...
    def last_before(self, moment: dt.datetime) -> int: ...
    def cursor(self, consumer: str) -> int | None: ...
    def advance(self, consumer: str, seq: int) -> None: ...
    def since(self, seq: int, topics: list[str]) -> list[tuple[int, str, dict[str, Any]]]: ...


REPORTED = ("orders.", "executions.")   # the topics whose events a FIX door or drop copy must never miss


class CommittedPublisher:
    """Publishes an event once everything written before it has committed, in the order published: no client, door
    or drop copy hears of a state the database may not hold. With ``reports``, an order or execution event is also
    written to the outbox in the same batch and carries its number (``seq``)."""

    def __init__(self, bus: Publisher, transactions: Transactions, reports: Reports | None = None) -> None:
        self.bus = bus
        self.transactions = transactions
        self.reports = reports

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        if self.reports is not None and topic.startswith(REPORTED):
            event = {**event, "seq": self.reports.append(topic, event)}
        self.transactions.after_commit(functools.partial(self.bus.publish, topic, event))


class MemoryJournal:
    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.fills: list[Execution] = []
        self.books: dict[str, Position] = {}

    def record(self, order: Order) -> None:
        self.orders[order.order_id] = order

    def record_fill(self, execution: Execution) -> None:
        self.fills.append(execution)

    def record_position(self, position: Position) -> None:
        self.books[position.position_id] = position

    def open_orders(self) -> list[Order]:
        return [order for order in self.orders.values() if order.is_open]

    def positions(self) -> list[Position]:
        return list(self.books.values())

    def exec_ids(self, order_ids: list[str]) -> dict[str, set[str]]:
        wanted, keys = set(order_ids), dict[str, set[str]]()
        for fill in self.fills:
            if fill.order_id in wanted:
                keys.setdefault(fill.order_id, set()).add(fill.exec_id)
        return keys

    def executions(self, account_id: str) -> list[Execution]:
        return [fill for fill in self.fills if fill.account_id == account_id]

    def orders_since(self, since: dt.datetime) -> list[Order]:
        return [order for order in self.orders.values() if order.created_at >= since]

    def account_orders(self, account_id: str, limit: int) -> list[Order]:
        mine = [order for order in self.orders.values() if order.account_id == account_id]
        return sorted(mine, key=lambda order: order.created_at, reverse=True)[:limit]
