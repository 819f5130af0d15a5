"""The order management system: accept, journal, run the pipeline, route, apply execution reports, cancel and
replace, keep the conditional orders venues do not hold (stops, trailing stops, take-profits, brackets, OCO),
expire DAY and GTD orders, and hand fills to accounting (positions and ledger).

Every accepted order is journaled before it is routed. Fills come back through the pipeline (markup back to the
client's price, commission), then into accounting, then onto the bus. A report is applied once: repeated ExecIDs are
ignored (across restarts too: they are journaled with the fill), overfills and unknown orders are logged for the
dealer and never booked.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import structlog

from engine.accounting import Accounting
from engine.brackets import Brackets
from engine.bus import Bus
from engine.conditional import HeldOrders
from engine.domain.instrument import Instrument
from engine.domain.order import CONDITIONAL, Execution, Order, OrdStatus, OrdType, Side, TimeInForce
from engine.domain.rejects import Rejection, retryable
from engine.domain.tenancy import Directory, PositionMode
from engine.domain.terms import RouteRule
from engine.journal import CommittedPublisher, Immediate, MemoryJournal, OrderJournal, Reports, Transactions
from engine.ledger import Ledger
from engine.margin import MarginSnapshot
from engine.ports import (
    Clock,
    FillContext,
    NoRoute,
    OrderContext,
    Pipelines,
    ReportKind,
    Router,
    Venue,
    VenueDown,
    VenueOrder,
    VenueReport,
)

log = structlog.get_logger("engine.oms")

HISTORY_KEPT = dt.timedelta(days=1)   # ended orders a restart takes back into memory (ClOrdIDs are unique per day)


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
    trail: Decimal | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    position_id: str | None = None
    received_at: dt.datetime | None = None   # when the door read it: a backlog inside the hub is not the client's rate


# What a triggered conditional order becomes at its venue.
_AT_TRIGGER = {OrdType.STOP: OrdType.MARKET, OrdType.MARKET_IF_TOUCHED: OrdType.MARKET,
               OrdType.STOP_LIMIT: OrdType.LIMIT}


@dataclass(slots=True)
class _Route:
    rule: RouteRule
    remaining: list[str]
    context: OrderContext
    tried: list[str] = field(default_factory=list)


class OMS:
    def __init__(self, *, directory: Directory, instruments: dict[str, Instrument], ledger: Ledger, bus: Bus,
                 pipelines: Pipelines, router: Router, journal: OrderJournal | None = None,
                 clock: Clock, transactions: Transactions | None = None, reports: Reports | None = None,
                 order_id_prefix: str = "O") -> None:
        self.directory = directory
        self.instruments = instruments
        self.bus = bus
        self.pipelines = pipelines
        self.router = router
        self.journal: OrderJournal = journal or MemoryJournal()
        self.transactions: Transactions = transactions or Immediate()
        self.reports = reports
        self.publisher = CommittedPublisher(bus, self.transactions, reports)   # what doors hear of is on disk first
        self.accounting = Accounting(directory, instruments, ledger, self.publisher)
        self.order_id_prefix = order_id_prefix  # unique per process start, so ids never repeat across restarts
        self.clock = clock
        self.orders: dict[str, Order] = {}
        self._by_client: dict[tuple[str, str], str] = {}
        self._routes: dict[str, _Route] = {}
        self._held = HeldOrders()
        self.brackets = Brackets(self)
        self._expiring: set[str] = set()
        self._cancel_reasons: dict[str, str] = {}         # order id -> why the hub asked its venue to cancel it
        self._expirable: dict[str, Order] = {}            # open orders with an expiry: the clock looks only here
        self.oco_groups: dict[str, list[Order]] = {}      # OCO id -> its legs
        self.children: dict[str, list[Order]] = {}        # parent order id -> its bracket legs
        self._exec_ids: dict[str, set[str]] = {}          # order id -> the keys of the fills booked on it
        self._ended: deque[tuple[dt.datetime, str]] = deque()   # ended orders, oldest first: forgotten after a day
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[object]] = set()
        self.unbooked: list[VenueReport] = []   # reports that failed to apply (a database error): retried by the clock
        for venue in router.venues.values():
            venue.on_report(self.on_report)

    # ---------------------------------------------------------------- the doors' side
    async def submit(self, request: NewOrder, *, oco_id: str | None = None, parent_id: str | None = None) -> Order:
        """Take an order; it returns once the order as it now stands is on disk, so a door's answer is true."""
        order = await self._submit(request, oco_id, parent_id)
        await self.transactions.durable()
        return order

    async def _submit(self, request: NewOrder, oco_id: str | None, parent_id: str | None) -> Order:
        account = self.directory.accounts.get(request.account_id)
        if account is None:
            raise KeyError(f"unknown account {request.account_id}")
        now = request.received_at or self.clock()
        expire_at = request.expire_at
        instrument = self.instruments.get(request.symbol)
        if request.time_in_force is TimeInForce.DAY and instrument is not None:
            expire_at = instrument.day_end(now)
        order = Order(order_id=self.new_id(""), cl_ord_id=request.cl_ord_id,
                      tenant_id=account.tenant_id, account_id=account.account_id, symbol=request.symbol,
                      side=request.side, ord_type=request.ord_type, quantity=request.quantity,
                      time_in_force=request.time_in_force, price=request.price, stop_price=request.stop_price,
                      expire_at=expire_at, trail=request.trail, take_profit=request.take_profit,
                      stop_loss=request.stop_loss, parent_id=parent_id, oco_id=oco_id,
                      position_id=request.position_id, created_at=now)
        if (account.account_id, request.cl_ord_id) in self._by_client:
            self._reject(order, Rejection("duplicate_cl_ord_id", f"ClOrdID {request.cl_ord_id} was already used"))
            return order
        self._add(order)
        self.journal.record(order)
        context = OrderContext(order, instrument, account, now)
        rejection = self._check_position_id(order, account.position_mode) or \
            self.pipelines.for_group(account.tenant_id, account.group_id).before_route(context)
        if rejection is not None:
            self._reject(order, rejection)
            return order
        order.venue_price, order.venue_stop_price = context.venue_price, context.venue_stop_price
        if order.ord_type in CONDITIONAL:
            order.move(OrdStatus.NEW)
            self._hold(order, context)
            self.event(order, "held", "trailing stop held by the hub" if order.trail else
                        f"held by the hub until the market touches {order.stop_price}")
            return order
        await self._route(order, context)
        return order

    def _add(self, order: Order) -> None:
        """Index a new or restored order: by ClOrdID, and among the ones the clock or an OCO partner may end."""
        self.orders[order.order_id] = order
        self._by_client[(order.account_id, order.cl_ord_id)] = order.order_id
        if order.expire_at is not None:
            self._expirable[order.order_id] = order
        for key, index in ((order.oco_id, self.oco_groups), (order.parent_id, self.children)):
            if key is not None:
                index.setdefault(key, []).append(order)

    def new_id(self, kind: str) -> str:
        """A fresh id; one a restored order already has is skipped, whatever the prefix."""
        while True:
            candidate = f"{self.order_id_prefix}{kind}{next(self._ids)}"
            if candidate not in self.orders:
                return candidate

    def _hold(self, order: Order, context: OrderContext) -> None:
        self._held.hold(order)
        self._routes[order.order_id] = _Route(RouteRule(()), [], context)

    async def cancel(self, account_id: str, cl_ord_id: str) -> Rejection | None:
        order = self.find(account_id, cl_ord_id)
        if order is None:
            return Rejection("unknown_order", f"no order {cl_ord_id} on account {account_id}")
        if not order.is_open:
            return Rejection("too_late_to_cancel", f"order {cl_ord_id} is already {order.status.name.lower()}")
        return await self.cancel_order(order, "canceled by the client")

    async def cancel_order(self, order: Order, reason: str, *, expire: bool = False) -> Rejection | None:
        if self._held.release(order):
            self._end(order, OrdStatus.EXPIRED if expire else OrdStatus.CANCELED, reason)
            return None
        if order.status in (OrdStatus.PENDING_CANCEL, OrdStatus.PENDING_NEW, OrdStatus.PENDING_REPLACE) \
                or order.venue is None:   # one request at a time: the venue answers the one in flight first
            return Rejection("request_pending", f"order {order.cl_ord_id} is {order.status.name.lower()}")
        previous = order.status
        order.move(OrdStatus.PENDING_CANCEL)
        self._cancel_reasons[order.order_id] = reason
        if expire:
            self._expiring.add(order.order_id)
        self.event(order, "pending_cancel", f"cancel sent to {order.venue}: {reason}")
        try:
            await self.transactions.durable()
            await self.router.venues[order.venue].cancel(order.order_id)
        except (VenueDown, KeyError):
            self._expiring.discard(order.order_id)
            self._cancel_reasons.pop(order.order_id, None)
            order.move(previous)  # back to where it stood: the venue never heard of the cancel
            self.event(order, "cancel_failed", f"venue {order.venue} cannot take the cancel now")
            return Rejection("venue_down", f"venue {order.venue} cannot take the cancel now")
        return None

    async def replace(self, account_id: str, cl_ord_id: str, quantity: Decimal, price: Decimal | None,
                      stop_price: Decimal | None = None) -> Rejection | None:
        """A new quantity and limit price (and, for an order still held here, a new stop price), checked by the
        group's pipeline as a new order would be."""
        order = self.find(account_id, cl_ord_id)
        if order is None:
            return Rejection("unknown_order", f"no order {cl_ord_id} on account {account_id}")
        if order.is_open and self._held.holds(order):
            return self._replace_held(order, quantity, price, stop_price)
        if not order.is_open or order.venue is None:
            return Rejection("cannot_replace", f"order {cl_ord_id} is {order.status.name.lower()}")
        if stop_price is not None and stop_price != order.stop_price:
            return Rejection("cannot_replace", f"order {cl_ord_id} has triggered: its stop price is spent")
        if order.status in (OrdStatus.PENDING_NEW, OrdStatus.PENDING_CANCEL, OrdStatus.PENDING_REPLACE):
            return Rejection("request_pending", f"order {cl_ord_id} is {order.status.name.lower()}")
        if quantity <= order.filled:
            return Rejection("cannot_replace", f"new quantity {quantity} is not above the {order.filled} filled")
        route = self._routes[order.order_id]
        probe = OrderContext(Order(order.order_id, order.cl_ord_id, order.tenant_id, order.account_id, order.symbol,
                                   order.side, order.ord_type, quantity, order.time_in_force, price,
                                   order.stop_price, created_at=order.created_at),
                             route.context.instrument, route.context.account, self.clock())
        account = route.context.account
        rejection = self.pipelines.for_group(account.tenant_id, account.group_id).before_route(probe)
        if rejection is not None:
            return rejection
        order.move(OrdStatus.PENDING_REPLACE)
        route.context = probe
        order.venue_price = probe.venue_price
        self.event(order, "pending_replace", f"replace to quantity {quantity} price {price} sent to {order.venue}")
        await self.transactions.durable()
        await self.router.venues[order.venue].replace(order.order_id, quantity, probe.venue_price)
        return None

    def _replace_held(self, order: Order, quantity: Decimal, price: Decimal | None,
                      stop_price: Decimal | None) -> Rejection | None:
        """An order no venue has seen yet changes here, at once: the Replaced report follows without a venue."""
        if quantity <= order.filled:
            return Rejection("cannot_replace", f"new quantity {quantity} is not above the {order.filled} filled")
        if price is not None and order.ord_type is not OrdType.STOP_LIMIT:
            return Rejection("cannot_replace", f"a {order.ord_type.name.lower()} order has no limit price to change")
        price = price if price is not None else order.price
        stop_price = stop_price if stop_price is not None else order.stop_price
        route = self._routes[order.order_id]
        probe = OrderContext(dataclasses.replace(order, quantity=quantity, price=price, stop_price=stop_price),
                             route.context.instrument, route.context.account, self.clock())
        account = route.context.account
        rejection = self.pipelines.for_group(account.tenant_id, account.group_id).before_route(probe)
        if rejection is not None:
            return rejection
        order.quantity, order.price, order.stop_price = quantity, price, stop_price
        order.venue_price, order.venue_stop_price = probe.venue_price, probe.venue_stop_price
        route.context = OrderContext(order, probe.instrument, probe.account, probe.now,
                                     venue_price=probe.venue_price, venue_stop_price=probe.venue_stop_price)
        self.event(order, "replaced", f"held order now quantity {quantity} price {price} stop {stop_price}")
        return None

    async def on_quote(self, symbol: str, bid: Decimal | None, ask: Decimal | None) -> None:
        """Marks positions, moves trailing stops, and routes the held orders the quote touches."""
        if bid is not None and ask is not None:
            self.accounting.marks[symbol] = (bid + ask) / 2
        triggered, trailed = self._held.touched(symbol, bid, ask)
        for order in trailed:
            self.event(order, "trailed", f"trailing stop now {order.stop_price}")
        for order in triggered:
            self.event(order, "triggered", f"{order.ord_type.name.lower()} at {order.stop_price} touched")
            await self.brackets.on_execution(order)
            await self._route(order, self._routes[order.order_id].context)

    async def expire_due(self) -> list[Order]:
        """Expire DAY and GTD orders whose time has come: held ones at once, the rest by a cancel to their venue
        (the venue's confirmation makes them EXPIRED). The hub's timer calls this every second."""
        now = self.clock()
        for order_id in [i for i, o in self._expirable.items() if not o.is_open]:
            del self._expirable[order_id]
        due = [o for o in self._expirable.values()
               if o.expire_at is not None and o.expire_at <= now and o.order_id not in self._expiring]
        for order in due:
            await self.cancel_order(order, f"{order.time_in_force.name} order reached {order.expire_at}", expire=True)
        return due

    async def restore(self, unreachable: frozenset[str] = frozenset()) -> set[str]:
        """After a restart: take back the journal's positions and open orders and ask each venue where they stand,
        before any new flow. Held orders are held again; an order journaled with a venue that the venue never
        received is routed now (it passed the pipeline before the crash, and its venue prices are in the journal);
        one the pipeline never passed to a venue is rejected, never sent; fills the venue made meanwhile are
        booked, and fills already booked are known by their keys. The day's ended orders come back too, for status
        requests and the order history. Returns the venues whose orders could not be reconciled (``unreachable``
        and any that failed now): they wait for ``reconcile_venue``."""
        self.accounting.positions.load(self.journal.positions())
        for ended in self.journal.orders_since(self.clock() - HISTORY_KEPT):
            if not ended.is_open:   # the day's history: OrderStatusRequest, duplicate ClOrdIDs, the order list
                self.orders[ended.order_id] = ended
                self._by_client[(ended.account_id, ended.cl_ord_id)] = ended.order_id
                self._ended.append((ended.created_at, ended.order_id))
        orders = self.journal.open_orders()
        for order_id, keys in self.journal.exec_ids([order.order_id for order in orders]).items():
            self._exec_ids.setdefault(order_id, set()).update(keys)
        at_venues = []
        for order in orders:
            self._add(order)
            account = self.directory.accounts[order.account_id]
            context = OrderContext(order, self.instruments.get(order.symbol), account, self.clock(),
                                   venue_price=order.venue_price, venue_stop_price=order.venue_stop_price)
            if order.venue is None and order.status is OrdStatus.NEW:
                self._hold(order, context)  # a conditional order waiting for its price: it never went anywhere
            elif order.venue is None:
                # Journaled, but the hub stopped before the pipeline had passed it to a venue: it may never have
                # been checked (validation, risk, throttle), and its client was never told it was taken.
                self._reject(order, Rejection("not_sent", "the hub stopped before this order reached a venue; "
                                                          "nothing was sent, send it again if it is still wanted"))
            else:
                self._routes[order.order_id] = _Route(RouteRule((order.venue or "",)), [], context)
                at_venues.append(order)
        deferred = set(unreachable)
        for order in at_venues:
            if order.venue in deferred:
                log.warning("oms.reconcile_deferred", order_id=order.order_id, venue=order.venue)
                continue
            try:
                await self._reconcile(order)
            except (VenueDown, OSError) as error:   # one venue never keeps the hub from starting
                log.error("oms.reconcile_failed", order_id=order.order_id, venue=order.venue, reason=str(error))
                deferred.add(order.venue or "")
        await self.transactions.durable()   # what reconciling booked is on disk before the hub takes new flow
        return deferred

    async def reconcile_venue(self, name: str) -> None:
        """A venue that was unreachable at start is back: reconcile the open orders it holds."""
        for order in [o for o in self.orders.values() if o.is_open and o.venue == name]:
            await self._reconcile(order)

    async def _reconcile(self, order: Order) -> None:
        context = self._routes[order.order_id].context
        venue = self.router.venues.get(order.venue or "")
        status = await venue.order_status(self._venue_order(order, venue)) if venue is not None else None
        if status is None and order.status is OrdStatus.PENDING_NEW:
            log.warning("oms.reconcile_not_at_venue", order_id=order.order_id, venue=order.venue)
            await self._route(order, context)
            return
        if status is None:
            log.error("oms.reconcile_venue_lost_order", order_id=order.order_id, venue=order.venue,
                      status=order.status.name)
            self._end(order, OrdStatus.CANCELED, f"{order.venue} has no record of this live order: see the dealer",
                      "venue_lost_order")
            return
        missing = status.last_quantity - order.filled
        log.info("oms.reconciled", order_id=order.order_id, venue=order.venue,
                 venue_filled=str(status.last_quantity), booked=str(order.filled))
        if missing > 0:
            self._filled(order, VenueReport(status.venue, ReportKind.FILL, order.order_id,
                                            exec_id=f"reconcile-{order.order_id}-{status.last_quantity}",
                                            last_quantity=missing, last_price=status.last_price, at=status.at))
        if status.status in (OrdStatus.CANCELED, OrdStatus.EXPIRED) and order.is_open:
            self._canceled(order, VenueReport(status.venue, ReportKind.CANCELED, order.order_id,
                                              reason="canceled at the venue while the hub was down", at=status.at))

    def forget_ended(self) -> int:
        """Let go of the orders that ended more than a day ago (their history is in the journal), so that what the
        hub holds, and the garbage collector walks, does not grow with every order it ever took."""
        horizon = self.clock() - HISTORY_KEPT
        forgotten = 0
        while self._ended and self._ended[0][0] <= horizon:
            order = self.orders.get(self._ended.popleft()[1])
            if order is None or order.is_open:
                continue
            del self.orders[order.order_id]
            if self._by_client.get((order.account_id, order.cl_ord_id)) == order.order_id:
                del self._by_client[(order.account_id, order.cl_ord_id)]
            self._exec_ids.pop(order.order_id, None)
            self._expirable.pop(order.order_id, None)
            for key, index in ((order.oco_id, self.oco_groups), (order.parent_id, self.children)):
                legs = index.get(key) if key is not None else None
                if legs is not None:
                    legs[:] = [leg for leg in legs if leg is not order]
                    if not legs:
                        del index[key]  # type: ignore[arg-type]
            forgotten += 1
        return forgotten

    def retry_unbooked(self) -> None:
        """Apply again what failed to apply; what fails again waits for the next try."""
        reports, self.unbooked = self.unbooked, []
        for report in reports:
            self.on_report(report)

    async def settle(self) -> None:
        """Wait for the work reports started (reroutes, brackets, OCO cancels): tests and shutdown."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
        await self.transactions.durable()

    def margin(self, account_id: str) -> MarginSnapshot:
        return self.accounting.margin(account_id)

    # ---------------------------------------------------------------- conditional orders
    def _check_position_id(self, order: Order, mode: PositionMode) -> Rejection | None:
        if order.position_id is None:
            return None
        position = self.accounting.positions.positions.get(order.position_id)
        if mode is not PositionMode.HEDGING:
            return Rejection("not_hedging", "only a hedging account closes positions by their id")
        if position is None or position.account_id != order.account_id or position.symbol != order.symbol \
                or not position.quantity:
            return Rejection("unknown_position", f"no open {order.symbol} position {order.position_id}")
        if (position.quantity > 0) == (order.side is Side.BUY):
            return Rejection("wrong_side", f"position {order.position_id} is closed by a "
                                           f"{'sell' if position.quantity > 0 else 'buy'}")
        return None

    def _spawn(self, work: Callable[[], Coroutine[Any, Any, object]]) -> None:
        task = asyncio.get_running_loop().create_task(work())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---------------------------------------------------------------- routing
    async def _route(self, order: Order, context: OrderContext) -> None:
        try:
            rule, venues = self.router.candidates(order, context.account.group_id, context.instrument)  # type: ignore[arg-type]
        except NoRoute as error:
            self._reject(order, Rejection("no_route", str(error)))
            return
        self._routes[order.order_id] = _Route(rule, venues, context)
        await self._send_next(order)

    @staticmethod
    def _venue_order(order: Order, venue: Venue) -> VenueOrder:
        """The order as ``venue`` gets it (and is asked about it after a restart): a triggered conditional order
        goes as what it becomes at its trigger, at the venue price when markup set one, with the time in force the
        venue offers for what the client asked (``engine.domain.offers``: the hub expires DAY and GTD itself)."""
        ord_type = _AT_TRIGGER.get(order.ord_type, order.ord_type)
        return VenueOrder(order.order_id, order.symbol, order.side, ord_type, order.quantity,
                          venue.offers.fit(ord_type, order.time_in_force),
                          order.venue_price if order.venue_price is not None else order.price)

    async def _send_next(self, order: Order) -> None:
        route = self._routes[order.order_id]
        while route.remaining:
            name = route.remaining.pop(0)
            route.tried.append(name)
            order.venue = name
            self.journal.record(order)  # where it went is on disk before it goes: a restart asks that venue
            venue = self.router.venues[name]
            request = self._venue_order(order, venue)
            try:
                await self.transactions.durable()
                await venue.place(request)
            except VenueDown as error:
                log.warning("route.failover", order_id=order.order_id, venue=name, reason=str(error))
                continue
            log.info("route.sent", order_id=order.order_id, venue=name, price=str(request.price),
                     ord_type=request.ord_type.name, time_in_force=request.time_in_force.name,
                     asked_time_in_force=order.time_in_force.name)
            return
        order.venue = None
        self._reject(order, Rejection("no_venue", f"no venue could take the order (tried {', '.join(route.tried)})"))

    # ---------------------------------------------------------------- execution reports
    def on_report(self, report: VenueReport) -> None:
        order = self.orders.get(report.order_id)
        if order is None:
            log.error("oms.unknown_order_report", venue=report.venue, order_id=report.order_id, kind=report.kind)
            return
        key = None if report.exec_id is None else fill_key(report)
        if key is not None and key in self._exec_ids.get(order.order_id, ()):
            log.info("oms.duplicate_report", order_id=order.order_id, venue=report.venue, exec_id=report.exec_id)
            return
        if report.venue != order.venue:
            log.error("oms.report_from_other_venue", order_id=order.order_id, venue=report.venue)
            return
        handler = {ReportKind.ACCEPTED: self._accepted, ReportKind.FILL: self._filled,
                   ReportKind.REJECTED: self._rejected, ReportKind.CANCEL_REJECTED: self._cancel_rejected,
                   ReportKind.CANCELED: self._canceled,
                   ReportKind.REPLACED: self._replaced, ReportKind.EXPIRED: self._expired}.get(report.kind)
        if handler is not None:
            try:
                handler(order, report)
            except Exception:   # logged where it failed; nothing changed, so it can be applied again later
                self.unbooked.append(report)
                return
        if key is not None:   # seen once handled (a fill once booked), so a report that failed can come again
            self._exec_ids.setdefault(order.order_id, set()).add(key)

    def _accepted(self, order: Order, report: VenueReport) -> None:
        order.venue_order_id = report.venue_order_id
        if order.status is OrdStatus.PENDING_NEW:
            order.move(OrdStatus.NEW)
        self.event(order, "new", f"accepted by {report.venue}")

    def _filled(self, order: Order, report: VenueReport) -> None:
        if order.filled + report.last_quantity > order.quantity:
            log.error("oms.overfill", order_id=order.order_id, venue=report.venue, exec_id=report.exec_id,
                      quantity=str(report.last_quantity), leaves=str(order.leaves))
            return
        account = self.directory.accounts[order.account_id]
        instrument = self.instruments[order.symbol]
        quantity, price = _on_step(report.last_quantity, instrument.lot_step), _on_step(report.last_price,
                                                                                          instrument.tick_size)
        fill = FillContext(order, instrument, account, fill_key(report),
                           quantity, price, price)
        self.pipelines.for_group(account.tenant_id, account.group_id).after_fill(fill)
        execution = Execution(fill.exec_id, order.order_id, order.account_id, order.symbol, order.side,
                              fill.quantity, fill.client_price, report.venue, fill.venue_price, fill.markup_revenue,
                              fill.commission, report.at)
        # All of it commits, or none of it does and nothing here changed: what a client is told is what happened.
        before = (order.filled, order.average_price, order.status)
        book = self.accounting.positions
        positions = book.snapshot(book.touched(account.position_mode, order.account_id, order.symbol,
                                               order.order_id, order.position_id))
        entries = self.accounting.ledger.mark()
        try:
            with self.transactions.transaction():
                order.fill(fill.quantity, fill.client_price)
                self.journal.record_fill(execution)
                changed = self.accounting.book_fill(
                    tenant_id=order.tenant_id, account_id=order.account_id, symbol=order.symbol,
                    order_id=order.order_id, close_id=order.position_id, exec_id=fill.exec_id,
                    signed_quantity=order.side.sign * fill.quantity, client_price=fill.client_price,
                    markup_revenue=fill.markup_revenue, commission=fill.commission, rebates=fill.rebates)
                for position in changed:
                    self.journal.record_position(position)
                self.journal.record(order)
        except Exception:
            order.filled, order.average_price = before[0], before[1]
            order.restore_status(before[2])
            book.restore(positions)
            self.accounting.ledger.roll_back(entries)
            log.exception("oms.fill_not_booked", order_id=order.order_id, venue=report.venue, exec_id=report.exec_id,
                          quantity=str(fill.quantity), price=str(fill.client_price))
            raise
        self.accounting.publish_fill(order.tenant_id, order.account_id, order.symbol, changed)
        self.event(order, "fill", f"{fill.quantity} at {fill.client_price} (venue {fill.venue_price})", fill,
                   journaled=True)
        self.publisher.publish(f"executions.{order.tenant_id}", {
            "order_id": order.order_id, "cl_ord_id": order.cl_ord_id, "account_id": order.account_id,
            "exec_id": fill.exec_id, "symbol": order.symbol, "side": order.side.name, "quantity": str(fill.quantity),
            "price": str(fill.client_price), "venue_price": str(fill.venue_price), "venue": report.venue,
            "markup_revenue": str(fill.markup_revenue), "commission": str(fill.commission),
            "status": order.status.name, "filled": str(order.filled), "leaves": str(order.leaves),
            "at": execution.at.isoformat(),
            "average_price": str(order.average_price), "order_quantity": str(order.quantity),
            "ord_type": order.ord_type.name, "time_in_force": order.time_in_force.name,
            "order_price": None if order.price is None else str(order.price),
        })
        if order.oco_id is not None:
            self._spawn(lambda: self.brackets.on_execution(order))
        if order.take_profit is not None or order.stop_loss is not None:
            self._spawn(lambda: self.brackets.on_fill(order, fill.quantity))

    def _rejected(self, order: Order, report: VenueReport) -> None:
        """A refused new order: re-routed when the rule and the venue allow, else rejected."""
        if order.status is not OrdStatus.PENDING_NEW:  # never reject an order the venue already took
            log.error("oms.reject_for_live_order", order_id=order.order_id, venue=report.venue,
                      status=order.status.name, reason=report.reason)
            self._cancel_rejected(order, report)
            return
        route = self._routes.get(order.order_id)
        if retryable(report.code) and route is not None and route.rule.reroute_on_reject and route.remaining:
            log.warning("route.reroute", order_id=order.order_id, venue=report.venue, reason=report.reason)
            self._spawn(lambda: self._send_next(order))
            return
        self._reject(order, Rejection(report.code or "venue_rejected", f"{report.venue}: {report.reason}"))

    def _cancel_rejected(self, order: Order, report: VenueReport) -> None:
        """A refused cancel or replace: the order stands as before (a fill may have raced the request)."""
        if order.status in (OrdStatus.PENDING_CANCEL, OrdStatus.PENDING_REPLACE):
            order.move(OrdStatus.PARTIALLY_FILLED if order.filled else OrdStatus.NEW)
        self._expiring.discard(order.order_id)
        self._cancel_reasons.pop(order.order_id, None)
        self.event(order, "cancel_replace_rejected", report.reason or "refused by venue")

    def _canceled(self, order: Order, report: VenueReport) -> None:
        if not order.is_open:
            log.info("oms.cancel_after_terminal", order_id=order.order_id, status=order.status.name)
            return
        if order.order_id in self._expiring:
            self._expiring.discard(order.order_id)
            self._expired(order, report)
            return
        asked = self._cancel_reasons.pop(order.order_id, None)
        self._end(order, OrdStatus.CANCELED, asked or report.reason or f"canceled by {report.venue}")

    def _replaced(self, order: Order, report: VenueReport) -> None:
        context = self._routes[order.order_id].context
        order.quantity, order.price = context.order.quantity, context.order.price
        order.move(OrdStatus.PARTIALLY_FILLED if order.filled else OrdStatus.NEW)
        self.event(order, "replaced", f"quantity {order.quantity} price {order.price}")

    def _expired(self, order: Order, report: VenueReport) -> None:
        asked = self._cancel_reasons.pop(order.order_id, None)
        self._end(order, OrdStatus.EXPIRED, asked or report.reason or f"{order.time_in_force.name} order expired")

    def _end(self, order: Order, status: OrdStatus, reason: str, code: str | None = None) -> None:
        """Canceled or expired, with why: the reason is kept with the order for every door and the history."""
        code = code or status.name.lower()
        order.rejection = Rejection(code, reason)
        order.move(status)
        self.event(order, status.name.lower(), reason, code=code)

    def _reject(self, order: Order, rejection: Rejection) -> None:
        order.rejection = rejection
        if order.status is not OrdStatus.REJECTED:
            order.move(OrdStatus.REJECTED)
        self.event(order, "rejected", rejection.reason, code=rejection.code)

    def event(self, order: Order, what: str, detail: str, fill: FillContext | None = None,
              code: str | None = None, *, journaled: bool = False) -> None:
        """Journal the order's new state, log it as one event, and publish it with everything a door needs to
        write its own report (a FIX ExecutionReport, a terminal's order row) without asking back."""
        if not journaled:
            self.journal.record(order)
        if not order.is_open:
            self._routes.pop(order.order_id, None)   # nothing more goes to a venue for it
            self._ended.append((self.clock(), order.order_id))
        log.info("order." + what, order_id=order.order_id, cl_ord_id=order.cl_ord_id, account=order.account_id,
                 status=order.status.name, detail=detail)
        event = {
            "order_id": order.order_id, "cl_ord_id": order.cl_ord_id, "status": order.status.name, "event": what,
            "detail": detail, "code": code, "filled": str(order.filled), "average_price": str(order.average_price),
            "symbol": order.symbol, "side": order.side.name, "ord_type": order.ord_type.name,
            "time_in_force": order.time_in_force.name, "quantity": str(order.quantity), "leaves": str(order.leaves),
            "price": None if order.price is None else str(order.price),
            "stop_price": None if order.stop_price is None else str(order.stop_price)}
        if fill is not None:
            event.update(exec_id=fill.exec_id, last_quantity=str(fill.quantity), last_price=str(fill.client_price))
        self.publisher.publish(f"orders.{order.tenant_id}.{order.account_id}", event)

    def history(self, account_id: str, limit: int) -> list[Order]:
        """An account's orders, newest first, whatever their state: the journal's, with the live ones as held
        here (the journal is written on every change, so the two agree)."""
        return [self.orders.get(order.order_id, order) for order in self.journal.account_orders(account_id, limit)]

    def fills(self, account_id: str) -> list[Execution]:
        """An account's fills, oldest first, from the journal (they outlive the orders held in memory)."""
        return self.journal.executions(account_id)

    def find(self, account_id: str, cl_ord_id: str) -> Order | None:
        order_id = self._by_client.get((account_id, cl_ord_id))
        return self.orders.get(order_id) if order_id else None


def fill_key(report: VenueReport) -> str:
    """What makes a fill unique: the venue, the hub's order and the venue's ExecID. Venues keep ExecIDs unique only
    within a session or a trading day, and a simulator restarts its counter; the hub's order ids never repeat, so a
    venue starting again at ExecID 1 cannot collide with history, while a replayed report is still booked once."""
    return f"{report.venue}:{report.order_id}:{report.exec_id}"


def _on_step(value: Decimal, step: Decimal) -> Decimal:
    """A venue's number written with the instrument's decimals ("0.01000000" -> "0.01000") when it is on the step;
    a value off the step is kept exactly as the venue sent it."""
    normal = value.quantize(step)
    return normal if normal == value else value
