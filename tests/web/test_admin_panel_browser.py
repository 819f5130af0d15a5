"""The back-office panel (/admin) in a real browser (Debian's chromium, headless) against the whole demo: each role
logs in and finds the navigation its policy allows, a trader is sent to the terminal, a broker's staff on the
broker's own domain see its brand, a deposit whose answer is lost on the way is sent again with the same
Idempotency-Key and booked once, the panel reads in Arabic right to left, and a broker works it with the keyboard
alone (Tab, Enter, "/" to search, Escape to close a form), seeing the API's reason when a change is refused.
Screenshots are kept in tests/web/artifacts/admin/. Plus plain checks of the catalogues and the page itself."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, Route

from tests.web.conftest import Terminal

STATIC = Path(__file__).resolve().parents[2] / "web" / "admin" / "static"
CATALOGUES = STATIC / "i18n"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "admin"
LANGUAGES = ("en", "ar")


def catalogue(code: str) -> dict[str, str]:
    entries: dict[str, str] = json.loads((CATALOGUES / f"{code}.json").read_text(encoding="utf-8"))
    return entries


# ---------------------------------------------------------------- catalogues (no browser)

def test_both_catalogues_have_exactly_the_same_keys_and_placeholders() -> None:
    english, arabic = catalogue("en"), catalogue("ar")
    assert sorted(english.keys() - arabic.keys()) == [], "ar.json lacks these keys"
    assert sorted(arabic.keys() - english.keys()) == [], "ar.json has keys en.json does not"
    for key, text in english.items():
        assert arabic[key].strip(), f"ar.json: {key} is empty"
        assert set(re.findall(r"\{(\w+)\}", arabic[key])) == set(re.findall(r"\{(\w+)\}", text)), \
            f"ar.json: {key} has other placeholders than en.json"


def test_every_key_the_panel_uses_is_in_the_english_catalogue() -> None:
    english = catalogue("en")
    namespaces = ("app", "login", "invite", "nav", "table", "action", "form", "result", "value", "diff", "error")
    literal = re.compile(r"""['"`]((?:%s)\.[a-z0-9_.]+)['"`]""" % "|".join(namespaces))
    used: set[str] = set()
    for source in [*STATIC.glob("*.js"), STATIC / "index.html"]:
        used |= {key for key in literal.findall(source.read_text(encoding="utf-8")) if not key.endswith(".js")}
    # the roles a session names (GET /api/session): the header shows the caller's
    used |= {f"enum.{role}" for role in ("super_admin", "admin", "broker", "master_ib", "ib", "sub_ib", "end_user")}
    assert len(used) > 40
    assert sorted(used - english.keys()) == []


def test_the_panel_has_no_inline_script_the_csp_would_block() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)


# ---------------------------------------------------------------- in the browser



async def new_page(browser: Browser, url: str, errors: list[str] | None = None) -> Page:
    context = await browser.new_context(viewport={"width": 1440, "height": 960}, locale="en-US")
    page = await context.new_page()
    if errors is not None:
        page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(url)
    return page


async def log_in(page: Page, login: str, password: str) -> None:
    await page.wait_for_selector("#login-view:not([hidden])")
    await page.fill("#login-name", login)
    await page.fill("#login-password", password)
    await page.click("#login-submit")


async def open_panel(browser: Browser, url: str, login: str, password: str,
                     errors: list[str] | None = None) -> Page:
    """A fresh browser context on /admin, logged in as ``login``, with the navigation drawn."""
    page = await new_page(browser, url + "/admin/", errors)
    await log_in(page, login, password)
    await page.wait_for_selector("#panel-view:not([hidden]) #nav-list a")
    return page


async def navigation(page: Page) -> list[str]:
    """The pages the navigation offers, as their links ("#/r/tenants", "#/ib/earnings")."""
    links: list[str] = await page.locator("#nav-list a").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))")
    return links


async def go(page: Page, where: str) -> None:
    """Open a page of the panel by its navigation link ("r/tenants", "ib/earnings") and wait for its rows."""
    await page.click(f'#nav-list a[data-page="{where}"]')
    await page.wait_for_selector(f'#main .page[data-{"resource" if where.startswith("r/") else "view"}='
                                 f'"{where.split("/", 1)[1]}"]')
    await page.wait_for_function("() => !document.querySelector('#main .rows [data-i18n=\"table.loading\"]')")
    failed = page.locator("#main .rows > p.error")
    if await failed.count():
        pytest.fail(f"the {where} page could not load: {await failed.inner_text()}")


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def submit(page: Page, step: str) -> None:
    """Submit the open form; a refusal fails the test with the API's reason, as the form shows it."""
    dialog = page.locator("dialog[open]")
    await dialog.locator("button.submit").click()
    await page.wait_for_function("""() => !document.querySelector('dialog[open]')
        || document.querySelector('dialog[open] .form-error').textContent.length > 0""")
    if await dialog.count():
        pytest.fail(f"step '{step}': the API refused it: {await dialog.locator('.form-error').inner_text()}")


