"""Sign-up and becoming an IB, through the real demo: a trader who signs up with an IB's referral code lands under
that IB with an account in the tenant's first group and is logged in; without a code, under the broker; a trader
asks to become an IB, the broker approves, and the new IB's own referral link brings in its first client."""
from __future__ import annotations

from typing import Any

import aiohttp

from tests.web.conftest import Terminal


async def _json(answer: aiohttp.ClientResponse, status: int) -> Any:
    assert answer.status == status, await answer.text()
    return await answer.json()


def _browser(terminal: Terminal, address: str = "127.0.0.1") -> aiohttp.ClientSession:
    return aiohttp.ClientSession(base_url=terminal.url, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 connector=aiohttp.TCPConnector(local_addr=(address, 0)))


async def test_a_sign_up_with_a_referral_code_lands_under_that_ib_with_an_account(terminal: Terminal) -> None:
    async with _browser(terminal) as frank:
        async with frank.post("/api/signup", json={"login": "frank", "password": "frank-secret-1", "name": "Frank",
                                                   "email": "frank@example.com", "referral_code": "ib1"}) as answer:
            session = await _json(answer, 201)
        assert session["user_id"] == "frank" and session["role"] == "end_user" and session["tenant_id"] == "demo-broker"
        assert session["accounts"] == ["FRANK-USD"]
        async with frank.get("/api/accounts") as answer:
            accounts = await _json(answer, 200)
        assert accounts[0]["group_id"] == "standard", "the tenant's first group"
        async with frank.get("/api/quotes?symbols=EUR/USD") as answer:
            assert answer.status == 200, "a new trader sees prices at once"
    ib = await terminal.session("ib")
    async with ib:
        async with ib.get("/api/admin/users/frank") as answer:
            assert (await _json(answer, 200))["referrer_id"] == "ib"

    async with _browser(terminal) as grace:
        async with grace.post("/api/signup", json={"login": "grace", "password": "grace-secret-1",
                                                   "tenant_id": "demo-broker"}) as answer:
            assert (await _json(answer, 201))["user_id"] == "grace"
    broker = await terminal.session("broker")
    async with broker:
        async with broker.get("/api/admin/users/grace") as answer:
            assert (await _json(answer, 200))["referrer_id"] == "broker", "without a code: under the broker"
        async with broker.get("/api/admin/audit?resource=users&resource_id=frank") as answer:
            entry = (await _json(answer, 200))[0]
        assert entry["action"] == "users.signup" and entry["after"]["referrer_id"] == "ib"
        assert "frank-secret-1" not in str(entry)


async def test_a_sign_up_that_cannot_be_done_says_why(terminal: Terminal) -> None:
    async with _browser(terminal) as client:
        for body, status, code in [
                ({"login": "hal", "password": "hal-secret-1", "referral_code": "NOSUCH"}, 404, "unknown_referral_code"),
                ({"login": "hal", "password": "hal-secret-1", "tenant_id": "nowhere"}, 404, "unknown_tenant"),
                ({"login": "alice", "password": "alice-secret", "tenant_id": "demo-broker"}, 409, "login_taken"),
                ({"login": "hal", "password": "short", "tenant_id": "demo-broker"}, 422, "weak_password"),
                ({"login": "hal", "password": "hal-secret-1"}, 400, "bad_request"),
                ({"login": "hal", "password": "hal-secret-1", "referral_code": "IB1", "tenant_id": "other"}, 409,
                 "tenant_mismatch")]:
            async with client.post("/api/signup", json=body) as answer:
                refusal = await _json(answer, status)
                assert refusal["code"] == code and refusal["reason"], body


async def test_sign_ups_from_one_address_are_limited(terminal: Terminal) -> None:
    async with _browser(terminal, "127.0.0.3") as flood:
        for n in range(5):
            async with flood.post("/api/signup", json={"login": f"bot{n}", "password": "bot-secret-1",
                                                       "tenant_id": "demo-broker"}) as answer:
                assert answer.status == 201, await answer.text()
        async with flood.post("/api/signup", json={"login": "bot5", "password": "bot-secret-1",
                                                   "tenant_id": "demo-broker"}) as answer:
            assert (await _json(answer, 429))["code"] == "too_many_signups"
            assert int(answer.headers["Retry-After"]) >= 1
    async with _browser(terminal, "127.0.0.4") as someone_else:
        async with someone_else.post("/api/signup", json={"login": "ivy", "password": "ivy-secret-12",
                                                          "tenant_id": "demo-broker"}) as answer:
            assert answer.status == 201, "another address is not held back"


