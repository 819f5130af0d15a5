"""The public REST API and the account stream against the running demo: what a program or a browser sees."""
from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
import orjson

from tests.web.conftest import Terminal, signed_headers, until


async def test_a_trader_logs_in_buys_and_sees_the_fill_position_and_margin(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        async with alice.get("/api/session") as answer:
            assert (await answer.json())["accounts"] == ["ALICE-USD"]
        async with alice.get("/api/quotes?symbols=BTC/USDT") as answer:
            [quote] = await answer.json()
        order = {"symbol": "BTC/USDT", "side": "buy", "type": "market", "quantity": "0.01000", "cl_ord_id": "a1"}
        async with alice.post("/api/accounts/ALICE-USD/orders", json=order) as answer:
            assert answer.status == 201
            placed = await answer.json()
        assert (placed["cl_ord_id"], placed["side"], placed["type"]) == ("a1", "buy", "market")

        async def filled() -> bool:
            async with alice.get("/api/accounts/ALICE-USD/fills") as answer:
                return bool(await answer.json())
        await until(filled)
        async with alice.get("/api/accounts/ALICE-USD/fills") as answer:
            [fill] = await answer.json()
        assert fill["symbol"] == "BTC/USDT" and fill["quantity"] == "0.01000"
        assert abs(float(fill["price"]) - float(quote["ask"])) / float(quote["ask"]) < 0.01  # near the quoted ask
        async with alice.get("/api/accounts/ALICE-USD/positions") as answer:
            positions = await answer.json()
        assert [(p["symbol"], p["quantity"]) for p in positions] == [("BTC/USDT", "0.01000")]
        async with alice.get("/api/accounts") as answer:
            [account] = await answer.json()
        assert account["used_margin"] != "0.00" and account["margin_level"] is not None
        async with alice.get("/api/accounts/ALICE-USD/orders?state=all") as answer:
            assert [o["status"] for o in await answer.json()] == ["filled"]


async def test_a_malformed_order_is_a_400_with_a_reason_and_changes_nothing(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        for body, reason in ((b"{not json", "not JSON"),
                             (b'{"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": 1.5}',
                              "decimal string"),
                             (b'{"symbol": "EUR/USD", "side": "up", "type": "market", "quantity": "1"}', "side"),
                             (b'{"symbol": "EUR/USD", "side": "buy", "quantity": "1"}', "missing: type"),
                             (b'{"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": "1", "x": 1}',
                              "unknown: x")):
            async with alice.post("/api/accounts/ALICE-USD/orders", data=body,
                                  headers={"Content-Type": "application/json"}) as answer:
                assert answer.status == 400, body
                error = await answer.json()
                assert error["code"] == "bad_request" and reason in error["reason"], error
        async with alice.get("/api/accounts/ALICE-USD/orders?state=all") as answer:
            assert await answer.json() == []
        async with alice.get("/api/accounts/ALICE-USD/balances") as answer:
            assert await answer.json() == {"USD": "100000.00"}


async def test_the_pipeline_refuses_with_a_reason_the_client_sees(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        for order, reason in (({"symbol": "DOGE/EUR", "side": "buy", "type": "market", "quantity": "1"},
                               "unknown_symbol"),
                              ({"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": "0.015"},
                               "quantity_off_step"),
                              ({"symbol": "EUR/USD", "side": "buy", "type": "limit", "quantity": "1",
                                "price": "1.083451"}, "price_off_tick"),
                              ({"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": "100"},
                               "insufficient_margin")):
            async with alice.post("/api/accounts/ALICE-USD/orders", json=order) as answer:
                assert answer.status == 201
                placed = await answer.json()
            assert placed["status"] == "rejected" and placed["reject_code"] == reason, placed
            assert placed["reject_reason"] and not placed["reject_reason"].startswith(reason), \
                "the code is a field of its own, the reason a sentence"
        async with alice.delete("/api/accounts/ALICE-USD/orders/nope") as answer:
            assert answer.status == 404 and (await answer.json())["code"] == "unknown_order"
        async with alice.get("/api/accounts/ALICE-USD/balances") as answer:
            assert await answer.json() == {"USD": "100000.00"}, "no rejected order touches the ledger"


async def test_a_resting_order_is_amended_then_canceled(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        order = {"symbol": "BTC/USDT", "side": "buy", "type": "limit", "quantity": "0.01000", "price": "30000.00",
                 "cl_ord_id": "rest-1"}
        async with alice.post("/api/accounts/ALICE-USD/orders", json=order) as answer:
            assert answer.status == 201

        async def status(wanted: str) -> bool:
            async with alice.get("/api/accounts/ALICE-USD/orders?state=all") as answer:
                return [o["status"] for o in await answer.json()] == [wanted]
        await until(lambda: status("new"))
        async with alice.patch("/api/accounts/ALICE-USD/orders/rest-1", json={"quantity": "0.02000",
                                                                               "price": "30001.00"}) as answer:
            assert answer.status == 202, await answer.text()
        await until(lambda: status("new"))
        async with alice.get("/api/accounts/ALICE-USD/orders") as answer:
            [amended] = await answer.json()
        assert (amended["quantity"], amended["price"]) == ("0.02000", "30001.00")
        async with alice.delete("/api/accounts/ALICE-USD/orders/rest-1") as answer:
            assert answer.status == 202
        await until(lambda: status("canceled"))
        async with alice.delete("/api/accounts/ALICE-USD/orders/rest-1") as answer:
            assert answer.status == 409 and (await answer.json())["code"] == "too_late_to_cancel"


async def test_one_trader_cannot_see_or_touch_another_traders_account(terminal: Terminal) -> None:
    bob = await terminal.session("bob")
    async with bob:
        for method, path in (("GET", "/api/accounts/ALICE-USD/positions"), ("GET", "/api/accounts/ALICE-USD/fills"),
                             ("POST", "/api/accounts/ALICE-USD/orders"),
                             ("DELETE", "/api/accounts/ALICE-USD/orders/a1")):
            async with bob.request(method, path, json={"symbol": "EUR/USD", "side": "buy", "type": "market",
                                                       "quantity": "1"}) as answer:
                assert answer.status == 403 and (await answer.json())["code"] == "forbidden"
    async with aiohttp.ClientSession(base_url=terminal.url) as anonymous:
        async with anonymous.get("/api/accounts") as answer:
            assert answer.status == 401 and (await answer.json())["code"] == "login_required"
        async with anonymous.post("/api/session", json={"login": "alice", "password": "wrong"}) as answer:
            assert answer.status == 401 and (await answer.json())["code"] == "bad_login"


async def test_a_program_signs_with_its_api_key_and_a_wrong_signature_is_refused(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        async with alice.post("/api/keys") as answer:
            assert answer.status == 201
            key = await answer.json()
    async with aiohttp.ClientSession(base_url=terminal.url) as program:
        body = orjson.dumps({"symbol": "BTC/USDT", "side": "buy", "type": "limit", "quantity": "0.01000",
                             "price": "30000.00", "cl_ord_id": "prog-1"})
        path = "/api/accounts/ALICE-USD/orders"
        signed = {**signed_headers(key["key_id"], key["secret"], "POST", path, body),
                  "Content-Type": "application/json"}
        async with program.post(path, data=body, headers=signed) as answer:
            assert answer.status == 201, await answer.text()
        wrong = signed_headers(key["key_id"], "not-the-secret", "POST", path, body)
        async with program.post(path, data=body.replace(b"prog-1", b"prog-2"), headers=wrong) as answer:
            assert answer.status == 401 and (await answer.json())["code"] == "bad_signature"
        tampered = signed_headers(key["key_id"], key["secret"], "POST", path, body)
        async with program.post(path, data=body.replace(b"30000.00", b"30001.00"), headers=tampered) as answer:
            assert answer.status == 401, "a body changed after signing must not pass"
        old = signed_headers(key["key_id"], key["secret"], "GET", "/api/accounts", at_ms=1)
        async with program.get("/api/accounts", headers=old) as answer:
            assert answer.status == 401 and (await answer.json())["code"] == "stale_timestamp"
        listing = "/api/accounts/ALICE-USD/orders?state=all"
        async with program.get(listing, headers=signed_headers(key["key_id"], key["secret"], "GET",
                                                                listing)) as answer:
            assert [o["cl_ord_id"] for o in await answer.json()] == ["prog-1"], "only the signed order went in"


async def test_the_account_stream_pushes_fills_and_a_flood_closes_it(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        async with alice.ws_connect("/api/stream/account?account_id=ALICE-USD") as stream:
            order = {"symbol": "BTC/USDT", "side": "buy", "type": "market", "quantity": "0.01000"}
            async with alice.post("/api/accounts/ALICE-USD/orders", json=order) as answer:
                assert answer.status == 201
            kinds: dict[str, dict] = {}
            while not {"order", "fill", "position", "balance"} <= kinds.keys():
                message = await asyncio.wait_for(stream.receive_json(), 10)
                kinds[message["type"]] = message
            assert kinds["fill"]["cl_ord_id"] == kinds["order"]["cl_ord_id"] and kinds["fill"]["at"]
            for number in range(200):
                await stream.send_str(f'{{"ping": {number}}}')
            messages = []
            while True:
                frame = await asyncio.wait_for(stream.receive(), 10)
                if frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    break
                messages.append(orjson.loads(frame.data))
            assert {"type": "error", "code": "flood", "reason": "more than 50 frames a second"} in messages
            assert stream.close_code == 1008
        async with alice.get("/api/accounts/ALICE-USD/orders?state=all") as answer:
            assert len(await answer.json()) == 1, "the flood changed nothing"


async def test_the_terminal_layout_is_saved_per_user(terminal: Terminal) -> None:
    layout = {"panels": [{"id": "chart", "x": 3, "y": 0, "w": 6, "h": 5}], "language": "ar"}
    alice = await terminal.session("alice")
    async with alice:
        async with alice.put("/api/layout", json={"layout": layout}) as answer:
            assert answer.status == 204
        async with alice.put("/api/layout", json={"layout": "x" * 70_000}) as answer:
            assert answer.status == 413 and (await answer.json())["code"] == "too_large"
    again = await terminal.session("alice")
    async with again:
        async with again.get("/api/layout") as answer:
            assert (await answer.json())["layout"] == layout
    bob = await terminal.session("bob")
    async with bob:
        async with bob.get("/api/layout") as answer:
            assert (await answer.json())["layout"] is None


async def test_depth_is_marked_up_and_on_the_tick_as_the_quote_is(terminal: Terminal) -> None:
    """The book a trader sees is the venue's, widened by the group's markup and rounded to the tick: its best levels
    never sit inside the tradable quote, and no price has more decimals than the tick."""
    alice = await terminal.session("alice")
    async with alice:
        async def booked() -> bool:
            async with alice.get("/api/depth?symbol=BTC/USDT") as answer:
                book = await answer.json()
            return bool(book["bids"]) and bool(book["asks"])
        await until(booked)
        feed = terminal.demo.hub.feed
        for _ in range(100):   # a book that did not move while it was asked for
            before = feed.depth("BTC/USDT")
            async with alice.get("/api/depth?symbol=BTC/USDT") as answer:
                book = await answer.json()
            if feed.depth("BTC/USDT") == before:
                break
        else:
            raise AssertionError("the venue's book never stood still for one request")
        async with alice.get("/api/instruments") as answer:
            tick = Decimal(next(i["tick_size"] for i in await answer.json() if i["symbol"] == "BTC/USDT"))
        prices = [Decimal(price) for side in ("bids", "asks") for price, _ in book[side]]
        assert all(price % tick == 0 for price in prices), book
        venue_bids, venue_asks = before
        assert Decimal(book["bids"][0][0]) < venue_bids[0][0] and Decimal(book["asks"][0][0]) > venue_asks[0][0]
