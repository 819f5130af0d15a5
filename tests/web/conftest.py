"""The whole demo (hub, simulators, adapters, FIX doors, web app on an ephemeral port) in-process for web tests."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from dynamictech.demo import Demo, start


@dataclass
class Terminal:
    demo: Demo
    url: str
    logins: dict[str, str]

    async def session(self, login: str) -> aiohttp.ClientSession:
        """A browser-like client logged in as ``login``."""
        client = aiohttp.ClientSession(base_url=self.url, cookie_jar=aiohttp.CookieJar(unsafe=True))  # an IP host
        async with client.post("/api/session", json={"login": login, "password": self.logins[login]}) as answer:
            assert answer.status == 200, await answer.text()
        return client


CHROMIUM = "/usr/bin/chromium"   # Debian's, which the test command installs


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless chromium for the tests of every page."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def terminal(tmp_path: Path) -> AsyncIterator[Terminal]:
    demo = await start(tmp_path, web_port=0, fix_ports=(0, 0))
    try:
        yield Terminal(demo, demo.urls["terminal"].rstrip("/"), dict(demo.logins))
    finally:
        await demo.stop()


async def sign_in(browser: Browser, terminal: Terminal, language: str, *, login: str = "alice",
                  requests: list[str] | None = None, **options: object) -> tuple[BrowserContext, Page, list[str]]:
    """A new browser context (``options``: viewport, touch, ...) with the terminal's language set to ``language``,
    signed in as ``login`` through the login form; the page's uncaught errors are collected, and the URLs it
    requests when ``requests`` is given."""
    context = await browser.new_context(locale="en-US", **options)  # type: ignore[arg-type]
    await context.add_init_script(f"localStorage.setItem('dt.language', {json.dumps(language)})")
    if requests is not None:
        context.on("request", lambda request: requests.append(request.url))
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(terminal.url + "/")
    await page.fill("#login-name", login)
    await page.fill("#login-password", terminal.logins[login])
    await page.click("#login-submit")
    return context, page, errors


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 15.0) -> None:
    """Until ``condition()`` holds, as seen through the API (a fill is booked a moment after it is reported)."""
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


def signed_headers(key_id: str, secret: str, method: str, path: str, body: bytes = b"",
                   at_ms: int | None = None) -> dict[str, str]:
    stamp = str(at_ms if at_ms is not None else int(time.time() * 1000))
    signature = hmac.new(secret.encode(), stamp.encode() + method.encode() + path.encode() + body,
                         hashlib.sha256).hexdigest()
    return {"X-DT-APIKEY": key_id, "X-DT-TIMESTAMP": stamp, "X-DT-SIGNATURE": signature}
