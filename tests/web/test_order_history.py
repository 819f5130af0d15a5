"""Order history, realised P&L, partial close, order confirmation and the open-orders panel's width (issue 16): the
REST API against the running demo (and the demo restarted on its data), then a trader's walks in chromium at a desktop
and a phone size, in English and Arabic, with screenshots in tests/web/artifacts/history/."""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page

from dynamictech.demo import start
from tests.web.conftest import Terminal, sign_in, until

ACCOUNT = "/api/accounts/ALICE-USD"
STATIC = Path(__file__).resolve().parents[2] / "web" / "terminal" / "static"
EUR_USD_CONTRACT = Decimal(100_000)


async def _get(client: aiohttp.ClientSession, path: str, status: int = 200) -> Any:
    async with client.get(path) as answer:
        assert answer.status == status, (path, answer.status, await answer.text())
        return await answer.json()


async def _place(client: aiohttp.ClientSession, account: str, **order: str) -> dict[str, Any]:
    async with client.post(f"{account}/orders", json=order) as answer:
        assert answer.status == 201, await answer.text()
        placed: dict[str, Any] = await answer.json()
        return placed


async def _ended(client: aiohttp.ClientSession, account: str, cl_ord_id: str) -> dict[str, Any]:
    """The order once it has reached a final state, as the history shows it."""
    found: dict[str, Any] = {}

    async def done() -> bool:
        for order in await _get(client, f"{account}/orders?state=all"):
            if order["cl_ord_id"] == cl_ord_id and order["status"] in ("filled", "canceled", "rejected", "expired"):
                found.update(order)
                return True
        return False
    await until(done)
    return found


async def _trade_round_trip(client: aiohttp.ClientSession) -> None:
    """alice buys 0.10 EUR/USD, sells it back, rests a limit far below the market and cancels it, and sends one
    order below the minimum quantity (refused)."""
    await _place(client, ACCOUNT, cl_ord_id="open-1", symbol="EUR/USD", side="buy", type="market", quantity="0.10")
    await _ended(client, ACCOUNT, "open-1")
    await _place(client, ACCOUNT, cl_ord_id="close-1", symbol="EUR/USD", side="sell", type="market", quantity="0.10")
    await _ended(client, ACCOUNT, "close-1")
    await _place(client, ACCOUNT, cl_ord_id="rest-1", symbol="EUR/USD", side="buy", type="limit", quantity="0.01",
                 price="0.50000")

    async def resting() -> bool:
        return any(o["cl_ord_id"] == "rest-1" for o in await _get(client, f"{ACCOUNT}/orders"))
    await until(resting)
    async with client.delete(f"{ACCOUNT}/orders/rest-1") as answer:
        assert answer.status == 202, await answer.text()
    await _ended(client, ACCOUNT, "rest-1")
    placed = await _place(client, ACCOUNT, cl_ord_id="tiny-1", symbol="BTC/USDT", side="buy", type="market",
                          quantity="0.00001")
    assert placed["status"] == "rejected", placed


