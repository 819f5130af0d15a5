"""Tenant isolation, proven over generated trees (``tests.engine.test_policy.trees``: tenants in regions, admins,
brokers, IB chains of depth 0-3, traders and their accounts, some users locked, some IBs granted trading on their
clients), each added to one running hub through its live directory and its store: for every caller and every
account, through real HTTP on a socket, real WebSockets and a real FIX session, the caller reads and trades exactly
what the policy's scope says (written out independently in ``tests.engine.test_policy.may``), a refusal names
nothing of whose the account is, and no stream carries another scope's events. Then the demo's own roles: the broker
and the IBs see a working terminal without an account of their own, and an account stream closes, saying why, once
its caller may no longer read the account."""
from __future__ import annotations

import asyncio
import itertools
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import MemoryVenue
from dynamictech.hub import Hub, HubSettings
from engine.domain.policy import Action
from engine.domain.tenancy import Account, Directory, Role, User
from engine.domain.terms import RouteRule
from engine.ledger import EntryKind, LedgerAccount, wallet
from engine.ports import utc_now
from engine.storage.access import SqlAccess, hash_password, load_fernet
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.directory import SqlDirectory
from engine.storage.unit_of_work import UnitOfWork
from fix_sessions.settings import parse_settings
from fix_specs import path as spec_path
from gateway.config import parse_bindings
from gateway.service import Gateway
from tests.engine.test_policy import may, trees
from tests.gateway.test_fix_policy import PASSWORD as FIX_PASSWORD
from tests.gateway.test_fix_policy import FixPeer
from tests.stubs import eurusd
from tests.web.conftest import Terminal, signed_headers
from web.app import create_app, serve

T = TypeVar("T")
READ, TRADE = Action.ACCOUNTS_READ, Action.ACCOUNTS_TRADE
WAIT = 20.0   # the longest any one event may take to arrive; nothing is measured against it
ORDER = {"symbol": "EUR/USD", "side": "buy", "type": "limit", "quantity": "0.01", "price": "1.00000",
         "time_in_force": "gtc"}   # far below the market: it rests


# ---------------------------------------------------------------- one hub for every example, on its own loop
@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    hub: Hub
    access: SqlAccess
    url: str
    tmp: Path
    fix_hash: str
    examples: Iterator[int] = field(default_factory=itertools.count)

    def run(self, coroutine: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()  # type: ignore[arg-type]


async def _start(tmp: Path) -> tuple[Hub, SqlAccess, str, Callable[[], Awaitable[None]]]:
    url = f"sqlite:///{tmp / 'hub.db'}"
    upgrade(url)
    SqlDirectory(UnitOfWork(make_engine(url))).save_route_rules([RouteRule(("lp-1",))])
    quotes = {"EUR/USD": (Decimal("1.08340"), Decimal("1.08350"))}
    hub = Hub(HubSettings(url, tick_seconds=0.05, orders_per_second=0), {"EUR/USD": eurusd()},
              {"lp-1": MemoryVenue("lp-1", quotes, clock=utc_now)})
    await hub.start()
    access = SqlAccess(hub.unit, load_fernet(tmp / "secret.key"), hub.clock)
    runner, port = await serve(create_app(hub.services, hub.feed, hub.markup, hub.bars, access, hub.office),
                               "127.0.0.1", 0)

    async def stop() -> None:
        await runner.cleanup()
        await hub.stop()
    return hub, access, f"http://127.0.0.1:{port}", stop


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    with tempfile.TemporaryDirectory() as tmp:
        hub, access, url, stop = asyncio.run_coroutine_threadsafe(_start(Path(tmp)), loop).result()
        try:
            yield World(loop, hub, access, url, Path(tmp), hash_password(FIX_PASSWORD))
        finally:
            asyncio.run_coroutine_threadsafe(stop(), loop).result()
            loop.call_soon_threadsafe(loop.stop)
            thread.join()


# ---------------------------------------------------------------- callers
class Signer:
    """A program with its own API key: every request signed, each with a newer timestamp than the one before (a
    signature is accepted once)."""

    def __init__(self, key: tuple[str, str]) -> None:
        self.key_id, self.secret = key
        self.last = 0

    def headers(self, method: str, path: str, body: bytes = b"") -> dict[str, str]:
        self.last = max(int(time.time() * 1000), self.last + 1)
        return {**signed_headers(self.key_id, self.secret, method, path, body, at_ms=self.last),
                "Content-Type": "application/json"}


async def call(http: aiohttp.ClientSession, signer: Signer, method: str, path: str,
               body: Any = None) -> tuple[int, Any]:
    data = b"" if body is None else orjson.dumps(body)
    async with http.request(method, path, data=data, headers=signer.headers(method, path, data)) as answer:
        return answer.status, await answer.json()


def refused_alike(status: int, answer: Any, user: User, account: Account | None) -> None:
    """A 403 with the policy's code, whose reason says nothing of whose the account is. A locked user is turned
    away at the door already (401) or by the policy (403), with the code ``user_locked`` either way."""
    if user.locked:
        assert status in (401, 403) and answer["code"] == "user_locked", (user, answer)
        return
    assert status == 403 and answer["code"] == "forbidden", (user, account, answer)
    if account is not None:
        assert account.user_id not in answer["reason"] and account.tenant_id not in answer["reason"], answer


# ---------------------------------------------------------------- the account stream
@dataclass
class Watch:
    user: User
    account: Account
    socket: aiohttp.ClientWebSocketResponse
    frames: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        async for message in self.socket:
            if message.type is aiohttp.WSMsgType.TEXT:
                self.frames.append(orjson.loads(message.data))

    def orders(self) -> set[str]:
        return {f["cl_ord_id"] for f in self.frames if f["type"] == "order"}


async def until(condition: Callable[[], bool], what: str) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)
    assert condition(), what


