"""Binance's FIX order entry endpoint on loopback (fix-api.md), trading on the same Exchange as the REST simulator.

A session per SenderCompID the client picks, after Binance's Logon checks (the Ed25519 signature against the public
key registered for the API key, recvWindow, ResetSeqNumFlag=Y, one session per SenderCompID, ten connections per
account); a failed Logon gets Reject <3> with ErrorCode and Text, then Logout. Every session hears every
ExecutionReport of the account (ResponseMode EVERYTHING) unless it asked for ONLY_ACKS. The message limit logs a
session out; News <B> announces maintenance, ``drop_sessions`` cuts the connections (and refuses new ones for a
while) and ``inject_report`` sends an ExecutionReport of QA's own making (scenario calls)."""
from __future__ import annotations

import asyncio
import collections
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fix_sessions.application import Application
from fix_sessions.codec import Framer, GarbledMessage, Message, encode, parse
from fix_sessions.dictionary import DataDictionary, load
from fix_sessions.session import Session
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_sessions.store import MemoryStore
from fix_sessions.transport import READ_SIZE, Connection
from fix_sessions.utctime import format_timestamp
from fix_specs import path as spec_path
from simulators.binance.book import ApiError
from simulators.binance.exchange import Exchange
from simulators.binance.fix_messages import (
    Fields,
    check_logon,
    execution_report,
    order_params,
    rejected_report,
)

log = structlog.get_logger("simulators.binance")
COMP_ID = "SPOT"
MAX_CONNECTIONS = 10


@dataclass(eq=False)
class _Client:
    connection: Connection
    api_key: str
    only_acks: bool
    queue: asyncio.Queue[tuple[str, Fields]] = field(default_factory=asyncio.Queue)
    received: collections.deque[float] = field(default_factory=collections.deque)


