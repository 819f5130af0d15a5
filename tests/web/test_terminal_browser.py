"""The trader's web terminal in a real browser (Debian's chromium, headless) against the whole demo: log in, trade
from the ticket, see fills and positions, move a panel and find it there at the next login, and read it in Arabic.
Plus a plain check that every catalogue carries every key the terminal uses."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "web" / "terminal" / "static"
CATALOGUES = STATIC / "i18n"
ARTIFACTS = Path(__file__).resolve().parent / "terminal_artifacts"
LANGUAGES = ("en", "zh-CN", "hi", "es", "ar")


def catalogue(code: str) -> dict[str, str]:
    return json.loads((CATALOGUES / f"{code}.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- catalogues (no browser)

def test_every_catalogue_has_exactly_the_english_keys_and_placeholders() -> None:
    english = catalogue("en")
    for code in LANGUAGES[1:]:
        other = catalogue(code)
        assert sorted(english.keys() - other.keys()) == [], f"{code}.json lacks these keys"
        assert sorted(other.keys() - english.keys()) == [], f"{code}.json has keys en.json does not"
        for key, text in english.items():
            assert other[key].strip(), f"{code}.json: {key} is empty"
            assert set(re.findall(r"\{(\w+)\}", other[key])) == set(re.findall(r"\{(\w+)\}", text)), \
                f"{code}.json: {key} has other placeholders than en.json"


def test_every_key_the_terminal_uses_is_in_the_english_catalogue() -> None:
    english = catalogue("en")
    namespaces = sorted({key.split(".")[0] for key in english})
    literal = re.compile(r"""['"`]((?:%s)\.[a-z0-9_.]+)['"`]""" % "|".join(map(re.escape, namespaces)))
    used: set[str] = set()
    for source in [*STATIC.rglob("*.js"), *STATIC.glob("*.html")]:
        used |= {key for key in literal.findall(source.read_text(encoding="utf-8")) if not key.endswith(".js")}
    # keys built at run time from the API's enumerations (api_contract v1) and the terminal's own menus
    for status in ("pending_new", "new", "partially_filled", "filled", "pending_cancel", "canceled",
                   "pending_replace", "rejected", "expired"):
        used.add(f"status.{status}")
    used |= {f"side.{side}" for side in ("buy", "sell")}
    used |= {f"tif.{tif}" for tif in ("gtc", "ioc", "fok", "day", "gtd")}
    used |= {f"order_type.{kind}" for kind in ("market", "limit", "stop", "stop_limit", "take_profit",
                                                "trailing_stop")}
    for interval in ("1s", "1m", "5m", "15m", "1h", "1d"):
        used |= {f"chart.interval.{interval}", f"chart.interval_hint.{interval}"}
    used |= {f"panel.{kind}" for kind in ("watchlist", "chart", "ticket", "positions", "orders", "account", "fills",
                                          "depth")}
    used |= {f"ticket.{name}" for name in ("price", "stop_price", "trail", "take_profit", "stop_loss")}
    used |= {f"phone.tab.{tab}" for tab in ("quotes", "chart", "trade", "positions", "account")}
    assert len(used) > 100
    assert sorted(used - english.keys()) == []


# ---------------------------------------------------------------- in the browser





async def open_terminal(browser, terminal, login: str = "alice"):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 1440, "height": 960}, locale="en-US")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(terminal.url + "/")
    await log_in(page, terminal, login)
    return page, errors


async def log_in(page, terminal, login: str = "alice") -> None:  # type: ignore[no-untyped-def]
    await page.fill("#login-name", login)
    await page.fill("#login-password", terminal.logins[login])
    await page.click("#login-submit")
    await page.wait_for_selector("#terminal-view:not([hidden]) .panel-watchlist")
    # a live price reached the watch list
    await page.wait_for_function("""() => {
        const cell = document.querySelector('.panel-watchlist tr[data-symbol="EUR/USD"] td.bid');
        return cell && /\\d/.test(cell.textContent);
    }""")


