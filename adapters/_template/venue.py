"""TemplateVenue: the venue contract (engine/ports.py, ``Venue``) composed from config, instruments, market data
and order flow. Its constructor takes the config and the hub's clock (keyword ``clock``) and reads no other clock
for what it reports; it opens nothing until ``connect``. The registry builds it from the hub's TOML table, the
environment and that clock (adapters/registry.py)."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from adapters._template.config import TemplateConfig
from adapters._template.execution import OFFERS, OrderFlow
from adapters._template.instruments import Instruments
from adapters._template.market_data import MarketData
from adapters.tracked import Reporter
from engine.ports import Clock, Health, Quote, VenueOrder, VenueReport


class TemplateVenue:
    offers = OFFERS   # what the venue takes: the OMS fits each order to it

    def __init__(self, config: TemplateConfig, *, clock: Clock) -> None:
        self.name = config.name
        self.config = config
        self._instruments = Instruments()
        self._reports = Reporter(config.name, clock)
        self._market = MarketData(config.name, self._instruments, clock, config.quote_stale_after)
        self._orders = OrderFlow(self._instruments, self._reports, clock)
        self._quote_callbacks: list[Callable[[Quote], None]] = []

    def on_report(self, callback: Callable[[VenueReport], None]) -> None:
        self._reports.subscribe(callback)

    def on_quote(self, callback: Callable[[Quote], None]) -> None:
        self._quote_callbacks.append(callback)

    async def connect(self) -> None:
        """Return once orders can be placed and followed (logged on, instruments loaded, report stream up);
        VenueDown, with nothing left running, when the venue refuses or does not answer within connect_timeout.
        From then on reconnect, resubscribe and reconcile open orders by yourself: after each reconnect, new orders
        wait (health not connected, place raises VenueDown) until the venue has answered for the open ones. What
        the venue sends is applied one message at a time, each guarded (adapters/contained.py: ``contained`` on a
        FIX application's callbacks, a try around each WebSocket frame), so one bad report never ends a session
        or a reader task (tests/adapters/resilience.py checks it)."""
        raise NotImplementedError

    async def close(self) -> None:
        """Stop every task and connection; safe to call twice and after a failed connect."""
        raise NotImplementedError

    def instruments(self) -> list[str]:
        return self._instruments.symbols()

    async def subscribe(self, symbols: list[str]) -> None:
        """Ask for prices of ``symbols`` (engine symbols); quotes arrive through on_quote's callbacks."""
        raise NotImplementedError

    def quote(self, symbol: str) -> Quote | None:
        return self._market.quote(symbol)

    async def place(self, order: VenueOrder) -> None:
        """Send the order (``self._orders.new_order``); VenueDown if it cannot be sent now, so the router tries
        the next venue. Everything after that comes back as reports."""
        raise NotImplementedError

    async def cancel(self, order_id: str) -> None:
        raise NotImplementedError

    async def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> None:
        raise NotImplementedError

    async def order_status(self, order: VenueOrder) -> VenueReport | None:
        """Ask the venue about the order (which this instance may not have placed: adopt it); VenueDown when the
        venue does not answer in time."""
        raise NotImplementedError

    def health(self) -> Health:
        """Connected while orders can flow (reconciled after the last reconnect); latency from a round trip the
        venue answers; the last message's time by the clock."""
        raise NotImplementedError
