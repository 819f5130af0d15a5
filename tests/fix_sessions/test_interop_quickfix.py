"""Interop with an engine nobody here wrote: QuickFIX (C++, through its Python binding) in its own process.

Each direction trades 1,000 orders through a connection dropped mid-flow; the gap is recovered by the standard
ResendRequest/PossDup machinery on both sides, and the sessions end with a clean Logout handshake.
"""
from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_sessions.transport import SocketAcceptor, SocketInitiator
from tests.fix_sessions.test_transport import (
    DICTIONARY,
    Recorder,
    execution_report,
    new_order,
    until,
)
from tests.net import free_port

PEER = Path(__file__).with_name("quickfix_peer.py")
QUICKFIX_DICTIONARY = Path(__file__).with_name("quickfix_at") / "spec" / "FIX44.xml"
ORDERS = 1000
DROP_AFTER = 300


class QuickFixPeer:
    """The QuickFIX process, its events on stdout and, when it dies, its exit code and stderr."""

    def __init__(self, process: asyncio.subprocess.Process, store: Path) -> None:
        self.process = process
        self.store = store

    @classmethod
    async def start(cls, role: str, port: int, store: Path) -> QuickFixPeer:
        store.mkdir(parents=True, exist_ok=True)
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(PEER), role, "--port", str(port), "--store", str(store), "--dictionary",
            str(QUICKFIX_DICTIONARY), "--orders", str(ORDERS), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=(store / "stderr.txt").open("wb"),
        )
        return cls(process, store)

    async def event(self, wanted: str, timeout: float = 90) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                line = await self.process.stdout.readline()
                if not line:
                    code = await self.process.wait()
                    stderr = (self.store / "stderr.txt").read_text()[-2000:]
                    raise AssertionError(f"the QuickFIX peer exited ({code}) before reporting {wanted!r}:\n{stderr}")
                event = json.loads(line)
                if event["event"] == wanted:
                    return event

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


def hub_session(port: int, store: Path, connection_type: str) -> SessionConfig:
    if connection_type == "acceptor":
        return SessionConfig(session_id=SessionID("FIX.4.4", "HUB", "QFPEER"), connection_type="acceptor",
                             socket_accept_host="127.0.0.1", socket_accept_port=port, data_dictionary=DICTIONARY,
                             file_store_path=str(store), socket_reuse_address=True)
    return SessionConfig(session_id=SessionID("FIX.4.4", "HUB", "QFPEER"), connection_type="initiator",
                         socket_connect_hosts=(("127.0.0.1", port),), heartbeat_interval=5, reconnect_interval=1,
                         data_dictionary=DICTIONARY, file_store_path=str(store))


async def test_a_quickfix_initiator_trades_1000_orders_with_our_acceptor_through_a_dropped_connection(
        tmp_path: Path) -> None:
    port = free_port()
    hub_app = Recorder()
    hub = SocketAcceptor([hub_session(port, tmp_path / "ours", "acceptor")], hub_app)
    session_id = SessionID("FIX.4.4", "HUB", "QFPEER")
    answered = 0

    async def answer(order: Message, sid: SessionID) -> None:
        nonlocal answered
        await hub.send_to_target(sid, b"8", execution_report(order))
        answered += 1
        if answered == DROP_AFTER:
            hub.connections[sid].writer.transport.abort()  # the line drops mid-flow

    hub_app.on_message = answer
    await hub.start()
    peer = await QuickFixPeer.start("initiator", port, tmp_path / "quickfix")
    try:
        done = await peer.event("done")
        assert done["unique"] == ORDERS, f"QuickFIX got reports for {done['unique']} of {ORDERS} orders"
        assert done["logons"] >= 2, "QuickFIX should have logged on again after the drop"
        assert done["poss_dup"] > 0, "reports lost with the line reach QuickFIX again as PossDup resends"
        orders = {m.get(11) for _, m in hub_app.messages}
        assert len(orders) == ORDERS
        assert any(m.get(43) == b"Y" for _, m in hub_app.messages), "orders in flight come back as PossDup"
        await until(lambda: session_id not in hub.connections, "the logout handshake to close the session")
        session = hub.sessions[session_id]
        assert session.next_sender_seq_num > ORDERS and not session.logged_on
    finally:
        await peer.stop()
        await hub.stop()


async def test_our_initiator_trades_1000_orders_with_a_quickfix_acceptor_through_a_dropped_connection(
        tmp_path: Path) -> None:
    port = free_port()
    peer = await QuickFixPeer.start("acceptor", port, tmp_path / "quickfix")
    client_app = Recorder()
    config = replace(hub_session(port, tmp_path / "ours", "initiator"))
    clients = SocketInitiator([config], client_app, first_retry=0.2)
    session_id = SessionID("FIX.4.4", "HUB", "QFPEER")
    await clients.start()
    try:
        await until(lambda: len(client_app.logons) == 1, "the logon to QuickFIX", timeout=30)
        for number in range(ORDERS):
            if number == DROP_AFTER:
                clients.connections[session_id].writer.transport.abort()
            await clients.send_to_target(session_id, b"D", new_order(f"OURS-{number}"))
            if number % 50 == 49:
                await asyncio.sleep(0.005)
        reports = lambda: {m.get(11) for _, m in client_app.messages}  # noqa: E731
        await until(lambda: len(reports()) == ORDERS, f"execution reports for all {ORDERS} orders", timeout=60)
        assert len(client_app.logons) >= 2
        await clients.stop()
        assert clients.sessions[session_id].next_sender_seq_num > ORDERS
        assert peer.process.stdin is not None
        peer.process.stdin.close()
        done = await peer.event("done")
        assert done["unique"] == ORDERS
        assert done["poss_dup"] > 0, "orders sent while the line was down reach QuickFIX as PossDup resends"
    finally:
        await peer.stop()
        await clients.stop()
