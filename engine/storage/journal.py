"""The durable order journal: every accepted order is written before it is routed, and every change after."""
from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from engine.domain.order import TERMINAL, OrdStatus, OrdType, Order, Side, TimeInForce
from engine.storage.tables import OrderRecord
from engine.storage.unit_of_work import UnitOfWork


class SqlOrderJournal:
    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    def record(self, order: Order) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        with self.unit.session() as session:
            row = session.get(OrderRecord, order.order_id)
            values = dict(
                order_id=order.order_id, cl_ord_id=order.cl_ord_id, tenant_id=order.tenant_id,
                account_id=order.account_id, symbol=order.symbol, side=order.side.value,
                ord_type=order.ord_type.value, time_in_force=order.time_in_force.value, quantity=order.quantity,
                price=order.price, stop_price=order.stop_price, venue_price=order.venue_price,
                venue_stop_price=order.venue_stop_price, status=order.status.value, filled=order.filled,
                average_price=order.average_price, venue=order.venue, venue_order_id=order.venue_order_id,
                reject_reason=order.reject_reason, updated_at=now,
            )
            if row is None:
                session.add(OrderRecord(created_at=order.created_at, **values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)

    def open_orders(self) -> list[Order]:
        """What a restarted OMS must reconcile with the venues before it takes new flow."""
        terminal = [status.value for status in TERMINAL]
        with Session(self.unit.engine) as session:
            rows = session.exec(select(OrderRecord).where(OrderRecord.status.not_in(terminal))).all()  # type: ignore[attr-defined]
            return [_order(row) for row in rows]

    def all_orders(self) -> list[Order]:
        with Session(self.unit.engine) as session:
            return [_order(row) for row in session.exec(select(OrderRecord)).all()]


def _order(row: OrderRecord) -> Order:
    return Order(order_id=row.order_id, cl_ord_id=row.cl_ord_id, tenant_id=row.tenant_id, account_id=row.account_id,
                 symbol=row.symbol, side=Side(row.side), ord_type=OrdType(row.ord_type), quantity=row.quantity,
                 time_in_force=TimeInForce(row.time_in_force), price=row.price, stop_price=row.stop_price,
                 venue_price=row.venue_price, venue_stop_price=row.venue_stop_price, status=OrdStatus(row.status),
                 filled=row.filled, average_price=row.average_price, venue=row.venue,
                 venue_order_id=row.venue_order_id, reject_reason=row.reject_reason,
                 created_at=row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.timezone.utc))