async def test_a_trader_becomes_an_ib_and_its_referral_link_brings_its_first_client(terminal: Terminal) -> None:
    alice, broker, bob = (await terminal.session("alice"), await terminal.session("broker"),
                          await terminal.session("bob"))
    async with alice, broker, bob:
        async with alice.post("/api/ib-request", json={"note": "I run a trading club"}) as answer:
            asked = await _json(answer, 201)
        assert asked["status"] == "open" and asked["user_id"] == "alice"
        async with alice.post("/api/ib-request", json={}) as answer:
            assert (await _json(answer, 409))["code"] == "request_open", "one open request at a time"
        async with alice.get("/api/admin/ib-requests") as answer:
            assert answer.status == 403, "an end user does not decide IB requests"
        async with bob.post("/api/ib-request") as answer:
            bobs = await _json(answer, 201)
        async with broker.get("/api/admin/ib-requests?status=open") as answer:
            assert [r["user_id"] for r in await _json(answer, 200)] == ["bob", "alice"]

        request_id = asked["request_id"]
        async with broker.post(f"/api/admin/ib-requests/{request_id}/approve") as answer:
            approved = await _json(answer, 200)
        assert approved["request"]["status"] == "approved" and approved["request"]["role"] == "sub_ib", \
            "alice's referrer is an IB: she becomes its sub-IB"
        code = approved["referral_code"]
        assert approved["referral_link"].endswith(f"/signup?ref={code}")
        async with broker.post(f"/api/admin/ib-requests/{request_id}/approve") as answer:
            assert (await _json(answer, 409))["code"] == "request_decided"
        async with alice.get("/api/session") as answer:
            whoami = await _json(answer, 200)
        assert whoami["role"] == "sub_ib" and whoami["referral_link"] == approved["referral_link"]

        async with broker.post(f"/api/admin/ib-requests/{bobs['request_id']}/reject", json={"reason": " "}) as answer:
            assert answer.status == 400, "a rejection says why"
        async with broker.post(f"/api/admin/ib-requests/{bobs['request_id']}/approve") as answer:
            refusal = await _json(answer, 422)
            assert "sub-IB" in refusal["reason"], "bob's referrer is a sub-IB, which has no IBs below it"
        async with broker.post(f"/api/admin/ib-requests/{bobs['request_id']}/reject",
                               json={"reason": "not enough volume yet"}) as answer:
            assert (await _json(answer, 200))["status"] == "rejected"
        async with bob.get("/api/ib-request") as answer:
            assert (await _json(answer, 200))["reason"] == "not enough volume yet"

    async with _browser(terminal) as visitor:
        async with visitor.get(f"/signup?ref={code}") as answer:
            page = await answer.text()
            assert answer.status == 200 and code in page and 'name="password"' in page
            assert "Demo Broker" in page, "the page is in the broker's name"
        form = aiohttp.FormData({"login": "judy", "name": "Judy", "email": "", "password": "judy-secret-1",
                                 "referral_code": code})
        async with visitor.post("/signup", data=form, allow_redirects=False) as answer:
            assert answer.status == 303 and answer.headers["Location"] == "/"
        async with visitor.get("/api/session") as answer:
            assert (await _json(answer, 200))["user_id"] == "judy"
    broker = await terminal.session("broker")
    async with broker:
        async with broker.get("/api/admin/users/judy") as answer:
            assert (await _json(answer, 200))["referrer_id"] == "alice"
        async with broker.get("/api/admin/audit?resource=ib-requests") as answer:
            actions = [e["action"] for e in await _json(answer, 200)]
    assert actions == ["ib-requests.reject", "ib-requests.approve", "ib-requests.ask", "ib-requests.ask"]