async def grid_layout(page) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    return await page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.grid-stack-item')]
        .map((item) => [item.dataset.panel, [item.gridstackNode.x, item.gridstackNode.y,
                                             item.gridstackNode.w, item.gridstackNode.h]]))""")


async def test_a_trader_places_market_and_limit_orders_and_reads_the_terminal_in_arabic(terminal, browser) -> None:
    page, errors = await open_terminal(browser, terminal)
    ticket = page.locator(".panel-ticket")
    await page.click('.panel-watchlist tr[data-symbol="EUR/USD"]')
    await page.wait_for_function("() => document.querySelector('.panel-ticket .ticket-symbol').textContent === 'EUR/USD'")

    # a market buy fills: the fill in the history, the position in positions
    await page.select_option("#ticket-type", "market")
    await page.fill("#ticket-quantity", "0.01")
    await ticket.locator("button.buy").click()
    await page.wait_for_selector('.panel-fills tr[data-symbol="EUR/USD"]', timeout=15000)
    position = page.locator('.panel-positions tr[data-symbol="EUR/USD"]')
    await position.wait_for(timeout=15000)
    assert (await position.locator("td.quantity").inner_text()) == "0.01"
    assert "result error" not in (await ticket.locator(".result").get_attribute("class") or "")

    # a limit buy well under the market rests among the open orders, and the ticket says so
    bid = Decimal((await page.locator('.panel-watchlist tr[data-symbol="EUR/USD"] td.bid').inner_text())
                  .replace(",", ""))
    limit = (bid * Decimal("0.97")).quantize(Decimal("0.00001"))
    await page.select_option("#ticket-type", "limit")
    await page.fill("#ticket-price", str(limit))
    await ticket.locator("button.buy").click()
    working = page.locator('.panel-orders tr[data-status="new"]')
    await working.wait_for(timeout=15000)
    assert (await working.locator("td.price").inner_text()).replace(",", "") == str(limit)
    await page.wait_for_function(
        "() => document.querySelector('.panel-ticket .result').textContent.endsWith('Working')")

    # amended in place, then canceled
    await working.locator("button.amend").click()
    await page.fill(".panel-orders input.amend-quantity", "0.02")
    await page.press(".panel-orders input.amend-quantity", "Enter")
    await page.wait_for_function("""() => {
        const cell = document.querySelector('.panel-orders tr[data-status="new"] td.quantity');
        return cell && cell.textContent === '0.02';
    }""", timeout=15000)
    await page.locator('.panel-orders tr[data-status="new"] button.cancel').click()
    await page.wait_for_selector(".panel-orders tr.empty", timeout=15000)

    # the server's reason for a refused order reaches the trader, in the trader's words
    await page.fill("#ticket-price", str(limit + Decimal("0.000001")))   # off the 0.00001 tick
    await ticket.locator("button.buy").click()
    await page.wait_for_function(
        "() => document.querySelector('.panel-ticket .result').classList.contains('error')")
    refused = await ticket.locator(".result").inner_text()
    assert catalogue("en")["reject.price_off_tick"] in refused and "0.00001" in refused

    # account summary moved with the trade
    used = await page.locator(".panel-account dd.used_margin").inner_text()
    assert used not in ("0.00", "—")

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "terminal-en.png"))

    # Arabic: the page turns right-to-left, labels translate, numbers stay left-to-right
    arabic = catalogue("ar")
    await page.select_option("#language", "ar")
    await page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    assert await page.get_attribute("html", "lang") == "ar"
    assert (await ticket.locator("button.buy span[data-i18n]").inner_text()) == arabic["ticket.buy"]
    assert (await page.locator(".panel-watchlist .panel-head h2").inner_text()) == arabic["panel.watchlist"]
    price_cell = page.locator('.panel-watchlist tr[data-symbol="EUR/USD"] td.bid')
    assert await price_cell.get_attribute("dir") == "ltr"
    assert await price_cell.evaluate("(cell) => getComputedStyle(cell).direction") == "ltr"
    assert await page.locator(".panel-chart .chart-holder").get_attribute("dir") == "ltr"
    assert await page.evaluate("() => document.querySelector('.panel-ticket').dir") == "rtl"
    await page.screenshot(path=str(ARTIFACTS / "terminal-ar.png"))
    # the choice survives a reload
    await page.reload()
    await page.wait_for_selector("#terminal-view:not([hidden]) .panel-watchlist")
    assert await page.evaluate("() => document.documentElement.dir") == "rtl"

    # the position closes from its row
    await position.locator("button.close-position").click()
    await page.wait_for_selector(".panel-positions tr.empty", timeout=15000)
    assert errors == []


async def test_a_moved_panel_is_where_it_was_left_at_the_next_login(terminal, browser) -> None:
    page, errors = await open_terminal(browser, terminal)
    before = await grid_layout(page)
    head = page.locator(".panel-depth .panel-head h2")
    target = page.locator(".panel-fills .panel-body")
    start, end = await head.bounding_box(), await target.bounding_box()
    async with page.expect_response(lambda r: r.url.endswith("/api/layout") and r.request.method == "PUT") as saved:
        await page.mouse.move(start["x"] + 20, start["y"] + start["height"] / 2)
        await page.mouse.down()
        await page.mouse.move(start["x"] - 40, start["y"] + 10, steps=5)
        await page.mouse.move(end["x"] + 30, end["y"] + 10, steps=15)
        await page.mouse.up()
    assert (await saved.value).status == 204
    moved = await grid_layout(page)
    assert moved["depth"][:2] != before["depth"][:2]

    await page.click("#logout")
    await page.wait_for_selector("#login-view:not([hidden])")
    assert await page.locator(".grid-stack-item").count() == 0
    await log_in(page, terminal)
    assert await grid_layout(page) == moved
    assert errors == []