class BinanceFixAcceptor(Application):
    def __init__(self, exchange: Exchange, keys: dict[str, Ed25519PublicKey], host: str = "127.0.0.1",
                 port: int = 0, message_limit: int = 10000, message_window: float = 10.0) -> None:
        self.exchange = exchange
        self.keys = keys                    # API key -> the Ed25519 public key registered for it
        self.host, self.port = host, port
        self.message_limit, self.message_window = message_limit, message_window
        self.uuid = str(uuid.uuid4())
        self.clients: dict[SessionID, _Client] = {}
        self.refused_logons: list[tuple[int, str]] = []     # (ErrorCode, Text) of every Logon refused, for QA
        self.logons = 0                                     # Logons taken, for QA: a new one is a reconnect
        self._dictionary: DataDictionary = load(str(spec_path("BINANCE-FIX44-OE.xml")))
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._requester: _Client | None = None
        self._refuse_until = 0.0            # time.monotonic() until which connections are closed at once
        exchange.user_listeners.append(self._on_user_event)

    # ---- life
    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("binance_fix_acceptor_started", host=self.host, port=self.port)

    async def stop(self) -> None:
        for client in list(self.clients.values()):
            with contextlib.suppress(ConnectionError, OSError):
                await client.connection.apply(client.connection.session.logout(time.time(), "Server shutting down."))
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for client in list(self.clients.values()):
            client.connection.writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def announce_maintenance(self, headline: str = "Your connection is about to be closed. Please reconnect."
                             ) -> None:
        """News <B> to every session, as Binance sends it every 10 s before maintenance."""
        for client in self.clients.values():
            client.queue.put_nowait(("B", [(148, headline)]))

    async def drop_sessions(self, refuse_for: float = 0.0) -> None:
        """Close every FIX connection without a Logout (a network failure, for QA); for ``refuse_for`` seconds new
        connections are closed as soon as they are made."""
        self._refuse_until = time.monotonic() + refuse_for
        for client in list(self.clients.values()):
            client.connection.writer.transport.abort()

    def inject_report(self, fields: Fields) -> None:
        """One ExecutionReport with exactly these fields to every session, outside the matching engine."""
        for client in self.clients.values():
            client.queue.put_nowait(("8", fields))

    # ---- connections
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._refuse_until:
            writer.close()
            return
        framer = Framer()
        first = await _first_frame(reader, framer)
        if first is None:
            writer.close()
            return
        try:
            logon = parse(first)
        except GarbledMessage:
            writer.close()
            return
        sender = logon.get_str(49, "") or ""
        session_id = SessionID("FIX.4.4", COMP_ID, sender)
        try:
            api_key = check_logon(logon, self.keys, time.time())
            if session_id in self.clients:
                raise ApiError(-1033, "SenderCompId(49) is currently in use. Concurrent use of the same "
                                      "SenderCompId within one account is not allowed.")
            if sum(c.api_key == api_key for c in self.clients.values()) >= MAX_CONNECTIONS:
                raise ApiError(-1034, f"Too many concurrent connections; current limit is '{MAX_CONNECTIONS}'.")
        except ApiError as error:
            await self._refuse(writer, logon, error)
            return
        config = SessionConfig(session_id=session_id, connection_type="acceptor",
                               heartbeat_interval=logon.get_int(108, 30) or 30, persist_messages=False,
                               timestamp_precision=6, validate_user_defined_fields=False)
        session = Session(config, MemoryStore(persist_messages=False), self._dictionary, self)
        client = _Client(Connection(session, self, reader, writer, framer), api_key, logon.get_str(25036) == "2")
        self.clients[session_id] = client
        self.logons += 1
        drain = asyncio.create_task(self._drain(client))
        try:
            await client.connection.run(first_frame=first)
        finally:
            drain.cancel()
            del self.clients[session_id]

    async def _refuse(self, writer: asyncio.StreamWriter, logon: Message, error: ApiError) -> None:
        """Reject <3> naming the Logon, with ErrorCode and Text, then Logout, then the connection is closed."""
        self.refused_logons.append((error.code, error.msg))
        log.info("binance_fix_logon_refused", sender=logon.get_str(49), code=error.code, text=error.msg)
        now = format_timestamp(time.time(), 6)
        head = [(49, COMP_ID), (52, now), (56, logon.get_str(49, "") or "")]
        reject = encode(b"FIX.4.4", [(35, b"3"), (34, 1), *head, (45, logon.get_str(34, "0") or "0"),
                                     (372, logon.msg_type), (25016, error.code), (58, error.msg)])
        logout = encode(b"FIX.4.4", [(35, b"5"), (34, 2), *head, (58, error.msg)])
        with contextlib.suppress(ConnectionError, OSError):
            writer.write(reject + logout)
            await writer.drain()
        writer.close()

    async def _drain(self, client: _Client) -> None:
        """One writer per session keeps its messages in the order the matching engine produced them."""
        while True:
            msg_type, fields = await client.queue.get()
            if client.connection.session.logged_on:
                await client.connection.send(msg_type.encode(), fields)

    # ---- fix_sessions callbacks
    def to_admin(self, message: Message, session_id: SessionID) -> None:
        if message.msg_type == b"A":        # Binance's Logon answer: EncryptMethod, HeartBtInt, UUID
            message.remove(141)
            message.append(25037, self.uuid)
        elif message.msg_type == b"5" and 58 not in message:
            message.append(58, "Logout acknowledgment.")

    async def from_admin(self, message: Message, session_id: SessionID) -> None:
        await self._count(session_id)

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        client = self.clients.get(session_id)
        if client is None or not await self._count(session_id):
            return
        self._requester = client
        try:
            self._handle(client, message)
        finally:
            self._requester = None

    async def _count(self, session_id: SessionID) -> bool:
        """Binance's message limit: breaking it logs the session out at once."""
        client = self.clients.get(session_id)
        if client is None:
            return False
        now = time.monotonic()
        client.received.append(now)
        while client.received and client.received[0] <= now - self.message_window:
            client.received.popleft()
        if len(client.received) <= self.message_limit:
            return True
        text = f"Too many messages; current limit is '{self.message_limit}' messages per " \
               f"'{self.message_window:g}s'."
        await client.connection.apply(client.connection.session.logout(time.time(), text))
        # closed once the connection has written out what this read produced, the Logout included
        asyncio.get_running_loop().call_soon(client.connection.writer.close)
        return False

    def _handle(self, client: _Client, message: Message) -> None:
        msg_type = message.msg_type
        if msg_type == b"D":
            try:
                self.exchange.place(order_params(message))
            except ApiError as error:
                client.queue.put_nowait(("8", rejected_report(message, error)))
        elif msg_type == b"F":
            self._cancel(client, message)
        elif msg_type == b"XCN":
            self._cancel_replace(client, message)
        elif msg_type == b"q":
            self._mass_cancel(client, message)
        elif msg_type == b"XLQ":
            client.queue.put_nowait(("XLR", [
                (6136, message.get_str(6136, "")), (25003, 1), (25004, "2"), (25005, len(client.received)),
                (25006, self.message_limit), (25007, int(self.message_window)), (25008, "s")]))
        else:
            error = ApiError(-1020, "This operation is not supported.")
            client.queue.put_nowait(("3", [(45, message.get_str(34, "0")), (372, msg_type.decode()),
                                           (25016, error.code), (58, error.msg)]))

    def _cancel(self, client: _Client, message: Message) -> None:
        symbol = message.get_str(55, "") or ""
        try:
            self.exchange.cancel(symbol, message.get_str(37), message.get_str(41), message.get_str(11))
        except ApiError as error:
            client.queue.put_nowait(("9", _cancel_reject(message, message.get_str(11, "") or "", error)))

    def _cancel_replace(self, client: _Client, message: Message) -> None:
        params = order_params(message)
        params.update({"cancelReplaceMode": "STOP_ON_FAILURE" if message.get_str(25033) == "1" else "ALLOW_FAILURE",
                       "cancelNewClientOrderId": message.get_str(25034) or f"cxl{uuid.uuid4().hex[:12]}"})
        for tag, name in ((37, "cancelOrderId"), (41, "cancelOrigClientOrderId")):
            if message.get(tag):
                params[name] = message.get_str(tag) or ""
        try:
            self.exchange.cancel_replace(params)
        except ApiError as error:
            data = error.data or {}
            cancel, new = data.get("cancelResponse") or {}, data.get("newOrderResponse") or {}
            if data.get("cancelResult") == "SUCCESS" and "code" in new:
                client.queue.put_nowait(("8", rejected_report(message, ApiError(new["code"], new["msg"]))))
            else:
                refusal = ApiError(cancel["code"], cancel["msg"]) if "code" in cancel else error
                client.queue.put_nowait(("9", _cancel_reject(message, params["cancelNewClientOrderId"], refusal)))

    def _mass_cancel(self, client: _Client, message: Message) -> None:
        symbol = message.get_str(55, "") or ""
        head = [(55, symbol), (11, message.get_str(11, "")), (530, message.get_str(530, "1"))]
        try:
            self.exchange.spec(symbol)
            orders = self.exchange.open_orders(symbol)
            for order in orders:
                self.exchange.cancel(symbol, str(order.order_id), None)
        except ApiError as error:
            client.queue.put_nowait(("r", [*head, (531, "0"), (532, 99), (25016, error.code), (58, error.msg)]))
            return
        client.queue.put_nowait(("r", [*head, (531, "1"), (533, len(orders))]))

    def _on_user_event(self, event: dict[str, Any]) -> None:
        fields = execution_report(event)
        for client in self.clients.values():
            if client.connection.session.logged_on and (not client.only_acks or client is self._requester):
                client.queue.put_nowait(("8", fields))


def _cancel_reject(message: Message, cl_ord_id: str, error: ApiError) -> Fields:
    fields: Fields = [(11, cl_ord_id)]
    fields += [(tag, message.get(tag)) for tag in (41, 37) if message.get(tag)]
    return [*fields, (55, message.get_str(55, "")), (434, "1"), (25016, error.code), (58, error.msg)]


async def _first_frame(reader: asyncio.StreamReader, framer: Framer, timeout: float = 10.0) -> bytes | None:
    try:
        async with asyncio.timeout(timeout):
            while (frame := framer.next_frame()) is None:
                data = await reader.read(READ_SIZE)
                if not data:
                    return None
                framer.feed(data)
            return frame
    except (TimeoutError, ConnectionError, OSError):
        return None
