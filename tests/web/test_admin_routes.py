"""The A-Book route table from the back office, against the running demo: read and replaced whole by the platform's
staff, refused before anything changes when it could not route as meant, and live for the next order."""
from __future__ import annotations

from typing import Any

from tests.web.conftest import Terminal, until

DEMO_TABLE = [{"venues": ["fx-lp"], "asset_class": "fx"}, {"venues": ["fx-lp"], "asset_class": "commodity"},
              {"venues": ["binance"], "asset_class": "crypto"}, {"venues": ["equity"], "asset_class": "equity"}]


def full(rule: dict[str, Any]) -> dict[str, Any]:
    return {"tenant_id": None, "group_id": None, "asset_class": None, "symbol_pattern": "*", "min_quantity": None,
            "max_quantity": None, "best_price": False, "reroute_on_reject": True, **rule}




async def test_the_platform_replaces_the_route_table_and_the_next_order_follows_it(terminal: Terminal) -> None:
    admin, alice = await terminal.session("superadmin"), await terminal.session("alice")
    hub = terminal.demo.hub
    async with admin, alice:
        async with admin.get("/api/admin/routes") as answer:
            assert answer.status == 200
            assert await answer.json() == [full(rule) for rule in DEMO_TABLE]
        # big BTC orders to the forex LP, which does not carry it: refused there, and not tried elsewhere
        table = [{"venues": ["fx-lp"], "symbol_pattern": "BTC/*", "min_quantity": "0.5",
                  "reroute_on_reject": False}, *DEMO_TABLE]
        async with admin.put("/api/admin/routes", json={"rules": table}) as answer:
            assert answer.status == 200, await answer.text()
            assert await answer.json() == [full(rule) for rule in table]
        for cl_ord_id, quantity in (("small", "0.01000"), ("big", "0.50000")):
            order = {"symbol": "BTC/USDT", "side": "buy", "type": "market", "quantity": quantity,
                     "cl_ord_id": cl_ord_id}
            async with alice.post("/api/accounts/ALICE-USD/orders", json=order) as answer:
                assert answer.status == 201, await answer.text()

        async def done() -> bool:
            async with alice.get("/api/accounts/ALICE-USD/orders?state=all") as answer:
                orders = await answer.json()
            return len(orders) == 2 and all(o["status"] in ("filled", "rejected") for o in orders)
        await until(done)
        venues = {o.cl_ord_id: (o.venue, o.status.name.lower()) for o in hub.oms.orders.values()}
        assert venues["small"] == ("binance", "filled")
        assert venues["big"][1] == "rejected" and venues["big"][0] in (None, "fx-lp")
        async with admin.get("/api/admin/audit", params={"resource": "routes"}) as answer:
            [entry] = await answer.json()
        assert (entry["action"], entry["actor"], entry["tenant_id"]) == ("routes.replace", "superadmin", None)
        assert entry["before"] == [full(rule) for rule in DEMO_TABLE]
        assert entry["after"][0]["min_quantity"] == "0.5"
        async with admin.put("/api/admin/routes", json={"rules": DEMO_TABLE}) as answer:
            assert answer.status == 200


async def test_a_table_that_could_not_route_as_meant_is_refused_and_nothing_changes(terminal: Terminal) -> None:
    admin, broker, alice = [await terminal.session(login) for login in ("superadmin", "broker", "alice")]
    async with admin, broker, alice:
        for caller in (broker, alice):
            async with caller.get("/api/admin/routes") as answer:
                assert answer.status == 403 and (await answer.json())["code"] == "forbidden"
            async with caller.put("/api/admin/routes", json={"rules": DEMO_TABLE}) as answer:
                assert answer.status == 403
        for rules, status, code, named in (
                ([{"venues": ["lmax"], "asset_class": "fx"}, *DEMO_TABLE], 422, "unknown_venue", "lmax"),
                (DEMO_TABLE[:3], 422, "unrouted_instruments", "AAPL"),
                ([*DEMO_TABLE, {"venues": ["binance"], "min_quantity": "2", "max_quantity": "1"}], 422,
                 "bad_quantity", "rule 5"),
                ([*DEMO_TABLE, {"venues": ["binance", "binance"]}], 422, "duplicate_venue", "rule 5"),
                ([*DEMO_TABLE, {"venues": ["binance"], "tenant_id": "nobody"}], 422, "unknown_tenant", "nobody"),
                ([*DEMO_TABLE, {"venues": ["binance"], "group_id": "gold"}], 422, "unknown_group", "gold"),
                ([*DEMO_TABLE, {"venues": []}], 400, "bad_venues", "venues"),
                ([*DEMO_TABLE, {"venues": ["binance"], "asset_class": "bonds"}], 400, "bad_asset_class", "asset_class"),
                ([*DEMO_TABLE, {"venues": ["binance"], "symbol_pattern": ""}], 400, "bad_pattern", "symbol"),
                ([*DEMO_TABLE, {"venues": ["binance"], "colour": "red"}], 400, "bad_request", "colour")):
            async with admin.put("/api/admin/routes", json={"rules": rules}) as answer:
                error = await answer.json()
                assert (answer.status, error["code"]) == (status, code), error
                assert named in error["reason"]
        async with admin.put("/api/admin/routes", json=DEMO_TABLE) as answer:
            assert answer.status == 400
        async with admin.get("/api/admin/routes") as answer:
            assert await answer.json() == [full(rule) for rule in DEMO_TABLE]
        async with admin.get("/api/admin/audit", params={"resource": "routes"}) as answer:
            assert await answer.json() == []
