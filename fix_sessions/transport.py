"""asyncio acceptor and initiator driving sans-IO sessions over TCP (optionally TLS), named as QuickFIX names them.

Each connection has its own reader and timer tasks, so a slow or silent peer holds back nobody else. Writes never
wait on a peer: a peer that stops reading until its unsent bytes pass ``max_pending_bytes`` is disconnected as
a slow consumer (what it missed stays in the store for its ResendRequest), in the manner of Artio. Bytes wait only
for the store: those whose changes a store commits off the loop (SQL) are held, in order, until it has.
What one peer makes us hold is bounded too: a message past ``SessionConfig.max_message_size`` ends its connection
(after a Logout naming the limit, once logged on), and an acceptor closes at once a connection beyond
``max_pending_logons`` (``max_pending_logons_per_host`` from one address) not logged on yet; the .cfg keys are
MaxMessageSize, MaxPendingLogons and MaxPendingLogonsPerHost.
"""
from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future

import structlog

from fix_sessions import actions as act
from fix_sessions.application import Application, RejectLogon
from fix_sessions.codec import Framer, FrameTooLarge, GarbledMessage, Value, parse
from fix_sessions.dictionary import DataDictionary, load
from fix_sessions.reject import BusinessReject, FieldReject
from fix_sessions.session import Session
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_sessions.store import StoreError, create_store

log = structlog.get_logger("fix.transport")

READ_SIZE = 1 << 16
MAX_PENDING_BYTES = 16 << 20
FLUSH_BYTES = 16384


class Connection:
    """Drives one ``Session`` over one TCP connection until either side closes it."""

    def __init__(
        self, session: Session, application: Application,
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, framer: Framer | None = None,
    ) -> None:
        self.session = session
        self.application = application
        self.reader = reader
        self.writer = writer
        self.framer = framer or Framer(session.config.max_message_size)
        self.closed = asyncio.Event()
        self.logged_on = False   # the session logged on over this connection: an initiator's back-off starts again
        self.logon_failure = "connection closed before logon"   # why not, when it did not (``LogonFailed``)
        self.on_logged_on: Callable[[], None] | None = None   # the acceptor's pre-logon count lets this one go
        self._timer: asyncio.Task[None] | None = None
        # Replies to the frames of one read go out in one write: fewer system calls under load, no delay at rest.
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._in_batch = False
        # Flushed bytes waiting for their store commit, oldest first, and the task that lets them out.
        self._held: deque[tuple[Future[None] | None, bytes]] = deque()
        self._releasing: asyncio.Task[None] | None = None

    async def run(self, first_frame: bytes | None = None) -> None:
        """Serve the connection; returns once it is closed."""
        _tune_socket(self.writer, self.session.config.socket_nodelay)
        try:
            await self.execute(self.session.on_connect(time.time()))
            self._flush()
            self._timer = asyncio.create_task(self._run_timers())
            if first_frame is not None:
                await self.execute(self.session.receive(first_frame, time.time()))
            store = self.session.store
            while not self.closed.is_set():
                try:
                    frame = self.framer.next_frame()
                except FrameTooLarge as error:
                    log.warning("fix.transport.message_too_large", session=str(self.session.session_id),
                                reason=str(error), limit=self.framer.max_size)
                    await self.execute(self.session.terminate(time.time(), str(error)))
                    break
                if frame is None:
                    if self._in_batch:   # what the read's messages started is durable before their numbers are
                        await self.application.settled(self.session.session_id)
                        store.release_target()
                    self._in_batch = False
                    self._flush()
                    data = await self.reader.read(READ_SIZE)
                    if not data:
                        break
                    self.framer.feed(data)
                    self._in_batch = True
                    store.hold_target()
                    continue
                await self.execute(self.session.receive(frame, time.time()))
        except (ConnectionError, OSError) as error:
            log.info("fix.transport.connection_lost", session=str(self.session.session_id), reason=str(error))
        finally:
            await self._close()

    async def send(self, msg_type: bytes, body: Iterable[tuple[int, Value]], header: Iterable[tuple[int, Value]] = ()
                   ) -> None:
        await self.apply(self.session.send(msg_type, body, time.time(), header))

    async def apply(self, actions: Sequence[act.Action]) -> None:
        """Carry out actions that did not come from a received frame (an application send, a logout)."""
        await self.execute(actions)
        if not self._in_batch:
            self._flush()

    async def execute(self, actions: Sequence[act.Action]) -> None:
        """Carry out the session's actions in order; application callbacks are awaited where they fall."""
        session_id = self.session.session_id
        for action in actions:
            if isinstance(action, act.Send):
                self._write(action.data)
            elif isinstance(action, act.Deliver):
                try:
                    await self.application.from_app(action.message, session_id)
                except (FieldReject, BusinessReject) as refusal:
                    await self.execute(self.session.reject_app_message(action.message, refusal, time.time()))
            elif isinstance(action, act.AdminReceived):
                await self.application.from_admin(action.message, session_id)
            elif isinstance(action, act.LoggedOn):
                self.logged_on = True
                if self.on_logged_on is not None:
                    self.on_logged_on()
                    self.on_logged_on = None
                await self.application.on_logon(session_id)
            elif isinstance(action, act.LoggedOut):
                await self.application.on_logout(session_id)
            elif isinstance(action, act.LogonFailed):
                self.logon_failure = action.reason
                await self.application.on_logon_failed(session_id, action.reason)
            elif isinstance(action, act.Disconnect):
                log.info("fix.transport.disconnect", session=str(session_id), reason=action.reason)
                self._flush()
                self.closed.set()
                if self._releasing is None:  # else the socket closes once the held bytes are out
                    self.writer.close()

    def _write(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= FLUSH_BYTES:  # let the peer start on these while we go on
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        committing = self.session.store.commit()  # durable before the counterparty can see it
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        if committing is None and not self._held:
            self._send_now(data)
            return
        self._held.append((committing, data))
        if self._releasing is None:
            self._releasing = asyncio.create_task(self._release())

    async def _release(self) -> None:
        """Let held bytes out in order, each once its commit is done; a failed commit ends the connection."""
        try:
            while self._held:
                committing, data = self._held[0]
                if committing is not None:
                    await asyncio.wrap_future(committing)
                self._held.popleft()
                self._send_now(data)
        except StoreError as error:
            log.error("fix.transport.store_failed", session=str(self.session.session_id), reason=str(error))
            self._held.clear()
            self.closed.set()
            self.writer.transport.abort()
        finally:
            self._releasing = None
            if self.closed.is_set():
                self.writer.close()

    def _send_now(self, data: bytes) -> None:
        if self.writer.is_closing():
            return
        self.writer.write(data)
        if self.writer.transport.get_write_buffer_size() > MAX_PENDING_BYTES:
            log.warning("fix.transport.slow_consumer", session=str(self.session.session_id))
            self.closed.set()
            self.writer.transport.abort()

    async def _run_timers(self) -> None:
        while not self.closed.is_set():
            deadline = self.session.deadline()
            delay = 1.0 if deadline is None else max(0.0, deadline - time.time())
            try:
                await asyncio.wait_for(self.closed.wait(), timeout=min(delay, 1.0) + 0.001)
                return
            except TimeoutError:
                pass
            await self.execute(self.session.tick(time.time()))
            self._flush()

    async def _close(self) -> None:
        self.closed.set()
        if self._timer is not None:
            self._timer.cancel()
        if self._in_batch:   # the connection ended inside a read: its messages are taken once they are durable
            self._in_batch = False
            try:
                await self.application.settled(self.session.session_id)
            finally:
                self.session.store.release_target()
        await self.execute(self.session.on_disconnect(time.time()))
        if self._releasing is not None:
            await self._releasing
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


def _tune_socket(writer: asyncio.StreamWriter, nodelay: bool) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if nodelay else 0)