def _gateway(world: World, tree: Directory, store: Path) -> tuple[Gateway, dict[str, User]]:
    """An order-entry session per user of the tree, bound to every account of the tree and acting for its user."""
    accounts = sorted(tree.accounts)
    comp_ids = {f"FIX-{user.user_id.upper()}": user for user in tree.users.values()}
    sessions = "".join(f"\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=HUB\nTargetCompID={comp_id}\n"
                       for comp_id in comp_ids)
    config = (f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n"
              f"FileStorePath={store}\nDataDictionary={spec_path('FIX44.xml')}\nNonStopSession=Y\n{sessions}")
    bindings = parse_bindings({"order_entry": {
        comp_id: {"accounts": accounts, "default_account": accounts[0], "user": user.user_id,
                  "password_hash": world.fix_hash} for comp_id, user in comp_ids.items()}})
    return Gateway(world.hub.services, parse_settings(config).acceptors(), bindings), comp_ids


# ---------------------------------------------------------------- one example
async def _isolated(world: World, tree: Directory, prefix: str) -> None:
    live, hub = world.hub.directory, world.hub
    for tenant in tree.tenants.values():
        live.add_tenant(tenant)
    for group in tree.groups.values():
        live.add_group(group)
    for user in tree.users.values():   # in the order they were made: every referrer before whom it referred
        live.add_user(user)
    for account in tree.accounts.values():
        live.add_account(account)
        hub.oms.accounting.ledger.transfer(EntryKind.DEPOSIT, f"dep-{account.account_id}",
                                           LedgerAccount("bank", "cash"), wallet(account.account_id), "USD",
                                           Decimal(100_000))
    hub.office.store.save(*tree.tenants.values(), *tree.groups.values(), *tree.users.values(),
                          *tree.accounts.values())
    users, accounts = list(tree.users.values()), list(tree.accounts.values())
    signers = {u.user_id: Signer(world.access.create_api_key(u.user_id)) for u in users}
    async with aiohttp.ClientSession(base_url=world.url) as http:
        # What each caller lists: its own accounts, and with scope=all everything it may read.
        for user in users:
            signer = signers[user.user_id]
            status, own = await call(http, signer, "GET", "/api/accounts")
            if user.locked:
                refused_alike(status, own, user, None)
                continue
            assert status == 200, (user, own)
            assert [a["account_id"] for a in own] == [a.account_id for a in accounts
                                                                         if a.user_id == user.user_id]
            status, everything = await call(http, signer, "GET", "/api/accounts?scope=all")
            assert status == 200
            assert [a["account_id"] for a in everything if a["account_id"].startswith(prefix)] == sorted(
                a.account_id for a in accounts if may(tree, user, READ, a)), user
            status, answer = await call(http, signer, "GET", f"/api/accounts/{prefix}zz999/balances")
            if user.role is Role.SUPER_ADMIN and not user.locked:
                assert (status, answer["code"]) == (404, "unknown_account")
            else:
                refused_alike(status, answer, user, None)

        # The account stream and the price stream at an account's group, opened by every caller on every account:
        # only what it may read opens.
        watches: list[Watch] = []
        for user in users:
            for account in accounts:
                path = f"/api/stream/prices?account_id={account.account_id}"
                try:
                    async with http.ws_connect(path, headers=signers[user.user_id].headers("GET", path)):
                        assert may(tree, user, READ, account), (user, account)
                except aiohttp.WSServerHandshakeError as refusal:
                    assert refusal.status in ((401, 403) if user.locked else (403,)), (user, account)
                    assert not may(tree, user, READ, account), (user, account)
                path = f"/api/stream/account?account_id={account.account_id}"
                try:
                    socket = await http.ws_connect(path, headers=signers[user.user_id].headers("GET", path))
                except aiohttp.WSServerHandshakeError as refusal:
                    assert refusal.status in ((401, 403) if user.locked else (403,)), (user, account)
                    assert not may(tree, user, READ, account), (user, account)
                    continue
                assert may(tree, user, READ, account), (user, account)
                watch = Watch(user, account, socket)
                watch.reader = asyncio.create_task(watch.read())
                watches.append(watch)

        # Reads and trades, every caller on every account.
        placed: dict[str, set[str]] = {a.account_id: set() for a in accounts}
        for user in users:
            signer = signers[user.user_id]
            for account in accounts:
                base = f"/api/accounts/{account.account_id}"
                for what in ("balances", "positions", "orders", "fills"):
                    status, answer = await call(http, signer, "GET", f"{base}/{what}")
                    if may(tree, user, READ, account):
                        assert status == 200, (user, account, answer)
                    else:
                        refused_alike(status, answer, user, account)
                cl_ord_id = f"{user.user_id}-{account.account_id}"
                status, answer = await call(http, signer, "POST", f"{base}/orders", {**ORDER, "cl_ord_id": cl_ord_id})
                if may(tree, user, TRADE, account):
                    assert status == 201, (user, account, answer)
                    placed[account.account_id].add(cl_ord_id)
                else:
                    refused_alike(status, answer, user, account)
                status, answer = await call(http, signer, "PATCH", f"{base}/orders/{cl_ord_id}",
                                            {"quantity": "0.02", "price": "1.00001"})
                if may(tree, user, TRADE, account):
                    assert status in (202, 409), (user, account, answer)
                else:
                    refused_alike(status, answer, user, account)

        # Every stream hears of every order on its account, and of nothing else.
        await until(lambda: all(w.orders() >= placed[w.account.account_id] for w in watches),
                    "each account stream hears of its account's orders")
        for watch in watches:
            await watch.socket.close()
            assert watch.reader is not None
            await watch.reader
            for frame in watch.frames:
                if frame["type"] == "order":
                    assert frame["account_id"] == watch.account.account_id, (watch.user, watch.account, frame)
                assert frame["type"] != "error", frame

    if accounts:
        await _through_fix(world, tree, accounts, prefix)


