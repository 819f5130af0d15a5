"""Numbers and words as a trader reads them, against the whole demo: prices and quantities with each instrument's
digits from REST and the account stream alike, closed markets that say when they open (the demo's clock set to a
Saturday), messages that follow a language switch, dates per locale, and the CJK and Devanagari web fonts fetched
only for Chinese and Hindi. In chromium at desktop and phone sizes, in English and Arabic, with screenshots."""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from playwright.async_api import Browser, Page

from dynamictech.demo import start
from engine.ports import utc_now
from tests.web.conftest import Terminal, sign_in, until

CATALOGUES = Path(__file__).resolve().parents[2] / "web" / "terminal" / "static" / "i18n"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "numbers"
SATURDAY = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone.utc)   # US stocks open Monday 14:30 UTC
SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
D = Decimal


def catalogue(code: str) -> dict[str, str]:
    return json.loads((CATALOGUES / f"{code}.json").read_text(encoding="utf-8"))


def places(text: str) -> int:
    return len(text.partition(".")[2])


@pytest.fixture
async def saturday(tmp_path: Path) -> AsyncIterator[Terminal]:
    """The demo on a clock that reads Saturday morning and runs on from there."""
    offset = SATURDAY - utc_now()
    demo = await start(tmp_path, web_port=0, fix_ports=(0, 0), clock=lambda: utc_now() + offset)
    try:
        yield Terminal(demo, demo.urls["terminal"].rstrip("/"), dict(demo.logins))
    finally:
        await demo.stop()


async def read(client: aiohttp.ClientSession, path: str) -> Any:
    async with client.get(path) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.json()


async def buy(client: aiohttp.ClientSession, symbol: str, quantity: str) -> dict[str, Any]:
    order = {"symbol": symbol, "side": "buy", "type": "market", "quantity": quantity}
    async with client.post("/api/accounts/ALICE-USD/orders", json=order) as answer:
        assert answer.status == 201, await answer.text()
        placed: dict[str, Any] = await answer.json()
    return placed


# ---------------------------------------------------------------- REST and the account stream

