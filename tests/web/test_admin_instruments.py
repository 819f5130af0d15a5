"""Listing from the back office, against the running demo: a broker lists a crypto pair the venue has and the demo
does not trade, and its trader trades it at once; delisted, it is close-only; after a restart it is still there."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import aiohttp

from dynamictech.demo import start
from tests.web.conftest import Terminal, until

TENANT = "demo-broker"
DOGE = {"symbol": "DOGE/USDT", "asset_class": "crypto", "base_currency": "DOGE", "quote_currency": "USDT",
        "tick_size": "0.00001", "lot_step": "1", "min_quantity": "1", "max_quantity": "9000000",
        "min_notional": "1", "margin_rate": "0.5", "price_precision": 5, "quantity_precision": 0,
        "venue": "binance", "venue_symbol": "DOGEUSDT", "deposit_enabled": True, "withdraw_enabled": True,
        "confirmations": 40, "tenant_id": TENANT}




async def order(client: aiohttp.ClientSession, cl_ord_id: str, side: str, quantity: str,
                **more: Any) -> dict[str, Any]:
    """Place an order on ALICE-USD and wait until it is done (filled or rejected)."""
    body = {"symbol": "DOGE/USDT", "side": side, "type": "market", "quantity": quantity, "cl_ord_id": cl_ord_id,
            **more}
    async with client.post("/api/accounts/ALICE-USD/orders", json=body) as answer:
        assert answer.status == 201, await answer.text()
    final: dict[str, Any] = {}

    async def done() -> bool:
        async with client.get("/api/accounts/ALICE-USD/orders?state=all") as answer:
            mine = [o for o in await answer.json() if o["cl_ord_id"] == cl_ord_id]
        if mine and mine[0]["status"] in ("filled", "rejected", "canceled", "expired"):
            final.update(mine[0])
            return True
        return False
    await until(done)
    return final


async def test_a_broker_lists_a_pair_its_trader_trades_at_once_then_delists_it_to_close_only(
        terminal: Terminal) -> None:
    hub = terminal.demo.hub
    assert "DOGE/USDT" not in hub.oms.instruments, "the demo does not trade it: only a listing makes it tradable"
    announced: list[dict[str, Any]] = []
    hub.bus.subscribe("instruments", lambda topic, event: announced.append(event))
    broker, alice = await terminal.session("broker"), await terminal.session("alice")
    async with broker, alice, alice.ws_connect("/api/stream/prices") as prices:
        async with broker.post("/api/admin/instruments", json=DOGE) as answer:
            assert answer.status == 201, await answer.text()
            listed = await answer.json()
        assert (listed["symbol"], listed["tenant_id"], listed["close_only"], listed["venue_symbol"],
                listed["confirmations"]) == ("DOGE/USDT", TENANT, False, "DOGEUSDT", 40)
        assert [(e["type"], e["change"], e["symbol"], e["tenant_id"]) for e in announced] == [
            ("instrument", "listed", "DOGE/USDT", TENANT)]
        async with alice.get("/api/instruments") as answer:
            assert "DOGE/USDT" in {i["symbol"] for i in await answer.json()}, "the watch list's source has it"
        frame = await asyncio.wait_for(prices.receive_json(), 10)   # the open terminal hears of it at once
        assert (frame["type"], frame["change"], frame["symbol"]) == ("instrument", "listed", "DOGE/USDT"), frame
        await prices.send_json({"op": "subscribe", "symbols": ["DOGE/USDT"]})
        while (frame := await asyncio.wait_for(prices.receive_json(), 10))["type"] not in ("snapshot", "quote"):
            assert frame["type"] != "error", frame
        assert frame["symbol"] == "DOGE/USDT" and frame["bid"] is not None, "and prices it without a restart"

        async def priced() -> bool:
            async with alice.get("/api/quotes?symbols=DOGE/USDT") as answer:
                quotes = await answer.json()
            return bool(quotes) and quotes[0]["bid"] is not None and quotes[0]["ask"] is not None
        await until(priced)
        async with alice.get("/api/quotes?symbols=DOGE/USDT") as answer:
            [quote] = await answer.json()
        bought = await order(alice, "doge-1", "buy", "100")
        assert bought["status"] == "filled", bought
        assert abs(D(bought["average_price"]) - D(quote["ask"])) / D(quote["ask"]) < D("0.01")
        small = await order(alice, "doge-2", "buy", "1", type="limit", price=quote["ask"])
        assert (small["status"], small["reject_code"]) == ("rejected", "below_min_notional"), small

        async with broker.post("/api/admin/instruments/DOGE%2FUSDT/delist") as answer:
            assert answer.status == 200, await answer.text()
            assert (await answer.json())["close_only"] is True
        opening = await order(alice, "doge-3", "buy", "100")
        assert (opening["status"], opening["reject_code"]) == ("rejected", "close_only"), opening
        assert "delisted" in opening["reject_reason"]
        too_much = await order(alice, "doge-4", "sell", "200")
        assert too_much["reject_code"] == "close_only", "a sell beyond the position would open a short"
        closing = await order(alice, "doge-5", "sell", "100")
        assert closing["status"] == "filled", closing
        async with alice.get("/api/accounts/ALICE-USD/positions") as answer:
            assert [p for p in await answer.json() if p["symbol"] == "DOGE/USDT" and D(p["quantity"])] == []

        async with broker.post("/api/admin/instruments/DOGE%2FUSDT/delist") as answer:
            assert answer.status == 409 and (await answer.json())["code"] == "already_delisted"
        async with broker.patch("/api/admin/instruments/DOGE%2FUSDT", json={"min_notional": "2"}) as answer:
            assert answer.status == 200, await answer.text()
            assert (await answer.json())["min_notional"] == "2"
        assert hub.oms.instruments["DOGE/USDT"].min_notional == 2
        async with broker.get("/api/admin/audit", params={"resource": "instruments"}) as answer:
            entries = await answer.json()
        assert [(e["action"], e["actor"], e["tenant_id"]) for e in entries] == [
            ("instruments.change", "broker", TENANT), ("instruments.delist", "broker", TENANT),
            ("instruments.list", "broker", TENANT)]
        assert entries[1]["before"]["close_only"] is False and entries[1]["after"]["close_only"] is True
        assert [e["change"] for e in announced] == ["listed", "delisted", "changed"]


async def test_listings_a_caller_may_not_make_or_that_break_a_rule(terminal: Terminal) -> None:
    broker, alice = await terminal.session("broker"), await terminal.session("alice")
    async with broker, alice:
        async with alice.get("/api/admin/instruments") as answer:
            assert answer.status == 403 and (await answer.json())["code"] == "forbidden"
        async with alice.post("/api/admin/instruments", json=DOGE) as answer:
            assert answer.status == 403
        for change, status, code in (
                ({**DOGE, "tenant_id": None}, 403, "forbidden"),            # the platform's catalogue
                ({**DOGE, "tenant_id": "another-broker"}, 403, "forbidden"),
                ({**DOGE, "venue": "lmax"}, 422, "unknown_venue"),
                ({**DOGE, "symbol": "SHIB/USDT", "base_currency": "SHIB"}, 422, "not_at_venue"),
                ({**DOGE, "venue": "equity"}, 422, "not_at_venue"),
                ({**DOGE, "symbol": "EUR/USD"}, 409, "already_listed"),
                ({**DOGE, "min_quantity": "10", "max_quantity": "5"}, 422, "bad_filter"),
                ({**DOGE, "tick_size": "0"}, 422, "bad_filter"),
                ({**DOGE, "margin_rate": "2"}, 422, "bad_filter"),
                ({**DOGE, "price_precision": 2}, 422, "bad_filter"),
                ({**DOGE, "asset_class": "bonds"}, 400, "bad_asset_class"),
                ({**DOGE, "tick_size": 0.00001}, 400, "bad_request"),
                ({**DOGE, "confirmations": "forty"}, 400, "bad_request"),
                ({k: v for k, v in DOGE.items() if k != "venue"}, 400, "bad_request"),
                ({**DOGE, "colour": "red"}, 400, "bad_request")):
            async with broker.post("/api/admin/instruments", json=change) as answer:
                error = await answer.json()
                assert (answer.status, error["code"]) == (status, code), (change, error)
                assert error["reason"]
        for path, body, status, code in (
                ("BTC%2FUSDT", {"min_notional": "10"}, 409, "configured_instrument"),
                ("NOPE%2FUSDT", {"min_notional": "10"}, 404, "unknown_symbol"),
                ("BTC%2FUSDT", {}, 400, "bad_request"),
                ("BTC%2FUSDT", {"venue": "binance"}, 400, "bad_request")):
            async with broker.patch(f"/api/admin/instruments/{path}", json=body) as answer:
                assert (answer.status, (await answer.json())["code"]) == (status, code)
        async with broker.get("/api/admin/audit", params={"resource": "instruments"}) as answer:
            assert await answer.json() == [], "nothing refused is recorded as done"
    assert "DOGE/USDT" not in terminal.demo.hub.oms.instruments


async def test_a_listing_and_its_delisting_survive_a_restart(tmp_path: Path) -> None:
    demo = await start(tmp_path, web_port=0, fix_ports=(0, 0))
    try:
        broker = await Terminal(demo, demo.urls["terminal"].rstrip("/"), dict(demo.logins)).session("broker")
        async with broker:
            async with broker.post("/api/admin/instruments", json=DOGE) as answer:
                assert answer.status == 201
            async with broker.post("/api/admin/instruments/DOGE%2FUSDT/delist") as answer:
                assert answer.status == 200
    finally:
        await demo.stop()
    demo = await start(tmp_path, web_port=0, fix_ports=(0, 0))   # a new process's worth: nothing in memory
    try:
        doge = demo.hub.oms.instruments["DOGE/USDT"]
        assert (doge.tenant_id, doge.close_only, doge.min_notional, doge.lot_step) == (TENANT, True, 1, 1)
        terminal = Terminal(demo, demo.urls["terminal"].rstrip("/"), dict(demo.logins))
        broker, alice = await terminal.session("broker"), await terminal.session("alice")
        async with broker, alice:
            async with broker.get("/api/admin/instruments") as answer:
                [listed] = [i for i in await answer.json() if i["symbol"] == "DOGE/USDT"]
            assert (listed["listed_here"], listed["close_only"], listed["venue"]) == (True, True, "binance")
            refused = await order(alice, "after-restart", "buy", "100")
            assert refused["reject_code"] == "close_only"
    finally:
        await demo.stop()