class _Engine:
    """Sessions built from their settings, with stores and dictionaries; shared by acceptor and initiator."""

    def __init__(self, configs: Iterable[SessionConfig], application: Application) -> None:
        self.application = application
        self.sessions: dict[SessionID, Session] = {}
        self.connections: dict[SessionID, Connection] = {}
        for config in configs:
            store = create_store(
                config.session_id, file_store_path=config.file_store_path, sql_store_url=config.sql_store_url,
                persist_messages=config.persist_messages, sync=config.file_store_sync,
            )
            self.sessions[config.session_id] = Session(
                config, store, _dictionary(config.transport_data_dictionary or config.data_dictionary, config),
                application, app_dictionary=_dictionary(config.app_data_dictionary, config))

    async def _created(self) -> None:
        for session_id in self.sessions:
            await self.application.on_create(session_id)

    def app_dictionary(self, session_id: SessionID) -> DataDictionary | None:
        """The dictionary that validates (and structures) the session's application messages."""
        return self.sessions[session_id].app_dictionary

    async def send_to_target(
        self, session_id: SessionID, msg_type: bytes, body: Iterable[tuple[int, Value]],
        header: Iterable[tuple[int, Value]] = (),
    ) -> None:
        """Send an application message; while the session is down it is stored and goes out on resend."""
        connection = self.connections.get(session_id)
        if connection is not None and not connection.closed.is_set():
            await connection.send(msg_type, body, header)
        else:
            session = self.sessions[session_id]
            session.send(msg_type, body, time.time(), header)
            committing = session.store.commit()
            if committing is not None:
                await asyncio.wrap_future(committing)

    async def logout(self, session_id: SessionID, text: str | None = None) -> None:
        connection = self.connections.get(session_id)
        if connection is not None:
            await connection.apply(connection.session.logout(time.time(), text))

    async def _log_out_all(self, reason: str, wait: float) -> None:
        """Start every logout handshake, then give the counterparties ``wait`` seconds to answer."""
        for session_id in list(self.connections):
            await self.logout(session_id, reason)
        if self.connections:
            await asyncio.wait([asyncio.create_task(c.closed.wait()) for c in self.connections.values()],
                               timeout=wait)

    def close_stores(self) -> None:
        for session in self.sessions.values():
            session.store.close()


