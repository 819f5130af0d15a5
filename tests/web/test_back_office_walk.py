"""The back office's whole story, walked in a real browser (Debian's chromium, headless) against the whole demo,
with a screenshot at each step (tests/web/artifacts/walk/). Nothing is set up by Python or SQL: every change is
made in the panel (/admin), the invite pages and the terminal, as the people would make it.

The super admin creates a second broker, Acme Markets, with its own brand and path /t/acme, and its broker user;
the broker sets a password through the invite link, creates a group, lists DOGE/USDT (the Binance simulator has
it, the demo does not), puts a markup on it for the group, creates an IB (who gets a referral code) and a trader
under the IB with an account and a deposit, and a rebate plan held for review; the trader logs in on Acme's page,
sees Acme's brand, trades DOGE/USDT and sees the markup (the terminal's quote wider than the venue's); the IB sees
the trade and the pending rebate; the broker releases it, the super admin runs the payout job, and the IB sees it
paid; the audit log shows each step."""
from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest
from playwright.async_api import Browser, Page

from tests.web.conftest import Terminal
from tests.web.test_admin_panel_browser import ARTIFACTS as PANEL_ARTIFACTS
from tests.web.test_admin_panel_browser import go, navigation, new_page, open_panel, row, submit

ARTIFACTS = PANEL_ARTIFACTS.parent / "walk"
TENANT = "acme"
BRAND = "Acme Markets"
PAIR, VENUE_PAIR = "DOGE/USDT", "DOGEUSDT"
PASSWORDS = {"acmebroker": "acme-broker-pass-1", "acmeib": "acme-ib-pass-1", "acmetrader": "acme-trader-pass-1"}


