"""The transport lets bytes out only once the store has committed what they follow, in order, off the event loop."""
from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

from fix_sessions.codec import Message, parse
from fix_sessions.session_id import SessionID
from fix_sessions.store import MemoryStore, StoreError
from fix_sessions.transport import SocketAcceptor, SocketInitiator
from tests.fix_sessions.test_transport import (
    Recorder,
    acceptor_config,
    answer_orders,
    initiator_config,
    new_order,
    until,
)
from tests.net import free_port

HUB = SessionID("FIX.4.4", "HUB", "ALPHA")
CLIENT = SessionID("FIX.4.4", "ALPHA", "HUB")


class HeldStore(MemoryStore):
    """A memory store whose every commit finishes only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.commits: list[Future[None]] = []

    def commit(self) -> Future[None]:
        committing: Future[None] = Future()
        committing.set_running_or_notify_cancel()
        self.commits.append(committing)
        return committing


async def test_given_a_hub_on_sqlite_every_report_is_in_the_database_before_the_client_reads_it(
        tmp_path: Path) -> None:
    port, database = free_port(), tmp_path / "hub.db"
    hub_app, client_app = Recorder(), Recorder()
    hub = SocketAcceptor([replace(acceptor_config(port, "ALPHA"), sql_store_url=f"sqlite:///{database}")], hub_app)
    answer_orders(hub, hub_app)
    clients = SocketInitiator([initiator_config(port, "ALPHA")], client_app)
    not_stored: list[Message] = []

    async def look_it_up(report: Message, session_id: SessionID) -> None:
        with sqlite3.connect(database) as db:
            row = db.execute("SELECT raw FROM fix_message WHERE sender_comp_id = 'HUB' AND seq_num = ?",
                             (int(report.get(34) or 0),)).fetchone()
        if row is None or parse(row[0]) != report:
            not_stored.append(report)

    client_app.on_message = look_it_up
    await hub.start()
    await clients.start()
    try:
        await until(lambda: len(client_app.logons) == 1, "the logon")
        for number in range(200):
            await clients.send_to_target(CLIENT, b"D", new_order(f"SQL-{number}"))
        await until(lambda: len(client_app.messages) == 200, "200 execution reports")
        assert not_stored == []
        with sqlite3.connect(database) as db:
            numbers = db.execute("SELECT next_sender_seq_num, next_target_seq_num FROM fix_session_state "
                                 "WHERE sender_comp_id = 'HUB'").fetchone()
        assert numbers == (202, 202), "the Logon and 200 orders counted, the Logon and 200 reports kept"
    finally:
        await clients.stop()
        await hub.stop()


async def test_bytes_wait_for_their_commit_and_go_out_in_the_order_they_were_written() -> None:
    port = free_port()
    hub_app, client_app = Recorder(), Recorder()
    hub = SocketAcceptor([acceptor_config(port, "ALPHA")], hub_app)
    store = hub.sessions[HUB].store = HeldStore()
    answer_orders(hub, hub_app)
    clients = SocketInitiator([initiator_config(port, "ALPHA")], client_app)
    await hub.start()
    await clients.start()
    try:
        await until(lambda: len(store.commits) == 1, "the hub's Logon to wait for its commit")
        await asyncio.sleep(0.2)
        assert client_app.logons == []
        store.commits[0].set_result(None)
        await until(lambda: len(client_app.logons) == 1, "the logon once committed")
        for number in range(3):
            await clients.send_to_target(CLIENT, b"D", new_order(f"HELD-{number}"))
            await until(lambda waiting=2 + number: len(store.commits) == waiting,
                        f"report {number} to wait for its commit")
        assert client_app.messages == []
        for committing in reversed(store.commits[1:]):
            committing.set_result(None)
        await until(lambda: len(client_app.messages) == 3, "the three reports")
        assert [m.get(11) for _, m in client_app.messages] == [b"HELD-0", b"HELD-1", b"HELD-2"]
    finally:
        for committing in store.commits:
            if not committing.done():
                committing.set_result(None)
        await clients.stop()
        await hub.stop()


async def test_a_failed_commit_ends_the_connection_and_what_waited_on_it_is_never_sent() -> None:
    port = free_port()
    client_app = Recorder()
    hub = SocketAcceptor([acceptor_config(port, "ALPHA")], Recorder())
    store = hub.sessions[HUB].store = HeldStore()
    clients = SocketInitiator([initiator_config(port, "ALPHA")], client_app)
    await hub.start()
    await clients.start()
    try:
        await until(lambda: len(store.commits) == 1, "the hub's Logon to wait for its commit")
        store.commits[0].set_exception(StoreError("the database is down"))
        await until(lambda: HUB not in hub.connections, "the connection to end")
        assert client_app.logons == []
    finally:
        for committing in store.commits:
            if not committing.done():
                committing.set_result(None)
        await clients.stop()
        await hub.stop()


class Unsettled(Recorder):
    """An application that takes orders at once and makes them durable only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.durable = asyncio.Event()

    async def settled(self, session_id: SessionID) -> None:
        await self.durable.wait()


async def test_an_order_read_is_counted_on_disk_only_once_the_application_has_made_it_durable(
        tmp_path: Path) -> None:
    """As QuickFIX advances the number after fromApp: a crash before the order is durable leaves it to the resend."""
    port, database = free_port(), tmp_path / "hub.db"
    hub_app, client_app = Unsettled(), Recorder()
    hub = SocketAcceptor([replace(acceptor_config(port, "ALPHA"), sql_store_url=f"sqlite:///{database}")], hub_app)
    clients = SocketInitiator([initiator_config(port, "ALPHA")], client_app)

    def stored_target() -> int:
        hub.sessions[HUB].store.flush()
        with sqlite3.connect(database) as db:
            return int(db.execute("SELECT next_target_seq_num FROM fix_session_state "
                                  "WHERE sender_comp_id = 'HUB'").fetchone()[0])

    await hub.start()
    await clients.start()
    try:
        await until(lambda: len(client_app.logons) == 1, "the logon")
        hub_app.durable.set()
        await until(lambda: stored_target() == 2, "the Logon counted")
        hub_app.durable.clear()
        await clients.send_to_target(CLIENT, b"D", new_order("HELD-1"))
        await until(lambda: len(hub_app.messages) == 1, "the order taken")
        await asyncio.sleep(0.1)
        assert stored_target() == 2, "not counted on disk before the application says it is durable"
        assert hub.sessions[HUB].store.next_target_seq_num() == 3, "in memory, the session is at the next one"
        hub_app.durable.set()
        await until(lambda: stored_target() == 3, "counted once durable")
    finally:
        await clients.stop()
        await hub.stop()
