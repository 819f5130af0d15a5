"""Where the OMS writes what must survive it: each order as it changes, each fill (by ExecID) and each position it
moved. ``engine.storage.journal.SqlOrderJournal`` is the durable one; ``MemoryJournal`` serves tests and benchmarks."""
from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import Protocol

from engine.domain.order import Execution, Order
from engine.domain.position import Position


class OrderJournal(Protocol):
    def record(self, order: Order) -> None: ...
    def record_fill(self, execution: Execution) -> None: ...
    def record_position(self, position: Position) -> None: ...
    def open_orders(self) -> list[Order]: ...
    def positions(self) -> list[Position]: ...
    def exec_ids(self, order_ids: list[str]) -> set[str]: ...
    def executions(self, account_id: str) -> list[Execution]: ...
    def orders_since(self, since: dt.datetime) -> list[Order]: ...
    def account_orders(self, account_id: str, limit: int) -> list[Order]: ...


class Transactions(Protocol):
    """Makes a block of journal and ledger writes one transaction (``engine.storage.unit_of_work``)."""

    def transaction(self) -> AbstractContextManager[None]: ...


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

    def exec_ids(self, order_ids: list[str]) -> set[str]:
        wanted = set(order_ids)
        return {fill.exec_id for fill in self.fills if fill.order_id in wanted}

    def executions(self, account_id: str) -> list[Execution]:
        return [fill for fill in self.fills if fill.account_id == account_id]

    def orders_since(self, since: dt.datetime) -> list[Order]:
        return [order for order in self.orders.values() if order.created_at >= since]

    def account_orders(self, account_id: str, limit: int) -> list[Order]:
        mine = [order for order in self.orders.values() if order.account_id == account_id]
        return sorted(mine, key=lambda order: order.created_at, reverse=True)[:limit]
