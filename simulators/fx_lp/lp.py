"""FxLP: a FIX 4.4 acceptor with a quote and a trade session, speaking PrimeXM's dialect (W then MassQuote) or
plain FIX 4.4 (W then MarketDataIncrementalRefresh), with a scenario API for QA. ``updates`` and ``issuer`` mix the
two market data shapes as XCore may: MarketDataIncrementalRefresh in PrimeXM's dialect, Issuer(106) on each W and X
entry in plain FIX 4.4.

Scenario API (what a test calls): ``set_price``, ``push_entry`` (one MassQuote/X entry with only the fields
given), ``pause_stream``/``resume_stream``, the Matcher's knobs through ``partial_fill_ratio``, ``slippage``,
``reject_next`` (last look), ``latency``, ``refuse`` (answer F/G/H with BusinessMessageReject as an LP without
them would), ``drop_sessions`` (and refuse their logons for a while), ``drop_trade_on_next_order`` (the order is
filled, or lost, as the connection goes), ``inject_report`` (one ExecutionReport of QA's own making).

With ``state_path`` the last prices and the OrderID/ExecID counter are kept in a file (simulators/state.py), so a
restarted LP quotes on from where it stopped and never repeats an ExecID.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import structlog

from fix_sessions.application import Application, RejectLogon
from fix_sessions.codec import Message
from fix_sessions.reject import UnsupportedMessageType
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_sessions.transport import SocketAcceptor
from fix_specs import path as spec_path
from simulators.fx_lp.orders import Body, Matcher, Outbound
from simulators.fx_lp.pricing import SPECS, Level, PriceBook
from simulators.history import DEPTH, PastBar, PastWalk
from simulators.runtime import stop_signal
from simulators.state import Ids, StateFile, keep_saving

log = structlog.get_logger("simulators.fx_lp")

DICTIONARIES = {"primexm": "PRIMEXM44.xml", "fix44": "FIX44.xml"}
_LEVEL_FIELDS = ("bid", "ask", "bid_size", "ask_size")


@dataclass(frozen=True)
class FxLPConfig:
    host: str = "127.0.0.1"
    port: int = 0                       # 0: any free port (see FxLP.port)
    comp_id: str = "PXM"
    quote_client: str = "DT_QUOTE"      # the clients' SenderCompIDs
    trade_client: str = "DT_TRADE"
    username: str = "demo"
    password: str = field(default="demo", repr=False)
    dialect: str = "primexm"            # or "fix44": 35=X updates, StopPx, standard dictionary
    symbols: tuple[str, ...] = tuple(SPECS)
    depth: int = 3
    tick_interval: float = 0.25         # seconds between random-walk steps
    quote_id_every: int = 0             # every Nth MassQuote asks for a MassQuoteAcknowledgement (0: never)
    updates: str | None = None          # "i" MassQuote or "X" MarketDataIncrementalRefresh (None: the dialect's)
    issuer: bool | None = None          # Issuer(106) on each W and X entry (None: the dialect's, primexm only)
    seed: int | None = None
    state_path: Path | None = None      # prices and id counters kept here across restarts (None: none kept)

    @property
    def update_msg_type(self) -> bytes:
        """The MsgType of the updates that follow a snapshot."""
        if self.updates is None:
            return b"i" if self.dialect == "primexm" else b"X"
        return self.updates.encode("ascii")

    @property
    def issuer_per_entry(self) -> bool:
        return self.dialect == "primexm" if self.issuer is None else self.issuer

    @property
    def quote_session_id(self) -> SessionID:
        return SessionID("FIX.4.4", self.comp_id, self.quote_client)

    @property
    def trade_session_id(self) -> SessionID:
        return SessionID("FIX.4.4", self.comp_id, self.trade_client)


class FxLP(Application):
    def __init__(self, config: FxLPConfig = FxLPConfig()) -> None:
        if config.dialect not in DICTIONARIES:
            raise ValueError(f"dialect must be one of {', '.join(DICTIONARIES)}")
        if config.update_msg_type not in (b"i", b"X"):
            raise ValueError(f"updates must be i (MassQuote) or X (incremental refresh), got {config.updates!r}")
        self.config = config
        rng = random.Random(config.seed)
        self.books = {symbol: PriceBook(SPECS[symbol], config.depth, rng) for symbol in config.symbols}
        self._state = StateFile(config.state_path) if config.state_path is not None else None
        saved = (self._state.load() if self._state is not None else None) or {}
        for symbol, (bid, ask) in saved.get("prices", {}).items():
            if symbol in self.books:
                self.books[symbol].set_top(Decimal(bid), Decimal(ask))
        self.matcher = Matcher(self.books, config.dialect, ids=Ids(int(saved.get("next_id", 1))))
        if self._state is not None:
            self.matcher.ids.on_reserve = self._save
        self.latency = 0.0                  # seconds before an order is answered
        self.refused_types: set[bytes] = set()
        self.received: list[tuple[SessionID, Message]] = []
        self.acks: list[str] = []           # QuoteIDs the client acknowledged
        self.rejects: list[Message] = []    # session Rejects (35=3) the clients sent: what they could not read
        self.logons: dict[SessionID, int] = {config.quote_session_id: 0, config.trade_session_id: 0}
        self._subscriptions: dict[str, str] = {}   # MDReqID -> symbol
        self._logged_on: set[SessionID] = set()
        self._streaming = True
        self._drop_next_order = False
        self._take_dropped_order = True
        self._held_until: dict[SessionID, float] = {}   # logons refused until then (time.monotonic)
        self._quote_ids = itertools.count(1)
        self._mass_quotes = 0
        self._acceptor: SocketAcceptor | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._past = PastWalk(seed=config.seed if config.seed is not None else 7)

    # ------------------------------------------------------------------ life
    async def start(self) -> None:
        dictionary = str(spec_path(DICTIONARIES[self.config.dialect]))
        configs = [SessionConfig(session_id=session_id, connection_type="acceptor",
                                 socket_accept_host=self.config.host, socket_accept_port=self.config.port,
                                 data_dictionary=dictionary, persist_messages=False, socket_reuse_address=True)
                   for session_id in (self.config.quote_session_id, self.config.trade_session_id)]
        self._acceptor = SocketAcceptor(configs, self)
        await self._acceptor.start()
        self._spawn(self._stream())
        if self._state is not None:
            self._spawn(keep_saving(self._save))
        log.info("simulators.fx_lp.started", port=self.port, dialect=self.config.dialect)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._acceptor is not None:
            await self._acceptor.stop(logout_wait=0.5)
            self._acceptor = None
        if self._state is not None:
            self._save()

    @property
    def port(self) -> int:
        assert self._acceptor is not None, "start() first"
        return self._acceptor.ports[0]

    # ------------------------------------------------------------------ scenario API
    def set_price(self, symbol: str, bid: Decimal, ask: Decimal) -> None:
        """Top of book exactly here (deeper levels follow); subscribers see it and resting orders match."""
        book = self.books[symbol]
        before = list(book.levels)
        book.set_top(bid, ask)
        self._spawn(self._publish_changes(symbol, before))

    def past_bars(self, symbol: str, seconds: int, start: dt.datetime, end: dt.datetime) -> list[PastBar]:
        """Scenario API: bars of the bid opening in [start, end), a walk ending at today's bid (for charts)."""
        book = self.books[symbol]
        if book.bid is None:
            return []
        return self._past.bars(symbol, seconds, book.bid, book.spec.tick, dt.datetime.now(dt.timezone.utc), start,
                               end - dt.timedelta(microseconds=1), DEPTH)

    def push_entry(self, symbol: str, level: int = 0, *, bid: Decimal | None = None, ask: Decimal | None = None,
                   bid_size: Decimal | None = None, ask_size: Decimal | None = None) -> None:
        """Send one update entry carrying only the fields given (a one-sided or partial update)."""
        given = {name: value for name, value in zip(_LEVEL_FIELDS, (bid, ask, bid_size, ask_size))
                 if value is not None}
        self.books[symbol].set_level(level, **given)
        self._spawn(self._publish(symbol, {level: given}))

    def pause_stream(self) -> None:
        self._streaming = False

    def resume_stream(self) -> None:
        self._streaming = True

    @property
    def partial_fill_ratio(self) -> Decimal | None:
        return self.matcher.partial_fill_ratio

    @partial_fill_ratio.setter
    def partial_fill_ratio(self, ratio: Decimal | None) -> None:
        self.matcher.partial_fill_ratio = ratio

    @property
    def slippage(self) -> Decimal:
        return self.matcher.slippage

    @slippage.setter
    def slippage(self, amount: Decimal) -> None:
        self.matcher.slippage = amount

    def reject_next(self, text: str = "Off quotes", count: int = 1) -> None:
        """Last look: the next ``count`` orders are refused with ``text``."""
        self.matcher.last_look += [text] * count

    def refuse(self, *msg_types: str) -> None:
        """Answer these message types (e.g. "F", "G", "H") with BusinessMessageReject, as an LP without them."""
        self.refused_types = {t.encode("ascii") for t in msg_types}

    def drop_sessions(self, *session_ids: SessionID, hold_down: float = 0.0) -> None:
        """Cut the TCP connections (all, or the given sessions) without a Logout; for ``hold_down`` seconds their
        logons are then refused (a Logout with the reason), as an LP in an outage refuses them."""
        assert self._acceptor is not None
        for session_id in session_ids or tuple(self.logons):
            self._held_until[session_id] = time.monotonic() + hold_down
        for session_id, connection in list(self._acceptor.connections.items()):
            if not session_ids or session_id in session_ids:
                log.info("simulators.fx_lp.drop", session=str(session_id))
                connection.writer.transport.abort()

    def drop_trade_on_next_order(self, taken: bool = True) -> None:
        """The trade connection drops on the next order, before any report gets out; the order is taken (and
        filled if it can be) or, with ``taken=False``, lost as if it never arrived."""
        self._drop_next_order = True
        self._take_dropped_order = taken

    async def inject_report(self, body: Body) -> None:
        """One ExecutionReport with exactly these fields on the trade session, outside the matcher: a broken or
        unexpected report, as QA feeds one."""
        await self._send_all(self.config.trade_session_id, [(b"8", body)])

    def logged_on(self, session_id: SessionID) -> bool:
        return session_id in self._logged_on

    # ------------------------------------------------------------------ fix_sessions callbacks
    def accept_logon(self, message: Message, session_id: SessionID) -> None:
        if time.monotonic() < self._held_until.get(session_id, 0.0):
            raise RejectLogon("Session unavailable, try again later")
        if message.get_str(553) != self.config.username or message.get_str(554) != self.config.password:
            log.warning("simulators.fx_lp.logon_refused", session=str(session_id))
            raise RejectLogon("Invalid username or password")

    async def on_logon(self, session_id: SessionID) -> None:
        self._logged_on.add(session_id)
        self.logons[session_id] = self.logons.get(session_id, 0) + 1

    async def from_admin(self, message: Message, session_id: SessionID) -> None:
        if message.msg_type == b"3":
            self.rejects.append(message)
            log.warning("simulators.fx_lp.rejected_by_client", session=str(session_id),
                        ref_msg_type=message.get_str(372), ref_tag=message.get_str(371),
                        reason=message.get_str(373), text=message.get_str(58))

    async def on_logout(self, session_id: SessionID) -> None:
        self._logged_on.discard(session_id)
        if session_id == self.config.quote_session_id:
            self._subscriptions.clear()

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        self.received.append((session_id, message))
        msg_type = message.msg_type
        if session_id == self.config.quote_session_id:
            await self._quote_request(message, session_id)
            return
        if msg_type in self.refused_types:
            raise UnsupportedMessageType()
        if msg_type == b"D":
            if self.latency:
                self._spawn(self._order_later(message, session_id))
            else:
                await self._order(message, session_id)
        elif msg_type == b"F":
            await self._send_all(session_id, self.matcher.cancel(message))
        elif msg_type == b"G":
            await self._send_all(session_id, self.matcher.replace(message))
        elif msg_type == b"H":
            await self._send_all(session_id, self.matcher.status(message))
        else:
            raise UnsupportedMessageType()

    # ------------------------------------------------------------------ orders
    async def _order_later(self, message: Message, session_id: SessionID) -> None:
        await asyncio.sleep(self.latency)
        await self._order(message, session_id)

    async def _order(self, message: Message, session_id: SessionID) -> None:
        if self._drop_next_order:
            self._drop_next_order = False
            reports = self.matcher.new_order(message) if self._take_dropped_order else []
            log.info("simulators.fx_lp.dropped_with_order", taken=self._take_dropped_order, reports=len(reports))
            self.drop_sessions(session_id)
            return
        await self._send_all(session_id, self.matcher.new_order(message))

    async def _send_all(self, session_id: SessionID, messages: list[Outbound]) -> None:
        if self._acceptor is None or session_id not in self._logged_on:
            return
        for msg_type, body in messages:
            await self._acceptor.send_to_target(session_id, msg_type, body)

    # ------------------------------------------------------------------ market data
    async def _quote_request(self, message: Message, session_id: SessionID) -> None:
        msg_type = message.msg_type
        if msg_type == b"b":
            self.acks.append(message.get_str(117) or "")
            return
        if msg_type != b"V":
            raise UnsupportedMessageType()
        md_req_id = message.get_str(262) or ""
        if message.get(263) == b"2":
            self._subscriptions.pop(md_req_id, None)
            return
        symbol = message.get_str(55) or ""
        if symbol not in self.books:
            await self._send_all(session_id, [(b"Y", [(262, md_req_id), (281, b"0"),
                                                      (58, f"Unknown symbol {symbol}")])])
            return
        self._subscriptions[md_req_id] = symbol
        await self._send_all(session_id, [(b"W", self._snapshot(md_req_id, symbol))])

    def _snapshot(self, md_req_id: str, symbol: str) -> Body:
        entries: Body = []
        count = 0
        for index, level in enumerate(self.books[symbol].levels):
            for entry_type, price, size in ((b"0", level.bid, level.bid_size), (b"1", level.ask, level.ask_size)):
                if price is None:
                    continue
                count += 1
                entries += [(269, entry_type), (270, _wire(price)), (271, _wire(size or Decimal(0))),
                            (299, index)]
                if self.config.issuer_per_entry:
                    entries.append((106, level.issuer))
        return [(262, md_req_id), (55, symbol), (268, count), *entries]

    async def _stream(self) -> None:
        while True:
            await asyncio.sleep(self.config.tick_interval)
            if not self._streaming:
                continue
            for symbol in self.books:
                before = list(self.books[symbol].levels)
                self.books[symbol].walk()
                await self._publish_changes(symbol, before)

    async def _publish_changes(self, symbol: str, before: list[Level]) -> None:
        """What changed on each level since ``before``, as entries carrying only the changed fields."""
        changes: dict[int, dict[str, Decimal | None]] = {}
        for index, (old, new) in enumerate(zip(before, self.books[symbol].levels)):
            changed = {name: getattr(new, name) for name in _LEVEL_FIELDS if getattr(old, name) != getattr(new, name)}
            if changed:
                changes[index] = changed
        if changes:
            await self._publish(symbol, changes)

    async def _publish(self, symbol: str, changes: dict[int, dict[str, Decimal | None]]) -> None:
        trade = self.config.trade_session_id
        await self._send_all(trade, self.matcher.match(symbol))
        quote = self.config.quote_session_id
        for md_req_id in [m for m, s in self._subscriptions.items() if s == symbol]:
            if self.config.update_msg_type == b"i":
                await self._send_all(quote, [(b"i", self._mass_quote(md_req_id, symbol, changes))])
            else:
                await self._send_all(quote, [(b"X", self._incremental(md_req_id, symbol, changes))])

    def _mass_quote(self, md_req_id: str, symbol: str, changes: dict[int, dict[str, Decimal | None]]) -> Body:
        body: Body = []
        self._mass_quotes += 1
        every = self.config.quote_id_every
        if every and self._mass_quotes % every == 0:
            body.append((117, f"Q{next(self._quote_ids)}"))
        body += [(296, 1), (302, md_req_id), (295, len(changes))]
        for index, changed in changes.items():
            body.append((299, index))
            if len(changed) == len(_LEVEL_FIELDS):
                body.append((106, self.books[symbol].levels[index].issuer))
            for size_name, size_tag, price_name in (("bid_size", 134, "bid"), ("ask_size", 135, "ask")):
                if price_name in changed and changed[price_name] is None:
                    body.append((size_tag, "-1"))  # the side is gone
                elif size_name in changed:
                    body.append((size_tag, _wire(changed[size_name] or Decimal(0))))
            for price_name, price_tag in (("bid", 188), ("ask", 190)):
                if changed.get(price_name) is not None:
                    body.append((price_tag, _wire(changed[price_name])))  # type: ignore[arg-type]
        return body

    def _incremental(self, md_req_id: str, symbol: str, changes: dict[int, dict[str, Decimal | None]]) -> Body:
        entries: Body = []
        count = 0
        for index, changed in changes.items():
            for entry_type, price_name, size_name in ((b"0", "bid", "bid_size"), (b"1", "ask", "ask_size")):
                if price_name not in changed and size_name not in changed:
                    continue
                count += 1
                entries += [(279, b"1"), (269, entry_type), (278, index), (55, symbol)]
                if self.config.issuer_per_entry:
                    entries.append((106, self.books[symbol].levels[index].issuer))
                if price_name in changed:
                    entries.append((270, _wire(changed[price_name] or Decimal(0))))
                if size_name in changed:
                    entries.append((271, _wire(changed[size_name] or Decimal(0))))
        return [(262, md_req_id), (268, count), *entries]

    def _save(self) -> None:
        """Prices and the id counter into the state file: periodically, at stop, and before each block of ids."""
        assert self._state is not None
        prices = {symbol: [str(book.bid), str(book.ask)] for symbol, book in self.books.items()
                  if book.bid is not None and book.ask is not None}
        self._state.save({"prices": prices, "next_id": self.matcher.ids.restart_at})

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _wire(value: Decimal) -> str:
    return format(value.normalize(), "f")


async def serve(config: FxLPConfig) -> None:
    """Run until SIGINT/SIGTERM."""
    stop = stop_signal()
    lp = FxLP(config)
    await lp.start()
    shape = f"W{' with Issuer' if config.issuer_per_entry else ''} then {config.update_msg_type.decode()}"
    print(f"fx-lp: listening on {config.host}:{lp.port} ({config.dialect}, {shape}; quote {config.quote_client}->"
          f"{config.comp_id}, trade {config.trade_client}->{config.comp_id})", flush=True)
    await stop.wait()
    await lp.stop()
