"""The FIX doors ask the one policy for the user a binding acts for: at logon (a locked user, or a drop copy whose
user may not copy the tenant, is refused with a Logout naming why) and at each order (an account outside the user's
scope is refused as an unknown account is, with the policy's reason in Text); the session hears only of accounts its
user may read. Raw FIX over a real socket, against the gateway conftest's hub (broker-a: owner, trader-1 on ACC-1,
trader-2 on ACC-2)."""
from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.domain.order import OrdType, Side
from engine.oms import NewOrder
from engine.storage.access import hash_password
from fix_sessions.codec import Framer, Message, Value, encode, parse
from fix_sessions.settings import parse_settings
from fix_sessions.utctime import format_timestamp
from fix_specs import path as spec_path
from gateway.config import BindingError, parse_bindings
from gateway.service import Gateway
from tests.gateway.conftest import World

PASSWORD = "policy-test-password"
HASH = hash_password(PASSWORD)
WAIT = 20.0   # the longest an answer may take to arrive; nothing is measured against it


class FixPeer:
    """A counterparty's session as bytes on a socket: Logon, requests, and what comes back."""

    def __init__(self, comp_id: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.comp_id = comp_id
        self.reader, self.writer = reader, writer
        self.framer = Framer()
        self.seq = itertools.count(1)
        self.received: list[Message] = []

    @classmethod
    async def connect(cls, port: int, comp_id: str) -> FixPeer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(comp_id, reader, writer)

    def send(self, msg_type: str, fields: list[tuple[int, Value]]) -> None:
        header: list[tuple[int, Value]] = [(35, msg_type), (49, self.comp_id), (56, "HUB"),
                                           (34, str(next(self.seq))), (52, format_timestamp(time.time()).decode())]
        self.writer.write(encode(b"FIX.4.4", header + fields))

    def order(self, cl_ord_id: str, account: str) -> None:
        """A limit buy far below the market: it rests."""
        self.send("D", [(11, cl_ord_id), (1, account), (55, "EUR/USD"), (54, "1"),
                        (60, format_timestamp(time.time()).decode()), (38, "0.01"), (40, "2"), (44, "1.00000"),
                        (59, "1")])

    async def next(self, where: Callable[[Message], bool]) -> Message:
        """The first message ``where`` accepts, taken out of what came (reading on while none has)."""
        async with asyncio.timeout(WAIT):
            while True:
                for message in self.received:
                    if where(message):
                        self.received.remove(message)
                        return message
                data = await self.reader.read(65536)
                assert data, f"{self.comp_id}: the hub closed the connection"
                self.framer.feed(data)
                while (frame := self.framer.next_frame()) is not None:
                    self.received.append(parse(frame))

    async def report(self, cl_ord_id: str) -> Message:
        return await self.next(lambda m: m.msg_type == b"8" and m.get_str(11) == cl_ord_id)

    async def logon(self, password: str = PASSWORD) -> Message:
        self.send("A", [(98, "0"), (108, "30"), (141, "Y"), (553, self.comp_id), (554, password)])
        return await self.next(lambda m: m.msg_type in (b"A", b"5"))

    def close(self) -> None:
        self.writer.close()


def refused(answer: Message) -> str:
    assert answer.msg_type == b"5", f"expected a Logout, got {answer!r}"
    return answer.get_str(58) or ""


def bindings_table(order_entry: dict[str, dict[str, Any]], drop_copy: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"order_entry": {c: {**e, "password_hash": HASH} for c, e in order_entry.items()},
            "drop_copy": {c: {**e, "password_hash": HASH} for c, e in drop_copy.items()}}


@pytest.fixture
async def doors(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    """A second gateway on the world's hub whose bindings name their users."""
    order_entry = {"TRADER1": {"accounts": ["ACC-1", "ACC-2"], "default_account": "ACC-1", "user": "trader-1"},
                   "OWNER": {"accounts": ["ACC-1", "ACC-2"], "default_account": "ACC-1", "user": "owner"}}
    drop_copy = {"DC-OWNER": {"tenant": "broker-a", "user": "owner"},
                 "DC-TRADER": {"tenant": "broker-a", "user": "trader-2"}}
    sessions = "".join(f"\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=HUB\nTargetCompID={comp_id}\n"
                       for comp_id in (*order_entry, *drop_copy))
    config = (f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n"
              f"FileStorePath={tmp_path / 'doors'}\nDataDictionary={spec_path('FIX44.xml')}\nNonStopSession=Y\n"
              f"{sessions}")
    gateway = Gateway(world.hub.services, parse_settings(config).acceptors(),
                      parse_bindings(bindings_table(order_entry, drop_copy)))
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


def test_a_binding_names_the_user_it_acts_for_who_must_be_in_the_directory(world: World) -> None:
    bindings = parse_bindings(bindings_table({"A": {"accounts": ["ACC-1"], "user": "trader-1"}},
                                             {"DC": {"tenant": "broker-a", "user": "owner"}}))
    assert bindings.clients["A"].user == "trader-1" and bindings.drop_copies["DC"].user == "owner"
    assert parse_bindings(bindings_table({"A": {"accounts": ["ACC-1"]}}, {})).clients["A"].user is None, \
        "without a user the binding alone decides, as before"
    bindings.check(world.hub.directory)
    with pytest.raises(BindingError, match="user must be a user id"):
        parse_bindings(bindings_table({"A": {"accounts": ["ACC-1"], "user": 7}}, {}))
    with pytest.raises(BindingError, match="A: unknown user ghost; DC: unknown user nobody"):
        parse_bindings(bindings_table({"A": {"accounts": ["ACC-1"], "user": "ghost"}},
                                      {"DC": {"tenant": "broker-a", "user": "nobody"}})).check(world.hub.directory)


async def test_an_order_outside_the_users_scope_is_refused_with_the_policys_reason(world: World,
                                                                                    doors: Gateway) -> None:
    trader = await FixPeer.connect(doors.ports[0], "TRADER1")
    owner = await FixPeer.connect(doors.ports[0], "OWNER")
    try:
        assert (await trader.logon()).msg_type == b"A"
        assert (await owner.logon()).msg_type == b"A"
        trader.order("T-2", "ACC-2")
        report = await trader.report("T-2")
        assert (report.get(39), report.get(103), report.get_str(58)) == (
            b"8", b"15", "account ACC-2 is outside what an end user trader-1 may trade on accounts")
        trader.order("T-1", "ACC-1")
        assert (await trader.report("T-1")).get(39) == b"0", "its own account trades"
        owner.order("O-2", "ACC-2")
        assert (await owner.report("O-2")).get(39) == b"0", "the broker trades on its tenant's accounts"
        trader.send("F", [(41, "O-2"), (11, "T-C"), (1, "ACC-2"), (55, "EUR/USD"), (54, "1"),
                          (60, format_timestamp(time.time()).decode()), (38, "0.01")])
        cancel_reject = await trader.next(lambda m: m.msg_type == b"9")
        assert (cancel_reject.get(102), cancel_reject.get_str(58)) == (
            b"1", "account ACC-2 is outside what an end user trader-1 may trade on accounts")
        trader.send("H", [(11, "O-2"), (1, "ACC-2"), (55, "EUR/USD"), (54, "1"), (790, "S-1")])
        status = await trader.report("O-2")
        assert (status.get(150), status.get(39), status.get_str(58)) == (
            b"I", b"8", "account ACC-2 is outside what an end user trader-1 may read accounts"), \
            "the order is there, but the trader may not know it"
        # ACC-2 is bound to the trader's session too, but its user may not read it: it never hears of ACC-2.
        await world.hub.oms.submit(NewOrder("OMS-2", "ACC-2", "EUR/USD", Side.BUY, OrdType.LIMIT, Decimal("0.01"),
                                            price=Decimal(1)))
        await owner.report("OMS-2")
        trader.order("T-3", "ACC-1")
        await trader.report("T-3")   # after ACC-2's events, which went out first
        assert [m.get_str(1) for m in trader.received if m.msg_type == b"8"] == []
        assert all(m.get_str(1) == "ACC-1" for m in trader.received if m.msg_type in (b"8", b"9"))
    finally:
        trader.close()
        owner.close()


async def test_a_locked_user_logs_on_nowhere_and_a_drop_copy_needs_its_users_permission(world: World,
                                                                                        doors: Gateway) -> None:
    copy = await FixPeer.connect(doors.ports[0], "DC-OWNER")
    assert (await copy.logon()).msg_type == b"A", "the broker copies its own tenant"
    copy.close()
    stranger = await FixPeer.connect(doors.ports[0], "DC-TRADER")
    assert refused(await stranger.logon()) == "logon refused: an end user may not drop copy"
    stranger.close()
    trader = world.hub.directory.users["trader-1"]
    world.hub.directory.add_user(replace(trader, locked=True))
    locked = await FixPeer.connect(doors.ports[0], "TRADER1")
    assert refused(await locked.logon()) == "logon refused: user trader-1 is locked"
    locked.close()
    world.hub.directory.add_user(trader)
    unlocked = await FixPeer.connect(doors.ports[0], "TRADER1")
    assert (await unlocked.logon()).msg_type == b"A", "unlocked, it logs on again"
    unlocked.close()
