"""BinanceVenue: the venue contract (engine/ports.py) over Binance spot's REST API, market data streams and
WebSocket API user data stream (execution.py); with ``order_transport="fix"`` orders and their reports go over the
FIX order entry session instead (fix_orders.py). Reports and quotes carry the hub's clock."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import structlog

from adapters.binance.config import BinanceConfig
from adapters.binance.errors import BinanceError, StatusUnknown
from adapters.binance.execution import OFFERS, OrderFlow
from adapters.binance.history import past_bars
from adapters.binance.instruments import Instruments
from adapters.binance.margin import MarginLevel, borrow_repay, margin_level
from adapters.binance.market_data import DepthBook, MarketData
from adapters.binance.rest import RestClient
from adapters.binance.user_stream import UserStream
from adapters.contained import deliver
from adapters.tracked import Reporter
from engine.ports import Clock, Health, PastBar, Quote, VenueDown, VenueOrder, VenueReport

log = structlog.get_logger("adapters.binance")


class BinanceVenue:
    offers = OFFERS

    def __init__(self, config: BinanceConfig, *, clock: Clock) -> None:
        self.config = config
        self.name = config.name
        self._rest = RestClient(config, clock)
        self._instruments = Instruments([])
        self._quote_callbacks: list[Callable[[Quote], None]] = []
        self._market = MarketData(config, self._rest, lambda: self._instruments, self._publish_quote, clock)
        self._reports = Reporter(config.name, clock)
        self._orders = OrderFlow(config, self._rest, self._market, lambda: self._instruments, self._reports)
        self._user = UserStream(config, self._rest, self._orders.on_execution_report, self._on_subscribed, clock)
        self._open = False

    # ---- the contract: life and market data
    def on_report(self, callback: Callable[[VenueReport], None]) -> None:
        self._reports.subscribe(callback)

    def on_quote(self, callback: Callable[[Quote], None]) -> None:
        self._quote_callbacks.append(callback)

    async def connect(self) -> None:
        """Clock sync, exchangeInfo, then the user data stream; returns once orders can be placed and followed."""
        try:
            await self._rest.sync_time()
            info = await self._rest.public("GET", "/api/v3/exchangeInfo", weight=20)
        except (StatusUnknown, BinanceError) as error:
            raise VenueDown(f"{self.name}: {error}") from error
        self._instruments = Instruments.from_exchange_info(info)
        self._rest.weight_limit = next((int(limit["limit"]) for limit in info.get("rateLimits", [])
                                        if limit.get("rateLimitType") == "REQUEST_WEIGHT"
                                        and limit.get("interval") == "MINUTE" and limit.get("intervalNum") == 1),
                                       None)
        if self._orders.fix is not None:
            await self._orders.fix.session.start()
        else:
            await self._user.start()
        self._open = True
        log.info("binance_connected", venue=self.name, symbols=len(self._instruments.tradable()),
                 weight_limit=self._rest.weight_limit)

    async def close(self) -> None:
        self._open = False
        await self._orders.close()
        if self._orders.fix is not None:
            await self._orders.fix.session.stop()
        await self._user.close()
        await self._market.close()
        await self._rest.close()
        log.info("binance_closed", venue=self.name)

    def instruments(self) -> list[str]:
        return self._instruments.tradable()

    async def subscribe(self, symbols: list[str]) -> None:
        known = [rules.venue_symbol for rules in map(self._instruments.rules, symbols) if rules is not None]
        unknown = sorted(set(symbols) - {self._instruments.to_engine(s) for s in known})
        if unknown:
            log.warning("binance_unknown_symbols", venue=self.name, symbols=unknown)
        await self._market.subscribe(known)

    def quote(self, symbol: str) -> Quote | None:
        return self._market.quote(symbol)

    async def past_bars(self, symbol: str, seconds: int, start: dt.datetime, end: dt.datetime) -> list[PastBar]:
        """engine.ports.History: Binance's klines."""
        return await past_bars(self._rest, lambda: self._instruments, symbol, seconds, start, end)

    def depth(self, symbol: str) -> DepthBook | None:
        """The local order book of a subscribed symbol (beyond the contract: for the dealer console)."""
        rules = self._instruments.rules(symbol)
        return self._market.books.get(rules.venue_symbol) if rules is not None else None

    def health(self) -> Health:
        moments = [m for m in (self._user.last_message_at, self._market.last_message_at) if m is not None]
        fix = self._orders.fix
        orders_flow = fix.session.logged_on if fix is not None else self._user.connected
        up = self._open and orders_flow and not self._orders.reconciling and not self._rest.banned
        return Health(connected=up, latency_ms=self._rest.latency_ms, last_message_at=max(moments, default=None),
                      logon_refused=fix.session.logon_refused if fix is not None else None)

    # ---- the contract: orders (execution.py)
    async def place(self, order: VenueOrder, *, post_only: bool = False) -> None:
        """``post_only`` sends a LIMIT as Binance's LIMIT_MAKER (our VenueOrder has no field for it)."""
        self._require_up()
        await self._orders.place(order, post_only)

    async def cancel(self, order_id: str) -> None:
        self._require_up()
        await self._orders.cancel(order_id)

    async def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> None:
        self._require_up()
        await self._orders.replace(order_id, quantity, price)

    async def order_status(self, order: VenueOrder) -> VenueReport | None:
        return await self._orders.order_status(order)

    # ---- beyond the contract: the cross margin account
    async def borrow(self, asset: str, amount: Decimal) -> str:
        """Borrow on the cross margin account; the transaction ID, or BinanceError with Binance's code."""
        return await borrow_repay(self._rest, self.name, "BORROW", asset, amount)

    async def repay(self, asset: str, amount: Decimal) -> str:
        return await borrow_repay(self._rest, self.name, "REPAY", asset, amount)

    async def margin_level(self) -> MarginLevel:
        return await margin_level(self._rest)

    # ---- plumbing
    async def _on_subscribed(self, reconnected: bool) -> None:
        if reconnected:
            self._orders.reconcile_open()

    def _require_up(self) -> None:
        if not self._open:
            raise VenueDown(f"{self.name} is not connected")
        if self._rest.banned:
            raise VenueDown(f"{self.name}: IP banned by Binance")
        if self._orders.reconciling:
            raise VenueDown(f"{self.name}: reconciling open orders after a reconnect")

    def _publish_quote(self, quote: Quote) -> None:
        deliver(self._quote_callbacks, quote, venue=self.name, what="quote")