def _dictionary(path: str | None, config: SessionConfig) -> DataDictionary | None:
    return load(path) if config.use_data_dictionary and path else None


class SocketAcceptor(_Engine):
    """Listens on every SocketAcceptPort of its sessions; a Logon's CompIDs pick the session it belongs to."""

    def __init__(self, configs: Iterable[SessionConfig], application: Application) -> None:
        """A connection beyond MaxPendingLogons not yet logged on (MaxPendingLogonsPerHost from one address) is
        closed at once: idle sockets cannot pile up before any password is checked. The bounds are the
        acceptor's, the largest its sessions give."""
        configs = list(configs)
        super().__init__(configs, application)
        self.max_pending_logons = max((c.max_pending_logons for c in configs),
                                      default=SessionConfig.max_pending_logons)
        self.max_pending_logons_per_host = max((c.max_pending_logons_per_host for c in configs),
                                               default=SessionConfig.max_pending_logons_per_host)
        self._pending_logons: Counter[str] = Counter()   # peer address -> its connections not logged on yet
        # Before the first frame names its session, the largest max_message_size of the sessions applies.
        self._max_message_size = max((c.max_message_size for c in configs), default=SessionConfig.max_message_size)
        self._servers: list[asyncio.Server] = []
        self._ports: dict[tuple[str | None, int], list[SessionConfig]] = {}
        for config in configs:
            if config.socket_accept_port is None:
                raise ValueError(f"{config.session_id}: SocketAcceptPort is required for an acceptor")
            self._ports.setdefault((config.socket_accept_host, config.socket_accept_port), []).append(config)
        self._tasks: set[asyncio.Task[None]] = set()
        # Before the first frame names its session, the longest LogonTimeout of the port's sessions applies.
        self._logon_timeout = max((c.logon_timeout for c in configs), default=10)

    @property
    def ports(self) -> list[int]:
        """The ports actually bound (useful when a config asks for port 0)."""
        return [sock.getsockname()[1] for server in self._servers for sock in server.sockets]

    async def start(self) -> None:
        await self._created()
        for (host, port), configs in self._ports.items():
            first = configs[0]
            server = await asyncio.start_server(
                self._accept, host=host, port=port, reuse_address=first.socket_reuse_address or None,
                ssl=first.ssl_context() if first.tls is not None else None,
            )
            self._servers.append(server)
            log.info("fix.acceptor.listening", host=host, port=port, sessions=[str(c.session_id) for c in configs])

    async def stop(self, logout_wait: float = 2.0) -> None:
        await self._log_out_all("acceptor stopping", logout_wait)
        for server in self._servers:
            server.close()
            await server.wait_closed()
        for connection in list(self.connections.values()):
            connection.writer.close()
        for task in list(self._tasks):
            task.cancel()
        self.close_stores()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)
        pending = self._pending_logons
        if pending.total() >= self.max_pending_logons or pending[host] >= self.max_pending_logons_per_host:
            log.warning("fix.acceptor.too_many_pending_logons", peer=str(peer), host_pending=pending[host],
                        total_pending=pending.total())
            writer.close()
            return
        pending[host] += 1
        counted = True

        def logged_on() -> None:
            nonlocal counted
            if counted:
                counted = False
                pending[host] -= 1
                if not pending[host]:
                    del pending[host]

        try:
            await self._serve_counted(reader, writer, peer, host, logged_on)
        finally:
            logged_on()

    async def _serve_counted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: object,
                             host: str, logged_on: Callable[[], None]) -> None:
        framer = Framer(self._max_message_size)
        first = await self._first_frame(reader, framer, peer)
        session = self._session_for(first) if first is not None else None
        if session is None:
            log.warning("fix.acceptor.refused", peer=str(peer), reason="no session for these CompIDs")
            writer.close()
            return
        if session.session_id in self.connections:   # connected, or its logon being checked
            # closed with no Logout, as QuickFIX's acceptance test 1b_DuplicateIdentity requires
            log.warning("fix.acceptor.refused", peer=str(peer), session=str(session.session_id),
                        reason="session already connected")
            writer.close()
            return
        assert first is not None
        framer.max_size = session.config.max_message_size
        connection = Connection(session, self.application, reader, writer, framer)
        connection.on_logged_on = logged_on
        self.connections[session.session_id] = connection
        try:
            session.refuse_logon(await self._authenticate(first, session, host))
            await connection.run(first_frame=first)
        except Exception:   # an application callback that raised: this connection ends, the session stays served
            log.exception("fix.acceptor.connection_failed", session=str(session.session_id))
            writer.close()
        finally:
            if self.connections.get(session.session_id) is connection:
                del self.connections[session.session_id]

    async def _authenticate(self, frame: bytes, session: Session, host: str) -> RejectLogon | None:
        """``Application.authenticate`` on the first frame when it is a Logon; what it refuses, the session refuses."""
        # Whatever the session does with a first message that is no Logon, a later Logon on this connection must
        # not pass unchecked.
        refused = RejectLogon("the first message on a connection must be a Logon with its credentials")
        if b"\x0135=A\x01" not in frame[:40]:
            return refused
        try:
            message = parse(frame, validate=False)
        except GarbledMessage:
            return refused   # the session answers a garbled Logon itself
        try:
            async with asyncio.timeout(self._logon_timeout):
                await self.application.authenticate(message, session.session_id, host)
        except RejectLogon as refusal:
            return refusal
        except TimeoutError:
            return RejectLogon("the logon could not be checked in time")
        return None

    async def _first_frame(self, reader: asyncio.StreamReader, framer: Framer, peer: object) -> bytes | None:
        try:
            async with asyncio.timeout(self._logon_timeout):
                while True:
                    frame = framer.next_frame()
                    if frame is not None:
                        return frame
                    data = await reader.read(READ_SIZE)
                    if not data:
                        return None
                    framer.feed(data)
        except FrameTooLarge as error:
            log.warning("fix.transport.message_too_large", peer=str(peer), reason=str(error), limit=framer.max_size)
            return None
        except (TimeoutError, ConnectionError, OSError):
            return None

    def _session_for(self, frame: bytes) -> Session | None:
        try:
            header = parse(frame, validate=False)
        except GarbledMessage:
            return None
        sender, target, begin = header.get_str(49), header.get_str(56), header.get_str(8)
        if sender is None or target is None or begin is None:
            return None
        return self.sessions.get(SessionID(begin, target, sender))


