"""A hub on its own SQLite file with two in-memory LPs, the gateway in front of it on an ephemeral port, and
QuickFIX initiators (``fix_client.py``, each in its own process) as the prop firm and the broker's drop copy."""
from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adapters.memory import MemoryVenue
from dynamictech.hub import Hub, HubSettings
from engine.domain.tenancy import Account, Directory, Group, Role, Tenant, User
from engine.domain.terms import Markup, RouteRule
from engine.ledger import EntryKind, LedgerAccount, wallet
from engine.ports import utc_now
from engine.storage.access import hash_password
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.directory import SqlDirectory
from engine.storage.unit_of_work import UnitOfWork
from fix_sessions.settings import parse_settings
from fix_specs import path as spec_path
from gateway.config import parse_bindings
from gateway.service import Gateway
from tests.stubs import D, btcusdt, eurusd

CLIENT = Path(__file__).with_name("fix_client.py")
# The counterparties validate what we send with QuickFIX's own dictionary, not ours.
QUICKFIX_DICTIONARY = Path(__file__).parents[1] / "fix_sessions" / "quickfix_at" / "spec" / "FIX44.xml"
PROP_FIRM, BROKER = "PROPFIRM1", "BROKERA-DC"
PASSWORDS = {PROP_FIRM: "propfirm-test-password", BROKER: "broker-test-password"}
_HASHES = {comp_id: hash_password(password) for comp_id, password in PASSWORDS.items()}


