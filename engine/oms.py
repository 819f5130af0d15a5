"""The order management system: accept, journal, run the pipeline, route, apply execution reports, cancel and
replace, hold the conditional orders venues do not (stops, stop-limits), and keep positions and the ledger.

Every accepted order is journaled before it is routed. Fills come back through the pipeline (markup back to the
client's price, commission), then into positions and the ledger, then onto the bus. A report is applied once:
repeated ExecIDs are ignored, overfills and unknown orders are logged for the dealer and never booked.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from contextlib import AbstractContextManager, nullcontext
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

import structlog

from engine.bus import Bus
from engine.domain.instrument import Instrument
from engine.domain.order import OrdStatus, OrdType, Order, Side, TimeInForce
from engine.domain.position import Position
from engine.domain.tenancy import Directory
from engine.ledger import EntryKind, Ledger, LedgerAccount, wallet
from engine.margin import MarginSnapshot, snapshot
from routing.pipeline import FillContext, OrderContext, Pipelines, Rejection
from routing.router import NoRoute, RouteRule, Router
from routing.venue import ReportKind, VenueDown, VenueOrder, VenueReport

log = structlog.get_logger("engine.oms")


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A door's request, with the client's ClOrdID and account."""

    cl_ord_id: str
    account_id: str
    symbol: str
    side: Side
    ord_type: OrdType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_at: dt.datetime | None = None


class OrderJournal(Protocol):
    def record(self, order: Order) -> None: ...


class Transactions(Protocol):
    """Makes a block of journal and ledger writes one transaction (``engine.storage.unit_of_work``)."""

    def transaction(self) -> AbstractContextManager[None]: ...


class MemoryJournal:
    def __init__(self) -> None:
        self.orders: list[Order] = []

    def record(self, order: Order) -> None:
        self.orders.append(order)


@dataclass(slots=True)
class _Route:
    rule: RouteRule
    remaining: list[str]
    context: OrderContext
    tried: list[str] = field(default_factory=list)


