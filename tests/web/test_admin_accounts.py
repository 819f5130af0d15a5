"""Groups, accounts and the broker's deposits through /api/admin against the whole demo: a broker creates a group
(priced at once, its crypto leverage capped), opens an account in it that its trader sees at once, deposits into it
once however often the request is retried, and the group's crypto cap refuses an order the account's own leverage
would allow. Refusals are 4xx with a code and a reason, and change nothing."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp

from tests.web.conftest import Terminal, until

CRYPTO = {"group_id": "crypto-lite", "max_leverage": "100", "leverage": {"crypto": "2"},
          "pipeline": ["validation", "throttle", "kill_switch", "risk_gate", "spread_markup", "commission",
                       "ib_rebate"]}


async def call(client: aiohttp.ClientSession, method: str, path: str, body: Any = None,
               headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with client.request(method, path, json=body, headers=headers) as answer:
        return answer.status, await answer.json() if answer.status != 204 else None




async def test_a_broker_opens_an_account_in_a_new_group_funds_it_once_and_its_trader_sees_it(
        terminal: Terminal) -> None:
    broker, alice = [await terminal.session(login) for login in ("broker", "alice")]
    async with broker, alice:
        status, group = await call(broker, "POST", "/api/admin/groups", CRYPTO)
        assert status == 201, group
        assert (group["tenant_id"], group["leverage"]) == ("demo-broker", {"crypto": "2"})

        async def priced() -> bool:
            return terminal.demo.hub.bus.last("quotes.demo-broker.crypto-lite.BTC-USDT") is not None
        await until(priced)   # a new group gets prices without a restart

        status, account = await call(broker, "POST", "/api/admin/accounts",
                                     {"account_id": "ALICE-CRYPTO", "user_id": "alice", "group_id": "crypto-lite"})
        assert status == 201, account
        assert (account["leverage"], account["balance"], account["position_mode"]) == ("100", "0", "netting")
        status, me = await call(alice, "GET", "/api/session")
        assert me["accounts"] == ["ALICE-USD", "ALICE-CRYPTO"]   # at once, no restart

        deposit = {"amount": "2500.50", "currency": "USD", "reference": "wire 7731"}
        key = {"Idempotency-Key": "dep-0001"}
        first = await call(broker, "POST", "/api/admin/accounts/ALICE-CRYPTO/deposits", deposit, key)
        assert first[0] == 201, first
        assert (first[1]["amount"], first[1]["deposit_id"]) == ("2500.50", "dep-0001")
        again = await call(broker, "POST", "/api/admin/accounts/ALICE-CRYPTO/deposits", deposit, key)
        assert again == first   # a retry books nothing more, and is answered as the first was
        status, error = await call(broker, "POST", "/api/admin/accounts/ALICE-CRYPTO/deposits",
                                   {**deposit, "amount": "9000"}, key)
        assert status == 409 and error["code"] == "idempotency_key_reused"
        status, balances = await call(alice, "GET", "/api/accounts/ALICE-CRYPTO/balances")
        assert balances == {"USD": "2500.50"}
        status, listed = await call(broker, "GET", "/api/admin/accounts?user_id=alice")
        assert [(a["account_id"], a["balance"]) for a in listed] == [("ALICE-CRYPTO", "2500.50"),
                                                                     ("ALICE-USD", "100000")]

        status, entries = await call(broker, "GET", "/api/admin/audit?resource=deposits")
        [entry] = entries
        assert (entry["actor"], entry["action"], entry["resource_id"]) == ("broker", "accounts.deposit", "dep-0001")
        status, entries = await call(broker, "GET", "/api/admin/audit?resource=accounts&resource_id=ALICE-CRYPTO")
        assert [e["action"] for e in entries] == ["accounts.create"]
        ledger = terminal.demo.hub.oms.accounting.ledger
        assert sum(1 for e in ledger.entries if e.reference == "deposit:demo-broker:dep-0001") == 1


async def test_the_groups_crypto_cap_reaches_the_margin_check_and_a_move_to_another_group_lifts_it(
        terminal: Terminal) -> None:
    broker, alice = [await terminal.session(login) for login in ("broker", "alice")]
    async with broker, alice:
        assert (await call(broker, "POST", "/api/admin/groups", CRYPTO))[0] == 201
        assert (await call(broker, "POST", "/api/admin/accounts", {"account_id": "ALICE-CRYPTO", "user_id": "alice",
                                                                   "group_id": "crypto-lite"}))[0] == 201
        status, _ = await call(broker, "POST", "/api/admin/accounts/ALICE-CRYPTO/deposits",
                               {"amount": "1000", "currency": "USD"}, {"Idempotency-Key": "fund-1"})
        assert status == 201
        async with alice.get("/api/quotes?symbols=BTC/USDT") as answer:
            [quote] = await answer.json()
        # 0.02 BTC is about 1,300 USD at the simulator's prices: 13 USD of margin at 100:1, 650 USD at 2:1
        quantity = (Decimal(1300) / Decimal(quote["ask"])).quantize(Decimal("0.00001"))
        order = {"symbol": "BTC/USDT", "side": "buy", "type": "market", "quantity": str(quantity)}
        status, refused = await call(alice, "POST", "/api/accounts/ALICE-CRYPTO/orders",
                                     {**order, "quantity": str(quantity * 2), "cl_ord_id": "c1"})
        assert status == 201 and refused["status"] == "rejected", refused
        assert refused["reject_code"] == "insufficient_margin", refused

        status, moved = await call(broker, "PATCH", "/api/admin/accounts/ALICE-CRYPTO", {"group_id": "standard"})
        assert status == 200 and moved["group_id"] == "standard"
        status, placed = await call(alice, "POST", "/api/accounts/ALICE-CRYPTO/orders",
                                    {**order, "quantity": str(quantity * 2), "cl_ord_id": "c2"})
        assert status == 201 and placed["status"] != "rejected", placed


async def test_refused_changes_say_why_and_change_nothing(terminal: Terminal) -> None:
    broker, alice, ib, superadmin = [await terminal.session(login)
                                     for login in ("broker", "alice", "ib", "superadmin")]
    async with broker, alice, ib, superadmin:
        assert (await call(superadmin, "POST", "/api/admin/tenants", {"tenant_id": "acme", "name": "Acme"}))[0] == 201
        for body, status, code in (
                ({**CRYPTO, "pipeline": ["validation", "no_such_step"]}, 422, "unknown_interceptor"),
                ({**CRYPTO, "leverage": {"crypto": "500"}}, 422, "bad_leverage"),
                ({**CRYPTO, "leverage": {"options": "5"}}, 400, "bad_request"),
                ({**CRYPTO, "max_leverage": 5}, 400, "bad_request"),
                ({**CRYPTO, "group_id": "standard"}, 409, "group_exists"),
                ({**CRYPTO, "tenant_id": "acme"}, 403, "forbidden")):
            answer = await call(broker, "POST", "/api/admin/groups", body)
            assert answer[0] == status and answer[1]["code"] == code, (body, answer)
        for body, status, code in (
                ({"account_id": "A2", "user_id": "alice", "group_id": "standard", "leverage": "150"}, 422,
                 "bad_leverage"),
                ({"account_id": "A2", "user_id": "alice", "group_id": "acme-standard"}, 422, "unknown_group"),
                ({"account_id": "BOB-USD", "user_id": "alice", "group_id": "standard"}, 409, "account_exists"),
                ({"account_id": "A2", "user_id": "superadmin", "group_id": "standard"}, 403, "forbidden"),
                ({"account_id": "A2", "user_id": "nobody", "group_id": "standard"}, 403, "forbidden"),
                ({"account_id": "A2", "user_id": "alice"}, 400, "bad_request")):
            answer = await call(broker, "POST", "/api/admin/accounts", body)
            assert answer[0] == status and answer[1]["code"] == code, (body, answer)
        status, error = await call(broker, "DELETE", "/api/admin/groups/standard")
        assert status == 409 and error["code"] == "group_in_use" and "ALICE-USD" in error["reason"]
        status, error = await call(broker, "PATCH", "/api/admin/groups/vip", {"max_leverage": "100"})
        assert status == 409 and "BOB-USD" in error["reason"]   # bob's 200:1 would be above the cap

        deposit = {"amount": "100", "currency": "USD"}
        for client, key, body, status, code in (
                (broker, None, deposit, 400, "idempotency_key_required"),
                (broker, "k1", {"amount": "-5", "currency": "USD"}, 422, "bad_amount"),
                (broker, "k1", {"amount": 100, "currency": "USD"}, 400, "bad_request"),
                (broker, "k1", {"amount": "100", "currency": "EUR"}, 422, "bad_currency"),
                (alice, "k1", deposit, 403, "forbidden"),   # a trader does not fund herself by hand
                (ib, "k1", deposit, 403, "forbidden")):
            headers = {"Idempotency-Key": key} if key else None
            answer = await call(client, "POST", "/api/admin/accounts/ALICE-USD/deposits", body, headers)
            assert answer[0] == status and answer[1]["code"] == code, (key, body, answer)
        status, balances = await call(alice, "GET", "/api/accounts/ALICE-USD/balances")
        assert balances == {"USD": "100000.00"}
        status, error = await call(ib, "PATCH", "/api/admin/accounts/ALICE-USD", {"leverage": "10"})
        assert status == 403 and error["code"] == "forbidden"
        status, seen = await call(ib, "GET", "/api/admin/accounts")   # an IB reads its clients' accounts
        assert sorted(a["account_id"] for a in seen) == ["ALICE-USD", "BOB-USD"]
        status, seen = await call(alice, "GET", "/api/admin/accounts")
        assert [a["account_id"] for a in seen] == ["ALICE-USD"]
        assert (await call(alice, "GET", "/api/admin/accounts/BOB-USD"))[0] == 403
        assert (await call(broker, "GET", "/api/admin/accounts/NOPE"))[0] == 403
        assert (await call(superadmin, "GET", "/api/admin/accounts/NOPE"))[0] == 404
        status, entries = await call(superadmin, "GET", "/api/admin/audit?tenant_id=demo-broker")
        assert entries == []   # nothing refused was recorded as done


async def test_a_group_no_account_is_in_is_deleted_and_a_changed_group_is_live(terminal: Terminal) -> None:
    broker = await terminal.session("broker")
    async with broker:
        assert (await call(broker, "POST", "/api/admin/groups", CRYPTO))[0] == 201
        status, changed = await call(broker, "PATCH", "/api/admin/groups/crypto-lite",
                                     {"leverage": {"crypto": "5", "fx": "30"}})
        assert status == 200 and changed["leverage"] == {"crypto": "5", "fx": "30"}
        assert terminal.demo.hub.directory.groups["crypto-lite"].leverage_cap("fx") == Decimal(30)
        assert (await call(broker, "DELETE", "/api/admin/groups/crypto-lite"))[0] == 204
        assert (await call(broker, "GET", "/api/admin/groups/crypto-lite"))[0] == 403   # no hint it ever was
        status, groups = await call(broker, "GET", "/api/admin/groups")
        assert [g["group_id"] for g in groups] == ["standard", "vip"]
        status, entries = await call(broker, "GET", "/api/admin/audit?resource=groups&resource_id=crypto-lite")
        assert [e["action"] for e in entries] == ["groups.delete", "groups.update", "groups.create"]