def bindings_table(clients: dict[str, dict[str, Any]], copies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The [gateway] table for these bindings, each with its test password's hash."""
    return {"order_entry": {c: {**entry, "password_hash": _HASHES[c]} for c, entry in clients.items()},
            "drop_copy": {c: {**entry, "password_hash": _HASHES[c]} for c, entry in copies.items()}}


def seed(url: str) -> None:
    """Broker A with two traders: ACC-1 is bound to the prop firm's session, ACC-2 is not."""
    upgrade(url)
    directory = Directory()
    directory.add_tenant(Tenant("broker-a", "Broker A"))
    directory.add_user(User("owner", "broker-a", Role.BROKER))
    for number in (1, 2):
        directory.add_user(User(f"trader-{number}", "broker-a", Role.END_USER, referrer_id="owner"))
    directory.add_group(Group("standard", "broker-a"))
    for number in (1, 2):
        directory.add_account(Account(f"ACC-{number}", "broker-a", f"trader-{number}", "standard"))
    store = SqlDirectory(UnitOfWork(make_engine(url)))
    store.save_directory(directory)
    store.save_route_rules([RouteRule(("lp-1", "lp-2"))])
    store.save_markups({("broker-a", "*", "*"): Markup.both(D("0.00002"))})


def venues() -> dict[str, MemoryVenue]:
    quotes = {"EUR/USD": (D("1.08340"), D("1.08350")), "BTC/USDT": (D("60000"), D("60010")),
              "USDT/USD": (D("0.9999"), D("1.0001"))}
    return {"lp-1": MemoryVenue("lp-1", quotes, clock=utc_now), "lp-2": MemoryVenue("lp-2", quotes, clock=utc_now)}


def gateway_cfg(store: Path) -> str:
    sessions = "".join(f"\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=HUB\nTargetCompID={comp_id}\n"
                       for comp_id in (PROP_FIRM, BROKER))
    return (f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n"
            f"FileStorePath={store}\nDataDictionary={spec_path('FIX44.xml')}\nNonStopSession=Y\n{sessions}")


async def until(condition: Callable[[], Any], what: str, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
    assert condition(), what


@dataclass
class Received:
    """One message a QuickFIX client got, by tag (the first occurrence) and in wire order."""

    fields: list[tuple[int, str]]
    poss_dup: bool = False

    def __getitem__(self, tag: int) -> str:
        return dict(reversed(self.fields))[tag]

    def get(self, tag: int) -> str | None:
        return dict(reversed(self.fields)).get(tag)

    def all(self, tag: int) -> list[str]:
        return [value for t, value in self.fields if t == tag]


@dataclass
class FixClient:
    process: asyncio.subprocess.Process
    store: Path
    messages: list[Received] = field(default_factory=list)   # application messages, as they came
    rejects: list[Received] = field(default_factory=list)    # session-level Rejects
    events: list[str] = field(default_factory=list)          # logon, logout, done
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, port: int, store: Path, sender: str, password: str | None = None,
                    reset_on_logon: bool = False) -> FixClient:
        store.mkdir(parents=True, exist_ok=True)
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(CLIENT), "--port", str(port), "--store", str(store), "--dictionary",
            str(QUICKFIX_DICTIONARY), "--sender", sender, "--password", PASSWORDS.get(sender, "") if password is None
            else password, *(["--reset-on-logon"] if reset_on_logon else []), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=(store / "stderr.txt").open("wb"))
        client = cls(process, store)
        client.reader = asyncio.create_task(client._read())
        return client

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            event = json.loads(line)
            fields = [(int(tag), value) for tag, value in event.get("fields", [])]
            if event["event"] == "app":
                self.messages.append(Received(fields, event["poss_dup"]))
            elif event["event"] == "reject":
                self.rejects.append(Received(fields))
            else:
                self.events.append(event["event"])

    def _command(self, **command: Any) -> None:
        assert self.process.stdin is not None and self.process.returncode is None, self.stderr()
        self.process.stdin.write(json.dumps(command).encode() + b"\n")

    def send(self, msg_type: str, fields: list[tuple[int, Any]], groups: list[Any] | None = None) -> None:
        self._command(send=msg_type, fields=fields, groups=groups or [])

    def logout(self) -> None:
        self._command(logout=True)

    def logon(self) -> None:
        self._command(logon=True)

    def drop(self) -> None:
        self._command(drop=True)

    def of_type(self, msg_type: str) -> list[Received]:
        return [m for m in self.messages if m[35] == msg_type]

    async def next(self, msg_type: str, where: Callable[[Received], bool] = lambda m: True,
                   timeout: float = 10.0) -> Received:
        """The first message of ``msg_type`` that ``where`` accepts (waiting for it if need be)."""
        def found() -> Received | None:
            return next((m for m in self.of_type(msg_type) if where(m)), None)
        await until(lambda: found() is not None or self.process.returncode is not None,
                    f"a {msg_type} message", timeout)
        message = found()
        assert message is not None, f"the client exited: {self.stderr()}"
        return message

    async def logged_on(self, count: int = 1, timeout: float = 10.0) -> None:
        await until(lambda: self.events.count("logon") >= count, "the logon", timeout)

    def stderr(self) -> str:
        path = self.store / "stderr.txt"
        return path.read_text()[-2000:] if path.exists() else ""

    async def stop(self) -> None:
        if self.process.returncode is None and self.process.stdin is not None:
            self.process.stdin.close()
            try:
                async with asyncio.timeout(5):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
        await self.process.wait()
        if self.reader is not None:
            await self.reader


@dataclass
class World:
    hub: Hub
    gateway: Gateway
    lps: dict[str, MemoryVenue]
    tmp: Path
    clients: list[FixClient] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.gateway.ports[0]

    async def client(self, sender: str, reset_on_logon: bool = False) -> FixClient:
        client = await FixClient.start(self.port, self.tmp / f"client-{sender}", sender,
                                       reset_on_logon=reset_on_logon)
        self.clients.append(client)
        await client.logged_on()
        return client


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    lps = venues()
    hub = Hub(HubSettings(url, tick_seconds=0.05), {"EUR/USD": eurusd(), "BTC/USDT": btcusdt()}, dict(lps))
    for account in ("ACC-1", "ACC-2"):
        hub.oms.accounting.ledger.transfer(EntryKind.DEPOSIT, f"dep-{account}", LedgerAccount("bank", "cash"),
                                     wallet(account), "USD", D(100000))
    bindings = parse_bindings(bindings_table({PROP_FIRM: {"accounts": ["ACC-1"]}}, {BROKER: {"tenant": "broker-a"}}))
    gateway = Gateway(hub.services, parse_settings(gateway_cfg(tmp_path / "fix")), bindings)
    await hub.start()
    await gateway.start()
    world = World(hub, gateway, lps, tmp_path)
    try:
        yield world
    finally:
        for client in world.clients:
            await client.stop()
        await gateway.stop()
        await hub.stop()
