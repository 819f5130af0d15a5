"""The durable order journal: every accepted order is written before it is routed, and every change after; with
it, each fill (keyed by ExecID) and the positions it changed, in the fill's transaction. Writes are plain rows
handed to the group commit (``engine.storage.group_commit``); reads go to the database."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from engine.domain.order import TERMINAL, Execution, Order, OrdStatus, OrdType, Side, TimeInForce
from engine.domain.position import Position
from engine.domain.rejects import Rejection
from engine.ports import Clock
from engine.storage.group_commit import GroupCommit
from engine.storage.tables import ExecutionRecord, OrderRecord, PositionRecord
from engine.storage.types import as_utc

_ORDERS = OrderRecord.__table__  # type: ignore[attr-defined]
_EXECUTIONS = ExecutionRecord.__table__  # type: ignore[attr-defined]
_POSITIONS = PositionRecord.__table__  # type: ignore[attr-defined]


class SqlOrderJournal:
    def __init__(self, commits: GroupCommit, clock: Clock) -> None:
        self.commits = commits
        self.engine = commits.engine
        self.clock = clock

    def record(self, order: Order) -> None:
        rejection = order.rejection
        self.commits.write(_ORDERS, {
            "order_id": order.order_id, "cl_ord_id": order.cl_ord_id, "tenant_id": order.tenant_id,
            "account_id": order.account_id, "symbol": order.symbol, "side": order.side.value,
            "ord_type": order.ord_type.value, "time_in_force": order.time_in_force.value, "quantity": order.quantity,
            "price": order.price, "stop_price": order.stop_price, "venue_price": order.venue_price,
            "venue_stop_price": order.venue_stop_price, "status": order.status.value, "filled": order.filled,
            "average_price": order.average_price, "venue": order.venue, "venue_order_id": order.venue_order_id,
            "reject_code": rejection.code if rejection else None,
            "reject_reason": rejection.reason if rejection else None, "expire_at": order.expire_at,
            "trail": order.trail, "take_profit": order.take_profit, "stop_loss": order.stop_loss,
            "parent_id": order.parent_id, "oco_id": order.oco_id, "position_id": order.position_id,
            "created_at": order.created_at, "updated_at": self.clock()}, ("order_id",), update=True)

    def record_fill(self, execution: Execution) -> None:
        self.commits.write(_EXECUTIONS, {
            "exec_id": execution.exec_id, "order_id": execution.order_id, "account_id": execution.account_id,
            "symbol": execution.symbol, "side": execution.side.value, "quantity": execution.quantity,
            "price": execution.price, "venue": execution.venue, "venue_price": execution.venue_price,
            "markup_revenue": execution.markup_revenue, "commission": execution.commission, "at": execution.at},
            ("exec_id",), update=False)

    def record_position(self, position: Position) -> None:
        self.commits.write(_POSITIONS, {
            "position_id": position.position_id, "account_id": position.account_id, "symbol": position.symbol,
            "quantity": position.quantity, "average_price": position.average_price, "updated_at": self.clock()},
            ("position_id",), update=True)

    def open_orders(self) -> list[Order]:
        """What a restarted OMS must reconcile with the venues before it takes new flow."""
        terminal = [status.value for status in TERMINAL]
        with Session(self.engine) as session:
            rows = session.exec(select(OrderRecord).where(OrderRecord.status.not_in(terminal))).all()  # type: ignore[attr-defined]
            return [_order(row) for row in rows]

    def orders_since(self, since: dt.datetime) -> list[Order]:
        """Every order of the trading day a restarted OMS takes back, whatever its state (ClOrdIDs are unique per
        day, and an OrderStatusRequest may name a filled or canceled one)."""
        with Session(self.engine) as session:
            query = select(OrderRecord).where(OrderRecord.created_at >= since)
            return [_order(row) for row in session.exec(query).all()]

    def account_orders(self, account_id: str, limit: int) -> list[Order]:
        """An account's order history, newest first."""
        with Session(self.engine) as session:
            query = (select(OrderRecord).where(OrderRecord.account_id == account_id)
                     .order_by(OrderRecord.created_at.desc()).limit(limit))  # type: ignore[attr-defined]
            return [_order(row) for row in session.exec(query).all()]

    def search_orders(self, account_id: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
                      symbol: str | None = None, statuses: frozenset[OrdStatus] = frozenset(),
                      before: str | None = None, limit: int = 100) -> list[Order]:
        """An account's order history, newest first, placed in ``[since, until)``, of one symbol and some statuses;
        ``before`` (an order id of an earlier page) continues after that order, so a page stays put while new
        orders arrive."""
        with Session(self.engine) as session:
            query = _within(select(OrderRecord), OrderRecord, OrderRecord.created_at, account_id, since, until, symbol)
            if statuses:
                query = query.where(OrderRecord.status.in_([s.value for s in statuses]))  # type: ignore[attr-defined]
            if before is not None:
                mark = session.exec(select(OrderRecord.created_at).where(
                    OrderRecord.account_id == account_id, OrderRecord.order_id == before)).first()
                if mark is None:
                    return []
                placed, order_id = col(OrderRecord.created_at), col(OrderRecord.order_id)
                query = query.where(or_(placed < mark, and_(placed == mark, order_id < before)))
            query = query.order_by(OrderRecord.created_at.desc(),  # type: ignore[attr-defined]
                                   OrderRecord.order_id.desc()).limit(limit)  # type: ignore[attr-defined]
            return [_order(row) for row in session.exec(query).all()]

    def search_executions(self, account_id: str, *, since: dt.datetime | None = None,
                          until: dt.datetime | None = None, symbol: str | None = None,
                          limit: int = 200) -> list[Execution]:
        """An account's fills in ``[since, until)``, of one symbol, newest first."""
        with Session(self.engine) as session:
            query = _within(select(ExecutionRecord), ExecutionRecord, ExecutionRecord.at, account_id, since, until,
                            symbol)
            query = query.order_by(ExecutionRecord.at.desc(),  # type: ignore[attr-defined]
                                   ExecutionRecord.exec_id.desc()).limit(limit)  # type: ignore[attr-defined]
            return [_execution(r) for r in session.exec(query).all()]

    def all_orders(self) -> list[Order]:
        with Session(self.engine) as session:
            return [_order(row) for row in session.exec(select(OrderRecord)).all()]

    def positions(self) -> list[Position]:
        with Session(self.engine) as session:
            return [Position(row.account_id, row.symbol, row.quantity, row.average_price, row.position_id)
                    for row in session.exec(select(PositionRecord)).all()]

    def exec_ids(self, order_ids: list[str]) -> dict[str, set[str]]:
        """The keys of the fills booked on each of these orders."""
        keys: dict[str, set[str]] = {}
        with Session(self.engine) as session:
            query = select(ExecutionRecord.order_id, ExecutionRecord.exec_id).where(
                ExecutionRecord.order_id.in_(order_ids))  # type: ignore[attr-defined]
            for order_id, exec_id in session.exec(query).all():
                keys.setdefault(order_id, set()).add(exec_id)
        return keys

    def executions(self, account_id: str) -> list[Execution]:
        """An account's fills, oldest first: the history a client's terminal shows."""
        with Session(self.engine) as session:
            rows = session.exec(select(ExecutionRecord).where(ExecutionRecord.account_id == account_id)
                                .order_by(ExecutionRecord.at)).all()  # type: ignore[arg-type]
            return [_execution(r) for r in rows]