async def test_prices_and_quantities_leave_with_the_instruments_digits_from_rest_and_the_stream(
        terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice, alice.ws_connect("/api/stream/account?account_id=ALICE-USD") as stream:
        placed = [await buy(alice, "EUR/USD", quantity) for quantity in ("0.01", "0.02", "0.04")]
        placed.append(await buy(alice, "BTC/USDT", "0.01"))
        await until(lambda: _filled(alice, 4))
        fills = [f for f in await read(alice, "/api/accounts/ALICE-USD/fills") if f["symbol"] == "EUR/USD"]
        positions = {p["symbol"]: p for p in await read(alice, "/api/accounts/ALICE-USD/positions")}

        # the position's average of several fills: rounded to the pair's 5 digits, not 28
        exact = sum(D(f["price"]) * D(f["quantity"]) for f in fills) / sum(D(f["quantity"]) for f in fills)
        eurusd = positions["EUR/USD"]
        assert eurusd["average_price"] == str(exact.quantize(D("0.00001"), rounding=ROUND_HALF_EVEN))
        assert (places(eurusd["mark"]), eurusd["quantity"]) == (5, "0.07")
        btc = positions["BTC/USDT"]
        assert (places(btc["mark"]), places(btc["average_price"]), btc["quantity"]) == (2, 2, "0.01000")
        for order in placed:
            assert places(order["average_price"]) == (2 if order["symbol"] == "BTC/USDT" else 5), order
        [quote] = await read(alice, "/api/quotes?symbols=EUR/USD")
        assert places(quote["bid"]) == places(quote["ask"]) == 5
        [account] = await read(alice, "/api/accounts")
        assert all(places(account[k]) == 2 for k in ("balance", "equity", "used_margin", "free_margin"))
        assert places((await read(alice, "/api/accounts/ALICE-USD/balances"))["USD"]) == 2

        # the socket says what REST says
        frames: list[dict[str, Any]] = []
        streamed: dict[str, dict[str, Any]] = {}
        while len(streamed) < 4 or len([f for f in frames if f["type"] == "fill"]) < 4:
            frames.append(orjson.loads((await stream.receive(timeout=10)).data))
            streamed = {f["order_id"]: f for f in frames if f["type"] == "order" and f["status"] == "filled"}
        for order in placed:
            after = {o["order_id"]: o for o in await read(alice, "/api/accounts/ALICE-USD/orders?state=all")}
            assert streamed[order["order_id"]]["average_price"] == after[order["order_id"]]["average_price"]
        for fill in (f for f in frames if f["type"] == "fill"):
            digits = 2 if fill["symbol"] == "BTC/USDT" else 5
            assert places(fill["price"]) == digits and fill["quantity"] in ("0.01", "0.02", "0.04", "0.01000")
            assert places(fill["commission"]) == 2
        for position in (f for f in frames if f["type"] == "position"):
            assert places(position["average_price"]) == (2 if position["symbol"] == "BTC/USDT" else 5)
        for balance in (f for f in frames if f["type"] == "balance"):
            assert places(balance["balances"]["USD"]) == 2


async def _filled(client: aiohttp.ClientSession, count: int) -> bool:
    return len(await read(client, "/api/accounts/ALICE-USD/fills")) >= count


async def test_instruments_say_whether_their_market_is_open_on_the_hubs_clock(saturday: Terminal) -> None:
    alice = await saturday.session("alice")
    async with alice:
        listed = {i["symbol"]: i["market_hours"] for i in await read(alice, "/api/instruments")}
    assert listed["AAPL.US"]["open_now"] is False and listed["AAPL.US"]["next_open"] == "2026-12-07T14:30:00+00:00"
    assert listed["RELIANCE.NS"]["next_open"] == "2026-12-07T03:45:00+00:00"   # 09:15 in Mumbai
    assert dt.datetime.fromisoformat(listed["AAPL.US"]["as_of"]).date() == SATURDAY.date()
    assert listed["BTC/USDT"] == {**listed["BTC/USDT"], "open_now": True, "next_open": None}


# ---------------------------------------------------------------- in the browser

async def open_terminal(browser: Browser, terminal: Terminal, size: str, language: str,
                        requests: list[str] | None = None) -> tuple[Page, list[str]]:
    _, page, errors = await sign_in(browser, terminal, language, requests=requests, viewport=SIZES[size],
                                    timezone_id="UTC")
    await page.wait_for_selector("#terminal-view:not([hidden]) .panel-watchlist")
    await page.wait_for_function("""() => /\\d/.test(document.querySelector(
        '.panel-watchlist tr[data-symbol="EUR/USD"] td.bid')?.textContent || '')""")
    return page, errors


async def switch_language(page: Page, code: str) -> None:
    """As a trader does: from the language menu (behind the ☰ menu on a phone)."""
    toggle = page.locator("#menu-toggle")
    opened = await toggle.is_visible() and not await page.locator("#language").is_visible()
    if opened:
        await toggle.click()
    await page.select_option("#language", code)
    await page.wait_for_function("(code) => document.documentElement.lang === code", arg=code)
    if opened and await page.locator("#language").is_visible():
        await toggle.click()


async def show_tab(page: Page, size: str, tab: str) -> None:
    if size == "phone":
        await page.click(f'.phone-tab[data-tab="{tab}"]')


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", ["en", "ar"])
async def test_a_closed_market_says_when_it_opens_and_words_follow_the_language(
        saturday: Terminal, browser: Browser, size: str, language: str) -> None:
    words = catalogue(language)
    page, errors = await open_terminal(browser, saturday, size, language)
    row = page.locator('.panel-watchlist tr[data-symbol="AAPL.US"]')
    closed = row.locator("td.market-closed")
    await closed.wait_for()
    text = await closed.inner_text()
    # Saturday 10:00 UTC to Monday 14:30 UTC: two days and four hours, in the language, plural-aware (Intl)
    before, _, after = words["market.closed_opens_in"].partition("{time}")
    assert text.startswith(before.strip()) and text.endswith(after.strip()), text
    if language == "en":
        assert text == "Market closed · opens in 2 days, 4 hr"
    else:
        assert "يومان" in text or "يوم" in text, text   # Arabic's dual: "two days"
    assert await row.locator("td.bid").is_hidden() and await row.locator("td.spread").is_hidden()
    eurusd = page.locator('.panel-watchlist tr[data-symbol="EUR/USD"]')
    assert await eurusd.locator("td.market-closed").is_hidden()   # forex trades on: its prices show
    watchlist = await page.locator(".panel-watchlist").inner_text()
    assert "NaN" not in watchlist and "ليس رقمًا" not in watchlist
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await row.scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / f"closed-watchlist-{size}-{language}.png"))

    # the ticket of a closed stock says the same instead of a price to trade at
    await row.click()
    await show_tab(page, size, "trade")
    line = page.locator(".panel-ticket p.market-closed")
    await line.wait_for()
    assert await line.inner_text() == text
    assert await page.locator(".panel-ticket .side-price").first.is_hidden()
    await page.screenshot(path=str(ARTIFACTS / f"closed-ticket-{size}-{language}.png"))

    # a refusal on screen is said again in each language switched to, the server's detail kept
    await page.select_option("#ticket-type", "market")
    await page.fill("#ticket-quantity", "1")
    await page.locator(".panel-ticket button.buy").click()
    result = page.locator(".panel-ticket .result")
    await page.wait_for_function("() => document.querySelector('.panel-ticket .result').classList.contains('error')",
                                 timeout=15000)
    said = await result.inner_text()
    assert words["reject.market_closed"] in said, said
    other = "ar" if language == "en" else "en"
    await switch_language(page, other)
    await page.wait_for_function("(text) => document.querySelector('.panel-ticket .result').textContent !== text",
                                 arg=said)
    assert catalogue(other)["reject.market_closed"] in await result.inner_text()
    assert catalogue(other)["reject.market_closed"] not in said
    await page.screenshot(path=str(ARTIFACTS / f"switched-ticket-{size}-{other}.png"))
    await switch_language(page, language)
    assert await result.inner_text() == said
    assert errors == []


