"""Our initiator and acceptor over real loopback sockets: many sessions per port, reconnect, slow consumers."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from structlog.testing import capture_logs

from fix_sessions.application import Application
from fix_sessions.codec import Message, encode
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_sessions.transport import SocketAcceptor, SocketInitiator
from fix_sessions.utctime import format_timestamp
from fix_specs import path as spec_path
from tests.net import free_port

DICTIONARY = str(spec_path("FIX44.xml"))



def acceptor_config(port: int, client: str) -> SessionConfig:
    return SessionConfig(session_id=SessionID("FIX.4.4", "HUB", client), connection_type="acceptor",
                         socket_accept_host="127.0.0.1", socket_accept_port=port, data_dictionary=DICTIONARY,
                         socket_reuse_address=True)


def initiator_config(port: int, client: str, heartbeat: int = 30) -> SessionConfig:
    return SessionConfig(session_id=SessionID("FIX.4.4", client, "HUB"), connection_type="initiator",
                         socket_connect_hosts=(("127.0.0.1", port),), heartbeat_interval=heartbeat,
                         reconnect_interval=1, data_dictionary=DICTIONARY)


class Recorder(Application):
    def __init__(self) -> None:
        self.logons: list[SessionID] = []
        self.messages: list[tuple[SessionID, Message]] = []
        self.on_message: Callable[[Message, SessionID], Awaitable[None]] | None = None

    async def on_logon(self, session_id: SessionID) -> None:
        self.logons.append(session_id)

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        self.messages.append((session_id, message))
        if self.on_message is not None:
            await self.on_message(message, session_id)


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def execution_report(order: Message, fill: str = "0") -> list[tuple[int, bytes | str]]:
    return [(6, "0"), (11, order.get(11) or b""), (14, "0"), (17, "E-" + fill), (37, "O-1"), (39, "0"),
            (54, order.get(54) or b"1"), (55, order.get(55) or b""), (150, "0"), (151, order.get(38) or b"0")]


def answer_orders(hub: SocketAcceptor, recorder: Recorder) -> None:
    """The hub answers every order with an ExecutionReport."""
    async def answer(order: Message, session_id: SessionID) -> None:
        await hub.send_to_target(session_id, b"8", execution_report(order))

    recorder.on_message = answer


def new_order(cl_ord_id: str) -> list[tuple[int, str]]:
    return [(11, cl_ord_id), (38, "100"), (40, "1"), (54, "1"), (55, "EUR/USD"), (60, "20261125-10:00:00")]


async def test_two_clients_on_one_port_are_told_apart_by_their_comp_ids() -> None:
    port = free_port()
    hub_app, client_app = Recorder(), Recorder()
    hub = SocketAcceptor([acceptor_config(port, "ALPHA"), acceptor_config(port, "BETA")], hub_app)
    answer_orders(hub, hub_app)
    clients = SocketInitiator([initiator_config(port, "ALPHA"), initiator_config(port, "BETA")], client_app)
    await hub.start()
    await clients.start()
    try:
        await until(lambda: len(client_app.logons) == 2, "both logons")
        for name in ("ALPHA", "BETA"):
            await clients.send_to_target(SessionID("FIX.4.4", name, "HUB"), b"D", new_order(f"{name}-1"))
        await until(lambda: len(client_app.messages) == 2, "both execution reports")
        answered = {sid.sender_comp_id: m.get(11) for sid, m in client_app.messages}
        assert answered == {"ALPHA": b"ALPHA-1", "BETA": b"BETA-1"}
        assert {sid.target_comp_id for sid, _ in hub_app.messages} == {"ALPHA", "BETA"}
    finally:
        await clients.stop()
        await hub.stop()


async def test_initiator_keeps_retrying_until_the_acceptor_comes_up_and_after_it_restarts() -> None:
    port = free_port()
    client_app = Recorder()
    clients = SocketInitiator([initiator_config(port, "ALPHA")], client_app, first_retry=0.05)
    await clients.start()
    await asyncio.sleep(0.3)  # a few refused connects
    hub = SocketAcceptor([acceptor_config(port, "ALPHA")], Recorder())
    await hub.start()
    try:
        await until(lambda: len(client_app.logons) == 1, "first logon")
        await hub.stop()
        hub = SocketAcceptor([acceptor_config(port, "ALPHA")], Recorder())
        await hub.start()
        await until(lambda: len(client_app.logons) == 2, "logon after the acceptor restarted")
    finally:
        await clients.stop()
        await hub.stop()


async def test_a_client_that_stops_reading_is_cut_off_and_never_stalls_the_others() -> None:
    port = free_port()
    hub_app, client_app = Recorder(), Recorder()
    hub = SocketAcceptor([acceptor_config(port, "FAST"), acceptor_config(port, "DEAD")], hub_app)
    answer_orders(hub, hub_app)
    fast = SocketInitiator([initiator_config(port, "FAST")], client_app)
    await hub.start()
    await fast.start()
    dead_reader, dead_writer = await asyncio.open_connection("127.0.0.1", port)
    dead_writer.write(encode(b"FIX.4.4", [(35, "A"), (34, "1"), (49, "DEAD"), (52, format_timestamp(time.time())),
                                          (56, "HUB"), (98, "0"), (108, "30")]))
    await dead_writer.drain()
    try:
        await until(lambda: len(client_app.logons) == 1 and SessionID("FIX.4.4", "HUB", "DEAD") in hub.connections,
                    "both logons")
        dead = SessionID("FIX.4.4", "HUB", "DEAD")
        flood = [(58, "x" * 1000)]
        for _ in range(20_000):  # ~20 MB the dead client never reads
            await hub.send_to_target(dead, b"B", [(148, "flood"), (33, "1"), *flood])
            if dead not in hub.connections:
                break
        for number in range(50):
            await fast.send_to_target(SessionID("FIX.4.4", "FAST", "HUB"), b"D", new_order(f"F-{number}"))
        await until(lambda: len(client_app.messages) == 50, "the fast client's 50 execution reports")
        await until(lambda: dead not in hub.connections, "the dead client to be cut off")
    finally:
        dead_writer.close()
        await fast.stop()
        await hub.stop()


async def test_sessions_run_over_tls_when_configured(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt
    from dataclasses import replace

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from fix_sessions.settings import TlsSettings

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "hub.pem", tmp_path / "hub.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    port = free_port()
    server = replace(acceptor_config(port, "ALPHA"), tls=TlsSettings(str(cert_file), str(key_file)))
    client = replace(initiator_config(port, "ALPHA"), socket_connect_hosts=(("localhost", port),),
                     tls=TlsSettings(ca_file=str(cert_file)))
    hub_app, client_app = Recorder(), Recorder()
    hub = SocketAcceptor([server], hub_app)
    clients = SocketInitiator([client], client_app)
    await hub.start()
    await clients.start()
    try:
        await until(lambda: len(client_app.logons) == 1, "a logon over TLS")
        await clients.send_to_target(SessionID("FIX.4.4", "ALPHA", "HUB"), b"D", new_order("TLS-1"))
        await until(lambda: len(hub_app.messages) == 1, "the order over TLS")
        assert hub_app.messages[0][1].get(11) == b"TLS-1"
    finally:
        await clients.stop()
        await hub.stop()


class RefusedLogons(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.refusals: list[str] = []

    async def on_logon_failed(self, session_id: SessionID, reason: str) -> None:
        self.refusals.append(reason)


async def test_a_counterparty_that_accepts_tcp_and_refuses_the_logon_is_dialed_ever_less_often() -> None:
    """An LP that refuses our password: the back-off grows until a logon succeeds (a TCP connect alone used to
    start it again, and a refusing venue was dialed twice a second forever), and the application hears its Text."""
    connected_at: list[float] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected_at.append(time.monotonic())
        await reader.readuntil(b"\x0110=")   # the Logon, then a Logout saying why, as an LP answers a bad password
        writer.write(encode(b"FIX.4.4", [(35, "5"), (34, "1"), (49, "HUB"), (52, format_timestamp(time.time())),
                                         (56, "ALPHA"), (58, "Invalid username or password")]))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    application = RefusedLogons()
    config = replace(initiator_config(port, "ALPHA"), reconnect_interval=30)
    clients = SocketInitiator([config], application, first_retry=0.1)
    with capture_logs() as logs:
        await clients.start()
        try:
            await until(lambda: len(connected_at) >= 5, "five connects")
        finally:
            await clients.stop()
            server.close()
            await server.wait_closed()
    gaps = [later - earlier for earlier, later in zip(connected_at, connected_at[1:])]
    assert all(later > earlier for earlier, later in zip(gaps, gaps[1:])), f"gaps between connects: {gaps}"
    assert application.logons == [] and application.refusals[:4] == ["Invalid username or password"] * 4
    failed = [e for e in logs if e["event"] == "fix.initiator.logon_failed"]
    assert [e["retry_in"] for e in failed[:4]] == [0.1, 0.2, 0.4, 0.8]
    assert {e["reason"] for e in failed} == {"Invalid username or password"}
