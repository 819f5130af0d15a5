"""White-label tenants through /api/admin/tenants against the whole demo: the super admin creates a broker's tenant
with its brand, which its page shows at once (GET /api/brand) and whose default group is priced at once; bad brands
are refused with a reason; a broker changes its own brand but not its region, and sees no other tenant; every
change is in the audit log."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from backoffice.tenants import LANGUAGES
from tests.web.conftest import Terminal

CATALOGUES = Path(__file__).resolve().parents[2] / "web" / "terminal" / "static" / "i18n"
ACME = {"tenant_id": "acme", "name": "Acme Markets", "region": "apac",
        "brand": {"primary_colour": "#0a7d32", "accent_colour": "#ffcc00", "language": "es", "path": "/t/acme",
                  "domain": "trade.acme-markets.com", "logo_url": "https://cdn.acme-markets.com/logo.svg"},
        "defaults": {"leverage": "50", "margin_call": "120", "stop_out": "60", "orders_per_second": 10,
                     "allowed_instruments": ["*/USD", "BTC/*"]}}


async def call(client: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with client.request(method, path, json=body) as answer:
        return answer.status, await answer.json() if answer.status != 204 else None


def test_a_tenant_may_choose_exactly_the_languages_the_terminal_has() -> None:
    assert sorted(LANGUAGES) == sorted(path.stem for path in CATALOGUES.glob("*.json"))


async def test_the_super_admin_creates_a_branded_tenant_its_page_and_prices_follow_at_once(
        terminal: Terminal) -> None:
    superadmin = await terminal.session("superadmin")
    async with superadmin, aiohttp.ClientSession(base_url=terminal.url) as anonymous:
        status, created = await call(superadmin, "POST", "/api/admin/tenants", ACME)
        assert status == 201, created
        assert created["brand"]["primary_colour"] == "#0a7d32"
        assert created["defaults"] == {"leverage": "50", "margin_call": "120", "stop_out": "60",
                                       "orders_per_second": 10, "allowed_instruments": ["*/USD", "BTC/*"]}
        status, listed = await call(superadmin, "GET", "/api/admin/tenants")
        assert [t["tenant_id"] for t in listed] == ["acme", "demo-broker"]

        async with anonymous.get("/api/brand", params={"path": "/t/acme"}) as answer:
            assert answer.status == 200
            assert await answer.json() == {"tenant_id": "acme", "name": "Acme Markets",
                                           "logo_url": "https://cdn.acme-markets.com/logo.svg",
                                           "primary_colour": "#0a7d32", "accent_colour": "#ffcc00",
                                           "language": "es"}
        async with anonymous.get("/api/brand", headers={"Host": "trade.acme-markets.com"}) as answer:
            assert (await answer.json())["name"] == "Acme Markets"
        async with anonymous.get("/api/brand") as answer:
            assert (await answer.json())["tenant_id"] is None   # the platform's own brand
        async with anonymous.get("/t/acme") as answer:   # the terminal, at the tenant's own path
            assert answer.status == 200 and "login-form" in await answer.text()

        # its default group is priced from the next quote on, without a restart
        status, groups = await call(superadmin, "GET", "/api/admin/groups?tenant_id=acme")
        assert [(g["group_id"], g["max_leverage"]) for g in groups] == [("acme-standard", "50")]
        bus = terminal.demo.hub.bus
        for _ in range(200):
            if bus.last("quotes.acme.acme-standard.EUR-USD") is not None:
                break
            await asyncio.sleep(0.05)
        assert bus.last("quotes.acme.acme-standard.EUR-USD") is not None

        status, entries = await call(superadmin, "GET", "/api/admin/audit?resource=tenants&resource_id=acme")
        [entry] = entries
        assert (entry["actor"], entry["action"], entry["before"]) == ("superadmin", "tenants.create", None)
        assert entry["after"]["brand"]["path"] == "/t/acme" and entry["after"]["default_group"] == "acme-standard"


async def test_a_brand_a_browser_could_be_harmed_by_or_that_clashes_is_refused_with_a_reason(
        terminal: Terminal) -> None:
    superadmin = await terminal.session("superadmin")
    async with superadmin:
        assert (await call(superadmin, "POST", "/api/admin/tenants", ACME))[0] == 201
        for brand, status, code in (
                ({"primary_colour": "red"}, 422, "bad_colour"),
                ({"accent_colour": "#12345"}, 422, "bad_colour"),
                ({"logo_url": "javascript:alert(1)"}, 422, "bad_logo_url"),
                ({"logo_url": "http://cdn.example.com/logo.png"}, 422, "bad_logo_url"),
                ({"logo_url": "//evil.example.com/logo.png"}, 422, "bad_logo_url"),
                ({"logo_url": "/logo.png\");background:url(x"}, 422, "bad_logo_url"),
                ({"language": "fr"}, 422, "bad_language"),
                ({"domain": "not a host"}, 422, "bad_domain"),
                ({"path": "/elsewhere"}, 422, "bad_path"),
                ({"path": "/t/acme"}, 409, "path_taken"),
                ({"domain": "trade.acme-markets.com"}, 409, "domain_taken"),
                ({"colour": "#000000"}, 400, "bad_request")):
            body = {"tenant_id": "beta", "name": "Beta", "brand": brand}
            answer = await call(superadmin, "POST", "/api/admin/tenants", body)
            assert answer[0] == status and answer[1]["code"] == code, (brand, answer)
        for defaults, code in (({"stop_out": "150", "margin_call": "100"}, "bad_level"),
                               ({"leverage": "0"}, "bad_leverage"),
                               ({"allowed_instruments": ["EUR USD"]}, "bad_instrument_pattern")):
            answer = await call(superadmin, "POST", "/api/admin/tenants",
                                {"tenant_id": "beta", "name": "Beta", "defaults": defaults})
            assert answer[0] == 422 and answer[1]["code"] == code, (defaults, answer)
        assert (await call(superadmin, "POST", "/api/admin/tenants", {**ACME, "brand": {}}))[1]["code"] \
            == "tenant_exists"
        status, listed = await call(superadmin, "GET", "/api/admin/tenants")
        assert [t["tenant_id"] for t in listed] == ["acme", "demo-broker"]   # nothing half-made
        assert "beta-standard" not in terminal.demo.hub.directory.groups


async def test_a_broker_changes_its_own_brand_and_defaults_but_not_its_region_nor_anyone_else(
        terminal: Terminal) -> None:
    superadmin, broker, alice = [await terminal.session(login) for login in ("superadmin", "broker", "alice")]
    async with superadmin, broker, alice:
        assert (await call(superadmin, "POST", "/api/admin/tenants", ACME))[0] == 201
        status, mine = await call(broker, "GET", "/api/admin/tenants")
        assert [t["tenant_id"] for t in mine] == ["demo-broker"]
        status, changed = await call(broker, "PATCH", "/api/admin/tenants/demo-broker",
                                     {"name": "Demo Broker FX", "brand": {"primary_colour": "#aa0000",
                                                                         "path": "/t/demo"},
                                      "defaults": {"stop_out": "40"}})
        assert status == 200, changed
        assert (changed["name"], changed["brand"]["primary_colour"], changed["brand"]["accent_colour"],
                changed["defaults"]["stop_out"]) == ("Demo Broker FX", "#aa0000", "#f0b429", "40")
        assert terminal.demo.hub.directory.tenants["demo-broker"].brand.path == "/t/demo"   # live, no restart
        async with broker.get("/api/brand", params={"path": "/t/demo"}) as answer:
            assert (await answer.json())["primary_colour"] == "#aa0000"

        for method, path, body in (("PATCH", "/api/admin/tenants/demo-broker", {"region": "apac"}),
                                   ("GET", "/api/admin/tenants/acme", None),
                                   ("PATCH", "/api/admin/tenants/acme", {"name": "Mine now"}),
                                   ("GET", "/api/admin/tenants/no-such-tenant", None),
                                   ("POST", "/api/admin/tenants", {"tenant_id": "gamma", "name": "Gamma"})):
            status, error = await call(broker, method, path, body)
            assert status == 403 and error["code"] == "forbidden" and error["reason"], (method, path, error)
        for method, path, body in (("GET", "/api/admin/tenants", None),
                                   ("PATCH", "/api/admin/tenants/demo-broker", {"name": "Alice's"}),
                                   ("POST", "/api/admin/tenants", ACME)):
            status, error = await call(alice, method, path, body)
            assert status == 403 and error["code"] == "forbidden", (method, path, error)
        assert (await call(superadmin, "GET", "/api/admin/tenants/no-such-tenant"))[0] == 404
        status, moved = await call(superadmin, "PATCH", "/api/admin/tenants/acme", {"region": "emea"})
        assert status == 200 and moved["region"] == "emea"

        status, same = await call(broker, "PATCH", "/api/admin/tenants/demo-broker", {"defaults": {"stop_out": "40"}})
        assert status == 200 and same == changed   # nothing changed: answered as it stands, nothing recorded
        status, entries = await call(superadmin, "GET", "/api/admin/audit?resource=tenants&resource_id=demo-broker")
        [entry] = entries
        assert (entry["actor"], entry["action"]) == ("broker", "tenants.update")
        assert (entry["before"]["name"], entry["after"]["name"]) == ("Demo Broker", "Demo Broker FX")


async def test_an_admin_sees_the_tenants_of_its_region_only(terminal: Terminal) -> None:
    superadmin, admin = [await terminal.session(login) for login in ("superadmin", "admin")]
    async with superadmin, admin:
        assert (await call(superadmin, "POST", "/api/admin/tenants", ACME))[0] == 201   # apac, not the admin's
        status, listed = await call(admin, "GET", "/api/admin/tenants")
        assert [t["tenant_id"] for t in listed] == ["demo-broker"]
        assert (await call(admin, "GET", "/api/admin/tenants/acme"))[0] == 403
        status, error = await call(admin, "POST", "/api/admin/tenants",
                                   {"tenant_id": "far", "name": "Far", "region": "apac"})
        assert status == 403 and error["code"] == "forbidden"
        status, created = await call(admin, "POST", "/api/admin/tenants",
                                     {"tenant_id": "near", "name": "Near", "region": "emea"})
        assert status == 201 and created["region"] == "emea", "an admin creates tenants in its own region"
        status, listed = await call(admin, "GET", "/api/admin/tenants")
        assert [t["tenant_id"] for t in listed] == ["demo-broker", "near"]
        status, changed = await call(admin, "PATCH", "/api/admin/tenants/demo-broker",
                                     {"defaults": {"orders_per_second": 5}})
        assert status == 200 and changed["defaults"]["orders_per_second"] == 5


async def test_a_brokers_own_throttle_refuses_the_next_order_over_it_without_a_restart(terminal: Terminal) -> None:
    """Through the REST door: the broker sets one order a second for its tenant; of two orders a trader sends at
    once, the second is throttled, with the tenant's limit in the reason."""
    broker, alice = await terminal.session("broker"), await terminal.session("alice")
    async with broker, alice:
        status, changed = await call(broker, "PATCH", "/api/admin/tenants/demo-broker",
                                     {"defaults": {"orders_per_second": 1}})
        assert status == 200 and changed["defaults"]["orders_per_second"] == 1
        orders = [{"symbol": "EUR/USD", "side": "buy", "type": "limit", "price": "0.5", "quantity": "0.01",
                   "cl_ord_id": f"throttle-{n}"} for n in range(2)]
        answers = await asyncio.gather(*(call(alice, "POST", "/api/accounts/ALICE-USD/orders", o) for o in orders))
        codes = sorted(str(placed["reject_code"]) for _, placed in answers)
        assert [status for status, _ in answers] == [201, 201] and codes == ["None", "throttled"], answers
        throttled = next(placed for _, placed in answers if placed["reject_code"] == "throttled")
        assert "more than 1 orders a second" in throttled["reject_reason"]
