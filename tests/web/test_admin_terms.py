"""Markups and commission plans from the back office, against the running demo: a broker's change reaches the quote
and the fill a trader sees without a restart, is in the audit log, and a trader may not make it."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D
from typing import Any

from routing.interceptors.spread_markup import on_tick
from routing.pricing import Best
from tests.web.conftest import Terminal, until

TENANT = "demo-broker"




def watch(terminal: Terminal, group: str, symbol: str) -> list[tuple[dict[str, Any], Best]]:
    """Every quote the hub publishes to ``group`` from now on, with the venues' best price it was made from."""
    hub = terminal.demo.hub
    seen: list[tuple[dict[str, Any], Best]] = []

    def record(topic: str, event: dict[str, Any]) -> None:
        best = hub.feed.best(symbol)
        if best is not None and event.get("bid") is not None and event.get("ask") is not None:
            seen.append((event, best))
    hub.bus.subscribe(f"quotes.{TENANT}.{group}.{symbol.replace('/', '-')}", record)
    return seen


async def test_a_broker_widens_one_side_of_the_quote_a_trader_sees_without_a_restart(terminal: Terminal) -> None:
    broker, alice = await terminal.session("broker"), await terminal.session("alice")
    async with broker, alice:
        async with alice.get("/api/quotes?symbols=EUR/USD") as answer:
            [before] = await answer.json()
        assert D(before["ask"]) - D(before["bid"]) < D("0.0005")
        markup = {"tenant_id": TENANT, "group_id": "standard", "symbol": "EUR/USD", "bid": "2", "ask": "3",
                  "unit": "pips"}
        async with broker.put("/api/admin/markups", json=markup) as answer:
            assert answer.status == 200, await answer.text()
            assert await answer.json() == markup
        seen = watch(terminal, "standard", "EUR/USD")
        await until(lambda: asyncio.sleep(0, bool(seen)))
        event, best = seen[0]
        assert best.bid is not None and best.ask is not None
        assert (D(event["bid"]), D(event["ask"])) == (best.bid - D("0.0002"), best.ask + D("0.0003"))

        async def widened() -> bool:
            async with alice.get("/api/quotes?symbols=EUR/USD") as answer:
                [quote] = await answer.json()
            return D(quote["ask"]) - D(quote["bid"]) >= D("0.0005")
        await until(widened)
        async with broker.get("/api/admin/markups", params={"tenant_id": TENANT}) as answer:
            listed = await answer.json()
        assert markup in listed
        assert {"tenant_id": TENANT, "group_id": "standard", "symbol": "*", "bid": "0.002", "ask": "0.002",
                "unit": "percent"} in listed, "the group's own markup, the same on both sides, stays"

        async with broker.delete("/api/admin/markups", params={"tenant_id": TENANT, "group_id": "standard",
                                                                "symbol": "EUR/USD"}) as answer:
            assert answer.status == 204
        seen = watch(terminal, "standard", "EUR/USD")
        await until(lambda: asyncio.sleep(0, bool(seen)))
        event, best = seen[0]
        assert best.ask is not None
        assert D(event["ask"]) == on_tick(best.ask + best.ask * D("0.002") / 100, D("0.00001"), up=True), \
            "back to the group's markup for every symbol"
        async with broker.get("/api/admin/audit", params={"resource": "markups"}) as answer:
            entries = await answer.json()
        assert [(e["action"], e["actor"], e["resource_id"]) for e in entries] == [
            ("markups.delete", "broker", f"{TENANT}/standard/EUR/USD"),
            ("markups.put", "broker", f"{TENANT}/standard/EUR/USD")]
        assert entries[1]["before"] is None and entries[1]["after"]["ask"] == "3"
        assert entries[0]["before"]["bid"] == "2" and entries[0]["after"] is None


async def test_a_markup_in_percent_points_or_pips_per_side(terminal: Terminal) -> None:
    broker = await terminal.session("broker")
    async with broker:
        for unit, bid, ask in (("percent", "0.01", "0.02"), ("points", "5", "0")):
            markup = {"tenant_id": TENANT, "group_id": "vip", "symbol": "BTC/USDT", "bid": bid, "ask": ask,
                      "unit": unit}
            async with broker.put("/api/admin/markups", json=markup) as answer:
                assert answer.status == 200, await answer.text()
            seen = watch(terminal, "vip", "BTC/USDT")
            await until(lambda: asyncio.sleep(0, bool(seen)))   # noqa: B023 - awaited within the iteration
            event, best = seen[0]
            assert best.bid is not None and best.ask is not None
            tick = D("0.01")
            if unit == "percent":
                wanted = (on_tick(best.bid - best.bid * D(bid) / 100, tick, up=False),
                          on_tick(best.ask + best.ask * D(ask) / 100, tick, up=True))
            else:
                wanted = (best.bid - D(bid), best.ask)
            assert (D(event["bid"]), D(event["ask"])) == wanted
        # a pip of a yen pair is 0.01
        markup = {"tenant_id": TENANT, "group_id": "standard", "symbol": "USD/JPY", "bid": "1.5", "ask": "0.5",
                  "unit": "pips"}
        async with broker.put("/api/admin/markups", json=markup) as answer:
            assert answer.status == 200, await answer.text()
        seen = watch(terminal, "standard", "USD/JPY")
        await until(lambda: asyncio.sleep(0, bool(seen)))
        event, best = seen[0]
        assert best.bid is not None and best.ask is not None
        assert (D(event["bid"]), D(event["ask"])) == (best.bid - D("0.015"), best.ask + D("0.005"))


