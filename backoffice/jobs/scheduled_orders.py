"""Scheduled orders: an order a client places now to be sent at a later time (``send_at``, to the second), and the
``scheduled_orders`` job that sends it then, through the whole pipeline, once.

Once per scheduled order: it is marked ``sending`` (committed) before the OMS is given it under its ClOrdID, and
``sent`` or ``rejected`` after. A run taken up again after a crash finds a ``sending`` one and asks the OMS for its
ClOrdID first: the order the first try journaled is recorded, not sent again. An order the hub was down for is not
sent late: past ``LATE_LIMIT`` it is ``missed``, with the reason. The job is due at the next send time, so a run is
recorded for each second in which orders were sent, never for an idle second."""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import structlog
from sqlmodel import Column, Field, Session, SQLModel, col, select

from backoffice.office import Conflict, NotFound
from engine.domain.order import Order, OrdStatus, OrdType, Side, TimeInForce
from engine.domain.policy import Action, Policy
from engine.domain.rejects import Rejection
from engine.domain.tenancy import User
from engine.oms import OMS, NewOrder
from engine.ports import Clock
from engine.scheduler import NEVER
from engine.storage.types import Amount, as_utc
from engine.storage.unit_of_work import UnitOfWork

log = structlog.get_logger("backoffice.scheduled_orders")

PENDING, SENDING, SENT, REJECTED, MISSED, CANCELLED = "pending", "sending", "sent", "rejected", "missed", "cancelled"
STATUSES = (PENDING, SENDING, SENT, REJECTED, MISSED, CANCELLED)
LATE_LIMIT = dt.timedelta(minutes=5)    # later than this after its time (the hub was down) an order is not sent
FURTHEST = dt.timedelta(days=90)        # how far ahead an order may be scheduled
MOST_PENDING = 100                      # per account: what one client may keep waiting


class ScheduledOrderRecord(SQLModel, table=True):
    __tablename__ = "scheduled_orders"

    scheduled_id: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    tenant_id: str = Field(index=True)
    placed_by: str
    cl_ord_id: str
    symbol: str
    side: str
    ord_type: str
    time_in_force: str
    quantity: Decimal = Field(sa_column=Column(Amount(), nullable=False))
    price: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    stop_price: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    expire_at: dt.datetime | None = None
    trail: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    take_profit: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    stop_loss: Decimal | None = Field(default=None, sa_column=Column(Amount()))
    position_id: str | None = None
    send_at: dt.datetime = Field(index=True)
    status: str = Field(index=True)
    order_id: str | None = None
    reject_code: str | None = None
    reject_reason: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ScheduledOrder:
    scheduled_id: str
    placed_by: str
    order: NewOrder
    send_at: dt.datetime
    status: str
    order_id: str | None
    rejection: Rejection | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SqlScheduledOrders:
    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    def add(self, row: ScheduledOrderRecord) -> None:
        with Session(self.unit.engine, expire_on_commit=False) as session:
            session.add(row)
            session.commit()

    def get(self, scheduled_id: str) -> ScheduledOrderRecord | None:
        with Session(self.unit.engine) as session:
            return session.get(ScheduledOrderRecord, scheduled_id)

    def update(self, scheduled_id: str, now: dt.datetime, **changes: str | None) -> ScheduledOrderRecord:
        with Session(self.unit.engine) as session:
            row = session.get(ScheduledOrderRecord, scheduled_id)
            if row is None:
                raise LookupError(f"no scheduled order {scheduled_id}")
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = now
            session.add(row)
            session.commit()
            session.refresh(row)
            return row

    def waiting(self) -> list[ScheduledOrderRecord]:
        """Pending and sending ones, soonest first."""
        statement = (select(ScheduledOrderRecord).where(col(ScheduledOrderRecord.status).in_((PENDING, SENDING)))
                     .order_by(col(ScheduledOrderRecord.send_at), col(ScheduledOrderRecord.scheduled_id)))
        with Session(self.unit.engine) as session:
            return list(session.exec(statement).all())

    def of_account(self, account_id: str, limit: int) -> list[ScheduledOrderRecord]:
        """Newest first."""
        statement = (select(ScheduledOrderRecord).where(ScheduledOrderRecord.account_id == account_id)
                     .order_by(col(ScheduledOrderRecord.created_at).desc()).limit(limit))
        with Session(self.unit.engine) as session:
            return list(session.exec(statement).all())


