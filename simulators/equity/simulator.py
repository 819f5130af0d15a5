"""The simulated equity broker: a FIX 4.2 acceptor that trades US, HK and IN stocks by their exchanges' rules.

Market time is ``clock`` (tests set it); FIX session time stays real. Orders outside the market's hours, off the
lot, off the tick or outside the band, and US short sales without a locate, are rejected with ExecType=8, a Text
and OrdRejReason (2 exchange closed, 1 unknown symbol, 6 duplicate, 0 for the rest). QA drives it through the
scenario methods: ``set_clock``, ``set_price``, ``set_liquidity``, ``set_previous_close``, ``reject_next``,
``add_latency``, ``drop_session``, ``end_day``, ``inject_report``.

With ``state_path`` each stock's last price and previous close, and the OrderID and ExecID counters, are kept in
a file (simulators/state.py): a restarted broker quotes on from where it stopped and never gives an id twice.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from decimal import Decimal
from pathlib import Path

import structlog

from fix_sessions.application import Application, RejectLogon
from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_sessions.transport import SocketAcceptor
from fix_specs import path as spec_path
from simulators.equity import messages
from simulators.equity.book import Execution, SimOrder, StockBook
from simulators.equity.clock import MarketClock
from simulators.equity.fields import TERMINAL, OrdStatus, OrdType, TimeInForce
from simulators.equity.market_rules import Refusal
from simulators.equity.messages import Body, Reports, UnsupportedTerms
from simulators.equity.stocks import STOCKS, Listings
from simulators.history import DEPTH, PastBar, PastWalk
from simulators.state import Ids, StateFile, keep_saving

log = structlog.get_logger("simulators.equity")

D = Decimal


def _rejection_code(refusal: Refusal) -> str:
    """OrdRejReason(103) for a broken exchange rule: closed market is 2, anything else 0 (broker option)."""
    return "2" if refusal.code == "market_closed" else "0"


class EquitySimulator(Application):
    """One acceptor session, ``sender_comp_id`` (the broker) to ``target_comp_id`` (the hub). ``walk_interval``
    seconds between random-walk steps of every open market's prices (None: prices move only when set)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, sender_comp_id: str = "EQBROKER",
                 target_comp_id: str = "DYNAMICTECH", clock: MarketClock | None = None,
                 walk_interval: float | None = None, seed: int | None = None,
                 state_path: Path | str | None = None) -> None:
        self.clock = clock or MarketClock()
        self.listings = Listings()
        self.books = {s.symbol: StockBook(s, s.opening_price, s.lot * 10 if s.lot > 1 else D(1000)) for s in STOCKS}
        self._state = StateFile(state_path) if state_path is not None else None
        saved = (self._state.load() if self._state is not None else None) or {}
        for symbol, (price, previous_close) in saved.get("prices", {}).items():
            if symbol in self.books:
                book = self.books[symbol]
                book.reference, book.previous_close = D(price), D(previous_close)
                book.rebuild()
        self._order_ids = Ids(int(saved.get("next_order_id", 1)))
        self._reports = Reports(Ids(int(saved.get("next_exec_id", 1))))
        if self._state is not None:
            self._order_ids.on_reserve = self._reports.ids.on_reserve = self._save
        self.session_id = SessionID("FIX.4.2", sender_comp_id, target_comp_id)
        self._past = PastWalk(volatility=0.0001, seed=seed if seed is not None else 7)
        self.acceptor = SocketAcceptor([SessionConfig(
            session_id=self.session_id, connection_type="acceptor", socket_accept_host=host,
            socket_accept_port=port, data_dictionary=str(spec_path("FIX42.xml")), socket_reuse_address=True,
            validate_user_defined_fields=False,  # LocateBroker(5700) is user-defined: FIX 4.2 has no such field
        )], self)
        self.received: list[Message] = []  # every application message from the hub, in order
        self.logons = 0
        self.orders: dict[str, SimOrder] = {}  # by OrderID
        self._aliases: dict[str, str] = {}  # every ClOrdID an order went by -> OrderID
        self._subscriptions: dict[str, str] = {}  # stock symbol -> MDReqID
        self._published: dict[str, tuple[object, ...]] = {}
        self._reject_next: list[str] = []
        self._latency = 0.0
        self._held_until = 0.0
        self._lose_reports = False
        self._logged_on = False
        self._walk_interval = walk_interval
        self._random = random.Random(seed)
        self._walker: asyncio.Task[None] | None = None
        self._saver: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ life
    async def start(self) -> None:
        await self.acceptor.start()
        if self._walk_interval:
            self._walker = asyncio.create_task(self._walk())
        if self._state is not None:
            self._saver = asyncio.create_task(keep_saving(self._save))
        log.info("equity_sim.started", address=self.address)

    async def stop(self) -> None:
        for task in (self._walker, self._saver):
            if task is not None:
                task.cancel()
        await self.acceptor.stop(logout_wait=0.5)
        if self._state is not None:
            self._save()

    @property
    def port(self) -> int:
        return self.acceptor.ports[0]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}" if self.acceptor.ports else "not listening"

    # ------------------------------------------------------------------ scenario API
    def set_clock(self, moment: dt.datetime) -> None:
        self.clock.set(moment)
        log.info("equity_sim.clock_set", market_time=moment.isoformat())

    async def set_price(self, symbol: str, price: Decimal) -> None:
        """Move the reference price: the book is rebuilt around it and resting orders it reaches fill."""
        book = self.books[symbol]
        log.info("equity_sim.price_set", symbol=symbol, price=str(price))
        await self._executed(book.move(price))
        await self._publish(book)

    async def set_liquidity(self, symbol: str, level_size: Decimal, depth: int | None = None) -> None:
        """Shares per level (and levels per side): thin levels make market orders fill in parts."""
        book = self.books[symbol]
        book.level_size, book.depth = level_size, depth or book.depth
        log.info("equity_sim.liquidity_set", symbol=symbol, level_size=str(level_size), depth=book.depth)
        await self._executed(book.move(book.reference))
        await self._publish(book)

    def set_previous_close(self, symbol: str, price: Decimal) -> None:
        """The close that NSE bands (and ticks) are computed from; sent with the next snapshot."""
        self.books[symbol].previous_close = price

    def past_bars(self, symbol: str, seconds: int, start: dt.datetime, end: dt.datetime) -> list[PastBar]:
        """Bars of the reference price opening in [start, end), a walk ending at today's price (for charts)."""
        book = self.books[symbol]
        return self._past.bars(symbol, seconds, book.reference, book.tick(book.reference),
                               dt.datetime.now(dt.timezone.utc), start, end - dt.timedelta(microseconds=1), DEPTH)

    def reject_next(self, text: str = "broker_option: rejected by the simulated broker", count: int = 1) -> None:
        """The next ``count`` orders, cancels or replaces are refused with ``text``."""
        self._reject_next += [text] * count

    def add_latency(self, seconds: float) -> None:
        """Every message from the hub waits this long before the broker acts on it."""
        self._latency = seconds

    async def drop_session(self, hold_down: float = 0.0, lose_reports: bool = False) -> None:
        """Cut the TCP connection. ``hold_down``: refuse logons for that many seconds. ``lose_reports``:
        reports produced while the hub is away are never sent (only an OrderStatusRequest can find them)."""
        self._held_until = time.monotonic() + hold_down
        self._lose_reports = lose_reports
        connection = self.acceptor.connections.get(self.session_id)
        if connection is not None:
            connection.writer.transport.abort()
        async with asyncio.timeout(5):
            while self._logged_on or self.session_id in self.acceptor.connections:
                await asyncio.sleep(0.005)
        log.info("equity_sim.session_dropped", hold_down=hold_down, lose_reports=lose_reports)

    async def end_day(self) -> None:
        """The close: every resting DAY order expires (ExecType C); GTC orders stay."""
        for book in self.books.values():
            for order in [o for o in book.resting.values() if o.time_in_force is TimeInForce.DAY]:
                del book.resting[order.order_id]
                order.status = OrdStatus.EXPIRED
                await self._send(b"8", self._reports.execution(order, "C", text="end of day"))
        log.info("equity_sim.day_ended")

    async def inject_report(self, body: Body) -> None:
        """One ExecutionReport with exactly these fields, outside the book: a broken or unexpected report, as QA
        feeds one."""
        await self._send(b"8", body)

    def order(self, cl_ord_id: str) -> SimOrder | None:
        order_id = self._aliases.get(cl_ord_id)
        return self.orders.get(order_id) if order_id else None

    # ------------------------------------------------------------------ FIX callbacks
    def accept_logon(self, message: Message, session_id: SessionID) -> None:
        if time.monotonic() < self._held_until:
            raise RejectLogon("simulated outage: try again later")

    async def on_logon(self, session_id: SessionID) -> None:
        self._logged_on, self._lose_reports = True, False
        self.logons += 1

    async def on_logout(self, session_id: SessionID) -> None:
        self._logged_on = False
        self._subscriptions.clear()
        self._published.clear()

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        self.received.append(message)
        if self._latency:
            await asyncio.sleep(self._latency)
        handler = {b"D": self._new_order, b"F": self._cancel, b"G": self._replace, b"H": self._status,
                   b"V": self._market_data}.get(message.msg_type)
        if handler is not None:
            await handler(message)

    # ------------------------------------------------------------------ orders
    async def _new_order(self, message: Message) -> None:
        cl_ord_id = message.get_str(11, "")
        if cl_ord_id in self._aliases and message.get(43) == b"Y":
            return  # a resend of an order we already have
        try:
            order = messages.read_order(message)
        except UnsupportedTerms as error:
            order = SimOrder(cl_ord_id, message.get_str(55, ""), message.get_str(207, ""), message.get_str(54, ""),
                             OrdType.LIMIT, TimeInForce.DAY, D(0), status=OrdStatus.REJECTED,
                             order_id=f"EQ-{next(self._order_ids)}")
            await self._send(b"8", self._reports.execution(order, "8", text=f"unsupported: {error}",
                                                           reject_reason="0"))
            return
        order.order_id = f"EQ-{next(self._order_ids)}"
        order.stock = self.listings.find(order.ticker, order.mic or None)
        refusal = self._refusal(order, duplicate=cl_ord_id in self._aliases)
        self.orders[order.order_id] = order
        self._aliases.setdefault(cl_ord_id, order.order_id)
        if refusal is not None:
            text, reason = refusal
            order.status = OrdStatus.REJECTED
            log.info("equity_sim.rejected", cl_ord_id=cl_ord_id, reason=text)
            await self._send(b"8", self._reports.execution(order, "8", text=text, reject_reason=reason))
            return
        await self._send(b"8", self._reports.execution(order, "0"))
        assert order.stock is not None
        book = self.books[order.stock.symbol]
        await self._work(book, order)
        await self._publish(book)

    def _refusal(self, order: SimOrder, duplicate: bool) -> tuple[str, str] | None:
        """(Text, OrdRejReason) if the exchange would not take the order."""
        if duplicate:
            return f"duplicate_order: ClOrdID {order.cl_ord_id} was used before", "6"
        if self._reject_next:
            return self._reject_next.pop(0), "0"
        stock = order.stock
        if stock is None:
            return f"unknown_symbol: {order.ticker} on {order.mic or '?'} is not listed here", "1"
        if order.side not in ("1", "2", "5"):
            return f"unsupported: side {order.side}", "0"
        if order.time_in_force is TimeInForce.GTD:
            return "unsupported: GTD orders are not taken", "0"
        refusal = stock.market.check_order(
            ord_type=order.ord_type, quantity=order.quantity, price=order.price, stop_price=order.stop_price,
            lot=stock.lot, band_percent=stock.band_percent, previous_close=self.books[stock.symbol].previous_close,
            moment=self.clock.now()) or stock.market.check_locate(order.side, order.locate_reqd, order.locate_broker)
        return (str(refusal), _rejection_code(refusal)) if refusal else None

    async def _work(self, book: StockBook, order: SimOrder) -> None:
        """Trigger, match and then rest or cancel what is left, as the order's type and time in force say."""
        if not order.triggered:
            order.triggered = (book.reference >= order.stop_price if order.buying
                               else book.reference <= order.stop_price)  # type: ignore[operator]
        if order.triggered:
            if order.time_in_force is TimeInForce.FOK and book.available(order) < order.leaves:
                await self._close(order, OrdStatus.CANCELED, "fill or kill: not enough liquidity within the limit")
                return
            await self._executed(book.match(order))
        if order.leaves == 0:
            book.resting.pop(order.order_id, None)
        elif order.triggered and (order.limit is None or order.time_in_force is TimeInForce.IOC):
            book.resting.pop(order.order_id, None)
            await self._close(order, OrdStatus.CANCELED, "immediate or cancel: no more liquidity within the limit")
        else:
            book.resting[order.order_id] = order

    async def _cancel(self, message: Message) -> None:
        order = self.order(message.get_str(41, ""))
        if self._reject_next:
            await self._send(b"9", messages.cancel_reject(message, order, "1", "2", self._reject_next.pop(0)))
            return
        if order is None or order.status in TERMINAL:
            reason, text = ("1", "unknown order") if order is None else (
                "0", f"too late: order is {order.status.name.lower()}")
            await self._send(b"9", messages.cancel_reject(message, order, "1", reason, text))
            return
        assert order.stock is not None
        self.books[order.stock.symbol].resting.pop(order.order_id, None)
        self._rename(order, message.get_str(11, ""))
        order.status = OrdStatus.CANCELED
        await self._send(b"8", self._reports.execution(order, "4", orig_cl_ord_id=message.get_str(41)))

    async def _replace(self, message: Message) -> None:
        order = self.order(message.get_str(41, ""))
        if self._reject_next:
            await self._send(b"9", messages.cancel_reject(message, order, "2", "2", self._reject_next.pop(0)))
            return
        if order is None or order.status in TERMINAL:
            reason, text = ("1", "unknown order") if order is None else ("0", "too late: order is closed")
            await self._send(b"9", messages.cancel_reject(message, order, "2", reason, text))
            return
        assert order.stock is not None
        stock, book = order.stock, self.books[order.stock.symbol]
        quantity = messages.decimal_field(message, 38) or order.quantity
        price, stop_price = messages.decimal_field(message, 44), messages.decimal_field(message, 99)
        refusal = stock.market.check_order(
            ord_type=order.ord_type, quantity=quantity, price=price, stop_price=stop_price, lot=stock.lot,
            band_percent=stock.band_percent, previous_close=book.previous_close, moment=self.clock.now())
        if refusal is None and quantity <= order.cum_qty:
            refusal = Refusal("below_filled", f"quantity {quantity} is not above the {order.cum_qty} filled")
        if refusal is not None:
            await self._send(b"9", messages.cancel_reject(message, order, "2", "2", str(refusal)))
            return
        order.quantity, order.price, order.stop_price = quantity, price, stop_price
        self._rename(order, message.get_str(11, ""))
        await self._send(b"8", self._reports.execution(order, "5", orig_cl_ord_id=message.get_str(41)))
        await self._work(book, order)
        await self._publish(book)

    async def _status(self, message: Message) -> None:
        order = self.order(message.get_str(11, ""))
        await self._send(b"8", self._reports.status(order) if order else self._reports.unknown_order(message))

    def _rename(self, order: SimOrder, cl_ord_id: str) -> None:
        order.cl_ord_id = cl_ord_id
        self._aliases[cl_ord_id] = order.order_id

    async def _close(self, order: SimOrder, status: OrdStatus, text: str) -> None:
        order.status = status
        await self._send(b"8", self._reports.execution(order, "4", text=text))

    async def _executed(self, executions: list[Execution]) -> None:
        for execution in executions:
            order = execution.order
            exec_type = "2" if order.status is OrdStatus.FILLED else "1"
            log.info("equity_sim.fill", order_id=order.order_id, quantity=str(execution.quantity),
                     price=str(execution.price))
            await self._send(b"8", self._reports.execution(order, exec_type,
                                                           last=(execution.quantity, execution.price)))

    # ------------------------------------------------------------------ market data
    async def _market_data(self, message: Message) -> None:
        md_req_id = message.get_str(262, "")
        subscription = message.get_str(263, "0")
        for ticker, mic in messages.instruments_requested(message):
            stock = self.listings.find(ticker, mic)
            if stock is None:
                await self._send(b"Y", [(262, md_req_id), (281, "0"), (58, f"unknown symbol {ticker}")])
                continue
            if subscription == "2":
                self._subscriptions.pop(stock.symbol, None)
                continue
            book = self.books[stock.symbol]
            await self._send(b"W", messages.snapshot(md_req_id, book))
            if subscription == "1":
                self._subscriptions[stock.symbol] = md_req_id
                self._published[stock.symbol] = self._top(book)

    async def _publish(self, book: StockBook) -> None:
        """An incremental refresh for a subscribed stock whose top of book changed."""
        symbol = book.stock.symbol
        top = self._top(book)
        if symbol in self._subscriptions and self._published.get(symbol) != top:
            self._published[symbol] = top
            await self._send(b"X", messages.incremental(book))

    @staticmethod
    def _top(book: StockBook) -> tuple[object, ...]:
        bid, ask = book.top()
        return (bid.price, bid.size) if bid else (), (ask.price, ask.size) if ask else ()

    async def _walk(self) -> None:
        """Each open market's prices step a tick up, down or not at all; NSE prices stay inside their band."""
        assert self._walk_interval is not None
        while True:
            await asyncio.sleep(self._walk_interval)
            now = self.clock.now()
            for book in self.books.values():
                stock = book.stock
                if not stock.market.is_open(now):
                    continue
                direction = self._random.choice((-1, 0, 1))
                if direction == 0:
                    continue
                price = book.step(book.reference, up=direction > 0)
                if price <= 0 or stock.market.check_band(price, book.previous_close, stock.band_percent):
                    continue
                await self._executed(book.move(price))
                await self._publish(book)

    def _save(self) -> None:
        """Prices and the id counters into the state file: periodically, at stop, before each block of ids."""
        assert self._state is not None
        self._state.save({"prices": {s: [str(b.reference), str(b.previous_close)] for s, b in self.books.items()},
                          "next_order_id": self._order_ids.restart_at, "next_exec_id": self._reports.ids.restart_at})

    async def _send(self, msg_type: bytes, body: Body) -> None:
        if not self._logged_on and self._lose_reports:
            log.info("equity_sim.report_lost", msg_type=msg_type.decode("latin-1"))
            return
        await self.acceptor.send_to_target(self.session_id, msg_type, body)
