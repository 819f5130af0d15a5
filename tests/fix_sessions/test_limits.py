"""What one peer can make us hold is bounded: message size, the out-of-order queue, connections not logged on yet;
and the acceptor's authenticate hook refuses a logon without stalling anyone else."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest

from fix_sessions import actions as act
from fix_sessions.application import RejectLogon
from fix_sessions.codec import Framer, FrameTooLarge, Message, encode, parse
from fix_sessions.session_id import SessionID
from fix_sessions.settings import parse_settings
from fix_sessions.transport import SocketAcceptor, SocketInitiator
from fix_sessions.utctime import format_timestamp
from tests.fix_sessions.test_session import T0, acceptor, frame, logged_on, order, sent
from tests.fix_sessions.test_transport import (
    Recorder,
    acceptor_config,
    initiator_config,
    new_order,
    until,
)
from tests.net import free_port

# ---------------------------------------------------------------------------------------------------- the framer


def test_a_partial_frame_whose_checksum_never_ends_is_refused_once_past_the_bound() -> None:
    framer = Framer(max_size=4096)
    framer.feed(encode(b"FIX.4.4", [(35, "0"), (34, "2"), (49, "A"), (52, "x"), (56, "B")])[:-1])  # no final SOH
    assert framer.next_frame() is None
    with pytest.raises(FrameTooLarge):
        for _ in range(100):
            framer.feed(b"7" * 100)
            assert framer.next_frame() is None
    assert len(framer) < 4096 + 200


def test_a_partial_frame_without_a_trailer_is_refused_once_past_the_bound() -> None:
    framer = Framer(max_size=4096)
    framer.feed(b"8=FIX.4.4\x019=5\x0135=0\x01")
    with pytest.raises(FrameTooLarge):
        for _ in range(100):
            framer.feed(b"58=" + b"y" * 97)
            assert framer.next_frame() is None


def test_a_frame_in_many_reads_is_scanned_once_and_still_comes_out_whole() -> None:
    """The trailer search resumes where the last read stopped (it used to rescan the whole partial after BodyLength
    on every read: some 60 GB of searching for this 900 KB frame fed 7 bytes at a time); the frame still comes out
    whole. Its speed is the benchmark's business (bench/fix_codec.py), not this test's."""
    whole = b"8=FIX.4.4\x019=5\x0135=0\x0158=" + b"z" * 900_000 + b"\x0110=000\x01"
    framer = Framer()
    frames = []
    for at in range(0, len(whole), 7):
        framer.feed(whole[at:at + 7])
        frame = framer.next_frame()
        if frame is not None:
            frames.append(frame)
    assert frames == [whole]


# ---------------------------------------------------------------------------------------------------- the session


def test_a_logon_with_a_negative_heartbeat_interval_is_refused_with_a_logout() -> None:
    session = acceptor()
    session.on_connect(T0)
    out = session.receive(frame("A", 1, T0, (98, "0"), (108, "-5")), T0)
    [logout] = sent(out)
    assert logout.msg_type == b"5" and b"HeartBtInt" in (logout.get(58) or b"")
    assert any(isinstance(a, act.Disconnect) for a in out)
    assert not session.logged_on and not any(isinstance(a, act.LoggedOn) for a in out)


def test_the_out_of_order_queue_is_bounded_and_what_it_drops_is_asked_for_again() -> None:
    session = acceptor(max_queued_messages=3)
    logged_on(session)                      # next expected: 2
    for seq in range(5, 10):                # 5, 6, 7 are queued; 8 and 9 are beyond the bound
        out = session.receive(order(seq, T0, f"C{seq}"), T0)
        assert not any(isinstance(a, act.Disconnect) for a in out)
    assert len(session._queue) == 3
    delivered: list[bytes | None] = []
    for seq in (2, 3, 4):                   # the resend of the gap
        out = session.receive(order(seq, T0, f"C{seq}"), T0)
        delivered += [a.message.get(11) for a in out if isinstance(a, act.Deliver)]
    assert delivered == [b"C2", b"C3", b"C4", b"C5", b"C6", b"C7"]
    assert session.next_target_seq_num == 8 and session.logged_on
    out = session.receive(order(10, T0, "C10"), T0)   # the next message shows the dropped ones missing
    [resend] = sent(out)
    assert resend.msg_type == b"2" and resend.get(7) == b"8"
    assert session.logged_on


def test_the_out_of_order_queue_is_bounded_in_bytes_too() -> None:
    """3,000 messages of 100 KB with too-high MsgSeqNum used to hold 289 MB."""
    session = acceptor(max_queued_bytes=1 << 20)
    logged_on(session)
    for seq in range(5, 60):
        session.receive(order(seq, T0, "X" * 50_000), T0)
    assert 0 < session._queued_bytes <= 1 << 20 and len(session._queue) == 20
    for seq in (2, 3, 4):
        session.receive(order(seq, T0, f"C{seq}"), T0)
    assert session._queued_bytes == 0 and not session._queue and session.next_target_seq_num == 25


# ---------------------------------------------------------------------------------------------------- over sockets


def logon_frame(client: str, heartbeat: str = "30") -> bytes:
    return encode(b"FIX.4.4", [(35, "A"), (34, "1"), (49, client), (52, format_timestamp(time.time())), (56, "HUB"),
                               (98, "0"), (108, heartbeat)])


async def read_until_closed(reader: asyncio.StreamReader, timeout: float = 10.0) -> list[Message]:
    """Every message the hub sends until it closes the connection (a timeout fails the test)."""
    framer, messages = Framer(), []
    async with asyncio.timeout(timeout):
        try:
            while data := await reader.read(65536):
                framer.feed(data)
                while (frame := framer.next_frame()) is not None:
                    messages.append(parse(frame))
        except ConnectionResetError:   # closed with our bytes unread: a reset, after what it sent
            pass
    return messages


async def read_one(reader: asyncio.StreamReader) -> Message:
    framer = Framer()
    async with asyncio.timeout(10):
        while (frame := framer.next_frame()) is None:
            data = await reader.read(65536)
            assert data, "the hub closed the connection"
            framer.feed(data)
    return parse(frame)


async def test_an_endless_checksum_after_logon_gets_a_logout_naming_the_limit_and_the_socket_closed() -> None:
    port = free_port()
    hub = SocketAcceptor([replace(acceptor_config(port, "BIG"), max_message_size=4096)], Recorder())
    await hub.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(logon_frame("BIG"))
        assert (await read_one(reader)).msg_type == b"A"
        heartbeat = encode(b"FIX.4.4", [(35, "0"), (34, "2"), (49, "BIG"), (52, format_timestamp(time.time())),
                                        (56, "HUB")])
        writer.write(heartbeat[:-1] + b"1" * 4200)   # "10=nnn" and then never the SOH (one write: all read)
        await writer.drain()
        messages = await read_until_closed(reader)
        assert [m.msg_type for m in messages] == [b"5"]
        assert b"larger than 4096 bytes" in (messages[0].get(58) or b"")
        await until(lambda: SessionID("FIX.4.4", "HUB", "BIG") not in hub.connections, "the connection to end")
    finally:
        writer.close()
        await hub.stop()


async def test_an_oversized_partial_before_logon_closes_the_connection() -> None:
    port = free_port()
    hub = SocketAcceptor([replace(acceptor_config(port, "BIG"), max_message_size=4096)], Recorder())
    await hub.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"8=FIX.4.4\x019=10\x0135=A\x0149=BIG\x01" + b"58=" + b"q" * 10_000)
        await writer.drain()
        assert await read_until_closed(reader) == []
    finally:
        writer.close()
        await hub.stop()


Connect = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


@contextlib.asynccontextmanager
async def limited_acceptor(total: int, per_host: int) -> AsyncIterator[tuple[SocketAcceptor, Connect]]:
    """An acceptor for ONE with these pre-logon bounds, and a connect that closes what it opened at the end."""
    port = free_port()
    hub = SocketAcceptor([replace(acceptor_config(port, "ONE"), max_pending_logons=total,
                                  max_pending_logons_per_host=per_host)], Recorder())
    await hub.start()
    opened: list[asyncio.StreamWriter] = []

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        opened.append(writer)
        return reader, writer
    try:
        yield hub, connect
    finally:
        for writer in opened:
            writer.close()
        await hub.stop()


async def test_connections_not_logged_on_are_bounded_per_address_but_logged_on_ones_do_not_count() -> None:
    async with limited_acceptor(total=10, per_host=2) as (hub, connect):
        reader, writer = await connect()                                    # logs on: no longer pending
        writer.write(logon_frame("ONE"))
        assert (await read_one(reader)).msg_type == b"A"
        idle = [(await connect())[0] for _ in range(2)]                     # two idle ones are allowed
        await until(lambda: hub._pending_logons.total() == 2, "two pending connections")
        extra_reader, _ = await connect()                                   # the third is refused
        assert await read_until_closed(extra_reader, timeout=5) == []
        for idle_reader in idle:                                            # the idle ones are still open
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await idle_reader.read(1)
    assert hub._pending_logons.total() == 0 and hub._pending_logons == {}


async def test_connections_not_logged_on_are_bounded_in_total() -> None:
    async with limited_acceptor(total=3, per_host=100) as (hub, connect):
        for _ in range(3):
            await connect()
        await until(lambda: hub._pending_logons.total() == 3, "three pending connections")
        extra_reader, _ = await connect()
        assert await read_until_closed(extra_reader, timeout=5) == []


class Authenticator(Recorder):
    """Refuses BAD's password; holds SLOW's check until released, as a slow password hash would."""

    def __init__(self) -> None:
        super().__init__()
        self.release_slow = asyncio.Event()
        self.slow_started = asyncio.Event()

    async def authenticate(self, message: Message, session_id: SessionID, peer: str) -> None:
        assert peer == "127.0.0.1"
        if session_id.target_comp_id == "BAD":
            raise RejectLogon("bad password")
        if session_id.target_comp_id == "SLOW":
            self.slow_started.set()
            await self.release_slow.wait()


async def test_authenticate_refusing_gets_a_logout_with_its_text_and_no_logon() -> None:
    port = free_port()
    hub_app = Authenticator()
    hub = SocketAcceptor([acceptor_config(port, "BAD")], hub_app)
    await hub.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(logon_frame("BAD"))
        await writer.drain()
        messages = await read_until_closed(reader)
        assert [(m.msg_type, m.get(58)) for m in messages] == [(b"5", b"bad password")]
        bad = SessionID("FIX.4.4", "HUB", "BAD")
        assert not hub.sessions[bad].logged_on and hub_app.logons == []
    finally:
        writer.close()
        await hub.stop()


async def test_a_slow_authenticate_does_not_stall_another_sessions_traffic() -> None:
    port = free_port()
    hub_app, client_app = Authenticator(), Recorder()
    hub = SocketAcceptor([acceptor_config(port, "SLOW"), acceptor_config(port, "FAST")], hub_app)
    fast = SocketInitiator([initiator_config(port, "FAST")], client_app)
    await hub.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(logon_frame("SLOW"))
        await writer.drain()
        await asyncio.wait_for(hub_app.slow_started.wait(), 10)
        await fast.start()
        await until(lambda: len(client_app.logons) == 1, "FAST's logon while SLOW's check waits")
        for number in range(5):
            await fast.send_to_target(SessionID("FIX.4.4", "FAST", "HUB"), b"D", new_order(f"F-{number}"))
        await until(lambda: len(hub_app.messages) == 5, "FAST's orders while SLOW's check waits")
        assert not hub.sessions[SessionID("FIX.4.4", "HUB", "SLOW")].logged_on
        hub_app.release_slow.set()
        assert (await read_one(reader)).msg_type == b"A"
        await until(lambda: hub.sessions[SessionID("FIX.4.4", "HUB", "SLOW")].logged_on, "SLOW's logon")
    finally:
        writer.close()
        await fast.stop()
        await hub.stop()


async def test_the_limits_set_in_a_cfg_file_bound_the_acceptor() -> None:
    port = free_port()
    settings = parse_settings(
        f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
        f"SocketReuseAddress=Y\nBeginString=FIX.4.4\nSenderCompID=HUB\nMaxMessageSize=4096\n"
        f"MaxPendingLogonsPerHost=1\n[SESSION]\nTargetCompID=BIG\n")
    hub = SocketAcceptor(settings.acceptors(), Recorder())
    await hub.start()
    try:
        idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", port)
        await until(lambda: hub._pending_logons.total() == 1, "one pending connection")
        extra_reader, extra_writer = await asyncio.open_connection("127.0.0.1", port)   # a second from this host
        assert await read_until_closed(extra_reader, timeout=5) == []
        extra_writer.close()
        idle_writer.write(b"8=FIX.4.4\x019=10\x0135=A\x0149=BIG\x01" + b"58=" + b"q" * 5000)   # past 4096 bytes
        await idle_writer.drain()
        assert await read_until_closed(idle_reader) == []
        idle_writer.close()
    finally:
        await hub.stop()