def row(page: Page, key: str) -> Locator:
    """The table row of the thing named ``key`` (its id, as the API names it)."""
    return page.locator(f'#main tr.row[data-key="{key}"]')


BACK_OFFICE = ["tenants", "users", "ib-requests", "groups", "accounts", "instruments", "routes", "markups",
               "commission-plans", "rebate-plans", "jobs", "audit"]
IB_VIEWS = ["#/ib/clients", "#/ib/earnings"]


def pages(*names: str) -> list[str]:
    return [f"#/r/{name}" for name in names]


async def test_each_role_finds_the_navigation_its_policy_allows_and_a_trader_is_sent_to_the_terminal(
        terminal: Terminal, browser: Browser) -> None:
    errors: list[str] = []
    superadmin = await open_panel(browser, terminal.url, "superadmin", terminal.logins["superadmin"], errors)
    assert await navigation(superadmin) == pages(*BACK_OFFICE) + IB_VIEWS
    await go(superadmin, "r/tenants")
    await row(superadmin, "demo-broker").wait_for()
    assert await superadmin.locator("#user-role").inner_text() == "Super admin"
    await shot(superadmin, "superadmin-tenants")

    # the platform's route table and its jobs are the super admin's alone
    admin = await open_panel(browser, terminal.url, "admin", terminal.logins["admin"], errors)
    assert await navigation(admin) == pages(*(name for name in BACK_OFFICE if name not in ("routes", "jobs")))

    broker = await open_panel(browser, terminal.url, "broker", terminal.logins["broker"], errors)
    assert await navigation(broker) == pages(*(name for name in BACK_OFFICE if name not in ("routes", "jobs"))) \
        + IB_VIEWS
    await go(broker, "r/accounts")
    await row(broker, "ALICE-USD").wait_for()
    await row(broker, "BOB-USD").wait_for()
    await shot(broker, "broker-accounts")

    # an IB reads its subtree (users, accounts), its clients and its earnings; nothing of the tenant's set-up
    ib = await open_panel(browser, terminal.url, "ib", terminal.logins["ib"], errors)
    assert await navigation(ib) == pages("users", "accounts") + IB_VIEWS
    await go(ib, "ib/clients")
    await ib.locator("#main").get_by_text("alice", exact=False).first.wait_for()
    await shot(ib, "ib-clients")

    trader = await new_page(browser, terminal.url + "/admin/", errors)
    await log_in(trader, "alice", terminal.logins["alice"])
    await trader.wait_for_function(
        "() => document.querySelector('#login-error').textContent.includes('Traders use the trading terminal')")
    assert await trader.locator("#login-error a").get_attribute("href") == "/"
    assert await trader.locator("#panel-view").is_hidden()
    assert errors == []


async def test_a_brokers_staff_on_its_own_domain_see_its_brand_once_the_super_admin_edits_it(
        terminal: Terminal, browser: Browser) -> None:
    page = await open_panel(browser, terminal.url, "superadmin", terminal.logins["superadmin"])
    await go(page, "r/tenants")
    await row(page, "demo-broker").locator('[data-action="edit"]').click()
    dialog = page.locator("dialog[open]")
    await dialog.locator('[name="brand.domain"]').fill("demo-broker.localhost")
    await dialog.locator('[name="brand.primary_colour"]').fill("#2e7d32")
    await submit(page, "edit the tenant's brand")
    await page.wait_for_selector("#main .result.ok")
    await row(page, "demo-broker").filter(has_text="demo-broker.localhost").wait_for()

    # the same panel on the broker's own host name: its name and colour from the first screen on
    branded = await new_page(browser, terminal.url.replace("127.0.0.1", "demo-broker.localhost") + "/admin/")
    await branded.wait_for_selector("#login-view:not([hidden])")
    assert await branded.locator("#login-view .brand").inner_text() == "Demo Broker back office"
    accent = await branded.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent')")
    assert accent.strip() == "#2e7d32"
    await shot(branded, "brand-on-own-domain")
    await log_in(branded, "broker", terminal.logins["broker"])
    await branded.wait_for_selector("#panel-view:not([hidden]) #nav-list a")
    assert await branded.locator("#panel-view .brand").inner_text() == "Demo Broker back office"


