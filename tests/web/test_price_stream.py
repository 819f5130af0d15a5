"""The terminal's price stream over a real WebSocket: snapshot then updates, per-group prices, a gap shown and
recovered by resubscribing, bad commands refused, and a slow client that does not hold up a fast one."""
from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
import pytest
from aiohttp import web

from engine.bus import InProcessBus
from engine.domain.terms import Markup
from engine.ports import Quote
from routing.interceptors.spread_markup import SpreadMarkup
from routing.pipeline import Pipelines
from routing.pricing import PriceFeed
from tests.stubs import D, btcusdt, eurusd
from web.api.stream import PriceStream
from web.app import serve

T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc)


async def audience(request: web.Request) -> tuple[str, str]:
    group = request.headers.get("X-Test-Group")
    if group is None:
        raise web.HTTPUnauthorized(text='{"code": "login_required"}', content_type="application/json")
    return "broker-a", group


@pytest.fixture
async def stack():  # type: ignore[no-untyped-def]
    bus = InProcessBus()
    markup = SpreadMarkup({("broker-a", "vip", "*"): Markup.both(D("0.00001")),
                           ("broker-a", "*", "*"): Markup.both(D("0.00003"))})
    instruments = {i.symbol: i for i in (eurusd(), btcusdt())}
    from engine.domain.instrument import AssetClass
    from routing.pricing import FeedLimits
    limits = FeedLimits(throttle={AssetClass.FX: 0.0, AssetClass.CRYPTO: 0.0})
    feed = PriceFeed(instruments, Pipelines([markup], {}, ["spread_markup"]),
                     [("broker-a", "standard"), ("broker-a", "vip")], bus, lambda: T0, limits)
    app = web.Application()
    stream = PriceStream(bus, lambda tenant, symbol: symbol in instruments, audience)
    stream.routes(app)
    runner, port = await serve(app, "127.0.0.1", 0)
    async with aiohttp.ClientSession() as session:
        yield feed, bus, session, f"http://127.0.0.1:{port}/api/stream/prices"
    await runner.cleanup()


def quote(bid: str, ask: str, seconds: int = 0) -> Quote:
    return Quote("lp-1", "EUR/USD", D(bid), D(ask), venue_time=T0 + dt.timedelta(milliseconds=seconds),
                 received_at=T0 + dt.timedelta(milliseconds=seconds))


async def receive(socket: aiohttp.ClientWebSocketResponse) -> dict:
    return await asyncio.wait_for(socket.receive_json(), 5)


async def test_a_terminal_gets_a_snapshot_then_updates_at_its_groups_price(stack) -> None:  # type: ignore[no-untyped-def]
    feed, _, session, url = stack
    feed.on_quote(quote("1.08340", "1.08350"))
    async with session.ws_connect(url, headers={"X-Test-Group": "vip"}) as vip, \
            session.ws_connect(url, headers={"X-Test-Group": "standard"}) as standard:
        for socket in (vip, standard):
            await socket.send_json({"op": "subscribe", "symbols": ["EUR/USD"]})
        first_vip, first_std = await receive(vip), await receive(standard)
        assert (first_vip["type"], first_vip["ask"], first_vip["seq"]) == ("snapshot", "1.08351", 1)
        assert (first_std["type"], first_std["ask"]) == ("snapshot", "1.08353")
        feed.on_quote(quote("1.08341", "1.08351", 1))
        update = await receive(vip)
        assert (update["type"], update["bid"], update["seq"]) == ("quote", "1.08340", 2)
        assert "gap" not in update


async def test_a_gap_upstream_is_flagged_and_a_resubscribe_brings_a_fresh_snapshot(stack) -> None:  # type: ignore[no-untyped-def]
    feed, bus, session, url = stack
    feed.on_quote(quote("1.08340", "1.08350"))
    async with session.ws_connect(url, headers={"X-Test-Group": "vip"}) as socket:
        await socket.send_json({"op": "subscribe", "symbols": ["EUR/USD"]})
        assert (await receive(socket))["seq"] == 1
        feed._seq["quotes.broker-a.vip.EUR-USD"] += 3   # three updates lost on the way (a broker restart)
        feed.on_quote(quote("1.08345", "1.08355", 1))
        update = await receive(socket)
        assert update["seq"] == 5 and update["gap"] is True
        await socket.send_json({"op": "subscribe", "symbols": ["EUR/USD"]})
        snapshot = await receive(socket)
        assert snapshot["type"] == "snapshot" and snapshot["seq"] == 5 and snapshot["bid"] == "1.08344"


async def test_bad_commands_get_a_json_error_and_the_connection_stays_usable(stack) -> None:  # type: ignore[no-untyped-def]
    feed, _, session, url = stack
    async with session.ws_connect(url, headers={"X-Test-Group": "vip"}) as socket:
        await socket.send_str("not json")
        assert (await receive(socket))["code"] == "bad_request"
        await socket.send_json({"op": "subscribe", "symbols": ["DOGE/EUR"]})
        assert (await receive(socket))["code"] == "unknown_symbol"
        feed.on_quote(quote("1.08340", "1.08350"))
        await socket.send_json({"op": "subscribe", "symbols": ["EUR/USD"]})
        assert (await receive(socket))["type"] == "snapshot"
    async with session.get(url) as response:
        assert response.status == 401


async def test_a_client_that_does_not_read_does_not_hold_up_one_that_does(stack) -> None:  # type: ignore[no-untyped-def]
    feed, _, session, url = stack
    feed.on_quote(quote("1.08340", "1.08350"))
    async with session.ws_connect(url, headers={"X-Test-Group": "vip"}) as slow, \
            session.ws_connect(url, headers={"X-Test-Group": "vip"}) as fast:
        for socket in (slow, fast):
            await socket.send_json({"op": "subscribe", "symbols": ["EUR/USD"]})
            await receive(socket)
        for number in range(1, 2001):
            feed.on_quote(quote(f"1.0{8340 + number % 10}0", "1.09000", number))
            if number % 100 == 0:
                await asyncio.sleep(0)
        seqs = []
        while not seqs or seqs[-1] < 2001:
            seqs.append((await receive(fast))["seq"])
        assert seqs == sorted(seqs), "never out of order"
        received_by_slow = []
        while True:
            try:
                received_by_slow.append((await asyncio.wait_for(slow.receive_json(), 0.5))["seq"])
            except asyncio.TimeoutError:
                break
        assert received_by_slow[-1] == 2001 and received_by_slow == sorted(received_by_slow)
