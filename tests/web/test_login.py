"""Logins under attack, through the real web door: back-off after wrong passwords, one scrypt for a known or an
unknown login (no enumeration by timing), and a signed request accepted once."""
from __future__ import annotations

import time

import aiohttp
import orjson
import pytest

import engine.storage.access
from tests.web.conftest import Terminal, signed_headers


async def test_after_five_wrong_passwords_the_right_one_waits_and_says_how_long(terminal: Terminal) -> None:
    async with aiohttp.ClientSession(base_url=terminal.url) as attacker:
        for _ in range(6):
            async with attacker.post("/api/session", json={"login": "alice", "password": "guess"}) as answer:
                assert answer.status == 401 and (await answer.json())["code"] == "bad_login"
        async with attacker.post("/api/session", json={"login": "alice", "password": "alice-demo"}) as answer:
            assert answer.status == 429, "30 wrong passwords then the right one must not all pass"
            assert (await answer.json())["code"] == "too_many_attempts"
            assert int(answer.headers["Retry-After"]) >= 1
        async with attacker.post("/api/session", json={"login": "bob", "password": "bob-demo"}) as answer:
            assert answer.status == 429, "the address is locked too, whatever login it tries next"


async def test_wrong_passwords_from_one_address_do_not_lock_the_login_out_of_another(terminal: Terminal) -> None:
    attacker = aiohttp.ClientSession(base_url=terminal.url, connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0)))
    async with attacker:
        for _ in range(6):
            async with attacker.post("/api/session", json={"login": "alice", "password": "guess"}) as answer:
                assert answer.status == 401
        async with attacker.post("/api/session", json={"login": "alice", "password": "alice-demo"}) as answer:
            assert answer.status == 429
    async with aiohttp.ClientSession(base_url=terminal.url) as alice:   # from 127.0.0.1
        async with alice.post("/api/session", json={"login": "alice", "password": "alice-demo"}) as answer:
            assert answer.status == 200, "alice from her own address still logs in"


async def test_a_known_and_an_unknown_login_cost_the_same_one_hash(terminal: Terminal,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    engine.storage.access._unknown_login_hash()   # made once per process, before anyone is timed
    calls: list[str] = []
    scrypt = engine.storage.access.hashlib.scrypt

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("scrypt")
        return scrypt(*args, **kwargs)

    monkeypatch.setattr(engine.storage.access.hashlib, "scrypt", counting)
    async with aiohttp.ClientSession(base_url=terminal.url) as client:
        for login in ("alice", "no-such-user"):
            calls.clear()
            async with client.post("/api/session", json={"login": login, "password": "wrong"}) as answer:
                assert answer.status == 401 and (await answer.json())["code"] == "bad_login"
            assert calls == ["scrypt"], f"{login}: {calls}"


async def test_a_signed_request_is_accepted_once_and_not_from_the_future(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        async with alice.post("/api/keys") as answer:
            key = await answer.json()
    path = "/api/accounts/ALICE-USD/orders"
    body = orjson.dumps({"symbol": "BTC/USDT", "side": "buy", "type": "limit", "quantity": "0.01000",
                         "price": "30000.00"})   # no cl_ord_id: each accepted copy would be a new order
    headers = {**signed_headers(key["key_id"], key["secret"], "POST", path, body), "Content-Type": "application/json"}
    async with aiohttp.ClientSession(base_url=terminal.url) as program:
        async with program.post(path, data=body, headers=headers) as answer:
            assert answer.status == 201, await answer.text()
        for _ in range(2):
            async with program.post(path, data=body, headers=headers) as answer:
                assert answer.status == 401 and (await answer.json())["code"] == "replayed_request"
        ahead = signed_headers(key["key_id"], key["secret"], "GET", "/api/accounts",
                               at_ms=int(time.time() * 1000) + 4000)
        async with program.get("/api/accounts", headers=ahead) as answer:
            assert answer.status == 401 and (await answer.json())["code"] == "stale_timestamp"
        listing = "/api/accounts/ALICE-USD/orders?state=all"
        async with program.get(listing, headers=signed_headers(key["key_id"], key["secret"], "GET",
                                                                listing)) as answer:
            assert len(await answer.json()) == 1, "one signed order, however often it was sent"


async def test_a_locked_user_hears_so_only_with_the_right_password(terminal: Terminal) -> None:
    broker = await terminal.session("broker")
    async with broker:
        async with broker.post("/api/admin/users/bob/lock") as answer:
            assert answer.status == 200, await answer.text()
    async with aiohttp.ClientSession(base_url=terminal.url) as client:
        async with client.post("/api/session", json={"login": "bob", "password": "guess"}) as answer:
            assert answer.status == 401 and (await answer.json())["code"] == "bad_login", \
                "a wrong password does not learn that the user is locked"
        async with client.post("/api/session", json={"login": "bob", "password": "bob-demo"}) as answer:
            assert answer.status == 403
            refusal = await answer.json()
            assert refusal["code"] == "user_locked" and "bob" in refusal["reason"]
            assert "dt_session" not in answer.cookies