async def test_markup_changes_a_trader_may_not_make_or_that_break_a_rule(terminal: Terminal) -> None:
    broker, alice = await terminal.session("broker"), await terminal.session("alice")
    good = {"tenant_id": TENANT, "group_id": "standard", "symbol": "EUR/USD", "bid": "1", "ask": "1",
            "unit": "pips"}
    async with broker, alice:
        async with alice.get("/api/admin/markups") as answer:
            assert answer.status == 403 and (await answer.json())["code"] == "forbidden"
        async with alice.put("/api/admin/markups", json=good) as answer:
            assert answer.status == 403 and (await answer.json())["code"] == "forbidden"
        for change, status, code in (
                ({**good, "tenant_id": "another-broker"}, 403, "forbidden"),
                ({**good, "group_id": "gold"}, 422, "unknown_group"),
                ({**good, "symbol": "XYZ/ABC"}, 422, "unknown_symbol"),
                ({**good, "bid": "-1"}, 422, "bad_markup"),
                ({**good, "unit": "percent", "ask": "100"}, 422, "bad_markup"),
                ({**good, "unit": "bps"}, 400, "bad_unit"),
                ({**good, "bid": 1.5}, 400, "bad_request"),
                ({**good, "colour": "red"}, 400, "bad_request")):
            async with broker.put("/api/admin/markups", json=change) as answer:
                error = await answer.json()
                assert (answer.status, error["code"]) == (status, code), error
                assert error["reason"]
        async with broker.delete("/api/admin/markups", params={"tenant_id": TENANT, "group_id": "vip",
                                                                "symbol": "EUR/USD"}) as answer:
            assert answer.status == 404 and (await answer.json())["code"] == "unknown_markup"
        async with broker.get("/api/admin/audit", params={"resource": "markups"}) as answer:
            assert await answer.json() == [], "nothing refused is recorded as done"
    assert (TENANT, "standard", "EUR/USD") not in terminal.demo.hub.markup.markups


async def test_a_commission_plan_changed_charges_the_next_fill(terminal: Terminal) -> None:
    broker, alice = await terminal.session("broker"), await terminal.session("alice")
    async with broker, alice:
        async with alice.put("/api/admin/commission-plans/standard", json={"rate": "7", "unit": "lot"}) as answer:
            assert answer.status == 403
        async with broker.put("/api/admin/commission-plans/standard",
                              json={"rate": "7", "unit": "lot", "per_trade": "0.5"}) as answer:
            assert answer.status == 200, await answer.text()
            assert await answer.json() == {"group_id": "standard", "tenant_id": TENANT, "rate": "7", "unit": "lot",
                                           "per_trade": "0.5"}
        order = {"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": "2", "cl_ord_id": "c1"}
        async with alice.post("/api/accounts/ALICE-USD/orders", json=order) as answer:
            assert answer.status == 201, await answer.text()

        async def filled() -> bool:
            async with alice.get("/api/accounts/ALICE-USD/fills") as answer:
                return bool(await answer.json())
        await until(filled)
        async with alice.get("/api/accounts/ALICE-USD/fills") as answer:
            fills = await answer.json()
        assert sum(D(f["commission"]) for f in fills) == 7 * 2 + D("0.5") * len(fills)
        async with broker.get("/api/admin/commission-plans") as answer:
            plans = {p["group_id"]: p for p in await answer.json()}
        assert plans["standard"]["rate"] == "7" and plans["vip"]["unit"] == "notional"
        for group, body, status, code in (("gold", {"rate": "1", "unit": "lot"}, 404, "unknown_group"),
                                          ("vip", {"rate": "-1", "unit": "lot"}, 422, "bad_commission"),
                                          ("vip", {"rate": "1", "unit": "share"}, 400, "bad_unit"),
                                          ("vip", {"unit": "lot"}, 400, "bad_request")):
            async with broker.put(f"/api/admin/commission-plans/{group}", json=body) as answer:
                assert (answer.status, (await answer.json())["code"]) == (status, code)
        async with broker.delete("/api/admin/commission-plans/vip") as answer:
            assert answer.status == 204
        assert "vip" not in terminal.demo.hub.commission.plans
        async with broker.get("/api/admin/audit", params={"resource": "commission-plans"}) as answer:
            assert [e["action"] for e in await answer.json()] == ["commission_plans.delete",
                                                                  "commission_plans.put"]