class ScheduledOrders:
    """The book of scheduled orders (placed, listed, cancelled) and the job that sends them."""

    name = "scheduled_orders"
    schedule = "at each scheduled order's send time"

    def __init__(self, unit: UnitOfWork, oms: OMS, policy: Policy, clock: Clock) -> None:
        self.store = SqlScheduledOrders(unit)
        self.oms = oms
        self.policy = policy
        self.clock = clock
        self._waiting = {row.scheduled_id: (row.account_id, row.cl_ord_id, as_utc(row.send_at))
                         for row in self.store.waiting()}

    # ---------------------------------------------------------------- the client's side
    def place(self, placer: User, order: NewOrder, send_at: dt.datetime) -> ScheduledOrder:
        """Keep ``order`` to send at ``send_at`` (to the second, at least a second from now, at most 90 days);
        ``Conflict`` says why not (a well-formed order the time, the account or the catalogue does not allow: the
        API's 409, never its 400 or 422, which mean a malformed request)."""
        now = self.clock()
        send_at = send_at.astimezone(dt.timezone.utc).replace(microsecond=0)
        if send_at <= now:
            raise Conflict("send_at_passed", f"send_at {send_at.isoformat()} is not in the future (now "
                                            f"{now.replace(microsecond=0).isoformat()})")
        if send_at > now + FURTHEST:
            raise Conflict("send_at_too_far", f"an order is scheduled at most {FURTHEST.days} days ahead")
        if order.symbol not in self.oms.instruments:
            raise Conflict("unknown_symbol", f"{order.symbol} is not traded here")
        if order.expire_at is not None and order.expire_at <= send_at:
            raise Conflict("expires_before_sent", "expire_at must be after send_at")
        waiting = [w for w in self._waiting.values() if w[0] == order.account_id]
        if self.oms.find(order.account_id, order.cl_ord_id) is not None or \
                any(cl_ord_id == order.cl_ord_id for _, cl_ord_id, _ in waiting):
            raise Conflict("duplicate_cl_ord_id", f"ClOrdID {order.cl_ord_id} is already used on this account")
        if len(waiting) >= MOST_PENDING:
            raise Conflict("too_many_scheduled", f"an account keeps at most {MOST_PENDING} scheduled orders waiting")
        account = self.oms.directory.accounts[order.account_id]
        row = ScheduledOrderRecord(
            scheduled_id=f"S{uuid.uuid4().hex[:16]}", account_id=order.account_id, tenant_id=account.tenant_id,
            placed_by=placer.user_id, cl_ord_id=order.cl_ord_id, symbol=order.symbol, side=order.side.value,
            ord_type=order.ord_type.value, time_in_force=order.time_in_force.value, quantity=order.quantity,
            price=order.price, stop_price=order.stop_price, expire_at=order.expire_at, trail=order.trail,
            take_profit=order.take_profit, stop_loss=order.stop_loss, position_id=order.position_id,
            send_at=send_at, status=PENDING, created_at=now, updated_at=now)
        self.store.add(row)
        self._waiting[row.scheduled_id] = (row.account_id, row.cl_ord_id, send_at)
        log.info("scheduled_order.placed", scheduled_id=row.scheduled_id, account=row.account_id,
                 cl_ord_id=row.cl_ord_id, symbol=row.symbol, send_at=send_at.isoformat(), placed_by=placer.user_id)
        return _scheduled(row)

    def of_account(self, account_id: str, limit: int = 200) -> list[ScheduledOrder]:
        return [_scheduled(row) for row in self.store.of_account(account_id, limit)]

    def cancel(self, account_id: str, scheduled_id: str) -> ScheduledOrder:
        row = self.store.get(scheduled_id)
        if row is None or row.account_id != account_id:
            raise NotFound("unknown_scheduled_order", f"account {account_id} has no scheduled order {scheduled_id}")
        if row.status != PENDING:
            raise Conflict("not_pending", f"scheduled order {scheduled_id} is {row.status}: only a pending one can "
                                          "be cancelled")
        row = self.store.update(scheduled_id, self.clock(), status=CANCELLED)
        self._waiting.pop(scheduled_id, None)
        log.info("scheduled_order.cancelled", scheduled_id=scheduled_id, account=account_id)
        return _scheduled(row)

    # ---------------------------------------------------------------- the job
    def next_due(self, last_due: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        """The next send time after ``last_due``. None is left at or before it: a run sends every order due by its
        time, and an order is placed only for a time to come."""
        later = [t for _, _, t in self._waiting.values() if last_due is None or t > last_due]
        return min(later, default=NEVER)

    async def run(self, run_key: str, due: dt.datetime) -> str:
        outcomes: dict[str, int] = {}
        for row in self.store.waiting():
            if as_utc(row.send_at) > due:
                break
            status = await self._send(row)
            outcomes[status] = outcomes.get(status, 0) + 1
        return ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items())) or "nothing was due"

    async def _send(self, row: ScheduledOrderRecord) -> str:
        """Send one; return what became of it."""
        now = self.clock()
        request = dataclasses.replace(_new_order(row), received_at=now)
        if row.status == PENDING:
            refusal = self._refusal(row, now)
            if refusal is not None:
                status, rejection = refusal
                return self._end(row, status, None, rejection, now)
            self.store.update(row.scheduled_id, now, status=SENDING)
            order = await self.oms.submit(request)
        else:   # sending when the hub stopped: the OMS has it if the first try journaled it
            order = self.oms.find(row.account_id, row.cl_ord_id) or await self.oms.submit(request)
        status = REJECTED if order.status is OrdStatus.REJECTED else SENT
        return self._end(row, status, order, order.rejection, self.clock())

    def _refusal(self, row: ScheduledOrderRecord, now: dt.datetime) -> tuple[str, Rejection] | None:
        late = now - as_utc(row.send_at)
        if late > LATE_LIMIT:
            return MISSED, Rejection("send_time_missed", f"not sent: due at {as_utc(row.send_at).isoformat()}, "
                                                        f"the hub could not send it until "
                                                        f"{int(late.total_seconds())} s later")
        placer = self.policy.directory.users.get(row.placed_by)
        target = self.policy.account_target(row.account_id)
        if placer is None or target is None:
            return REJECTED, Rejection("unknown_account", f"account {row.account_id} or user {row.placed_by} is "
                                                          "no longer there")
        refusal = self.policy.check(placer, Action.ACCOUNTS_TRADE, target)
        if refusal is not None:
            return REJECTED, refusal
        if self.oms.find(row.account_id, row.cl_ord_id) is not None:
            return REJECTED, Rejection("duplicate_cl_ord_id", f"ClOrdID {row.cl_ord_id} was used by another order "
                                                              "meanwhile")
        return None

    def _end(self, row: ScheduledOrderRecord, status: str, order: Order | None, rejection: Rejection | None,
             now: dt.datetime) -> str:
        self.store.update(row.scheduled_id, now, status=status, order_id=order.order_id if order else None,
                          reject_code=rejection.code if rejection else None,
                          reject_reason=rejection.reason if rejection else None)
        self._waiting.pop(row.scheduled_id, None)
        log.info("scheduled_order.sent" if status == SENT else "scheduled_order.not_sent",
                 scheduled_id=row.scheduled_id, account=row.account_id, status=status,
                 order_id=order.order_id if order else None, code=rejection.code if rejection else None)
        return status


def _new_order(row: ScheduledOrderRecord) -> NewOrder:
    return NewOrder(row.cl_ord_id, row.account_id, row.symbol, Side(row.side), OrdType(row.ord_type), row.quantity,
                    row.price, row.stop_price, TimeInForce(row.time_in_force),
                    None if row.expire_at is None else as_utc(row.expire_at), row.trail, row.take_profit,
                    row.stop_loss, row.position_id)


def _scheduled(row: ScheduledOrderRecord) -> ScheduledOrder:
    rejection = Rejection(row.reject_code, row.reject_reason or "") if row.reject_code else None
    return ScheduledOrder(row.scheduled_id, row.placed_by, _new_order(row), as_utc(row.send_at), row.status,
                          row.order_id, rejection, as_utc(row.created_at), as_utc(row.updated_at))