class OMS:
    def __init__(self, *, directory: Directory, instruments: dict[str, Instrument], ledger: Ledger, bus: Bus,
                 pipelines: Pipelines, router: Router, journal: OrderJournal | None = None,
                 transactions: Transactions | None = None, order_id_prefix: str = "O",
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)) -> None:
        self.directory = directory
        self.instruments = instruments
        self.ledger = ledger
        self.bus = bus
        self.pipelines = pipelines
        self.router = router
        self.journal = journal or MemoryJournal()
        self.transactions = transactions
        self.order_id_prefix = order_id_prefix  # unique per process start, so ids never repeat across restarts
        self.clock = clock
        self.orders: dict[str, Order] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.marks: dict[str, Decimal] = {}
        self._by_client: dict[tuple[str, str], str] = {}
        self._routes: dict[str, _Route] = {}
        self._held: dict[str, Order] = {}
        self._exec_ids: set[str] = set()
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        for venue in router.venues.values():
            venue.on_report(self.on_report)

    # ---------------------------------------------------------------- the doors' side
    async def submit(self, request: NewOrder) -> Order:
        account = self.directory.accounts.get(request.account_id)
        if account is None:
            raise KeyError(f"unknown account {request.account_id}")
        order = Order(order_id=f"{self.order_id_prefix}{next(self._ids)}", cl_ord_id=request.cl_ord_id,
                      tenant_id=account.tenant_id, account_id=account.account_id, symbol=request.symbol,
                      side=request.side, ord_type=request.ord_type, quantity=request.quantity,
                      time_in_force=request.time_in_force, price=request.price, stop_price=request.stop_price,
                      expire_at=request.expire_at)
        if (account.account_id, request.cl_ord_id) in self._by_client:
            self._reject(order, Rejection("duplicate_cl_ord_id", f"ClOrdID {request.cl_ord_id} was already used"))
            return order
        self.orders[order.order_id] = order
        self._by_client[(account.account_id, request.cl_ord_id)] = order.order_id
        self.journal.record(order)
        context = OrderContext(order, self.instruments.get(order.symbol), account, self.clock())
        rejection = self.pipelines.for_tenant(account.tenant_id).before_route(context)
        if rejection is not None:
            self._reject(order, rejection)
            return order
        order.venue_price, order.venue_stop_price = context.venue_price, context.venue_stop_price
        if order.ord_type in (OrdType.STOP, OrdType.STOP_LIMIT):
            order.move(OrdStatus.NEW)
            self._hold(order, context)
            self._event(order, "held", "waiting for the stop price")
            return order
        await self._route(order, context)
        return order

    def _hold(self, order: Order, context: OrderContext) -> None:
        self._held[order.order_id] = order
        self._routes[order.order_id] = _Route(RouteRule(()), [], context)

    async def cancel(self, account_id: str, cl_ord_id: str) -> Rejection | None:
        order = self._find(account_id, cl_ord_id)
        if order is None:
            return Rejection("unknown_order", f"no order {cl_ord_id} on account {account_id}")
        if not order.is_open:
            return Rejection("too_late_to_cancel", f"order {cl_ord_id} is already {order.status.name.lower()}")
        if order.order_id in self._held:
            del self._held[order.order_id]
            order.move(OrdStatus.CANCELED)
            self._event(order, "canceled", "held order canceled")
            return None
        order.move(OrdStatus.PENDING_CANCEL)
        self._event(order, "pending_cancel", "cancel sent to venue")
        try:
            await self.router.venues[order.venue or ""].cancel(order.order_id)
        except (VenueDown, KeyError):
            order.move(OrdStatus.PARTIALLY_FILLED if order.filled else OrdStatus.NEW)
            return Rejection("venue_down", f"venue {order.venue} cannot take the cancel now")
        return None

    async def replace(self, account_id: str, cl_ord_id: str, quantity: Decimal,
                      price: Decimal | None) -> Rejection | None:
        order = self._find(account_id, cl_ord_id)
        if order is None:
            return Rejection("unknown_order", f"no order {cl_ord_id} on account {account_id}")
        if not order.is_open or order.venue is None:
            return Rejection("cannot_replace", f"order {cl_ord_id} is {order.status.name.lower()}")
        if quantity <= order.filled:
            return Rejection("cannot_replace", f"new quantity {quantity} is not above the {order.filled} filled")
        route = self._routes[order.order_id]
        probe = OrderContext(Order(order.order_id, order.cl_ord_id, order.tenant_id, order.account_id, order.symbol,
                                   order.side, order.ord_type, quantity, order.time_in_force, price),
                             route.context.instrument, route.context.account, self.clock())
        rejection = self.pipelines.for_tenant(order.tenant_id).before_route(probe)
        if rejection is not None:
            return rejection
        order.move(OrdStatus.PENDING_REPLACE)
        route.context = probe
        order.venue_price = probe.venue_price
        await self.router.venues[order.venue].replace(order.order_id, quantity, probe.venue_price)
        return None

    async def on_quote(self, symbol: str, bid: Decimal, ask: Decimal) -> None:
        """Marks positions and triggers held stops (a buy stop at the ask, a sell stop at the bid)."""
        self.marks[symbol] = (bid + ask) / 2
        for order in [o for o in self._held.values() if o.symbol == symbol]:
            route = self._routes[order.order_id]
            trigger = order.venue_stop_price if order.venue_stop_price is not None else order.stop_price
            assert trigger is not None
            touched = ask >= trigger if order.side is Side.BUY else bid <= trigger
            if touched:
                del self._held[order.order_id]
                self._event(order, "triggered", f"stop {order.stop_price} touched")
                await self._route(order, route.context)

    async def restore(self, orders: list[Order]) -> None:
        """After a restart: take back the journal's open orders and ask each venue where they stand, before any
        new flow. Held stops are held again; an order no venue received is routed now (it passed the pipeline
        before the crash, and its venue prices are in the journal); fills the venue made meanwhile are booked."""
        for order in orders:
            self.orders[order.order_id] = order
            self._by_client[(order.account_id, order.cl_ord_id)] = order.order_id
        for order in orders:
            account = self.directory.accounts[order.account_id]
            context = OrderContext(order, self.instruments.get(order.symbol), account, self.clock(),
                                   venue_price=order.venue_price, venue_stop_price=order.venue_stop_price)
            if order.venue is None and order.status is OrdStatus.NEW and order.order_id not in self._held:
                self._hold(order, context)  # a stop waiting for its price: it never went anywhere
                continue
            venue = self.router.venues.get(order.venue or "")
            status = await venue.order_status(order.order_id) if venue is not None else None
            if status is None and order.status is OrdStatus.PENDING_NEW:
                log.warning("oms.reconcile_not_at_venue", order_id=order.order_id, venue=order.venue)
                await self._route(order, context)
                continue
            if status is None:
                log.error("oms.reconcile_venue_lost_order", order_id=order.order_id, venue=order.venue,
                          status=order.status.name)
                order.move(OrdStatus.CANCELED)
                self._event(order, "canceled", f"{order.venue} has no record of this live order: see the dealer")
                continue
            self._routes[order.order_id] = _Route(RouteRule((order.venue or "",)), [], context)
            missing = status.last_quantity - order.filled
            log.info("oms.reconciled", order_id=order.order_id, venue=order.venue,
                     venue_filled=str(status.last_quantity), booked=str(order.filled))
            if missing > 0:
                self._filled(order, VenueReport(status.venue, ReportKind.FILL, order.order_id,
                                                exec_id=f"reconcile-{order.order_id}-{status.last_quantity}",
                                                last_quantity=missing, last_price=status.last_price))

    async def settle(self) -> None:
        """Wait for reroutes in flight (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    def margin(self, account_id: str) -> MarginSnapshot:
        account = self.directory.accounts[account_id]
        balance = self.ledger.balance(wallet(account_id), account.base_currency)
        positions = [p for (owner, _), p in self.positions.items() if owner == account_id]
        marks = {p.symbol: self.marks.get(p.symbol, p.average_price) for p in positions}
        return snapshot(account, balance, positions, self.instruments, marks, self.rate)

    def position(self, account_id: str, symbol: str) -> Position:
        return self.positions.setdefault((account_id, symbol), Position(account_id, symbol))

    def tenant_exposure(self, tenant_id: str, symbol: str | None) -> Decimal:
        total = Decimal(0)
        for (account_id, position_symbol), position in self.positions.items():
            account = self.directory.accounts[account_id]
            if account.tenant_id != tenant_id or (symbol is not None and position_symbol != symbol):
                continue
            instrument = self.instruments[position_symbol]
            mark = self.marks.get(position_symbol, position.average_price)
            total += instrument.notional(abs(position.quantity), mark) * self.rate(instrument.quote_currency, "USD")
        return total

    def rate(self, source: str, target: str) -> Decimal:
        """Conversion at the last mid price, directly or inverted."""
        if source == target:
            return Decimal(1)
        if f"{source}/{target}" in self.marks:
            return self.marks[f"{source}/{target}"]
        if f"{target}/{source}" in self.marks:
            return 1 / self.marks[f"{target}/{source}"]
        raise LookupError(f"no price to convert {source} to {target}")

    # ---------------------------------------------------------------- routing
    async def _route(self, order: Order, context: OrderContext) -> None:
        try:
            rule, venues = self.router.candidates(order, context.account.group_id, context.instrument)  # type: ignore[arg-type]
        except NoRoute as error:
            self._reject(order, Rejection("no_route", str(error)))
            return
        self._routes[order.order_id] = _Route(rule, venues, context)
        await self._send_next(order)

    async def _send_next(self, order: Order) -> None:
        route = self._routes[order.order_id]
        ord_type = order.ord_type
        if ord_type is OrdType.STOP:
            ord_type = OrdType.MARKET
        elif ord_type is OrdType.STOP_LIMIT:
            ord_type = OrdType.LIMIT
        while route.remaining:
            name = route.remaining.pop(0)
            route.tried.append(name)
            order.venue = name
            self.journal.record(order)  # where it went is on disk before it goes: a restart asks that venue
            request = VenueOrder(order.order_id, order.symbol, order.side, ord_type, order.quantity,
                                 order.time_in_force, order.venue_price if order.venue_price is not None
                                 else order.price)
            try:
                await self.router.venues[name].place(request)
            except VenueDown as error:
                log.warning("route.failover", order_id=order.order_id, venue=name, reason=str(error))
                continue
            log.info("route.sent", order_id=order.order_id, venue=name, price=str(request.price))
            return
        order.venue = None
        self._reject(order, Rejection("no_venue", f"no venue could take the order (tried {', '.join(route.tried)})"))

    # ---------------------------------------------------------------- execution reports
    def on_report(self, report: VenueReport) -> None:
        order = self.orders.get(report.order_id)
        if order is None:
            log.error("oms.unknown_order_report", venue=report.venue, order_id=report.order_id, kind=report.kind)
            return
        if report.exec_id is not None:
            if report.exec_id in self._exec_ids:
                log.info("oms.duplicate_report", order_id=order.order_id, exec_id=report.exec_id)
                return
            self._exec_ids.add(report.exec_id)
        if report.venue != order.venue:
            log.error("oms.report_from_other_venue", order_id=order.order_id, venue=report.venue)
            return
        handler = {ReportKind.ACCEPTED: self._accepted, ReportKind.FILL: self._filled,
                   ReportKind.REJECTED: self._rejected, ReportKind.CANCELED: self._canceled,
                   ReportKind.REPLACED: self._replaced, ReportKind.EXPIRED: self._expired}.get(report.kind)
        if handler is not None:
            handler(order, report)

    def _accepted(self, order: Order, report: VenueReport) -> None:
        order.venue_order_id = report.venue_order_id
        if order.status is OrdStatus.PENDING_NEW:
            order.move(OrdStatus.NEW)
        self._event(order, "new", f"accepted by {report.venue}")

    def _filled(self, order: Order, report: VenueReport) -> None:
        if order.filled + report.last_quantity > order.quantity:
            log.error("oms.overfill", order_id=order.order_id, venue=report.venue, exec_id=report.exec_id,
                      quantity=str(report.last_quantity), leaves=str(order.leaves))
            return
        route = self._routes[order.order_id]
        instrument = self.instruments[order.symbol]
        fill = FillContext(order, instrument, route.context.account, report.exec_id or "", report.last_quantity,
                           report.last_price, report.last_price)
        self.pipelines.for_tenant(order.tenant_id).after_fill(fill)
        with self.transactions.transaction() if self.transactions is not None else nullcontext():
            order.fill(fill.quantity, fill.client_price)
            self._book(fill)
            self._event(order, "fill", f"{fill.quantity} at {fill.client_price} (venue {fill.venue_price})")
        self.bus.publish(f"executions.{order.tenant_id}", {
            "order_id": order.order_id, "cl_ord_id": order.cl_ord_id, "account_id": order.account_id,
            "exec_id": fill.exec_id, "symbol": order.symbol, "side": order.side.name, "quantity": str(fill.quantity),
            "price": str(fill.client_price), "venue_price": str(fill.venue_price), "venue": report.venue,
            "markup_revenue": str(fill.markup_revenue), "commission": str(fill.commission),
        })

    def _rejected(self, order: Order, report: VenueReport) -> None:
        if order.status is not OrdStatus.PENDING_NEW:  # a refused cancel or replace; it may have raced a fill
            if order.status in (OrdStatus.PENDING_CANCEL, OrdStatus.PENDING_REPLACE):
                order.move(OrdStatus.PARTIALLY_FILLED if order.filled else OrdStatus.NEW)
            self._event(order, "cancel_replace_rejected", report.reason or "refused by venue")
            return
        route = self._routes.get(order.order_id)
        if report.retryable and route is not None and route.rule.reroute_on_reject and route.remaining:
            log.warning("route.reroute", order_id=order.order_id, venue=report.venue, reason=report.reason)
            task = asyncio.get_running_loop().create_task(self._send_next(order))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._reject(order, Rejection("venue_rejected", f"{report.venue}: {report.reason}"))

    def _canceled(self, order: Order, report: VenueReport) -> None:
        if not order.is_open:
            log.info("oms.cancel_after_terminal", order_id=order.order_id, status=order.status.name)
            return
        order.move(OrdStatus.CANCELED)
        self._event(order, "canceled", report.reason or "canceled")

    def _replaced(self, order: Order, report: VenueReport) -> None:
        context = self._routes[order.order_id].context
        order.quantity, order.price = context.order.quantity, context.order.price
        order.move(OrdStatus.PARTIALLY_FILLED if order.filled else OrdStatus.NEW)
        self._event(order, "replaced", f"quantity {order.quantity} price {order.price}")

    def _expired(self, order: Order, report: VenueReport) -> None:
        order.move(OrdStatus.EXPIRED)
        self._event(order, "expired", report.reason or "expired")

    # ---------------------------------------------------------------- booking
    def _book(self, fill: FillContext) -> None:
        order, account, instrument = fill.order, fill.account, fill.instrument
        tenant = order.tenant_id
        signed = order.side.sign * fill.quantity
        realised = self.position(order.account_id, order.symbol).apply(signed, fill.client_price,
                                                                        instrument.contract_size)
        currency = account.base_currency
        to_account = self.rate(instrument.quote_currency, currency)
        if realised:
            self.ledger.transfer(EntryKind.REALIZED_PNL, fill.exec_id, LedgerAccount(tenant, "clearing"),
                                 wallet(account.account_id), currency, realised * to_account)
        if fill.markup_revenue:
            self.ledger.transfer(EntryKind.MARKUP, fill.exec_id, LedgerAccount(tenant, "clearing"),
                                 LedgerAccount(tenant, "markup_revenue"), instrument.quote_currency,
                                 fill.markup_revenue)
        if fill.commission:
            self.ledger.transfer(EntryKind.COMMISSION, fill.exec_id, wallet(account.account_id),
                                 LedgerAccount(tenant, "commission_revenue"), currency, fill.commission)
        position = self.positions[(order.account_id, order.symbol)]
        self.bus.publish(f"positions.{tenant}.{order.account_id}", {
            "symbol": order.symbol, "quantity": str(position.quantity), "average_price": str(position.average_price)})
        self.bus.publish(f"balances.{tenant}.{order.account_id}",
                         {k: str(v) for k, v in self.ledger.balances(wallet(order.account_id)).items()})

    def _reject(self, order: Order, rejection: Rejection) -> None:
        order.reject_reason = f"{rejection.code}: {rejection.reason}"
        if order.status is not OrdStatus.REJECTED:
            order.move(OrdStatus.REJECTED)
        self._event(order, "rejected", order.reject_reason)

    def _event(self, order: Order, what: str, detail: str) -> None:
        self.journal.record(order)
        log.info("order." + what, order_id=order.order_id, cl_ord_id=order.cl_ord_id, account=order.account_id,
                 status=order.status.name, detail=detail)
        self.bus.publish(f"orders.{order.tenant_id}.{order.account_id}", {
            "order_id": order.order_id, "cl_ord_id": order.cl_ord_id, "status": order.status.name, "event": what,
            "detail": detail, "filled": str(order.filled), "average_price": str(order.average_price)})

    def _find(self, account_id: str, cl_ord_id: str) -> Order | None:
        order_id = self._by_client.get((account_id, cl_ord_id))
        return self.orders.get(order_id) if order_id else None