async def test_history_keeps_every_end_with_its_reason_and_is_searched_and_paged(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        await _trade_round_trip(alice)
        history = await _get(alice, f"{ACCOUNT}/orders?state=all")
        by_id = {o["cl_ord_id"]: o for o in history}
        assert [o["cl_ord_id"] for o in history] == ["tiny-1", "rest-1", "close-1", "open-1"], "newest first"
        assert by_id["tiny-1"]["status"] == "rejected" and by_id["tiny-1"]["reject_code"] == "invalid_quantity"
        assert by_id["tiny-1"]["reject_reason"], "a refused order says why"
        assert by_id["rest-1"]["status"] == "canceled"
        assert by_id["rest-1"]["reject_reason"] == "canceled by the client"
        assert by_id["open-1"]["status"] == "filled" and by_id["open-1"]["filled"] == "0.10"

        def ids(orders: list[dict[str, Any]]) -> list[str]:
            return [o["cl_ord_id"] for o in orders]
        assert ids(await _get(alice, f"{ACCOUNT}/orders?state=all&symbol=BTC/USDT")) == ["tiny-1"]
        assert ids(await _get(alice, f"{ACCOUNT}/orders?state=all&status=filled")) == ["close-1", "open-1"]
        assert ids(await _get(alice, f"{ACCOUNT}/orders?state=all&status=canceled,rejected")) == ["tiny-1", "rest-1"]
        today = dt.datetime.now(dt.timezone.utc).date()
        assert len(await _get(alice, f"{ACCOUNT}/orders?state=all&from={today}&to={today}")) == 4
        assert await _get(alice, f"{ACCOUNT}/orders?state=all&to={today - dt.timedelta(days=1)}") == []
        assert await _get(alice, f"{ACCOUNT}/orders?state=all&from={today + dt.timedelta(days=1)}") == []
        first = await _get(alice, f"{ACCOUNT}/orders?state=all&limit=3")
        rest = await _get(alice, f"{ACCOUNT}/orders?state=all&limit=3&before={first[-1]['order_id']}")
        assert ids(first) + ids(rest) == ids(history), "the pages follow each other with nothing lost or doubled"
        for bad in ("status=done", "from=yesterday", "to=2026-13-45", "symbol=", "limit=0"):
            error = await _get(alice, f"{ACCOUNT}/orders?state=all&{bad}", 400)
            assert error["reason"], bad


async def test_realised_pnl_on_the_closing_fill_and_per_day(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice:
        await _trade_round_trip(alice)

        async def both_booked() -> bool:
            return len(await _get(alice, f"{ACCOUNT}/fills")) == 2
        await until(both_booked)
        closing, opening = await _get(alice, f"{ACCOUNT}/fills")
        assert (opening["side"], closing["side"]) == ("buy", "sell")
        assert opening["realised_pnl"] is None, "an opening fill realises nothing"
        expected = (Decimal(closing["price"]) - Decimal(opening["price"])) * Decimal("0.10") * EUR_USD_CONTRACT
        assert Decimal(closing["realised_pnl"]) == expected.quantize(Decimal("0.01"))
        summary = await _get(alice, f"{ACCOUNT}/pnl?by=day")
        assert summary["currency"] == "USD"
        [day] = summary["periods"]
        assert day["start"] == dt.datetime.now(dt.timezone.utc).date().isoformat()
        commission = -sum(Decimal(f["commission"]) for f in (opening, closing))
        assert Decimal(day["realised"]) == Decimal(closing["realised_pnl"])
        assert Decimal(day["commission"]) == commission
        assert Decimal(day["net"]) == Decimal(day["realised"]) + commission + Decimal(day["financing"])
        assert summary["total"] == {k: v for k, v in day.items() if k != "start"}
        for by in ("week", "month"):
            assert (await _get(alice, f"{ACCOUNT}/pnl?by={by}"))["total"] == summary["total"]
        tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
        assert (await _get(alice, f"{ACCOUNT}/pnl?from={tomorrow}"))["periods"] == []
        assert (await _get(alice, f"{ACCOUNT}/fills?symbol=BTC/USDT")) == []
        await _get(alice, f"{ACCOUNT}/pnl?by=year", 400)


async def test_history_survives_a_restart_of_the_demo(tmp_path: Path) -> None:
    demo = await start(tmp_path, web_port=0, fix_ports=(0, 0))
    try:
        terminal = Terminal(demo, demo.urls["terminal"].rstrip("/"), dict(demo.logins))
        async with await terminal.session("alice") as alice:
            await _trade_round_trip(alice)
            before = await _get(alice, f"{ACCOUNT}/orders?state=all")
            fills_before = await _get(alice, f"{ACCOUNT}/fills")
    finally:
        await demo.stop()
    demo = await start(tmp_path, web_port=0, fix_ports=(0, 0))
    try:
        terminal = Terminal(demo, demo.urls["terminal"].rstrip("/"), dict(demo.logins))
        async with await terminal.session("alice") as alice:
            assert await _get(alice, f"{ACCOUNT}/orders?state=all") == before
            assert await _get(alice, f"{ACCOUNT}/fills") == fills_before
            rejected = await _get(alice, f"{ACCOUNT}/orders?state=all&status=rejected")
            assert [o["reject_code"] for o in rejected] == ["invalid_quantity"]
    finally:
        await demo.stop()


# ---------------------------------------------------------------- in the browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "history"
SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
MY_PANELS = ("history", "positions", "orders", "fills")


async def _open(browser: Browser, terminal: Terminal, size: str, language: str) -> tuple[Page, list[str]]:
    _, page, errors = await sign_in(browser, terminal, language, viewport=SIZES[size], is_mobile=size == "phone",
                                    has_touch=size == "phone")
    await page.wait_for_selector("#terminal-view:not([hidden]) .panel-history", state="attached")
    await page.wait_for_function("""() => {
        const cell = document.querySelector('.panel-watchlist tr[data-symbol="EUR/USD"] td.bid');
        return cell && /\\d/.test(cell.textContent);
    }""")
    assert await page.evaluate("() => document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    return page, errors


async def _tab(page: Page, size: str, name: str) -> None:
    """On a phone, the tab holding a panel; a desk shows them all."""
    if size == "phone":
        await page.click(f'.phone-tab[data-tab="{name}"]')


async def _no_sideways_overflow(page: Page, panel: str) -> None:
    """Nothing in the panel is cut off or pushes the page sideways: on a desk its tables fit its width (no
    scrolling to reach the buttons), on a phone the panel and the page are no wider than the screen."""
    widths = await page.evaluate("""(panel) => {
        const frame = document.querySelector(`.panel-${panel}`);
        const scrolls = [...frame.querySelectorAll('.scroll, .history-pnl-scroll')];
        return {page: document.documentElement.scrollWidth, screen: window.innerWidth,
                frame: frame.getBoundingClientRect().width,
                over: scrolls.map((s) => s.scrollWidth - s.clientWidth)};
    }""", panel)
    assert widths["page"] <= widths["screen"], (panel, widths)
    assert widths["frame"] <= widths["screen"], (panel, widths)
    assert all(over <= 1 for over in widths["over"]), (panel, widths)


async def _ticket_order(page: Page, kind: str, quantity: str, price: str | None = None) -> None:
    await page.select_option("#ticket-type", kind)
    await page.fill("#ticket-quantity", quantity)
    if price is not None:
        await page.fill("#ticket-price", price)


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "ar"])
async def test_a_trader_confirms_closes_in_part_and_reads_the_history(terminal: Terminal, browser: Browser,
                                                                      size: str, language: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = f"{size}-{language}"
    words = json.loads((STATIC / "i18n" / f"{language}.json").read_text(encoding="utf-8"))
    page, errors = await _open(browser, terminal, size, language)
    alice = await terminal.session("alice")
    async with alice:
        # the confirmation: Escape sends nothing, Enter sends; the dialog says what is about to go
        await _tab(page, size, "trade")
        ticket = page.locator(".panel-ticket")
        await page.check("#ticket-confirm")
        await _ticket_order(page, "market", "0.10")
        await ticket.locator("button.buy").click()
        dialog = page.locator("dialog.order-confirm[open]")
        await dialog.wait_for()
        assert await dialog.locator('[data-confirm="symbol"]').inner_text() == "EUR/USD"
        assert await dialog.locator('[data-confirm="side"]').inner_text() == words["side.buy"]
        assert await dialog.locator('[data-confirm="type"]').inner_text() == words["order_type.market"]
        assert "0.10" in await dialog.locator('[data-confirm="quantity"]').inner_text()
        value = await dialog.locator('[data-confirm="value"]').inner_text()
        assert "USD" in value and re.search(r"\d", value), value
        await page.screenshot(path=str(ARTIFACTS / f"{shot}-confirm.png"))
        await page.keyboard.press("Escape")
        await dialog.wait_for(state="detached")
        assert await ticket.locator(".result").inner_text() == words["confirm.canceled"]
        assert await _get(alice, f"{ACCOUNT}/orders?state=all") == [], "Escape sent nothing"
        await ticket.locator("button.buy").click()
        await dialog.wait_for()
        await page.keyboard.press("Enter")
        await dialog.wait_for(state="detached")

        async def sent() -> bool:
            return len(await _get(alice, f"{ACCOUNT}/orders?state=all")) == 1
        await until(sent)
        await _ended(alice, ACCOUNT, (await _get(alice, f"{ACCOUNT}/orders?state=all"))[0]["cl_ord_id"])
        await page.uncheck("#ticket-confirm")

        # a partial close: more than held and off the lot step are refused on the spot, a part closes
        await _tab(page, size, "positions")
        position = page.locator('.panel-positions tr[data-symbol="EUR/USD"]')
        await position.wait_for()
        assert await position.locator("input.close-quantity").input_value() == "0.10", "the whole by default"
        message = page.locator(".panel-positions .result")
        for wrong, expected in (("0.50", words["positions.close_too_much"].split("{")[0]),
                                ("0.015", words["positions.close_bad_quantity"].split("{")[0])):
            await position.locator("input.close-quantity").fill(wrong)
            await position.locator("button.close-position").click()
            assert (await message.inner_text()).startswith(expected.strip()), (wrong, await message.inner_text())
        assert len(await _get(alice, f"{ACCOUNT}/orders?state=all")) == 1, "nothing refused was sent"
        await position.locator("input.close-quantity").fill("0.04")
        await position.locator("button.close-position").click()
        await page.wait_for_function("""() => {
            const cell = document.querySelector('.panel-positions tr[data-symbol="EUR/USD"] td.quantity');
            return cell && cell.textContent.trim() === '0.06';
        }""")
        [held] = await _get(alice, f"{ACCOUNT}/positions")
        assert held["quantity"] == "0.06"
        await page.screenshot(path=str(ARTIFACTS / f"{shot}-partial-close.png"), full_page=True)

        # a limit far under the market rests; every column of the open orders is on screen, its price whole
        await _tab(page, size, "trade")
        await _ticket_order(page, "limit", "0.01", "0.70000")
        await ticket.locator("button.buy").click()
        await _tab(page, size, "positions")
        working = page.locator('.panel-orders tr[data-status="new"]')
        await working.wait_for()
        await _no_sideways_overflow(page, "orders")
        price_text = (await working.locator("td.price").inner_text()).strip()
        assert price_text in ("0.70000", "٠٫٧٠٠٠٠"), price_text
        cell, frame = await (await page.wait_for_function("""() => {
            const cell = document.querySelector('.panel-orders tr[data-status="new"] td.price');
            return cell && [cell, cell.closest('.scroll')].map((e) => e.getBoundingClientRect())
                .map((r) => [r.left, r.right]);
        }""")).json_value()   # in one go: the row is redrawn on each order event
        assert frame[0] - 1 <= cell[0] and cell[1] <= frame[1] + 1, ("the price is whole on screen", cell, frame)
        for button in ("button.amend", "button.cancel"):
            assert await working.locator(button).is_visible()
        await page.locator(".panel-orders").screenshot(path=str(ARTIFACTS / f"{shot}-open-orders.png"))
        await working.locator("button.cancel").click()
        await page.wait_for_selector(".panel-orders tr.empty", timeout=15000)

        # one refused (below the minimum), and the rest of the position closed
        await _tab(page, size, "trade")
        await _ticket_order(page, "market", "0.001")
        await ticket.locator("button.buy").click()
        await page.wait_for_function(
            "() => document.querySelector('.panel-ticket .result').classList.contains('error')")
        await _tab(page, size, "positions")
        await position.locator("button.close-position").click()
        await page.wait_for_selector(".panel-positions tr.empty", timeout=15000)

        # the history: every end with its reason, newest first, searched, with the day's realised P&L
        await _tab(page, size, "account")
        history = page.locator(".panel-history")
        await history.scroll_into_view_if_needed()
        rows = history.locator(".history-orders tbody tr[data-status]")
        await page.wait_for_function("""() => document.querySelectorAll(
            '.panel-history .history-orders tbody tr[data-status]').length === 5""")
        statuses = [await rows.nth(i).get_attribute("data-status") for i in range(5)]
        assert statuses == ["filled", "rejected", "canceled", "filled", "filled"], statuses
        rejected = history.locator('.history-orders tr[data-status="rejected"] td.reason')
        assert (await rejected.inner_text()).strip(), "a refusal says why"
        canceled = history.locator('.history-orders tr[data-status="canceled"] td.reason')
        assert "canceled by the client" in await canceled.inner_text()
        fills = await _get(alice, f"{ACCOUNT}/fills")
        realised = sum(Decimal(f["realised_pnl"]) for f in fills if f["realised_pnl"] is not None)
        day = history.locator(".history-pnl tbody tr[data-day]")
        await day.wait_for()
        shown = (await day.locator("td.realised").inner_text()).strip()
        assert _plain(shown) == realised, (shown, realised)
        await _no_sideways_overflow(page, "history")
        await history.screenshot(path=str(ARTIFACTS / f"{shot}-history.png"))

        await history.locator("#history-status").select_option("rejected")
        await history.locator(".history-filters button[type=submit]").click()
        await page.wait_for_function("""() => [...document.querySelectorAll(
            '.panel-history .history-orders tbody tr')].every((row) => row.dataset.status === 'rejected')""")
        assert await rows.count() == 1
        await history.locator("#history-status").select_option("")
        await history.locator("#history-symbol").select_option("BTC/USDT")
        await history.locator(".history-filters button[type=submit]").click()
        await history.locator(".history-orders tr.empty").wait_for()
        await history.locator("#history-symbol").select_option("")
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        await history.locator("#history-from").fill(tomorrow)
        await history.locator(".history-filters button[type=submit]").click()
        await history.locator(".history-orders tr.empty").wait_for()
        await history.locator(".history-pnl tr.empty").wait_for()
        await history.screenshot(path=str(ARTIFACTS / f"{shot}-history-filtered.png"))

        # the fills say what each close realised
        closing = page.locator(".panel-fills tbody tr td.realised")
        texts = [(await closing.nth(i).inner_text()).strip() for i in range(await closing.count())]
        assert sum(_plain(text) for text in texts if text != "—") == realised, texts
        for panel in MY_PANELS:
            await _tab(page, size, "account" if panel in ("history", "fills") else "positions")
            await _no_sideways_overflow(page, panel)
        await page.screenshot(path=str(ARTIFACTS / f"{shot}-end.png"), full_page=True)
    assert errors == []


def _plain(text: str) -> Decimal:
    """A number as the terminal shows it (Arabic-Indic digits, grouping, the Arabic decimal mark) as a Decimal."""
    digits = "".join(str("٠١٢٣٤٥٦٧٨٩".index(c)) if c in "٠١٢٣٤٥٦٧٨٩" else c for c in text)
    digits = digits.replace("٫", ".").replace("٬", "").replace(",", "").replace("\u2212", "-").replace("\u061c", "")
    return Decimal(re.sub(r"[^\d.\-+]", "", digits))
