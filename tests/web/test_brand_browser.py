"""A white-label tenant's brand in a real browser (Debian's chromium, headless): the login page at the tenant's path
shows its name, its colours and its default language, and its trader's terminal keeps the brand in its header;
the platform's own page keeps the platform's. Screenshots are kept under artifacts/brand/."""
from __future__ import annotations

from pathlib import Path

from tests.web.conftest import Terminal
from tests.web.test_terminal_browser import catalogue, log_in

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "brand"
ACME = {"tenant_id": "acme", "name": "Acme Markets", "region": "apac",
        "brand": {"primary_colour": "#0a7d32", "accent_colour": "#ffcc00", "language": "es", "path": "/t/acme"}}




async def test_a_tenants_login_page_and_terminal_show_its_brand(terminal: Terminal, browser) -> None:  # type: ignore[no-untyped-def]
    superadmin, broker = [await terminal.session(login) for login in ("superadmin", "broker")]
    async with superadmin, broker:
        async with superadmin.post("/api/admin/tenants", json=ACME) as answer:
            assert answer.status == 201, await answer.text()
        async with broker.patch("/api/admin/tenants/demo-broker",
                                json={"brand": {"path": "/t/demo", "primary_colour": "#8a2be2"}}) as answer:
            assert answer.status == 200, await answer.text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    await page.goto(terminal.url + "/t/acme")
    await page.wait_for_selector("#login-view:not([hidden])")
    await page.wait_for_function("() => document.querySelector('#login-view h1.brand').textContent === 'Acme Markets'")
    assert await page.title() == "Acme Markets"
    accent = await page.evaluate("() => getComputedStyle(document.documentElement).getPropertyValue('--accent')")
    assert accent.strip() == "#0a7d32"
    assert await page.locator("#login-submit").evaluate("(b) => getComputedStyle(b).backgroundColor") \
        == "rgb(10, 125, 50)"
    assert await page.evaluate("() => document.documentElement.lang") == "es"   # the tenant's default language
    assert await page.locator("#login-submit").inner_text() == catalogue("es")["login.submit"]
    await page.screenshot(path=str(ARTIFACTS / "acme-login.png"))

    # the platform's own page is not the tenant's (a new visitor, so no language chosen yet)
    platform = await (await browser.new_context(locale="en-US")).new_page()
    await platform.goto(terminal.url + "/")
    await platform.wait_for_selector("#login-view:not([hidden])")
    assert await platform.locator("#login-view h1.brand").inner_text() == catalogue("en")["app.brand"]
    await platform.close()

    # a trader of the demo broker logs in at its broker's page and keeps the brand in the terminal
    await page.goto(terminal.url + "/t/demo")
    await page.wait_for_function("() => document.querySelector('#login-view h1.brand').textContent === 'Demo Broker'")
    await log_in(page, terminal, "alice")
    assert await page.locator(".topbar .brand").inner_text() == "Demo Broker"
    assert await page.locator("#logout").evaluate("() => getComputedStyle(document.documentElement)"
                                                  ".getPropertyValue('--accent').trim()") == "#8a2be2"
    await page.screenshot(path=str(ARTIFACTS / "demo-broker-terminal.png"))
    assert errors == []
    await context.close()
