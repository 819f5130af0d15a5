"""The chart in chromium, at a desk's and a phone's size, in English and in Arabic: a fresh demo's 1 minute chart
shows the venue's backfilled past, studies go on and off, a trend line and a horizontal line are drawn and removed,
and a resting limit's line is dragged to amend the order (the REST API shows the new price) while a line the server
will not amend goes back with the refusal shown."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.web.conftest import sign_in, until

ARTIFACTS = Path(__file__).parent / "artifacts" / "chart"
CATALOGUES = Path(__file__).parents[2] / "web" / "terminal" / "static" / "i18n"
ACCOUNT = "ALICE-USD"
SIZES = {"desk": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
HOLDER = ".panel-chart .chart-holder"


def catalogue(code: str) -> dict[str, str]:
    return json.loads((CATALOGUES / f"{code}.json").read_text(encoding="utf-8"))


async def press(page, locator, phone: bool) -> None:  # type: ignore[no-untyped-def]
    """A finger on a phone, a mouse on a desk."""
    if phone:
        await locator.tap()
    else:
        await locator.click()


async def touch_at(page, x: float, y: float, phone: bool) -> None:  # type: ignore[no-untyped-def]
    if phone:
        await page.touchscreen.tap(x, y)
    else:
        await page.mouse.click(x, y)


async def drag(page, locator, dy: float, phone: bool) -> None:  # type: ignore[no-untyped-def]
    """Press on ``locator``, move ``dy`` pixels down and let go: a mouse, or a finger through chromium's touch
    input (which the page sees as pointer events of type touch)."""
    box = await locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    if not phone:
        await page.mouse.move(x, y)
        await page.mouse.down()
        await page.mouse.move(x, y + dy, steps=8)
        await page.mouse.up()
        return
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 9):
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                                    "touchPoints": [{"x": x, "y": y + dy * step / 8}]})
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


async def attribute(page, name: str) -> str:  # type: ignore[no-untyped-def]
    return await page.locator(HOLDER).get_attribute(name) or ""


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("language", ["en", "ar"])
async def test_the_chart_backfills_studies_drawings_and_drags_an_order(terminal, browser, size: str,
                                                                       language: str) -> None:
    phone = size == "phone"
    words = catalogue(language)
    context, page, errors = await sign_in(browser, terminal, language, viewport=SIZES[size], has_touch=phone,
                                          is_mobile=phone)
    await page.wait_for_selector("#terminal-view:not([hidden]) .panel-chart", state="attached")
    if phone:   # the chart has a tab of its own
        await page.tap('.phone-tab[data-tab="chart"]')
    await page.wait_for_selector(".panel-chart .chart-holder")
    assert await page.evaluate("() => document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    assert await page.locator(HOLDER).get_attribute("dir") == "ltr"   # time runs left to right in every language
    await page.wait_for_function("() => document.querySelector('.panel-chart .chart-symbol').textContent === "
                                 "'EUR/USD'")

    # a fresh demo's 1 minute chart: hours of candles, not the one or two the hub has built since it started
    await page.wait_for_function(f"() => Number(document.querySelector('{HOLDER}').dataset.bars) >= 300",
                                 timeout=20000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = f"{size}-{language}"
    await page.screenshot(path=str(ARTIFACTS / f"{shot}-backfilled.png"))

    # every study on, then off, from the toolbar (the button says so, in the trader's language)
    tools = page.locator(".panel-chart .chart-tools")
    for study in ("ma", "ema", "bb", "rsi", "volume"):
        button = tools.locator(f'button[data-study="{study}"]')
        assert (await button.inner_text()) == words[f"chart.study.{study}"]
        await press(page, button, phone)
        assert await button.get_attribute("aria-pressed") == "true"
    assert set((await attribute(page, "data-studies")).split()) == {"ma", "ema", "bb", "rsi", "volume"}
    await page.screenshot(path=str(ARTIFACTS / f"{shot}-studies.png"))
    period = tools.locator('input[data-study="ma"]')
    await period.fill("9")
    await period.press("Enter")
    await period.blur()
    await page.wait_for_function("() => document.querySelector('.panel-chart input[data-study=\"ma\"]').value === '9'")
    for study in ("ma", "ema", "bb", "rsi", "volume"):
        await press(page, tools.locator(f'button[data-study="{study}"]'), phone)
    assert await attribute(page, "data-studies") == ""

    # a trend line (two points) and a horizontal line (one), then both removed
    box = await page.locator(HOLDER).bounding_box()
    await press(page, tools.locator('button[data-tool="trend"]'), phone)
    assert (await page.locator(".panel-chart .chart-note").inner_text()) == words["chart.draw.first_point"]
    await touch_at(page, box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.6, phone)
    assert (await page.locator(".panel-chart .chart-note").inner_text()) == words["chart.draw.second_point"]
    await touch_at(page, box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.3, phone)
    await page.wait_for_function(f"() => document.querySelector('{HOLDER}').dataset.drawings === '1'")
    await press(page, tools.locator('button[data-tool="horizontal"]'), phone)
    await touch_at(page, box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.45, phone)
    await page.wait_for_function(f"() => document.querySelector('{HOLDER}').dataset.drawings === '2'")
    await page.screenshot(path=str(ARTIFACTS / f"{shot}-drawings.png"))
    await press(page, tools.locator(".chart-clear"), phone)
    assert await attribute(page, "data-drawings") == "0"

    # a resting limit buy shows its line; dragged down and confirmed, the order is amended
    client = await terminal.session("alice")
    try:
        async with client.get("/api/bars", params={"symbol": "EUR/USD", "interval": "1m", "limit": "20"}) as answer:
            lows = [Decimal(bar["low"]) for bar in await answer.json()]
        async with client.get("/api/quotes", params={"symbols": "EUR/USD"}) as answer:
            bid = Decimal((await answer.json())[0]["bid"])
        limit = min(min(lows), bid - Decimal("0.0005"))
        async with client.post(f"/api/accounts/{ACCOUNT}/orders", json={
                "symbol": "EUR/USD", "side": "buy", "type": "limit", "quantity": "0.01", "price": str(limit),
                "cl_ord_id": f"chart-{shot}"}) as answer:
            assert answer.status in (200, 201, 202), await answer.text()
        grip = page.locator(f'.panel-chart .chart-grip[data-order="chart-{shot}"]')
        await grip.wait_for(timeout=15000)
        label = f'{words["side.buy"]} 0.01 {words["order_type.limit"]}'
        assert (await grip.get_attribute("aria-label")) == words["chart.line.drag"].replace("{order}", label)
        await drag(page, grip, 25, phone)
        confirm = page.locator(".panel-chart .chart-confirm")
        await confirm.wait_for(state="visible")
        assert label in await confirm.inner_text()
        await page.screenshot(path=str(ARTIFACTS / f"{shot}-amend.png"))
        await press(page, confirm.locator(".chart-amend"), phone)

        async def amended() -> bool:
            async with client.get(f"/api/accounts/{ACCOUNT}/orders", params={"state": "open"}) as answer:
                orders = {o["cl_ord_id"]: o for o in await answer.json()}
            order = orders.get(f"chart-{shot}")
            return order is not None and order["status"] == "new" and Decimal(order["price"]) < limit
        await until(amended)
        async with client.get(f"/api/accounts/{ACCOUNT}/orders", params={"state": "open"}) as answer:
            moved = next(o for o in await answer.json() if o["cl_ord_id"] == f"chart-{shot}")
        await page.wait_for_function(f"""() => {{
            const grip = document.querySelector('.panel-chart .chart-grip[data-order="chart-{shot}"]');
            return grip && grip.dataset.price === '{moved["price"]}';
        }}""")
        assert "ok" in (await page.locator(".panel-chart .chart-note").get_attribute("class") or "")

        # a sell stop the hub holds: dragged down (away from the bid) and confirmed, its stop price moves
        stop_at = ((limit + bid) / 2).quantize(limit)
        async with client.post(f"/api/accounts/{ACCOUNT}/orders", json={
                "symbol": "EUR/USD", "side": "sell", "type": "stop", "quantity": "0.01",
                "stop_price": str(stop_at), "cl_ord_id": f"stop-{shot}"}) as answer:
            assert answer.status in (200, 201, 202), await answer.text()
        stop = page.locator(f'.panel-chart .chart-grip[data-order="stop-{shot}"]')
        await stop.wait_for(timeout=15000)
        await drag(page, stop, 30, phone)
        await confirm.wait_for(state="visible")
        await press(page, confirm.locator(".chart-amend"), phone)

        async def stop_moved() -> bool:
            async with client.get(f"/api/accounts/{ACCOUNT}/orders", params={"state": "open"}) as answer:
                order = {o["cl_ord_id"]: o for o in await answer.json()}.get(f"stop-{shot}")
            return order is not None and order["status"] == "new" and Decimal(order["stop_price"]) < stop_at
        await until(stop_moved)

        # a plain stop has no limit price to change: refused with a code, and the order is as it was
        async with client.get(f"/api/accounts/{ACCOUNT}/orders", params={"state": "open"}) as answer:
            held = next(o for o in await answer.json() if o["cl_ord_id"] == f"stop-{shot}")
        async with client.patch(f"/api/accounts/{ACCOUNT}/orders/stop-{shot}",
                                json={"quantity": "0.01", "price": "1.00000"}) as answer:
            assert answer.status == 409 and (await answer.json())["code"] == "cannot_replace"
        async with client.get(f"/api/accounts/{ACCOUNT}/orders", params={"state": "open"}) as answer:
            unchanged = next(o for o in await answer.json() if o["cl_ord_id"] == f"stop-{shot}")
        assert unchanged["stop_price"] == held["stop_price"] and unchanged["price"] is None
        await page.screenshot(path=str(ARTIFACTS / f"{shot}-stop-amended.png"))
    finally:
        await client.close()
    assert errors == []
    await context.close()
