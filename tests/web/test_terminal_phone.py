"""The terminal on a phone, in a real browser (Debian's chromium, touch, mobile viewports) against the whole demo:
one tab at a time over a bottom navigation, nothing wider than the screen, an order ticket whose every control is on
screen and big enough for a finger, a market order placed from it; and installable: a manifest with its icons, a
service worker, and the offline page when the network is down. In English and Arabic."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from tests.web.conftest import Terminal

STATIC = Path(__file__).resolve().parents[2] / "web" / "terminal" / "static"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "phone"
TABS = ("quotes", "chart", "trade", "positions", "account")
SCREENS = {"390x844": (390, 844), "412x915": (412, 915), "844x390": (844, 390)}


def catalogue(code: str) -> dict[str, str]:
    return json.loads((STATIC / "i18n" / f"{code}.json").read_text(encoding="utf-8"))


async def phone(browser: Browser, width: int, height: int) -> BrowserContext:
    return await browser.new_context(viewport={"width": width, "height": height}, is_mobile=True, has_touch=True,
                                     device_scale_factor=2, locale="en-US")


async def log_in(page: Page, terminal: Terminal, language: str, login: str = "alice") -> list[str]:
    """Open the terminal, choose ``language`` on the sign-in page and sign in; the page's errors (scripts, and what
    the CSP refused) gather in the list returned."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    await page.goto(terminal.url + "/")
    await page.wait_for_selector("#login-view:not([hidden])")
    await page.select_option("#login-form .language-select", language)
    await page.fill("#login-name", login)
    await page.fill("#login-password", terminal.logins[login])
    await page.tap("#login-submit")
    await page.wait_for_selector("#phone .phone-page[data-tab=quotes] .panel-watchlist")
    await page.wait_for_function("""() => {
        const cell = document.querySelector('.panel-watchlist tr[data-symbol="EUR/USD"] td.bid');
        return cell && /\\d/.test(cell.textContent);
    }""")
    return errors


async def open_tab(page: Page, tab: str) -> None:
    await page.tap(f".phone-nav button[data-tab={tab}]")
    await page.wait_for_selector(f".phone-page[data-tab={tab}]:not([hidden])")


# What a trader would see wrong: the page scrolling sideways, anything cut off at an edge, a control too small for a
# finger or hidden under another element.
FIT = """() => {
    const width = innerWidth;
    const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0
        && getComputedStyle(e).visibility !== 'hidden'; };
    const area = [document.querySelector('.topbar'), document.querySelector('.phone-nav'),
                  document.querySelector('.phone-page:not([hidden])')];
    const outside = [];
    for (const root of area) {
        for (const e of [root, ...root.querySelectorAll('*')]) {
            if (!shown(e)) continue;
            const r = e.getBoundingClientRect();
            if (r.left < -0.5 || r.right > width + 0.5) outside.push(`${e.tagName}.${e.className}: ${r.left}..${r.right}`);
        }
    }
    const small = [...document.querySelectorAll(
        '.phone-page:not([hidden]) :is(button, input, select), .phone-nav button, .topbar > button')]
        .filter(shown).filter((e) => e.getBoundingClientRect().height < 44)
        .map((e) => `${e.tagName}.${e.className}#${e.id}: ${e.getBoundingClientRect().height}`);
    return { scrollWidth: document.scrollingElement.scrollWidth, width, outside, small };
}"""