class SocketInitiator(_Engine):
    """Connects each session to its counterparty and reconnects with exponential backoff after any loss."""

    def __init__(self, configs: Iterable[SessionConfig], application: Application,
                 first_retry: float = 0.5) -> None:
        super().__init__(configs, application)
        self.first_retry = first_retry
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        await self._created()
        for session in self.sessions.values():
            self._tasks.append(asyncio.create_task(self._keep_connected(session)))

    async def stop(self, logout_wait: float = 2.0) -> None:
        self._stopping = True
        await self._log_out_all("initiator stopping", logout_wait)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.close_stores()

    async def _keep_connected(self, session: Session) -> None:
        config = session.config
        hosts = config.socket_connect_hosts
        if not hosts:
            raise ValueError(f"{config.session_id}: SocketConnectHost/SocketConnectPort are required")
        attempt = 0
        while not self._stopping:
            if not session.in_session_time(time.time()):  # outside StartTime..EndTime: nothing to connect for
                await asyncio.sleep(1.0)
                continue
            host, port = hosts[attempt % len(hosts)]
            try:
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=config.ssl_context() if config.tls is not None else None,
                )
            except OSError as error:
                delay = self._backoff(attempt, config)
                log.info("fix.initiator.connect_failed", session=str(config.session_id), host=host, port=port,
                         reason=str(error), retry_in=delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            log.info("fix.initiator.connected", session=str(config.session_id), host=host, port=port)
            connection = Connection(session, self.application, reader, writer)
            self.connections[session.session_id] = connection
            try:
                await connection.run()
            except Exception:   # an application callback that raised: this connection ends, the session does not
                log.exception("fix.initiator.connection_failed", session=str(config.session_id))
                writer.close()
            finally:
                self.connections.pop(session.session_id, None)
            # A logon refused (or a socket closed before one) counts as a failed attempt, as a refused connect does:
            # the back-off grows until a logon succeeds, so a venue refusing us is not dialed twice a second forever.
            if connection.logged_on:
                attempt, delay = 0, self.first_retry
            else:
                delay = self._backoff(attempt, config)
                attempt += 1
            if not self._stopping:
                if not connection.logged_on:
                    log.warning("fix.initiator.logon_failed", session=str(config.session_id), host=host, port=port,
                                reason=connection.logon_failure, retry_in=delay)
                await asyncio.sleep(delay)

    def _backoff(self, failures: int, config: SessionConfig) -> float:
        """The wait after ``failures`` failed attempts in a row: first_retry, doubling up to ReconnectInterval."""
        return min(self.first_retry * 2.0 ** min(failures, 16), float(config.reconnect_interval))