@pytest.mark.parametrize("size", SIZES)
async def test_a_fills_time_is_written_day_first_with_the_month_named_in_english_and_arabic(
        terminal: Terminal, browser: Browser, size: str) -> None:
    page, errors = await open_terminal(browser, terminal, size, "en")
    await show_tab(page, size, "trade")
    await page.locator('.panel-ticket').wait_for()
    await page.fill("#ticket-quantity", "0.01")
    await page.locator(".panel-ticket button.buy").click()
    await page.wait_for_function("() => document.querySelector('.panel-ticket .result').classList.contains('ok')",
                                 timeout=15000)
    # the ticket's answer follows the language too: "Buy 0.01 EUR/USD: Filled" then its Arabic
    accepted = await page.locator(".panel-ticket .result").inner_text()
    assert accepted.startswith("Buy 0.01 EUR/USD"), accepted
    await show_tab(page, size, "account")
    cell = page.locator('.panel-fills tr[data-symbol="EUR/USD"] td.time').first
    await cell.wait_for(timeout=15000)
    today = dt.datetime.now(dt.timezone.utc)
    english = await cell.inner_text()
    assert re.fullmatch(rf"{today.day} {today:%b} {today.year}, \d\d:\d\d:\d\d", english), english   # 3 Dec 2026
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"dates-{size}-en.png"))
    await switch_language(page, "ar")
    await page.wait_for_function("(text) => document.querySelector('.panel-fills td.time').textContent !== text",
                                 arg=english)
    arabic = await cell.inner_text()
    assert "ديسمبر" in arabic and "/" not in arabic, arabic   # the month named in Arabic
    await page.screenshot(path=str(ARTIFACTS / f"dates-{size}-ar.png"))
    await show_tab(page, size, "trade")
    ticket = await page.locator(".panel-ticket .result").inner_text()
    assert catalogue("ar")["side.buy"] in ticket and "Buy" not in ticket, ticket
    assert errors == []


async def test_the_chinese_and_hindi_fonts_are_fetched_only_for_those_languages(
        terminal: Terminal, browser: Browser) -> None:
    requests: list[str] = []
    page, errors = await open_terminal(browser, terminal, "desktop", "en", requests)
    await switch_language(page, "ar")
    fonts = [url for url in requests if "/vendor/@fontsource/" in url]
    assert fonts == []
    await switch_language(page, "zh-CN")
    await page.wait_for_function("() => document.fonts.check('13px \"Noto Sans SC\"', '买入')")
    await page.evaluate("() => document.fonts.ready")
    chinese = [url for url in requests if "/vendor/@fontsource/" in url]
    assert any(url.endswith("/noto-sans-sc/index.css") for url in chinese)
    assert any("noto-sans-sc" in url and url.endswith(".woff2") for url in chinese)   # glyphs on screen, fetched
    assert not any("devanagari" in url for url in chinese)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "font-zh-CN.png"))
    await switch_language(page, "hi")
    await page.wait_for_function("() => document.fonts.check('13px \"Noto Sans Devanagari\"', 'खरीदें')")
    assert any(url.endswith("/noto-sans-devanagari/index.css") for url in requests)
    await page.screenshot(path=str(ARTIFACTS / "font-hi.png"))
    assert errors == []
