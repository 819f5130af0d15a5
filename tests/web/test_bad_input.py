"""Hostile or careless input at the REST and WebSocket doors: each is a 400/415 JSON answer with a code and a
reason before anything is journaled, never a 500, a dropped socket or bytes spliced into a FIX message."""
from __future__ import annotations

import asyncio
import ssl
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
import pytest
from aiohttp import web

from tests.web.conftest import Terminal

ORDERS = "/api/accounts/ALICE-USD/orders"
MARKET = {"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": "1"}
JSON = {"Content-Type": "application/json"}


async def nothing_journaled(client: aiohttp.ClientSession) -> None:
    async with client.get(f"{ORDERS}?state=all") as answer:
        assert await answer.json() == []
    async with client.get("/api/accounts/ALICE-USD/balances") as answer:
        assert await answer.json() == {"USD": "100000.00"}


async def refused(client: aiohttp.ClientSession, body: Any, status: int = 400) -> dict[str, str]:
    async with client.post(ORDERS, data=orjson.dumps(body), headers=JSON) as answer:
        assert answer.status == status, (body, await answer.text())
        assert answer.content_type == "application/json"
        return await answer.json()


async def test_a_cl_ord_id_that_could_splice_fix_tags_is_refused_before_the_journal(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        for cl_ord_id in ("inj\x011=BOB-USD\x0131=0.00001", "tab\there", "new\nline", "with space", "ордер",
                          "caf\u00e9", "del\x7f", "", "x" * 65, 42, ["a"], {"a": 1}):
            error = await refused(alice, {**MARKET, "cl_ord_id": cl_ord_id})
            assert error["code"] == "bad_cl_ord_id" and "printable ASCII" in error["reason"], (cl_ord_id, error)
        for name in ("symbol", "position_id"):
            error = await refused(alice, {**MARKET, name: "EUR/USD\x0155=BTC/USDT"})
            assert error["code"] == f"bad_{name}", error
        await nothing_journaled(alice)
        # The whole printable range short of space is fine, and FIX allows all of it.
        async with alice.post(ORDERS, json={**MARKET, "cl_ord_id": "A-z_0.9:{}[]|~!"}) as answer:
            assert answer.status == 201, await answer.text()


@pytest.mark.parametrize("name", ["quantity", "price", "stop_price", "trail", "take_profit", "stop_loss"])
async def test_an_amount_out_of_range_or_off_the_pattern_is_a_400_before_the_journal(terminal: Terminal,
                                                                                   name: str) -> None:
    alice = await terminal.session("alice")
    async with alice:
        for value in ("1e27", "1" + "0" * 27, "1" * 16, "0." + "1" * 13, "1_0", " 1", "1 ", "1e5", "NaN",
                      "Infinity", "-Infinity", "\u0661", "+1", ".5", "1.", "0x10", ""):
            error = await refused(alice, {**MARKET, "type": "limit", "price": "1.08", name: value})
            assert error["code"] == "bad_amount" and name in error["reason"], (value, error)
        await nothing_journaled(alice)
        # The largest amount the pattern allows is the pipeline's to judge: an answer, never a 500.
        async with alice.post(ORDERS, json={**MARKET, "type": "limit", "price": "1.08",
                                            name: "999999999999999.999999999999"}) as answer:
            assert answer.status in (201, 400), await answer.text()


async def test_a_field_of_the_wrong_json_type_is_a_400_not_a_500(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        for name, value in (("type", {"a": 1}), ("side", ["buy"]), ("time_in_force", ["gtc"]), ("type", None),
                            ("side", 1), ("expire_at", ["2030-01-01T00:00:00+00:00"]), ("symbol", {"s": 1})):
            error = await refused(alice, {**MARKET, name: value})
            assert error["code"].startswith("bad_") and name in error["reason"], (name, value, error)
        for body in ([MARKET], "order", 1, None):
            assert (await refused(alice, body))["code"] == "bad_request"
        await nothing_journaled(alice)


async def test_a_malformed_subscription_gets_an_error_frame_and_the_socket_stays_open(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice, alice.ws_connect("/api/stream/prices") as socket:
        for command in ({"op": "subscribe", "symbols": [["x"]]}, {"op": "subscribe", "symbols": [{"a": 1}]},
                        {"op": ["subscribe"], "symbols": []}, ["subscribe"], "subscribe"):
            await socket.send_str(orjson.dumps(command).decode())
            frame = await asyncio.wait_for(socket.receive_json(), 5)
            assert frame["type"] == "error" and frame["code"] == "bad_request", (command, frame)
        await socket.send_str(orjson.dumps({"op": "subscribe", "symbols": ["EUR/USD"]}).decode())
        frame = await asyncio.wait_for(socket.receive_json(), 5)
        assert (frame["type"], frame["symbol"]) == ("snapshot", "EUR/USD")


@pytest.mark.parametrize("cl_ord_id", ["{brace}%?#&", "desk/7/a"])
async def test_an_order_whose_cl_ord_id_has_braces_or_slashes_can_be_amended_and_canceled(terminal: Terminal,
                                                                                            cl_ord_id: str) -> None:
    alice = await terminal.session("alice")
    async with alice:
        resting = {"symbol": "EUR/USD", "side": "buy", "type": "limit", "quantity": "1", "price": "0.50000",
                   "cl_ord_id": cl_ord_id}
        async with alice.post(ORDERS, json=resting) as answer:
            assert answer.status == 201, await answer.text()
        path = f"{ORDERS}/{quote(cl_ord_id, safe='')}"
        async with alice.patch(path, json={"quantity": "2", "price": "0.50000"}) as answer:
            assert answer.status == 202, await answer.text()
            assert (await answer.json())["cl_ord_id"] == cl_ord_id
        async with alice.delete(path) as answer:
            assert answer.status in (202, 409), await answer.text()   # 409 if the replace is still pending
        for bad in ("bad\x01id", "line\nbreak"):
            async with alice.delete(f"{ORDERS}/{quote(bad, safe='')}") as answer:
                assert answer.status == 400 and (await answer.json())["code"] == "bad_cl_ord_id", bad


async def test_a_body_that_is_not_json_is_a_415(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        body = orjson.dumps(MARKET)
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/octet-stream",
                             "multipart/form-data; boundary=x"):
            async with alice.post(ORDERS, data=body, headers={"Content-Type": content_type}) as answer:
                assert answer.status == 415, content_type
                assert (await answer.json())["code"] == "unsupported_media_type"
        async with alice.put("/api/layout", data=b'{"layout": {}}', headers={"Content-Type": "text/plain"}) as answer:
            assert answer.status == 415
        await nothing_journaled(alice)
        async with alice.post(ORDERS, data=body, headers={"Content-Type": "application/json; charset=utf-8"}) as answer:
            assert answer.status == 201, await answer.text()


async def test_the_server_header_names_no_version(terminal: Terminal) -> None:
    async with aiohttp.ClientSession(base_url=terminal.url) as anonymous:
        for path in ("/api/openapi.json", "/api/accounts", "/api/nowhere", "/"):
            async with anonymous.get(path) as answer:
                assert answer.headers["Server"] == "dynamictech", path


def _self_signed(directory: Path) -> ssl.SSLContext:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_the_session_cookie_is_secure_over_tls_only(terminal: Terminal, tmp_path: Path) -> None:
    [runner] = [stop.__self__ for stop in terminal.demo.stoppers if isinstance(getattr(stop, "__self__", None),
                                                                               web.AppRunner)]
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=_self_signed(tmp_path))
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    login = {"login": "alice", "password": terminal.logins["alice"]}
    try:
        for base, secure in ((terminal.url, False), (f"https://127.0.0.1:{port}", True)):
            async with aiohttp.ClientSession(base_url=base) as client:
                async with client.post("/api/session", json=login, ssl=False) as answer:
                    assert answer.status == 200
                    cookie = answer.cookies["dt_session"]
                    assert bool(cookie["secure"]) is secure, base
                    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    finally:
        await site.stop()


async def test_what_aiohttp_refuses_before_routing_is_json_too(terminal: Terminal) -> None:
    """A URL or header past aiohttp's limits never reaches a route; the answer is still JSON with a code."""
    host, port = terminal.url.removeprefix("http://").split(":")
    for request in (f"GET /api/quotes?x={'a' * 10_000} HTTP/1.1\r\nHost: {host}\r\n\r\n",
                    f"GET /api/quotes HTTP/1.1\r\nHost: {host}\r\nX-Long: {'b' * 10_000}\r\n\r\n",
                    "GET /api/quotes HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"):
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(request.encode())
        raw = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.split(b" ")[1].startswith(b"4"), head   # HTTP/1.0 where the request line was unreadable
        assert b"Content-Type: application/json" in head and b"Server: dynamictech" in head, head
        answer = orjson.loads(body)
        assert answer["code"] and answer["reason"], answer


async def test_a_limit_without_a_price_or_at_zero_is_told_what_is_wrong_with_its_price(terminal: Terminal) -> None:
    """The pipeline judges both doors' orders: the REST client reads the same code and sentence a FIX client does."""
    alice = await terminal.session("alice")
    async with alice:
        for price, code, reason in ((None, "missing_price", "a limit order needs a price (FIX: Price(44))"),
                                    ("0", "bad_price", "price must be above zero, got 0")):
            body = {**MARKET, "type": "limit", **({} if price is None else {"price": price})}
            async with alice.post(ORDERS, json=body) as answer:
                assert answer.status == 201, await answer.text()
                order = await answer.json()
            assert (order["status"], order["reject_code"], order["reject_reason"]) == ("rejected", code, reason)
