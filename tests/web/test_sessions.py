"""Browser sessions through the real web door: they survive a restart of the whole hub on the same database, the
database holds no token a thief could log in with, logging out ends a session on the server, and a lock ends every
session and stops every API key of the user at once."""
from __future__ import annotations

from pathlib import Path

import aiohttp

from dynamictech.demo import start
from tests.web.conftest import Terminal, signed_headers


async def test_a_browser_stays_logged_in_across_a_restart_of_the_hub(tmp_path: Path) -> None:
    demo = await start(tmp_path, web_port=0, fix_ports=(0, 0))
    browser = aiohttp.CookieJar(unsafe=True)
    try:
        async with aiohttp.ClientSession(cookie_jar=browser) as client:
            url = demo.urls["terminal"].rstrip("/")
            async with client.post(f"{url}/api/session", json={"login": "alice", "password": "alice-demo"}) as answer:
                assert answer.status == 200
                token = answer.cookies["dt_session"].value
    finally:
        await demo.stop()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("demo.db*"))
    assert token.encode() not in stored, "the database must hold only a hash of the session's token"

    demo = await start(tmp_path, web_port=0, fix_ports=(0, 0))   # a new process's worth: nothing in memory
    try:
        async with aiohttp.ClientSession(cookie_jar=browser) as client:
            url = demo.urls["terminal"].rstrip("/")
            async with client.get(f"{url}/api/session") as answer:
                assert answer.status == 200, await answer.text()
                assert (await answer.json())["user_id"] == "alice"
            async with client.get(f"{url}/api/accounts") as answer:
                assert answer.status == 200 and [a["account_id"] for a in await answer.json()] == ["ALICE-USD"]
    finally:
        await demo.stop()


async def test_logging_out_ends_the_session_on_the_server(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        token = next(c.value for c in alice.cookie_jar if c.key == "dt_session")
        async with alice.delete("/api/session") as answer:
            assert answer.status == 204
    async with aiohttp.ClientSession(base_url=terminal.url, cookies={"dt_session": token}) as thief:
        async with thief.get("/api/session") as answer:
            assert answer.status == 401, "a copy of the cookie taken before the logout must not work after it"
            assert (await answer.json())["code"] == "login_required"


async def test_a_lock_ends_every_session_and_stops_every_api_key_at_once(terminal: Terminal) -> None:
    alice, laptop, broker = (await terminal.session("alice"), await terminal.session("alice"),
                             await terminal.session("broker"))
    async with alice, laptop, broker:
        async with alice.post("/api/keys") as answer:
            key = await answer.json()
        async with broker.post("/api/admin/users/alice/lock") as answer:
            assert answer.status == 200, await answer.text()
            assert (await answer.json())["locked"] is True
        for client in (alice, laptop):
            async with client.get("/api/accounts") as answer:
                assert answer.status == 401
                assert (await answer.json())["code"] in {"login_required", "user_locked"}
        async with aiohttp.ClientSession(base_url=terminal.url) as program:
            headers = signed_headers(key["key_id"], key["secret"], "GET", "/api/accounts")
            async with program.get("/api/accounts", headers=headers) as answer:
                assert answer.status == 401
                refusal = await answer.json()
                assert refusal["code"] == "user_locked" and "alice" in refusal["reason"]
            async with program.post("/api/session", json={"login": "alice", "password": "alice-demo"}) as answer:
                assert answer.status == 403
                refusal = await answer.json()
                assert refusal["code"] == "user_locked" and refusal["reason"]

        async with broker.post("/api/admin/users/alice/unlock") as answer:
            assert answer.status == 200 and (await answer.json())["locked"] is False
        async with alice.get("/api/accounts") as answer:
            assert answer.status == 401, "an unlock does not bring back the sessions the lock ended"
        async with aiohttp.ClientSession(base_url=terminal.url) as program:
            headers = signed_headers(key["key_id"], key["secret"], "GET", "/api/accounts")
            async with program.get("/api/accounts", headers=headers) as answer:
                assert answer.status == 200, "the key works again once the user is unlocked"
        again = await terminal.session("alice")
        await again.close()

        async with broker.get("/api/admin/audit?resource=users&resource_id=alice") as answer:
            assert [e["action"] for e in await answer.json()] == ["users.unlock", "users.lock"]