async def _through_fix(world: World, tree: Directory, accounts: list[Account], prefix: str) -> None:
    """Each user's FIX session: its Logon opens only when the user may trade on one of its accounts (a locked user
    is told so), an order on an account outside its scope is refused as one on an unknown account, with the
    policy's reason, and it hears of no account its user may not read."""
    gateway, comp_ids = _gateway(world, tree, world.tmp / f"fix-{prefix}")
    await gateway.start()
    peers: dict[str, FixPeer] = {}
    try:
        for comp_id, user in comp_ids.items():
            peer = await FixPeer.connect(gateway.ports[0], comp_id)
            answer = await peer.logon()
            if not any(may(tree, user, TRADE, a) for a in accounts):
                assert answer.msg_type == b"5", (user, answer)
                text = answer.get_str(58) or ""
                assert ("is locked" if user.locked else "outside what") in text, text
                peer.close()
                continue
            assert answer.msg_type == b"A", (user, answer)
            peers[comp_id] = peer
        for comp_id, peer in peers.items():
            user = comp_ids[comp_id]
            for account in accounts:
                cl_ord_id = f"F-{user.user_id}-{account.account_id}"
                peer.order(cl_ord_id, account.account_id)
                report = await peer.report(cl_ord_id)
                if may(tree, user, TRADE, account):
                    assert report.get(103) != b"15", (user, account, report)
                else:
                    assert (report.get(39), report.get(103)) == (b"8", b"15"), (user, account, report)
                    text = report.get_str(58) or ""
                    assert account.user_id not in text and account.tenant_id not in text, text
        for comp_id, peer in peers.items():
            user = comp_ids[comp_id]
            for report in peer.received:
                if report.msg_type == b"8":
                    account = tree.accounts.get(report.get_str(1) or "")
                    assert account is not None and may(tree, user, READ, account), (user, report)
    finally:
        for peer in peers.values():
            peer.close()
        await gateway.stop()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.data())