def _execution(r: ExecutionRecord) -> Execution:
    return Execution(r.exec_id, r.order_id, r.account_id, r.symbol, Side(r.side), r.quantity, r.price, r.venue,
                     r.venue_price, r.markup_revenue, r.commission, as_utc(r.at))


def _order(row: OrderRecord) -> Order:
    return Order(order_id=row.order_id, cl_ord_id=row.cl_ord_id, tenant_id=row.tenant_id, account_id=row.account_id,
                 symbol=row.symbol, side=Side(row.side), ord_type=OrdType(row.ord_type), quantity=row.quantity,
                 time_in_force=TimeInForce(row.time_in_force), price=row.price, stop_price=row.stop_price,
                 venue_price=row.venue_price, venue_stop_price=row.venue_stop_price, status=OrdStatus(row.status),
                 filled=row.filled, average_price=row.average_price, venue=row.venue,
                 venue_order_id=row.venue_order_id,
                 rejection=Rejection(row.reject_code or "venue_rejected", row.reject_reason) if row.reject_reason else None,
                 expire_at=as_utc(row.expire_at) if row.expire_at else None,
                 trail=row.trail, take_profit=row.take_profit, stop_loss=row.stop_loss, parent_id=row.parent_id,
                 oco_id=row.oco_id, position_id=row.position_id, created_at=as_utc(row.created_at))


def _within(query: Any, table: Any, at: Any, account_id: str, since: dt.datetime | None, until: dt.datetime | None,
            symbol: str | None) -> Any:
    """One account's rows of ``table`` with ``at`` in ``[since, until)``, of ``symbol`` when given."""
    query = query.where(table.account_id == account_id)
    if since is not None:
        query = query.where(at >= since)
    if until is not None:
        query = query.where(at < until)
    return query if symbol is None else query.where(table.symbol == symbol)