async def shot(page: Page, step: int, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{step:02d}-{name}.png"), full_page=True)


async def need(page: Page, where: str, step: str) -> None:
    """Fail the walk clearly when the panel has no page for a step: the API does not document it (yet)."""
    if f"#/{where}" not in await navigation(page):
        resource = where.split("/", 1)[1]
        pytest.fail(f"walk step '{step}': the panel has no {resource!r} page for this user: /api/openapi.json "
                    f"documents no GET {'/api/admin/' if where.startswith('r/') else '/api/ib/'}{resource} it may "
                    f"read (nav: {await navigation(page)})")


async def fill(page: Page, values: dict[str, str | bool]) -> None:
    """Fill the open form's fields by their names (nested ones as "brand.path")."""
    dialog = page.locator("dialog[open]")
    for name, value in values.items():
        field = dialog.locator(f'[name="{name}"]')
        if await field.count() == 0:
            shown = await dialog.locator("[name]").evaluate_all("(fields) => fields.map((f) => f.name)")
            pytest.fail(f"the form has no field {name!r}: the API's schema offers {shown}")
        kind = await field.evaluate("(f) => f.tagName === 'SELECT' ? 'select' : f.type")
        if kind == "checkbox":
            await field.set_checked(bool(value))
        elif kind == "select":
            await field.select_option(str(value))
        else:
            await field.fill(str(value))


async def create(page: Page, resource: str, values: dict[str, str | bool], step: str) -> None:
    await need(page, f"r/{resource}", step)
    await go(page, f"r/{resource}")
    await page.click('#main [data-action="create"]')
    await fill(page, values)
    await submit(page, step)
    await page.wait_for_selector("#main .result.ok")


async def row_action(page: Page, resource: str, key: str, action: str, values: dict[str, str | bool] | None,
                     step: str) -> None:
    await go(page, f"r/{resource}")
    line = row(page, key)
    await line.wait_for()
    button = line.locator(f'[data-action="{action}"]')
    if await button.count() == 0:
        pytest.fail(f"walk step '{step}': {resource} row {key} has no {action!r} action: the API documents no "
                    f"POST /api/admin/{resource}/{{id}}/{action}")
    await button.click()
    if values is not None:
        await fill(page, values)
        await submit(page, step)
    await page.wait_for_selector("#main .result.ok, #main .result.error")
    if await page.locator("#main .result.error").count():
        pytest.fail(f"walk step '{step}': {await page.locator('#main .result').inner_text()}")


async def invite_link(page: Page, step: str) -> str:
    """The one-time link the API answered a new user with, as the panel shows it."""
    link = page.locator('#main .result a[href*="/invite/"]')
    if await link.count() == 0:
        pytest.fail(f"walk step '{step}': the answer shows no invite link: {await page.locator('#main .result').inner_text()}")
    href = await link.first.get_attribute("href")
    assert href
    return href


async def set_password(browser: Browser, url: str, link: str, login: str) -> Page:
    """Open an invite link in a fresh browser and choose the password; the page comes back logged in."""
    page = await new_page(browser, link if link.startswith("http") else url + link)
    await page.fill('input[name="password"]', PASSWORDS[login])
    await page.click('button[type="submit"], input[type="submit"]')
    await page.wait_for_load_state()
    return page


def decimal_of(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip())


async def venue_spread(binance_url: str) -> Decimal:
    """The venue's own touch for the pair, read from the Binance simulator's public bookTicker."""
    async with aiohttp.ClientSession() as client, client.get(
            f"{binance_url}/api/v3/ticker/bookTicker", params={"symbol": VENUE_PAIR}) as answer:
        book = await answer.json()
    return Decimal(book["askPrice"]) - Decimal(book["bidPrice"])


async def totals(page: Page) -> dict[str, tuple[Decimal, Decimal]]:
    """The IB's earnings totals as the panel shows them: currency -> (pending, paid)."""
    await go(page, "ib/earnings")
    cells = await page.locator("#main table.totals tbody tr[data-currency]").evaluate_all(
        "(rows) => rows.map((r) => [r.dataset.currency, r.querySelector('.pending').textContent, "
        "r.querySelector('.paid').textContent])")
    return {currency: (decimal_of(pending), decimal_of(paid)) for currency, pending, paid in cells}


async def test_a_second_broker_is_onboarded_trades_and_pays_its_ib_all_in_the_browser(
        terminal: Terminal, browser: Browser) -> None:
    url = terminal.url
    errors: list[str] = []

    # 1. the super admin creates the tenant, with its brand and its own path
    superadmin = await open_panel(browser, url, "superadmin", terminal.logins["superadmin"], errors)
    await create(superadmin, "tenants", {"tenant_id": TENANT, "name": BRAND, "region": "emea",
                                         "brand.primary_colour": "#c2185b", "brand.accent_colour": "#ffb300",
                                         "brand.path": f"/t/{TENANT}", "brand.language": "en"}, "create the tenant")
    await row(superadmin, TENANT).wait_for()
    await shot(superadmin, 1, "superadmin-creates-tenant")

    # 2. ... and its broker, who sets a password through the invite link
    await create(superadmin, "users", {"user_id": "acme-broker", "tenant_id": TENANT, "role": "broker",
                                       "login": "acmebroker", "name": "Acme Broker", "email": "desk@acme.example"},
                 "create the broker user")
    link = await invite_link(superadmin, "create the broker user")
    await shot(superadmin, 2, "superadmin-invites-broker")
    broker = await set_password(browser, url, link, "acmebroker")
    await broker.wait_for_selector("#panel-view:not([hidden]) #nav-list a")
    assert await broker.locator("#user-name").inner_text() == "acmebroker"
    await shot(broker, 3, "broker-set-password-and-logged-in")

    # 3. the broker: a group, the new pair listed, a markup on it for the group
    await create(broker, "groups", {"group_id": "acme-gold", "tenant_id": TENANT, "max_leverage": "50"},
                 "create the group")
    await row(broker, "acme-gold").wait_for()
    await create(broker, "instruments", {
        "symbol": PAIR, "asset_class": "crypto", "base_currency": "DOGE", "quote_currency": "USDT",
        "tick_size": "0.00001", "lot_step": "1", "min_quantity": "1", "max_quantity": "9000000",
        "min_notional": "1", "margin_rate": "0.5", "contract_size": "1", "venue": "binance",
        "venue_symbol": VENUE_PAIR, "deposit_enabled": True, "withdraw_enabled": True, "confirmations": "20",
        "tenant_id": TENANT}, "list the new crypto pair")
    await row(broker, PAIR).wait_for()
    await shot(broker, 4, "broker-lists-pair")
    await create(broker, "markups", {"tenant_id": TENANT, "group_id": "acme-gold", "symbol": PAIR, "bid": "0.5",
                                     "ask": "0.5", "unit": "percent"}, "put a markup on the group")
    await broker.locator("#main tr.row").filter(has_text="acme-gold").first.wait_for()
    await shot(broker, 5, "broker-sets-markup")

    # 4. an IB, with its referral code, and a trader under it with an account and a deposit
    await create(broker, "users", {"user_id": "acme-ib", "tenant_id": TENANT, "role": "ib",
                                   "referrer_id": "acme-broker", "login": "acmeib", "name": "Acme IB"},
                 "create the IB")
    ib_link = await invite_link(broker, "create the IB")
    code = (await broker.locator('#main .result [data-field="referral_code"] dd').inner_text()).strip()
    assert code not in ("", "—"), "the new IB has no referral code"
    await shot(broker, 6, "broker-creates-ib")
    await create(broker, "users", {"user_id": "acme-trader", "tenant_id": TENANT, "role": "end_user",
                                   "referrer_id": "acme-ib", "login": "acmetrader", "name": "Acme Trader"},
                 "create the trader")
    trader_link = await invite_link(broker, "create the trader")
    await create(broker, "accounts", {"account_id": "ACME-T1", "user_id": "acme-trader", "group_id": "acme-gold",
                                      "base_currency": "USD"}, "open the trader's account")
    await row_action(broker, "accounts", "ACME-T1", "deposits",
                     {"amount": "10000", "currency": "USD", "reference": "first wire"}, "deposit")
    await shot(broker, 7, "broker-deposits")
    await create(broker, "rebate-plans", {"plan_id": "acme-ib-rebate", "tenant_id": TENANT, "name": "Acme IBs",
                                          "symbol_pattern": "*", "schedule": "instant", "hold_for_review": True,
                                          "levels.ib.markup_share": "0.5"}, "create the rebate plan")
    await row(broker, "acme-ib-rebate").wait_for()
    await shot(broker, 8, "broker-rebate-plan")

    # 5. the trader: a password through the invite, then Acme's own page, its brand, the pair, the markup, a trade
    await set_password(browser, url, trader_link, "acmetrader")
    trader = await new_page(browser, f"{url}/t/{TENANT}", errors)
    await trader.wait_for_selector("#login-view:not([hidden])")
    await trader.wait_for_function(f"() => document.querySelector('#login-view .brand').textContent === {BRAND!r}")
    accent = await trader.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    assert accent.lower() == "#c2185b"
    await shot(trader, 9, "trader-branded-login")
    await trader.fill("#login-name", "acmetrader")
    await trader.fill("#login-password", PASSWORDS["acmetrader"])
    await trader.click("#login-submit")
    quote = f'.panel-watchlist tr[data-symbol="{PAIR}"]'
    await trader.wait_for_function(f"""() => {{
        const cell = document.querySelector('{quote} td.ask');
        return cell && /\\d/.test(cell.textContent);
    }}""", timeout=30000)
    await trader.wait_for_function("""() => {
        const cell = document.querySelector('.panel-account .summary-row[data-name="balance"] dd');
        return cell && /\\d/.test(cell.textContent);
    }""")
    balance = await trader.locator('.panel-account .summary-row[data-name="balance"] dd').inner_text()
    assert decimal_of(balance) == Decimal(10000), f"the broker's deposit is not in the account: {balance}"
    ours = [decimal_of(await trader.locator(f"{quote} td.{side}").inner_text()) for side in ("bid", "ask")]
    theirs = await venue_spread(terminal.demo.urls["binance"])
    # 0.5 % a side on ~0.15 is ~0.00075 a side: the trader's spread is the venue's and about 0.0015 more
    assert ours[1] - ours[0] > theirs + Decimal("0.001"), (ours, theirs)
    await trader.click(quote)
    await trader.select_option("#ticket-type", "market")
    await trader.fill("#ticket-quantity", "1000")
    await trader.locator(".panel-ticket button.buy").click()
    await trader.wait_for_selector(f'.panel-fills tr[data-symbol="{PAIR}"]', timeout=20000)
    await trader.wait_for_selector(f'.panel-positions tr[data-symbol="{PAIR}"]', timeout=20000)
    await shot(trader, 10, "trader-trades-with-markup")

    # 6. the IB: its client's trade and the rebate it accrued, pending (the plan holds it for review)
    ib = await set_password(browser, url, ib_link, "acmeib")
    await ib.wait_for_selector("#panel-view:not([hidden]) #nav-list a")
    await need(ib, "ib/clients", "the IB sees its clients")
    await go(ib, "ib/clients")
    await ib.locator("#main").get_by_text("acme-trader").first.wait_for()
    await shot(ib, 11, "ib-sees-client")
    await need(ib, "ib/earnings", "the IB sees its earnings")
    await go(ib, "ib/earnings")
    await ib.locator("#main tr.row").filter(has_text=PAIR).first.wait_for()
    pending = await totals(ib)
    assert any(amount > 0 for amount, _ in pending.values()), pending
    await shot(ib, 12, "ib-sees-pending-rebate")

    # 7. the broker releases it, the super admin runs the payout job, the IB sees it paid
    await need(broker, "r/rebate-plans", "release the held rebate")
    await go(broker, "r/rebate-plans")
    await broker.click('#main [data-action="payouts.release"]')
    await fill(broker, {"ib": "acme-ib"})
    await submit(broker, "release the held rebate")
    await broker.wait_for_selector("#main .result.ok")
    await need(superadmin, "r/jobs", "run the payout job")
    await row_action(superadmin, "jobs", "ib_payouts", "run", None, "run the payout job")
    run = superadmin.locator('#main .result.ok [data-field="status"] dd')
    assert (await run.inner_text()).strip() == "Done", await superadmin.locator("#main .result").inner_text()
    await shot(superadmin, 13, "superadmin-runs-payouts")
    paid = await totals(ib)   # the run answers once it is done: the IB's next look shows it
    assert any(amount > 0 for _, amount in paid.values()), paid
    assert all(pending == 0 for pending, _ in paid.values()), paid
    await ib.locator("#main tr.row").filter(has_text="paid").first.wait_for()
    await shot(ib, 14, "ib-sees-rebate-paid")

    # 8. the audit log holds every step: who, when, what, before and after
    await go(superadmin, "r/audit")
    audit = await superadmin.locator("#main table.data tbody").inner_text()
    for what in (TENANT, "acme-broker", "acme-gold", PAIR, "acme-ib", "acme-trader", "ACME-T1", "acme-ib-rebate",
                 "ib_payouts"):
        assert what in audit, f"the audit log shows nothing about {what}"
    tenant_change = superadmin.locator("#main tr.row").filter(has_text="tenants").last
    await tenant_change.locator("button.detail-toggle").click()
    await superadmin.locator("#main tr.detail table.diff").get_by_text(BRAND).first.wait_for()
    await shot(superadmin, 15, "audit-log")
    assert errors == []
