"""PrimeXMVenue: the venue contract (engine/ports.py) over two FIX 4.4 initiator sessions run by fix_sessions,
one for quotes (market_data.py) and one for orders (execution.py); reports and quotes carry the hub's clock.

The initiator reconnects by itself; after each logon the quote session asks for its subscriptions again and the
trade session reconciles every open order with an OrderStatusRequest: orders are taken again (and health says
connected) once the LP has answered them all, or request_timeout has passed. Latency from TestRequest/Heartbeat
round trips on the trade session (or, before the first, an order's first answer); last_message_at from either
session. A message the adapter (or a subscriber) cannot apply is logged and passed over, never the end of a session.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import itertools
import time
from collections.abc import Callable
from decimal import Decimal

import structlog

from adapters.contained import contained, deliver
from adapters.primexm.config import PrimeXMConfig
from adapters.primexm.errors import reject_code
from adapters.primexm.execution import OFFERS, OrderFlow, StatusAnswer
from adapters.primexm.fix44 import Body
from adapters.primexm.instruments import InstrumentMap
from adapters.primexm.market_data import MarketData
from adapters.status_answers import StatusAnswers
from adapters.tracked import Reporter
from engine.ports import Clock, Health, Quote, VenueDown, VenueOrder, VenueReport
from fix_sessions.application import Application
from fix_sessions.codec import Message
from fix_sessions.reject import BusinessRejectReason
from fix_sessions.session_id import SessionID
from fix_sessions.transport import SocketInitiator

log = structlog.get_logger("adapters.primexm")

MAX_TRACKED_SENDS = 10_000


class PrimeXMVenue:
    offers = OFFERS

    def __init__(self, config: PrimeXMConfig, instruments: InstrumentMap | None = None, *, clock: Clock) -> None:
        self.name = config.name
        self.config = config
        self._clock = clock
        self._instruments = instruments or InstrumentMap.default(config.venue_symbols)
        self._market = MarketData(config.name, self._instruments, clock, depth=config.market_depth,
                                  dialect=config.dialect, stream_name=config.stream_name,
                                  stale_after=config.quote_stale_after)
        self._reports = Reporter(config.name, clock)
        self._orders = OrderFlow(self._instruments, self._reports, clock, dialect=config.dialect,
                                    deviation=config.deviation)
        self._quote_callbacks: list[Callable[[Quote], None]] = []
        self._quote_id, self._trade_id = config.quote_session_id, config.trade_session_id
        self._initiator: SocketInitiator | None = None
        self._logged_on: set[SessionID] = set()
        self._ready = False                     # the trade session is logged on and its open orders reconciled
        self._reconciling: asyncio.Task[None] | None = None
        self._refused: dict[SessionID, str] = {}
        self._changed: asyncio.Event | None = None
        self._sent: dict[int, tuple[bytes, str | None]] = {}  # trade MsgSeqNum -> (MsgType, order id), this logon
        self._answers = StatusAnswers()
        self._ids = itertools.count(1)
        self._probe: tuple[str, float] | None = None
        self._probe_latency_ms: float | None = None
        self._probe_task: asyncio.Task[None] | None = None
        self._last_message_at: dt.datetime | None = None

    # ------------------------------------------------------------------ the contract
    def on_report(self, callback: Callable[[VenueReport], None]) -> None:
        self._reports.subscribe(callback)

    def on_quote(self, callback: Callable[[Quote], None]) -> None:
        self._quote_callbacks.append(callback)

    async def connect(self) -> None:
        """Log both sessions on (the trade session reconciled); VenueDown (and nothing left running) if the LP
        refuses or does not answer."""
        if self._initiator is not None:
            return
        self._changed = asyncio.Event()
        self._refused.clear()
        self._initiator = SocketInitiator(self.config.session_configs(), _Sessions(self),
                                          first_retry=self.config.first_retry)
        await self._initiator.start()
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                while not (self._ready and self._quote_id in self._logged_on):
                    if self._refused:
                        session_id, text = next(iter(self._refused.items()))
                        raise VenueDown(f"{self.name}: logon refused on {session_id}: {text}")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            await self.close()
            raise VenueDown(f"{self.name}: no logon within {self.config.connect_timeout:g} s") from None
        except VenueDown:
            await self.close()
            raise
        self._probe_task = asyncio.create_task(self._probe_latency())
        log.info("adapters.primexm.connected", venue=self.name, host=self.config.host, dialect=self.config.dialect)

    async def close(self) -> None:
        if self._probe_task is not None:
            self._probe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe_task
            self._probe_task = None
        self._stop_reconciling()
        if self._initiator is not None:
            initiator, self._initiator = self._initiator, None
            await initiator.stop()
        self._logged_on.clear()
        self._ready = False
        self._market.session_down()
        self._answers.fail(f"{self.name} closed")

    def instruments(self) -> list[str]:
        return self._instruments.symbols()

    async def subscribe(self, symbols: list[str]) -> None:
        for symbol in self._market.want(symbols):
            if self._quote_id in self._logged_on:
                await self._send(self._quote_id, b"V", self._market.request(symbol))

    def quote(self, symbol: str) -> Quote | None:
        return self._market.quote(symbol)

    async def place(self, order: VenueOrder) -> None:
        self._require_ready()
        outbound = self._orders.new_order(order)
        if outbound is None:
            return
        try:
            await self._send_trade(*outbound, order.order_id)
        except VenueDown:
            self._orders.forget(order.order_id)
            raise

    async def cancel(self, order_id: str) -> None:
        if order_id in self._orders.orders:
            self._require_ready()
        outbound = self._orders.cancel(order_id)
        if outbound is not None:
            await self._send_trade(*outbound, order_id)

    async def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> None:
        if order_id in self._orders.orders:
            self._require_ready()
        outbound = self._orders.replace(order_id, quantity, price)
        if outbound is not None:
            await self._send_trade(*outbound, order_id)

    async def order_status(self, order: VenueOrder) -> VenueReport | None:
        """The LP's answer to an OrderStatusRequest (ClOrdID, Symbol, Side); None when it has no such order. An
        order this adapter did not place (before a restart) is adopted when the LP knows it. VenueDown when the
        trade session is down or the LP does not answer within request_timeout."""
        order_id = order.order_id
        if order_id not in self._orders.orders and self._instruments.get(order.symbol) is None:
            return None  # not a symbol this LP trades: it cannot have the order
        self._require_trade()
        waiter = self._answers.expect(order_id)
        try:
            await self._send_trade(*self._orders.status_request(order, f"S{next(self._ids)}"), order_id)
            return await asyncio.wait_for(waiter, self.config.request_timeout)
        except TimeoutError:
            self._orders.forget_asked(order_id)
            raise VenueDown(f"{self.name}: no answer to the status request for {order_id}") from None
        finally:
            self._answers.forget(order_id, waiter)

    def health(self) -> Health:
        latency = self._probe_latency_ms if self._probe_latency_ms is not None else self._orders.ack_latency_ms
        return Health(connected=self._ready, latency_ms=latency, last_message_at=self._last_message_at,
                      logon_refused=next(iter(self._refused.values()), None))

    @property
    def subscription_errors(self) -> dict[str, str]:
        """Symbol -> the LP's reason, for subscriptions it refused (MarketDataRequestReject)."""
        return dict(self._market.errors)

    # ------------------------------------------------------------------ session events (from _Sessions)
    async def _logged_in(self, session_id: SessionID) -> None:
        self._logged_on.add(session_id)
        self._refused.pop(session_id, None)
        log.info("adapters.primexm.session_logon", venue=self.name, session=str(session_id))
        if session_id == self._quote_id:
            for symbol in sorted(self._market.wanted):
                await self._send(session_id, b"V", self._market.request(symbol))
        elif session_id == self._trade_id:
            self._sent.clear()  # ResetSeqNumFlag: numbers start again at 1
            self._stop_reconciling()
            self._reconciling = asyncio.create_task(self._reconcile())  # its answers come on this same session
        self._notify()

    async def _logged_out(self, session_id: SessionID) -> None:
        self._logged_on.discard(session_id)
        log.warning("adapters.primexm.session_logout", venue=self.name, session=str(session_id))
        if session_id == self._quote_id:
            self._market.session_down()
        elif session_id == self._trade_id:
            self._ready = False
            self._stop_reconciling()
            self._sent.clear()
            self._probe = None
            self._answers.fail(f"{self.name}: trade session lost")
        self._notify()

    async def _logon_failed(self, session_id: SessionID, reason: str) -> None:
        """A connection that ended before its logon: ``reason`` is the LP's Logout Text, or the close or timeout
        with none; health says it until a logon succeeds. Closing ourselves is no refusal."""
        if self._initiator is None:
            return
        self._refused[session_id] = reason
        log.error("adapters.primexm.logon_refused", venue=self.name, session=str(session_id), text=reason)
        self._notify()

    async def _admin(self, message: Message, session_id: SessionID) -> None:
        self._last_message_at = self._clock()
        msg_type = message.msg_type
        if msg_type == b"0" and self._probe is not None and message.get_str(112) == self._probe[0]:
            self._probe_latency_ms = (time.monotonic() - self._probe[1]) * 1000
            self._probe = None
        elif msg_type == b"5" and session_id in self._logged_on:   # before logon, a refusal: ``_logon_failed``
            log.warning("adapters.primexm.logout_received", venue=self.name, session=str(session_id),
                        text=message.get_str(58) or "no reason given")
        elif msg_type == b"3" and session_id == self._trade_id:
            tag = message.get_str(371)
            reason = message.get_str(58) or "session-level reject"
            self._refusal(message.get_int(45), message.get(372), None, f"{reason} (tag {tag})" if tag else reason,
                          "venue_rejected")  # our message broke the session's rules

    async def _app(self, message: Message, session_id: SessionID) -> None:
        self._last_message_at = self._clock()
        msg_type = message.msg_type
        if session_id == self._quote_id:
            if msg_type == b"j":
                log.warning("adapters.primexm.quote_message_refused", venue=self.name,
                            ref_msg_type=message.get_str(372), text=message.get_str(58))
                return
            quotes, replies = self._market.on_message(message)
            for quote in quotes:
                deliver(self._quote_callbacks, quote, venue=self.name, what="quote")
            for reply_type, body in replies:
                await self._send(session_id, reply_type, body)
            return
        if msg_type == b"8":
            self._answer(self._orders.on_execution_report(message))
        elif msg_type == b"9":
            self._orders.on_cancel_reject(message)
        elif msg_type == b"j":
            reason, text = message.get_int(380), message.get_str(58)
            self._refusal(message.get_int(45), message.get(372), message.get_str(379),
                          text or _business_reason(reason), reject_code(380, str(reason), text))
        else:
            log.warning("adapters.primexm.unexpected_trade_message", venue=self.name,
                        msg_type=msg_type.decode("latin-1"))

    async def _reconcile(self) -> None:
        """An OrderStatusRequest for every open order, then their answers (or request_timeout), then new flow."""
        open_orders = self._orders.open_orders()
        if open_orders:
            log.info("adapters.primexm.reconcile", venue=self.name, orders=[o.order_id for o in open_orders])
        asks = {order.order_id: functools.partial(
            self._send_trade, *self._orders.status_request(order, f"S{next(self._ids)}", reconcile=True),
            order.order_id) for order in open_orders}
        try:
            unanswered = await self._answers.settle(asks, self.config.request_timeout)
        except VenueDown:
            return  # the session went again: its next logon reconciles
        if unanswered:
            log.warning("adapters.primexm.reconcile_unanswered", venue=self.name, orders=unanswered)
        if self._trade_id in self._logged_on:
            self._ready = True
            log.info("adapters.primexm.trade_ready", venue=self.name, reconciled=len(asks))
            self._notify()

    def _stop_reconciling(self) -> None:
        if self._reconciling is not None:
            self._reconciling.cancel()
            self._reconciling = None

    # ------------------------------------------------------------------ helpers
    def _refusal(self, ref_seq_num: int | None, ref_msg_type: bytes | None, ref_id: str | None, text: str,
                 code: str) -> None:
        """A BusinessMessageReject or Reject of one of our trade messages, matched by MsgSeqNum (or the id)."""
        sent = self._sent.pop(ref_seq_num, None) if ref_seq_num is not None else None
        msg_type, order_id = sent if sent is not None else (ref_msg_type or b"", ref_id)
        self._answer(self._orders.refused(msg_type, order_id, text, code))

    def _answer(self, answer: StatusAnswer | None) -> None:
        if answer is not None:
            self._answers.answer(*answer)

    def _require_trade(self) -> None:
        if self._initiator is None or self._trade_id not in self._logged_on:
            raise VenueDown(f"{self.name}: trade session is not logged on")

    def _require_ready(self) -> None:
        self._require_trade()
        if not self._ready:
            raise VenueDown(f"{self.name}: reconciling open orders after the trade session's logon")

    async def _send_trade(self, msg_type: bytes, body: Body, order_id: str | None) -> None:
        """Send on the trade session, remembering the MsgSeqNum so a refusal can be matched to its order."""
        self._require_trade()
        assert self._initiator is not None
        seq_num = self._initiator.sessions[self._trade_id].next_sender_seq_num
        self._sent[seq_num] = (msg_type, order_id)
        if len(self._sent) > MAX_TRACKED_SENDS:
            del self._sent[next(iter(self._sent))]
        await self._initiator.send_to_target(self._trade_id, msg_type, body)

    async def _send(self, session_id: SessionID, msg_type: bytes, body: Body) -> None:
        if self._initiator is not None and session_id in self._logged_on:
            await self._initiator.send_to_target(session_id, msg_type, body)

    async def _probe_latency(self) -> None:
        """A TestRequest every latency_probe_interval; its Heartbeat gives the round trip."""
        while True:
            if self._initiator is not None and self._trade_id in self._logged_on:
                probe_id = f"probe-{next(self._ids)}"
                self._probe = (probe_id, time.monotonic())
                await self._initiator.send_to_target(self._trade_id, b"1", [(112, probe_id)])
            await asyncio.sleep(self.config.latency_probe_interval)

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()


def _business_reason(code: int | None) -> str:
    try:
        return BusinessRejectReason(code).text if code is not None else "refused"
    except ValueError:
        return "refused"


class _Sessions(Application):
    """fix_sessions' callbacks, handed to the venue; what one of them raises ends neither session."""

    def __init__(self, venue: PrimeXMVenue) -> None:
        self._venue = venue

    @contained
    async def on_logon(self, session_id: SessionID) -> None:
        await self._venue._logged_in(session_id)

    @contained
    async def on_logout(self, session_id: SessionID) -> None:
        await self._venue._logged_out(session_id)

    @contained
    async def on_logon_failed(self, session_id: SessionID, reason: str) -> None:
        await self._venue._logon_failed(session_id, reason)

    @contained
    async def from_admin(self, message: Message, session_id: SessionID) -> None:
        await self._venue._admin(message, session_id)

    @contained
    async def from_app(self, message: Message, session_id: SessionID) -> None:
        await self._venue._app(message, session_id)
