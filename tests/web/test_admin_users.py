"""Users and logins through /api/admin/users on the real demo: a broker creates an IB and a trader, each sets its
password with its one-time invitation and logs in; scope and the grants decide who sees and changes whom; the IB
tree's rules hold; a reset link leaves the old password working until it is used; every change is audited, without
the token."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp

from tests.web.conftest import Terminal


async def _json(answer: aiohttp.ClientResponse, status: int) -> Any:
    assert answer.status == status, await answer.text()
    return await answer.json()


def _token(link: str) -> str:
    path = urlsplit(link).path
    assert path.startswith("/invite/"), link
    return path.removeprefix("/invite/")


async def test_a_broker_creates_an_ib_and_a_trader_who_set_their_passwords_with_their_invitations(
        terminal: Terminal) -> None:
    broker = await terminal.session("broker")
    async with broker:
        async with broker.post("/api/admin/users", json={
                "user_id": "carol", "tenant_id": "demo-broker", "role": "ib", "name": "Carol Partners",
                "email": "carol@example.com"}) as answer:
            created = await _json(answer, 201)
        carol = created["user"]
        assert carol["role"] == "ib" and carol["referrer_id"] == "broker", "an IB without a referrer is the broker's"
        assert carol["login"] == "carol" and carol["referral_code"], "an IB gets its referral code at once"
        async with broker.post("/api/admin/users", json={
                "user_id": "dave", "tenant_id": "demo-broker", "role": "end_user", "referrer_id": "carol",
                "login": "dave.trader", "name": "Dave"}) as answer:
            dave_invite = (await _json(answer, 201))["invite_link"]
        async with broker.get("/api/admin/users?referrer=carol") as answer:
            assert [u["user_id"] for u in await _json(answer, 200)] == ["dave"]

    async with aiohttp.ClientSession(base_url=terminal.url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as dave:
        token = _token(dave_invite)
        async with dave.post("/api/session", json={"login": "dave.trader", "password": ""}) as answer:
            assert answer.status == 401, "no password works before the invitation is used"
        async with dave.get(f"/api/invites/{token}") as answer:
            link = await _json(answer, 200)
            assert link["purpose"] == "invite" and link["login"] == "dave.trader"
        async with dave.get(f"/invite/{token}") as answer:
            assert answer.status == 200 and 'name="password"' in await answer.text(), "the link opens a form"
        async with dave.post(f"/api/invites/{token}", json={"password": "short"}) as answer:
            refusal = await _json(answer, 422)
            assert refusal["code"] == "weak_password" and "10" in refusal["reason"]
        async with dave.post(f"/api/invites/{token}", json={"password": "dave-secret-1"}) as answer:
            session = await _json(answer, 200)
            assert session["user_id"] == "dave" and session["role"] == "end_user"
        async with dave.get("/api/session") as answer:
            assert (await _json(answer, 200))["login"] == "dave.trader", "the invitation logged the browser in"
        async with dave.post(f"/api/invites/{token}", json={"password": "another-secret"}) as answer:
            assert (await _json(answer, 409))["code"] == "link_used"
    terminal.logins["dave.trader"] = "dave-secret-1"
    again = await terminal.session("dave.trader")
    await again.close()

    async with aiohttp.ClientSession(base_url=terminal.url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as carol_b:
        form = aiohttp.FormData({"password": "carol-secret-1"})
        async with carol_b.post(urlsplit(created["invite_link"]).path, data=form, allow_redirects=False) as answer:
            assert answer.status == 303 and answer.headers["Location"] == "/admin/", "an IB goes to the back office"
        async with carol_b.get("/api/session") as answer:
            whoami = await _json(answer, 200)
        assert whoami["referral_code"] == carol["referral_code"]
        assert whoami["referral_link"].endswith(f"/signup?ref={carol['referral_code']}")
        async with carol_b.get("/api/admin/users") as answer:
            assert [u["user_id"] for u in await _json(answer, 200)] == ["carol", "dave"], "an IB reads its subtree"

    superadmin = await terminal.session("superadmin")
    async with superadmin:
        async with superadmin.get("/api/admin/audit?resource=users") as answer:
            audit = await _json(answer, 200)
    assert {"users.create", "users.invite_used"} <= {e["action"] for e in audit}
    assert token not in str(audit) and "scrypt" not in str(audit), "no token or hash in the audit log"


async def test_each_role_sees_and_changes_only_what_its_scope_and_grants_allow(terminal: Terminal) -> None:
    alice, ib, broker, admin = [await terminal.session(login) for login in ("alice", "ib", "broker", "admin")]
    async with alice, ib, broker, admin:
        async with alice.get("/api/admin/users") as answer:
            assert [u["user_id"] for u in await _json(answer, 200)] == ["alice"]
        async with ib.get("/api/admin/users") as answer:
            assert [u["user_id"] for u in await _json(answer, 200)] == ["alice", "bob", "ib", "subib"]
        async with broker.get("/api/admin/users?role=end_user") as answer:
            assert [u["user_id"] for u in await _json(answer, 200)] == ["alice", "bob"]
        async with broker.get("/api/admin/users/superadmin") as answer:
            assert (await _json(answer, 403))["code"] == "forbidden"
        async with broker.get("/api/admin/users/nobody") as answer:
            assert answer.status == 403, "an id outside the broker's reach is not told apart from one that is absent"
        async with alice.post("/api/admin/users/bob/lock") as answer:
            assert (await _json(answer, 403))["reason"]
        async with ib.patch("/api/admin/users/alice", json={"name": "Alice B."}) as answer:
            assert answer.status == 403, "an IB reads its clients, it does not change them"
        async with broker.post("/api/admin/users", json={"user_id": "broker2", "tenant_id": "demo-broker",
                                                         "role": "broker"}) as answer:
            refusal = await _json(answer, 403)
            assert "broker" in refusal["reason"], "a broker cannot make anyone a broker"
        async with broker.post("/api/admin/users/broker/lock") as answer:
            assert answer.status in {403, 422}, "nor lock itself"
        async with admin.post("/api/admin/users", json={"user_id": "broker2", "tenant_id": "demo-broker",
                                                        "role": "broker", "name": "Second desk"}) as answer:
            assert (await _json(answer, 201))["user"]["role"] == "broker", "the region's admin can"
        async with admin.post("/api/admin/users", json={"user_id": "admin2", "tenant_id": "platform",
                                                        "role": "admin", "region": "emea"}) as answer:
            assert answer.status == 403, "an admin does not make admins"
        async with broker.patch("/api/admin/users/broker", json={"name": "Demo desk"}) as answer:
            assert (await _json(answer, 200))["name"] == "Demo desk", "anyone may change their own name"
        async with broker.patch("/api/admin/users/ib", json={"trade_clients": True}) as answer:
            assert (await _json(answer, 200))["trade_clients"] is True
        async with ib.post("/api/accounts/ALICE-USD/orders", json={
                "symbol": "EUR/USD", "side": "buy", "type": "limit", "quantity": "1000", "price": "0.5"}) as answer:
            assert answer.status == 201, "the broker's grant reaches the running hub at once: " + await answer.text()


async def test_the_tree_stays_as_referrals_allow_and_without_cycles(terminal: Terminal) -> None:
    broker = await terminal.session("broker")
    async with broker:
        async with broker.post("/api/admin/users", json={"user_id": "eve", "tenant_id": "demo-broker",
                                                         "role": "sub_ib", "referrer_id": "master"}) as answer:
            assert (await _json(answer, 422))["code"] == "referral_not_allowed"
        async with broker.post("/api/admin/users", json={"user_id": "eve", "tenant_id": "demo-broker",
                                                         "role": "sub_ib"}) as answer:
            assert (await _json(answer, 422))["code"] == "referrer_required"
        async with broker.patch("/api/admin/users/ib", json={"referrer_id": "subib"}) as answer:
            assert (await _json(answer, 422))["code"] in {"referral_cycle", "referral_not_allowed"}
        async with broker.patch("/api/admin/users/master", json={"referrer_id": "ib"}) as answer:
            assert answer.status == 422
        async with broker.patch("/api/admin/users/ib", json={"role": "end_user"}) as answer:
            refusal = await _json(answer, 422)
            assert "alice" in refusal["reason"] or "subib" in refusal["reason"], "its clients would be orphaned"
        async with broker.patch("/api/admin/users/alice", json={"referrer_id": "master"}) as answer:
            assert (await _json(answer, 200))["referrer_id"] == "master", "a move in the tree"
        async with broker.patch("/api/admin/users/alice", json={"role": "ib"}) as answer:
            alice = await _json(answer, 200)
        assert alice["role"] == "ib" and alice["referral_code"], "an upgrade to IB brings a referral code"
        async with broker.patch("/api/admin/users/alice", json={"region": "emea"}) as answer:
            assert (await _json(answer, 422))["code"] == "bad_region"
        async with broker.post("/api/admin/users", json={"user_id": "alice", "tenant_id": "demo-broker",
                                                         "role": "end_user"}) as answer:
            assert (await _json(answer, 409))["code"] == "user_exists"
        async with broker.post("/api/admin/users", json={"user_id": "zed", "login": "bob", "tenant_id": "demo-broker",
                                                         "role": "end_user"}) as answer:
            assert (await _json(answer, 409))["code"] == "login_taken"
        async with broker.post("/api/admin/users", json={"user_id": "zed", "tenant_id": "demo-broker",
                                                         "role": "end_user", "colour": "red"}) as answer:
            assert answer.status == 400, "an unknown field is refused, not ignored"
    ib = await terminal.session("ib")
    async with ib:
        async with ib.get("/api/admin/users/alice") as answer:
            assert answer.status == 403, "alice moved to the master IB: she left the IB's subtree at once"


async def test_a_reset_link_leaves_the_old_password_working_until_it_is_used(terminal: Terminal) -> None:
    broker, alice = await terminal.session("broker"), await terminal.session("alice")
    async with broker, alice:
        async with broker.post("/api/admin/users/alice/reset") as answer:
            reset = await _json(answer, 201)
        check = await terminal.session("alice")
        await check.close()
        async with aiohttp.ClientSession(base_url=terminal.url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as fresh:
            async with fresh.post(f"/api/invites/{_token(reset['reset_link'])}",
                                  json={"password": "alice-new-secret"}) as answer:
                assert (await _json(answer, 200))["user_id"] == "alice"
        async with alice.get("/api/accounts") as answer:
            assert answer.status == 401, "a reset ends the sessions opened with the old password"
        async with aiohttp.ClientSession(base_url=terminal.url) as client:
            async with client.post("/api/session", json={"login": "alice", "password": "alice-demo"}) as answer:
                assert answer.status == 401
            async with client.post("/api/session", json={"login": "alice", "password": "alice-new-secret"}) as answer:
                assert answer.status == 200
        async with broker.get("/api/admin/audit?resource=users&resource_id=alice") as answer:
            actions = [e["action"] for e in await _json(answer, 200)]
        assert actions == ["users.reset_used", "users.reset"]
