"""The hub's composition root: the OMS on its durable journal and ledger, the tenants' configuration from SQL, the
pipeline and the router over the venues, the price feed to every tenant group, the back office that changes them
while the hub runs, and the hub's clock: each tick expires what is due, sweeps stale prices, watches margin and
runs the scheduler's due jobs (IB payouts, swaps and statements at the rollover, scheduled orders).

``start()`` connects the venues, reloads open orders and reconciles them with each venue, and only then sets
``ready``: doors wait for it before they take new flow.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import structlog

from backoffice.instruments import listed
from backoffice.jobs.expiry import GtdExpiry
from backoffice.jobs.scheduled_orders import ScheduledOrders
from backoffice.jobs.statements import Statements
from backoffice.jobs.swaps import Swaps
from backoffice.office import BackOffice, Live
from backoffice.payouts import IbPayouts
from engine.accounting import Financing
from engine.bars import Backfill, BarBuilder
from engine.bus import Bus, make_bus
from engine.domain.instrument import Instrument
from engine.domain.order import OrdType, Side, TimeInForce
from engine.domain.tenancy import PositionMode
from engine.ledger import Ledger
from engine.margin import MarginLevels
from engine.oms import OMS, NewOrder
from engine.ports import ClientQuote, Clock, History, PastBar, Quote, Venue, VenueDown, utc_now
from engine.scheduler import Scheduler
from engine.services import Services
from engine.storage.bars import SqlBarStore
from engine.storage.database import make_engine
from engine.storage.directory import SqlDirectory
from engine.storage.group_commit import GroupCommit
from engine.storage.job_runs import SqlJobRuns
from engine.storage.journal import SqlOrderJournal
from engine.storage.ledger_store import SqlLedgerStore
from engine.storage.rebates import SqlRebates
from engine.storage.report_outbox import SqlReportOutbox
from engine.storage.unit_of_work import UnitOfWork
from routing.interceptors.commission import Commission
from routing.interceptors.ib_rebate import IbRebate
from routing.interceptors.kill_switch import KillSwitch
from routing.interceptors.risk_gate import RiskGate, RiskLimits, RiskView
from routing.interceptors.spread_markup import SpreadMarkup
from routing.interceptors.throttle import Throttle
from routing.interceptors.validation import Validation
from routing.pipeline import Pipelines
from routing.pricing import Best, FeedLimits, PriceFeed, topic_symbol
from routing.router import Router

log = structlog.get_logger("dynamictech.hub")

REPORTS_KEPT = dt.timedelta(days=7)   # how long a door session that is away can still be sent what it missed
STOP_OUT_RETRY_SECONDS = 2.0   # one closing order per account at a time, however often the clock ticks
DEFAULT_PIPELINE = ["validation", "throttle", "kill_switch", "risk_gate", "spread_markup", "commission", "ib_rebate"]


@dataclass
class HubSettings:
    database_url: str
    bus_url: str | None = None          # None: in-process; redis://... or mqtt://... (engine.bus.make_bus)
    pipeline: list[str] = field(default_factory=lambda: list(DEFAULT_PIPELINE))
    pipeline_by_tenant: dict[str, list[str]] = field(default_factory=dict)
    risk_limits: dict[str, RiskLimits] = field(default_factory=dict)      # tenant -> limits
    orders_per_second: int = 50                                            # per account
    financing: dict[str, Financing] = field(default_factory=dict)         # symbol -> swap rates
    rollover: dt.time = dt.time(22, 0)     # UTC; 17:00 in New York in winter, where the FX day ends
    feed_limits: FeedLimits = field(default_factory=FeedLimits)
    reference_rates: dict[str, Decimal] = field(default_factory=dict)    # "USDT/USD" -> 1, for unquoted currencies
    margin_levels: MarginLevels = field(default_factory=MarginLevels)
    tick_seconds: float = 1.0
    bus_connect_seconds: float = 10.0   # how long start waits for the bus, and stop for its last events
    venue_retry_seconds: float = 1.0    # first wait before connecting again to a venue down at start; doubles
    order_id_prefix: str | None = None   # None: one unique per start (the hub's clock and a random part)


class BusUnreachable(RuntimeError):
    """The configured bus did not answer: a hub without it would take orders no terminal or door hears of."""


class Hub:
    def __init__(self, settings: HubSettings, instruments: dict[str, Instrument], venues: dict[str, Venue],
                 bus: Bus | None = None, clock: Clock = utc_now, history: Mapping[str, History] | None = None) -> None:
        """``history``: where a venue's past bars come from when the venue itself cannot tell (by venue name)."""
        self.settings = settings
        self.clock = clock
        self.unit = UnitOfWork(make_engine(settings.database_url))
        self.commits = GroupCommit(self.unit.engine)   # the hot path's rows: orders, fills, positions, ledger
        self.journal = SqlOrderJournal(self.commits, clock)
        self.directory_store = SqlDirectory(self.unit)
        config = self.directory_store.load()
        self.directory = config.directory
        # the back office's listings on top of the configured instruments (one table the OMS, feed and markup share)
        instruments = {**instruments, **{symbol: listing.instrument for symbol, listing in listed(self.unit).items()}}
        self.bus = bus or make_bus(settings.bus_url)
        self.kill_switch = KillSwitch()
        self.markup = SpreadMarkup(config.markups)
        self.router = Router(config.route_rules, venues, quotes=lambda venue, symbol: self.feed.venue_quote(venue,
                                                                                                            symbol))
        view = RiskView(margin=lambda account: self.oms.margin(account.account_id),
                        net_position=lambda account, symbol: self.oms.accounting.net(account, symbol),
                        mark=lambda symbol: None if self.feed.is_stale(symbol) else self.oms.accounting.marks.get(symbol),
                        tenant_exposure=lambda tenant, symbol: self.oms.accounting.tenant_exposure(tenant, symbol),
                        rate=lambda source, target: self.oms.accounting.rate(source, target),
                        group=lambda account: self.directory.groups.get(account.group_id))
        self.commission = Commission(config.commission_plans, view.rate)
        throttle = Throttle(settings.orders_per_second, self._tenant_throttle)
        self.rebates = IbRebate(self.directory, SqlRebates(self.unit).plans(), view.rate, view.net_position, clock)
        interceptors = [Validation(view.net_position, self.directory), throttle, self.kill_switch,
                        RiskGate(settings.risk_limits, view), self.markup, self.commission, self.rebates]
        self.pipelines = pipelines = Pipelines(interceptors, settings.pipeline_by_tenant, settings.pipeline,
                                               self._group_pipeline)
        self.reports = SqlReportOutbox(self.commits, clock)
        self.oms = OMS(directory=self.directory, instruments=instruments,
                       ledger=Ledger(clock, SqlLedgerStore(self.commits)), bus=self.bus, pipelines=pipelines,
                       router=self.router, journal=self.journal, transactions=self.commits, reports=self.reports,
                       order_id_prefix=settings.order_id_prefix or _order_id_prefix(clock()), clock=clock)
        self.oms.accounting.reference_rates.update(settings.reference_rates)
        audiences = [(group.tenant_id, group.group_id) for group in self.directory.groups.values()]
        self.feed = PriceFeed(instruments, pipelines, audiences, self.bus, clock, settings.feed_limits)
        self.bars = BarBuilder(self.bus, SqlBarStore(self.unit))
        self.history = {**{name: v for name, v in venues.items() if isinstance(v, History)}, **(history or {})}
        Backfill(self.bars, self._past_bars, self._group_price, topic_symbol, clock)
        self.office = BackOffice(self.unit, self.directory, clock, Live(
            self.markup, self.commission, self.rebates, self.router, self.feed, pipelines, self.oms.instruments,
            self.bus, self.oms))
        self.scheduler = Scheduler([   # swaps before statements: a statement shows the night's financing
            IbPayouts(self.office, self.oms.accounting.ledger, self.commits),
            Swaps(self.oms.accounting, self.commits, settings.financing, settings.rollover),
            Statements(self.unit, self.directory, self.oms.accounting, settings.rollover, clock),
            GtdExpiry(self.oms, settings.rollover),
            ScheduledOrders(self.unit, self.oms, self.office.policy, clock)], SqlJobRuns(self.unit), clock)
        self.office.scheduler = self.scheduler
        self.ready = asyncio.Event()
        # The best prices the OMS has yet to see, latest per symbol: bounded by the instruments, and a consumer
        # that falls behind sees the newest price of each symbol rather than a growing backlog of old ones.
        self._quotes: dict[str, Best] = {}
        self._quoted = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._pruned: dt.date | None = None
        self._margin_state: dict[str, str] = {}   # account -> the last state published
        self._stop_out_after: dict[str, float] = {}   # account -> when the next stop-out order may go

    @property
    def services(self) -> Services:
        """What the doors are given."""
        return Services(self.oms, self.bus, self.directory, self.ready, self.clock, self.reports)

    async def start(self) -> None:
        """Connect the bus and the venues, restore and reconcile, then take flow. A bus that cannot be reached keeps
        the hub from starting (``BusUnreachable``). A venue that cannot be reached, or whose orders cannot be
        reconciled, does not keep the hub down: the router skips it, and it is brought up (and its orders
        reconciled) in the background. Prices are subscribed before restore: booking a reconciled fill may need a
        conversion rate."""
        await self.bus.start()
        try:
            await asyncio.wait_for(self.bus.connected(), self.settings.bus_connect_seconds)
        except TimeoutError:
            await self.bus.close()
            raise BusUnreachable(f"the bus at {self.settings.bus_url} cannot be reached: the hub does not start "
                                 "without it") from None
        venues = self.router.venues
        down = []
        for name, venue in venues.items():
            venue.on_quote(self._on_quote)
            try:
                await venue.connect()
                await venue.subscribe(venue.instruments())  # conversion pairs too: margin and fills need rates
            except (VenueDown, OSError) as error:
                log.error("hub.venue_unavailable", venue=name, reason=str(error))
                down.append(name)
        deferred = await self.oms.restore(unreachable=frozenset(down))
        self._tasks = [asyncio.create_task(self._apply_quotes()), asyncio.create_task(self._tick())]
        self._tasks += [asyncio.create_task(self._bring_up(name, connect=name in down)) for name in sorted(deferred)]
        self.ready.set()
        log.info("hub.ready", venues=sorted(venues), down=down, reconcile_pending=sorted(deferred),
                 open_orders=sum(o.is_open for o in self.oms.orders.values()))

    async def _bring_up(self, name: str, *, connect: bool) -> None:
        venue = self.router.venues[name]
        delay = self.settings.venue_retry_seconds
        while True:
            await asyncio.sleep(delay)
            try:
                if connect:
                    await venue.connect()
                    await venue.subscribe(venue.instruments())
                    connect = False
                await self.oms.reconcile_venue(name)
            except (VenueDown, OSError) as error:
                log.warning("hub.venue_still_unavailable", venue=name, reason=str(error), retry_in=delay)
                delay = min(delay * 2, 60.0)
                continue
            log.info("hub.venue_up", venue=name)
            return

    async def stop(self) -> None:
        self.ready.clear()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.oms.settle()
        self.bars.flush()
        self.bars.close()
        for venue in self.router.venues.values():
            await venue.close()
        await self.commits.close()   # the last batch, and the events it holds back, before the bus is flushed
        try:   # a broker that is gone must not keep the process from stopping
            await asyncio.wait_for(self.bus.flush(), self.settings.bus_connect_seconds)
        except TimeoutError:
            log.error("hub.bus_not_flushed", bus=self.settings.bus_url)
        await self.bus.close()
        self.unit.engine.dispose()

    def reload_routes(self) -> None:
        """The dealer changed the route table in the database: swap it in while the hub runs."""
        self.router.replace_rules(self.directory_store.load().route_rules)

    def _on_quote(self, quote: Quote) -> None:
        """A venue's quote: through the feed (checks, best across venues, the terminals' prices), then the best
        price to the OMS for marks and held orders. A pair only quoted to convert currencies updates the rate."""
        if quote.symbol not in self.oms.instruments:
            if quote.bid is not None and quote.ask is not None and 0 < quote.bid <= quote.ask:
                self.oms.accounting.marks[quote.symbol] = (quote.bid + quote.ask) / 2
            return
        if self.feed.on_quote(quote):
            best = self.feed.best(quote.symbol)
            if best is not None:
                self._quotes.pop(quote.symbol, None)   # re-inserted last: symbols are served in the order they moved
                self._quotes[quote.symbol] = best
                self._quoted.set()

    async def watch_margin(self) -> None:
        """Margin call and stop-out: each account with positions is checked; a change of state is one event on
        ``risk.<tenant>``; at stop-out the position losing most is closed at market, one order at a time (at most
        one every ``STOP_OUT_RETRY_SECONDS``), until the account is back above the stop-out level."""
        for account_id in self.oms.accounting.positions.open_accounts():
            account = self.directory.accounts[account_id]
            try:
                margin = self.oms.margin(account_id)
            except LookupError:
                continue   # a price to convert is missing: nothing can be decided on it
            state = self.margin_levels(account.tenant_id).state(margin)
            if state != self._margin_state.get(account_id, "ok"):
                self._margin_state[account_id] = state
                log.warning("risk.margin_state", account=account_id, state=state, level=str(margin.margin_level))
                self.bus.publish(f"risk.{account.tenant_id}", {
                    "account_id": account_id, "state": state, "margin_level": str(margin.margin_level),
                    "equity": str(margin.equity), "used_margin": str(margin.used_margin)})
            now = asyncio.get_running_loop().time()
            if state == "stop_out" and now >= self._stop_out_after.get(account_id, 0.0):
                self._stop_out_after[account_id] = now + STOP_OUT_RETRY_SECONDS
                await self._stop_out(account_id)

    def margin_levels(self, tenant_id: str) -> MarginLevels:
        """The tenant's margin call and stop-out levels, where it set them; the platform's otherwise."""
        platform = self.settings.margin_levels
        tenant = self.directory.tenants.get(tenant_id)
        if tenant is None:
            return platform
        defaults = tenant.defaults
        return MarginLevels(platform.margin_call if defaults.margin_call is None else defaults.margin_call,
                            platform.stop_out if defaults.stop_out is None else defaults.stop_out)

    def _group_pipeline(self, group_id: str) -> tuple[str, ...]:
        group = self.directory.groups.get(group_id)
        return () if group is None else group.pipeline

    def _tenant_throttle(self, tenant_id: str) -> int | None:
        tenant = self.directory.tenants.get(tenant_id)
        return None if tenant is None else tenant.defaults.orders_per_second

    async def _stop_out(self, account_id: str) -> None:
        accounting = self.oms.accounting
        positions = accounting.positions.of_account(account_id)
        worst = min(positions, key=lambda p: p.unrealised(accounting.marks.get(p.symbol, p.average_price),
                                                          self.oms.instruments[p.symbol].contract_size))
        hedging = self.directory.accounts[account_id].position_mode is PositionMode.HEDGING
        order = await self.oms.submit(NewOrder(
            f"stop-out-{self.oms.new_id('')}", account_id, worst.symbol, Side.SELL if worst.quantity > 0 else Side.BUY,
            OrdType.MARKET, abs(worst.quantity), time_in_force=TimeInForce.IOC,
            position_id=worst.position_id if hedging else None))
        log.warning("risk.stop_out", account=account_id, symbol=worst.symbol, quantity=str(worst.quantity),
                    order_id=order.order_id, status=order.status.name)

    async def _past_bars(self, symbol: str, seconds: int, start: dt.datetime, end: dt.datetime) -> list[PastBar]:
        """The past of the first venue with a history that trades ``symbol``; none elsewhere."""
        for name, source in self.history.items():
            venue = self.router.venues.get(name)
            if venue is not None and symbol in venue.instruments():
                return await source.past_bars(symbol, seconds, start, end)
        return []

    def _group_price(self, tenant: str, group: str, symbol: str, price: Decimal) -> Decimal:
        """A venue price as the group's bid: through the group's pipeline, as the feed prices its live quotes."""
        instrument = self.oms.instruments[symbol]
        quote = self.pipelines.for_group(tenant, group).on_quote(
            ClientQuote(tenant, group, symbol, price, price, instrument.tick_size, instrument.pip))
        return quote.bid if quote.bid is not None else price

    async def _apply_quotes(self) -> None:
        """One consumer, so held orders see the prices in the order they came."""
        while True:
            await self._quoted.wait()
            self._quoted.clear()
            while self._quotes:
                symbol = next(iter(self._quotes))
                best = self._quotes.pop(symbol)
                await self.oms.on_quote(best.symbol, best.bid, best.ask)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_seconds)
            await self.tick()

    async def tick(self) -> None:
        """Expire what is due (every second, for timeliness: ``backoffice.jobs.expiry``); once a day past the
        rollover, prune the report outbox; then the scheduler's due jobs (the night's financing among them)."""
        self.oms.retry_unbooked()
        self.oms.forget_ended()
        await self.oms.expire_due()
        self.feed.sweep()
        await self.watch_margin()
        now = self.clock()
        self.bars.roll(now)
        self.bars.flush()
        if now.time() >= self.settings.rollover and self._pruned != now.date():
            self._pruned = now.date()
            pruned = self.reports.prune(now - REPORTS_KEPT)
            log.info("hub.reports_pruned", day=now.date().isoformat(), reports_pruned=pruned)
        await self.scheduler.tick()


def _order_id_prefix(now: dt.datetime) -> str:
    """Unique per start, so order ids never repeat across restarts (two starts within a second included)."""
    return f"H{now:%y%m%d%H%M%S}{secrets.token_hex(2)}-"
