"""EquityFixVenue: the venue contract (engine/ports.py) over a FIX 4.2 initiator session to an equity broker.

Orders are checked against their market's rules (hours, lot, tick, band) before anything is sent; a refused
order gets a REJECTED report with the reason and never leaves the hub (a refused cancel or replace gets a
CANCEL_REJECTED one). After every logon the adapter resubscribes market data and sends an OrderStatusRequest for
each open order (execution.py settles the answers); it takes orders again, and health says connected, once the
broker has answered them all or status_timeout has passed. order_status of an order sent before a restart asks the
broker with the order's Symbol and Side and adopts the order if the broker has it. The hub's clock stamps reports
and quotes and gives the market time the session-hours check reads. A message the adapter (or a subscriber)
cannot apply is logged and passed over, never the end of the session.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import time
from collections.abc import Callable
from decimal import Decimal

import structlog

from adapters.contained import contained, deliver
from adapters.equity_fix import fix42
from adapters.equity_fix.config import EquityFixConfig
from adapters.equity_fix.errors import reject_code
from adapters.equity_fix.execution import OFFERS, OrderFlow, Tracked
from adapters.equity_fix.fix42 import Body, CancelReject, ExecutionReport
from adapters.equity_fix.instruments import Instruments, Stock
from adapters.equity_fix.market_data import MarketData
from adapters.equity_fix.profiles import Refusal
from adapters.status_answers import StatusAnswers
from adapters.tracked import Reporter
from engine.domain.instrument import Market
from engine.domain.order import Side, TimeInForce
from engine.ports import Clock, Health, Quote, VenueDown, VenueOrder, VenueReport
from fix_sessions.application import Application
from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID
from fix_sessions.transport import SocketInitiator

log = structlog.get_logger("adapters.equity_fix")

# The account's long position in an engine symbol at this broker; None when the caller does not know it.
LongPosition = Callable[[str], Decimal | None]


class EquityFixVenue(Application):
    """The broker connection. ``long_position`` tells a long sale from a short one (see
    ``MarketProfile.wire_side_for_sale``)."""

    offers = OFFERS

    def __init__(self, config: EquityFixConfig, *, clock: Clock, long_position: LongPosition | None = None) -> None:
        self.name = config.name
        self.config = config
        self._clock = clock
        self._long_position = long_position
        self._instruments = Instruments(Market(code) for code in config.markets)
        self._market_data = MarketData(config.name, self._instruments, clock, config.quote_stale_after)
        self._session_config = config.session_config()
        self._session_id: SessionID = self._session_config.session_id
        self._initiator: SocketInitiator | None = None
        self._logged_on = asyncio.Event()
        self._ready = asyncio.Event()            # logged on, and the open orders reconciled
        self._reconciling: asyncio.Task[None] | None = None
        self._reports = Reporter(config.name, clock)
        self._answers = StatusAnswers()
        self._orders = OrderFlow(self._reports, self._answers.answer)
        self._sent_at: dict[str, float] = {}
        self._quote_callbacks: list[Callable[[Quote], None]] = []
        self._latency_ms: float | None = None
        self._last_message_at: dt.datetime | None = None
        self._logon_refused: str | None = None   # the broker's reason, until a logon succeeds
        self._log = log.bind(venue=self.name)

    # ------------------------------------------------------------------ the venue contract
    def on_report(self, callback: Callable[[VenueReport], None]) -> None:
        self._reports.subscribe(callback)

    def on_quote(self, callback: Callable[[Quote], None]) -> None:
        self._quote_callbacks.append(callback)

    async def connect(self) -> None:
        if self._initiator is None:
            self._initiator = SocketInitiator([self._session_config], self, first_retry=self.config.first_retry)
            await self._initiator.start()
        try:
            await asyncio.wait_for(self._ready.wait(), self.config.connect_timeout)
        except TimeoutError:
            refused = f": logon refused: {self._logon_refused}" if self._logon_refused else ""
            raise VenueDown(f"{self.name}: no logon from {self.config.host}:{self.config.port} within "
                            f"{self.config.connect_timeout} s (still retrying){refused}") from None

    async def close(self) -> None:
        self._stop_reconciling()
        if self._initiator is not None:
            initiator, self._initiator = self._initiator, None   # stopping ourselves is no refused logon
            await initiator.stop()
        self._logged_on.clear()
        self._ready.clear()

    def instruments(self) -> list[str]:
        return self._instruments.symbols()

    async def subscribe(self, symbols: list[str]) -> None:
        stocks = [s for symbol in symbols if (s := self._instruments.get(symbol)) is not None]
        unknown = sorted(set(symbols) - {s.symbol for s in stocks})
        if unknown:
            self._log.warning("equity_fix.subscribe.unknown_symbols", symbols=unknown)
        if not stocks:
            return
        if self._logged_on.is_set():
            await self._send(b"V", self._market_data.request(stocks))
        else:  # sent with the rest at the next logon
            self._market_data.subscribed.update(s.symbol for s in stocks)

    def quote(self, symbol: str) -> Quote | None:
        return self._market_data.quote(symbol)

    async def place(self, order: VenueOrder) -> None:
        stock = self._instruments.get(order.symbol)
        existing = self._orders.get(order.order_id)
        if existing is not None:  # refused without touching the order already live under this id
            self._refuse_new(order.order_id, Refusal("duplicate_order", f"order {order.order_id} was already sent"),
                             existing)
            return
        refusal = self._check_new(order, stock)
        if refusal is not None:
            self._refuse_new(order.order_id, refusal)
            return
        assert stock is not None
        self._require_ready()
        side = self._wire_side(order, stock)
        self._orders.track(order, stock, side)
        self._log.info("equity_fix.order.sent", order_id=order.order_id, symbol=order.symbol, side=side,
                       quantity=str(order.quantity), price=str(order.price), ord_type=order.ord_type.name)
        await self._send(b"D", fix42.new_order_single(order.order_id, order, stock, side, self.config.account,
                                                      self._clock(), self.config.locate_broker), order.order_id)

    async def cancel(self, order_id: str) -> None:
        tracked = self._open_order(order_id)
        if tracked is None:
            return
        self._require_ready()
        cl_ord_id = self._orders.next_cl_ord_id(tracked, "C")
        venue = tracked.at_venue
        self._log.info("equity_fix.cancel.sent", order_id=order_id, cl_ord_id=cl_ord_id)
        await self._send(b"F", fix42.cancel_request(cl_ord_id, venue.cl_ord_id, tracked.venue_order_id, venue.stock,
                                                    venue.side, tracked.order.quantity, self._clock()), cl_ord_id)

    async def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> None:
        tracked = self._open_order(order_id)
        if tracked is None:
            return
        venue = tracked.at_venue
        wanted = dataclasses.replace(tracked.order, quantity=quantity, price=price)
        refusal = (Refusal("below_filled", f"quantity {quantity} is not above the {tracked.filled} already filled")
                   if quantity <= tracked.filled else self._check_terms(wanted, venue.stock))
        if refusal is not None:
            self._reports.refused(tracked, str(refusal), reject_code(refusal.code))
            return
        self._require_ready()
        cl_ord_id = self._orders.next_cl_ord_id(tracked, "R")
        venue.replacing[cl_ord_id] = wanted
        self._log.info("equity_fix.replace.sent", order_id=order_id, cl_ord_id=cl_ord_id, quantity=str(quantity),
                       price=str(price))
        await self._send(b"G", fix42.replace_request(cl_ord_id, venue.cl_ord_id, tracked.venue_order_id, wanted,
                                                     venue.stock, venue.side, self.config.account, self._clock(),
                                                     self.config.locate_broker),
                         cl_ord_id)

    async def order_status(self, order: VenueOrder) -> VenueReport | None:
        """The broker's answer to an OrderStatusRequest (ClOrdID, Symbol, Side); None when it has no such order.
        An order this adapter did not send (before a restart) is asked for by its first ClOrdID, the order id,
        and adopted if the broker has it: cancel, replace and its reports work from then on."""
        order_id = order.order_id
        tracked = self._orders.get(order_id)
        if tracked is None:
            stock = self._instruments.get(order.symbol)
            if stock is None:
                return None
            self._require_session()
            tracked = self._orders.adopt(order, stock, self._wire_side(order, stock))
        self._require_session()
        waiter = self._answers.expect(order_id)
        try:
            await self._request_status(tracked)
            return await asyncio.wait_for(waiter, self.config.status_timeout)
        except TimeoutError:
            raise VenueDown(f"{self.name}: no answer to the status request for {order_id}") from None
        finally:
            self._answers.forget(order_id, waiter)
            self._orders.forget_unadopted(order_id)

    def health(self) -> Health:
        return Health(connected=self._ready.is_set(), latency_ms=self._latency_ms,
                      last_message_at=self._last_message_at, logon_refused=self._logon_refused)

    # ------------------------------------------------------------------ checks before sending
    def _check_new(self, order: VenueOrder, stock: Stock | None) -> Refusal | None:
        if stock is None:
            return Refusal("unknown_symbol", f"{order.symbol} is not traded on {self.name}")
        if order.time_in_force is TimeInForce.GTD:
            return Refusal("unsupported_time_in_force", "GTD needs an expiry time, which a venue order does "
                                                        "not carry; use DAY or GTC")
        return self._check_terms(order, stock)

    def _check_terms(self, order: VenueOrder, stock: Stock) -> Refusal | None:
        return stock.profile.check_order(
            ord_type=order.ord_type, quantity=order.quantity, price=order.price, stop_price=order.stop_price,
            lot=stock.lot, band_percent=stock.band_percent,
            previous_close=self._market_data.previous_close.get(stock.symbol), moment=self._clock())

    def _wire_side(self, order: VenueOrder, stock: Stock) -> str:
        """Side(54): a sale goes as a short sale (5) where the profile says so, unless the account holds enough."""
        if order.side is not Side.SELL:
            return str(order.side.value)
        held = self._long_position(order.symbol) if self._long_position is not None else None
        return stock.profile.wire_side_for_sale(order.quantity, held)

    def _open_order(self, order_id: str) -> Tracked | None:
        """The order to cancel or replace; None, with a CANCEL_REJECTED report, if it is unknown (neither sent nor
        adopted here) or already closed."""
        tracked = self._orders.get(order_id)
        if tracked is None or tracked.at_venue.adopting:
            refusal = Refusal("unknown_order", f"{self.name} has no order {order_id}")
            self._log.info("equity_fix.refused", order_id=order_id, code=refusal.code, reason=refusal.text)
            self._reports.refused_unknown(order_id, str(refusal), reject_code(refusal.code))
        elif not tracked.is_open:
            refusal = Refusal("order_closed", f"order {order_id} is already {tracked.status.name.lower()}")
            self._log.info("equity_fix.refused", order_id=order_id, code=refusal.code, reason=refusal.text)
            self._reports.refused(tracked, str(refusal), reject_code(refusal.code))
        else:
            return tracked
        return None

    def _require_session(self) -> None:
        if not self._logged_on.is_set():
            raise VenueDown(f"{self.name} is not logged on to {self.config.target_comp_id}")

    def _require_ready(self) -> None:
        self._require_session()
        if not self._ready.is_set():
            raise VenueDown(f"{self.name}: reconciling open orders after the logon")

    def _refuse_new(self, order_id: str, refusal: Refusal, live: Tracked | None = None) -> None:
        """A new order refused before it was sent (REJECTED), in the market rule's words; one whose id is taken
        leaves the order ``live`` under that id as it is (its status says so)."""
        self._log.info("equity_fix.refused", order_id=order_id, code=refusal.code, reason=refusal.text)
        self._reports.rejected(order_id, str(refusal), reject_code(refusal.code),
                               status=live.status if live is not None else None)

    # ------------------------------------------------------------------ FIX callbacks
    @contained
    async def on_logon(self, session_id: SessionID) -> None:
        self._logged_on.set()
        self._logon_refused = None
        self._last_message_at = self._clock()
        self._log.info("equity_fix.logged_on", reconciling=len(self._orders.open_orders()),
                       subscriptions=len(self._market_data.subscribed))
        self._stop_reconciling()
        self._reconciling = asyncio.create_task(self._reconcile())  # its answers come on this same session
        resubscription = self._market_data.resubscription()
        if resubscription is not None:
            await self._send(b"V", resubscription)

    @contained
    async def on_logon_failed(self, session_id: SessionID, reason: str) -> None:
        if self._initiator is None:
            return
        self._logon_refused = reason
        self._log.error("equity_fix.logon_refused", text=reason)

    @contained
    async def on_logout(self, session_id: SessionID) -> None:
        self._logged_on.clear()
        self._ready.clear()
        self._stop_reconciling()
        self._market_data.disconnected()
        self._answers.fail(f"{self.name} lost its session")
        self._log.warning("equity_fix.logged_out")

    @contained
    async def from_admin(self, message: Message, session_id: SessionID) -> None:
        self._last_message_at = self._clock()

    @contained
    async def from_app(self, message: Message, session_id: SessionID) -> None:
        self._last_message_at = self._clock()
        msg_type = message.msg_type
        if msg_type in (b"8", b"9"):
            self._measure(message.get_str(11) or "")
        if msg_type == b"8":
            self._orders.on_execution_report(ExecutionReport.parse(message))
        elif msg_type == b"9":
            self._orders.on_cancel_reject(CancelReject.parse(message))
        elif msg_type == b"j":
            self._orders.on_business_reject(message.get_str(372), message.get_str(379), message.get_int(380),
                                                message.get_str(58) or "refused by the broker")
        elif msg_type == b"W":
            self._publish([q] if (q := self._market_data.on_snapshot(message)) else [])
        elif msg_type == b"X":
            self._publish(self._market_data.on_incremental(message))
        elif msg_type == b"Y":
            self._market_data.on_reject(message)
        else:
            self._log.warning("equity_fix.unhandled_message", msg_type=msg_type.decode("latin-1"),
                              text=message.get_str(58))

    def _publish(self, quotes: list[Quote]) -> None:
        for quote in quotes:
            deliver(self._quote_callbacks, quote, venue=self.name, what="quote")

    async def _reconcile(self) -> None:
        """An OrderStatusRequest for every open order, then their answers (or status_timeout), then new flow."""
        asks = {t.order.order_id: functools.partial(self._request_status, t) for t in self._orders.open_orders()}
        unanswered = await self._answers.settle(asks, self.config.status_timeout)
        if unanswered:
            self._log.warning("equity_fix.reconcile.unanswered", orders=unanswered)
        if self._logged_on.is_set():
            self._ready.set()
            self._log.info("equity_fix.ready", reconciled=len(asks))

    def _stop_reconciling(self) -> None:
        if self._reconciling is not None:
            self._reconciling.cancel()
            self._reconciling = None


    # ------------------------------------------------------------------ sending
    async def _request_status(self, tracked: Tracked) -> None:
        venue = tracked.at_venue
        await self._send(b"H", fix42.status_request(venue.cl_ord_id, tracked.venue_order_id, venue.stock, venue.side),
                         venue.cl_ord_id)

    async def _send(self, msg_type: bytes, body: Body, cl_ord_id: str | None = None) -> None:
        if self._initiator is None:
            raise VenueDown(f"{self.name} is not connected")
        if cl_ord_id is not None:
            self._sent_at[cl_ord_id] = time.monotonic()
        await self._initiator.send_to_target(self._session_id, msg_type, body)

    def _measure(self, cl_ord_id: str) -> None:
        """Round trip of a request to the broker's first answer to it: the latency health() shows."""
        sent = self._sent_at.pop(cl_ord_id, None)
        if sent is not None:
            self._latency_ms = (time.monotonic() - sent) * 1000