def test_no_caller_reads_or_changes_anything_outside_its_scope(world: World, data: st.DataObject) -> None:
    prefix = f"x{next(world.examples):02d}"
    world.run(_isolated(world, data.draw(trees(prefix, tenants=2, chains=1, traders=2)), prefix))


# ---------------------------------------------------------------- the demo's own roles
async def test_the_broker_and_an_ib_see_a_working_terminal_and_their_clients(terminal: Terminal) -> None:
    for login in ("broker", "ib", "master"):
        async with await terminal.session(login) as client:
            async with client.get("/api/quotes?symbols=EUR/USD") as answer:
                assert answer.status == 200, await answer.text()
            async with client.get("/api/instruments") as answer:
                assert answer.status == 200 and await answer.json()
            async with client.ws_connect("/api/stream/prices") as socket:
                await socket.send_json({"op": "subscribe", "symbols": ["EUR/USD"]})
                assert (await socket.receive_json(timeout=WAIT))["type"] == "snapshot"
            async with client.get("/api/accounts?scope=all") as answer:
                listed = {a["account_id"] for a in await answer.json()}
            assert listed == {"broker": {"ALICE-USD", "BOB-USD"}, "master": {"ALICE-USD", "BOB-USD"},
                              "ib": {"ALICE-USD", "BOB-USD"}}[login]
            async with client.get("/api/accounts/BOB-USD/positions") as answer:
                assert answer.status == 200
            async with client.post("/api/accounts/BOB-USD/orders", json=ORDER) as answer:
                body = await answer.json()
                # the broker trades on its tenant's accounts; an IB only with the broker's grant
                assert (answer.status, body.get("code")) == ((201, None) if login == "broker" else
                                                             (403, "forbidden")), body
    async with await terminal.session("subib") as subib:
        async with subib.get("/api/accounts/ALICE-USD/balances") as answer:
            assert answer.status == 403, "alice is the IB's client, not the sub-IB's"
            assert (await answer.json())["reason"] == "account ALICE-USD is outside what a sub-IB subib may " \
                                                      "read accounts"


async def test_an_account_stream_closes_when_its_caller_may_no_longer_read_the_account(terminal: Terminal) -> None:
    """The policy is asked at every event: the IB locked while it watches its client's account hears no more of it,
    and is told why; the client's own stream goes on."""
    directory = terminal.demo.hub.directory
    ib = directory.users["ib"]
    async with await terminal.session("ib") as watcher, await terminal.session("alice") as alice:
        async with watcher.ws_connect("/api/stream/account?account_id=ALICE-USD") as socket, \
                alice.ws_connect("/api/stream/account?account_id=ALICE-USD") as own:
            directory.add_user(replace(ib, locked=True))
            try:
                async with alice.post("/api/accounts/ALICE-USD/orders",
                                      json={**ORDER, "symbol": "BTC/USDT", "quantity": "0.01000",
                                            "price": "1000.00", "cl_ord_id": "watched"}) as answer:
                    assert answer.status == 201, await answer.text()
                assert await socket.receive_json(timeout=WAIT) == {
                    "type": "error", "code": "user_locked", "reason": "user ib is locked"}
                closing = await socket.receive(timeout=WAIT)
                assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, aiohttp.WSCloseCode.POLICY_VIOLATION)
                frame = await own.receive_json(timeout=WAIT)
                assert (frame["type"], frame["cl_ord_id"]) == ("order", "watched")
            finally:
                directory.add_user(ib)