async def test_a_deposit_whose_answer_is_lost_is_sent_again_with_its_key_and_booked_once(
        terminal: Terminal, browser: Browser) -> None:
    page = await open_panel(browser, terminal.url, "broker", terminal.logins["broker"])
    await go(page, "r/accounts")
    balance = row(page, "ALICE-USD").locator('td[data-column="balance"]')
    before = Decimal((await balance.inner_text()).replace(",", ""))

    keys: list[str | None] = []

    async def lose_the_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            await route.fetch()    # the deposit reaches the hub and is booked ...
            await route.abort()    # ... but its answer never reaches the browser
        else:
            await route.continue_()

    await page.route("**/api/admin/accounts/ALICE-USD/deposits", lose_the_first_answer)
    await row(page, "ALICE-USD").locator('[data-action="deposits"]').click()
    dialog = page.locator("dialog[open]")
    await dialog.locator('[name="amount"]').fill("250")
    await dialog.locator('[name="currency"]').fill("USD")
    await dialog.locator("button.submit").click()
    await page.wait_for_function("() => document.querySelector('dialog[open] .form-error').textContent.length > 0")
    assert "Saving again is safe" in await dialog.locator(".form-error").inner_text()
    await shot(page, "broker-deposit-answer-lost")
    await submit(page, "send the deposit again")    # the same form: the same Idempotency-Key
    await page.wait_for_selector("#main .result.ok")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1], keys
    await row(page, "ALICE-USD").wait_for()
    assert Decimal((await balance.inner_text()).replace(",", "")) == before + 250

    # a new deposit is a new form, with a new key
    await row(page, "ALICE-USD").locator('[data-action="deposits"]').click()
    await dialog.locator('[name="amount"]').fill("5")
    await dialog.locator('[name="currency"]').fill("USD")
    await submit(page, "a second deposit")
    await page.wait_for_selector("#main .result.ok")
    assert len(keys) == 3 and keys[2] != keys[0]
    assert Decimal((await balance.inner_text()).replace(",", "")) == before + 255


async def test_the_panel_reads_right_to_left_in_arabic(terminal: Terminal, browser: Browser) -> None:
    page = await open_panel(browser, terminal.url, "broker", terminal.logins["broker"])
    await go(page, "r/audit")
    await page.select_option("#language", "ar")
    await page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    assert await page.evaluate("document.documentElement.lang") == "ar"
    assert await page.locator('#nav-list a[data-page="r/audit"]').inner_text() == "سجل التدقيق"
    assert await page.locator("#logout").inner_text() == "تسجيل الخروج"
    # the navigation sits on the right of a right-to-left page
    nav, main = [await page.locator(selector).bounding_box() for selector in ("#nav", "#main")]
    assert nav is not None and main is not None and nav["x"] > main["x"]
    await shot(page, "broker-audit-ar")
    await page.select_option("#language", "en")
    await page.wait_for_function("() => document.documentElement.dir === 'ltr'")


async def test_a_broker_works_the_panel_with_the_keyboard_and_sees_why_a_change_is_refused(
        terminal: Terminal, browser: Browser) -> None:
    page = await new_page(browser, terminal.url + "/admin/")
    await page.wait_for_selector("#login-view:not([hidden])")
    await page.focus("#login-name")
    await page.keyboard.type("broker")
    await page.keyboard.press("Tab")
    await page.keyboard.type(terminal.logins["broker"])
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#panel-view:not([hidden]) #nav-list a")

    # Tab through the navigation to Groups and open it with Enter
    await page.locator('#nav-list a[data-page="r/groups"]').focus()
    await page.keyboard.press("Enter")
    await page.wait_for_selector('#main .page[data-resource="groups"] .search')
    await page.wait_for_selector('#main tr.row[data-key="standard"]')

    # "/" focuses the search, which filters the table as one types
    await page.locator("body").focus()
    await page.keyboard.press("/")
    assert await page.evaluate("document.activeElement.classList.contains('search')")
    await page.keyboard.type("vip")
    await page.wait_for_selector('#main tr.row[data-key="standard"]', state="detached")
    await row(page, "vip").wait_for()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Backspace")

    # Enter on "New" opens the form with its first field focused; Escape closes it
    await page.locator('#main [data-action="create"]').focus()
    await page.keyboard.press("Enter")
    dialog = page.locator("dialog[open]")
    await dialog.wait_for()
    assert await page.evaluate("document.activeElement.name") == "group_id"
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="detached")

    # a group the API refuses: the form stays open with the API's reason in it
    await page.locator('#main [data-action="create"]').focus()
    await page.keyboard.press("Enter")
    await dialog.wait_for()
    await page.keyboard.type("not a valid id!")
    await page.keyboard.press("Enter")
    error = dialog.locator(".form-error")
    await page.wait_for_function("() => document.querySelector('dialog[open] .form-error').textContent.length > 0")
    assert "group_id" in (await error.inner_text())
    await shot(page, "broker-refused-group")
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="detached")