# Every control of the ticket a trader can use: on screen without scrolling, not covered, at least 44 px tall.
TICKET = """() => [...document.querySelectorAll('.phone-page[data-tab=trade] .panel-ticket :is(input, select, button)')]
    .filter((e) => e.getBoundingClientRect().height > 0)
    .map((e) => {
        const r = e.getBoundingClientRect();
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return { name: e.id || e.className, tag: e.tagName, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                 height: r.height, reachable: e === top || e.contains(top),
                 font: parseFloat(getComputedStyle(e).fontSize) };
    })"""


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("screen", list(SCREENS))
async def test_a_trader_on_a_phone_trades_from_one_tab_at_a_time(terminal: Terminal, browser: Browser, screen: str,
                                                                 language: str) -> None:
    width, height = SCREENS[screen]
    context = await phone(browser, width, height)
    page = await context.new_page()
    layout_saves: list[str] = []
    page.on("request", lambda r: layout_saves.append(r.url)
            if r.method == "PUT" and r.url.endswith("/api/layout") else None)
    errors = await log_in(page, terminal, language)
    words = catalogue(language)
    assert await page.evaluate("() => document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    assert await page.locator(".grid-stack-item").count() == 0   # no desk grid squeezed onto the phone
    assert await page.locator(".phone-nav button span[data-i18n]").all_inner_texts() == \
        [words[f"phone.tab.{tab}"] for tab in TABS]

    # the navigation reads in the page's direction: in Arabic the first tab is at the right
    boxes = [await page.locator(f".phone-nav button[data-tab={tab}]").bounding_box() for tab in ("quotes", "account")]
    assert boxes[0] and boxes[1]
    if width < height:
        assert (boxes[0]["x"] > boxes[1]["x"]) == (language == "ar")
    else:   # on its side the navigation is a rail at the end of the line: the right in English, the left in Arabic
        assert boxes[0]["y"] < boxes[1]["y"]
        assert (boxes[0]["x"] < width / 2) == (language == "ar")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for tab in TABS:
        await open_tab(page, tab)
        fit = await page.evaluate(FIT)
        assert fit["scrollWidth"] <= fit["width"], f"{tab}: the page scrolls sideways"
        assert fit["outside"] == [], f"{tab}: cut off at the edge"
        assert fit["small"] == [], f"{tab}: too small for a finger"
        await page.screenshot(path=str(ARTIFACTS / f"{language}-{screen}-{tab}.png"))

    # a tap on a quote chooses the instrument and opens the ticket
    await open_tab(page, "quotes")
    await page.tap('.panel-watchlist tr[data-symbol="EUR/USD"]')
    await page.wait_for_selector(".phone-page[data-tab=trade]:not([hidden])")
    assert await page.locator(".phone-page[data-tab=trade] .ticket-symbol").inner_text() == "EUR/USD"
    await page.select_option("#ticket-type", "market")
    controls = await page.evaluate(TICKET)
    names = {c["name"] for c in controls}
    assert {"ticket-type", "ticket-quantity", "ticket-time_in_force", "ticket-take_profit", "ticket-stop_loss",
            "buy", "sell"} <= names
    for control in controls:
        assert control["left"] >= 0 and control["right"] <= width, control
        assert control["top"] >= 0 and control["bottom"] <= height, control
        assert control["height"] >= 44, control
        assert control["reachable"], control
        if control["tag"] != "BUTTON":
            assert control["font"] >= 16, control   # smaller, and iOS zooms the page into the field

    # a market buy from the phone's ticket: the ticket says so and the position is in the positions tab
    await page.fill("#ticket-quantity", "0.01")
    await page.tap(".panel-ticket button.buy")
    await page.wait_for_function(
        "() => document.querySelector('.panel-ticket .result').classList.contains('ok')", timeout=15000)
    answer = await page.locator(".panel-ticket .result").bounding_box()
    assert answer and 0 <= answer["y"] and answer["y"] + answer["height"] <= height, "the answer is off screen"
    await open_tab(page, "positions")
    position = page.locator('.phone-page[data-tab=positions] .panel-positions tr[data-symbol="EUR/USD"]')
    await position.wait_for(timeout=15000)
    assert await position.locator("td.quantity").inner_text() == "0.01"
    assert await position.locator("td.quantity").get_attribute("data-label") == words["positions.quantity"]
    fit = await page.evaluate(FIT)
    assert (fit["scrollWidth"], fit["outside"], fit["small"]) == (fit["width"], [], [])
    await page.screenshot(path=str(ARTIFACTS / f"{language}-{screen}-positions-after-buy.png"))
    await open_tab(page, "account")
    await page.locator('.phone-page[data-tab=account] .panel-fills tr[data-symbol="EUR/USD"]').wait_for(timeout=15000)
    await page.screenshot(path=str(ARTIFACTS / f"{language}-{screen}-account-after-buy.png"))

    # the header's menu holds the language and the log out
    await page.tap("#menu-toggle")
    await page.wait_for_selector("#topbar-tools #logout", state="visible")
    assert await page.locator("#topbar-tools #language").is_visible()
    fit = await page.evaluate(FIT)
    assert fit["scrollWidth"] <= fit["width"] and fit["outside"] == []
    await page.screenshot(path=str(ARTIFACTS / f"{language}-{screen}-menu.png"))
    await page.tap("#logout")
    await page.wait_for_selector("#login-view:not([hidden])")
    assert await page.locator("#phone .phone-page").count() == 0
    assert layout_saves == [], "the phone overwrote the desk's saved layout"
    assert errors == []
    await context.close()


async def test_the_desk_grid_and_the_phone_view_follow_the_window(terminal: Terminal, browser: Browser) -> None:
    """A window narrowed to a phone's width shows the tabs; widened again, the desk's grid as it was."""
    context = await browser.new_context(viewport={"width": 1440, "height": 960}, locale="en-US")
    page = await context.new_page()
    await page.goto(terminal.url + "/")
    await page.fill("#login-name", "alice")
    await page.fill("#login-password", terminal.logins["alice"])
    await page.click("#login-submit")
    await page.wait_for_selector(".grid-stack-item .panel-ticket")
    grid = """() => Object.fromEntries([...document.querySelectorAll('.grid-stack-item')].map((item) =>
        [item.dataset.panel, [item.gridstackNode.x, item.gridstackNode.y, item.gridstackNode.w, item.gridstackNode.h]]))"""
    desk = await page.evaluate(grid)
    assert await page.locator(".phone-nav").count() == 0
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.wait_for_selector(".phone-nav")
    assert await page.locator(".grid-stack-item").count() == 0
    assert await page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
    await page.set_viewport_size({"width": 1440, "height": 960})
    await page.wait_for_selector(".grid-stack-item .panel-ticket")
    assert await page.evaluate(grid) == desk
    assert await page.locator(".phone-nav").count() == 0
    await context.close()


async def test_the_terminal_installs_as_a_web_app_and_says_when_it_is_offline(terminal: Terminal,
                                                                               browser: Browser) -> None:
    context = await phone(browser, 390, 844)
    page = await context.new_page()
    errors = await log_in(page, terminal, "ar")

    manifest_url = await page.evaluate("() => document.querySelector('link[rel=manifest]').href")
    answer = await context.request.get(manifest_url)
    assert answer.ok and answer.headers["content-type"].startswith("application/manifest+json")
    manifest: dict[str, Any] = await answer.json()
    assert (manifest["start_url"], manifest["display"]) == ("/", "standalone")
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"] and manifest["background_color"]
    sizes = {}
    for icon in manifest["icons"]:
        image = await context.request.get(terminal.url + icon["src"])
        assert image.ok and image.headers["content-type"] == icon["type"], icon
        if icon["type"] == "image/png":   # the browser decodes it at the size the manifest says
            sizes[icon["sizes"]] = await page.evaluate("""async (src) => {
                const bitmap = await createImageBitmap(await (await fetch(src)).blob());
                return `${bitmap.width}x${bitmap.height}`; }""", icon["src"])
    assert sizes == {"192x192": "192x192", "512x512": "512x512"}

    worker = await page.evaluate("async () => (await navigator.serviceWorker.ready).active.scriptURL")
    assert worker == terminal.url + "/sw.js"
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    # no network: a reload shows the offline page, in the trader's language and direction
    arabic = catalogue("ar")
    await context.set_offline(True)
    await page.reload()
    await page.wait_for_selector("#offline-view")
    await page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    assert await page.locator("#offline-view h2").inner_text() == arabic["offline.title"]
    assert await page.locator("#retry").inner_text() == arabic["offline.retry"]
    assert await page.evaluate("() => document.scrollingElement.scrollWidth <= innerWidth")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "ar-390x844-offline.png"))

    # the API was never kept: offline, it is not answered from a cache
    assert await page.evaluate("() => fetch('/api/instruments').then(() => 'answered', () => 'failed')") == "failed"

    # back online, "try again" opens the terminal where it was
    await context.set_offline(False)
    await page.tap("#retry")
    await page.wait_for_selector("#phone .phone-page[data-tab=quotes] .panel-watchlist")
    assert errors == []
    await context.close()
