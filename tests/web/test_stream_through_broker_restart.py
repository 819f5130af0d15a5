"""Prices through a real broker (Redis or Mosquitto of the test's own) to a terminal over WebSocket, while the broker
restarts mid-stream: the publisher and the web app reconnect by themselves, the terminal's sequence numbers show the
gap, a resubscribe brings a fresh snapshot, and updates go on from there without another gap."""
from __future__ import annotations

import asyncio
import uuid

import aiohttp
from aiohttp import web

from engine.bus import make_bus
from engine.domain.instrument import AssetClass
from engine.ports import Quote, utc_now
from routing.interceptors.spread_markup import SpreadMarkup
from routing.pipeline import Pipelines
from routing.pricing import FeedLimits, PriceFeed
from tests.brokers import PrivateBroker
from tests.stubs import D, eurusd
from web.api.stream import PriceStream
from web.app import serve


async def test_a_terminal_sees_the_gap_a_broker_restart_makes_and_recovers_by_resubscribing(
        private: PrivateBroker) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    hub_bus, web_bus = make_bus(private.url), make_bus(private.url)
    await hub_bus.start()
    await web_bus.start()
    feed = PriceFeed({"EUR/USD": eurusd()}, Pipelines([SpreadMarkup({})], {}, ["spread_markup"]),
                     [(tenant, "standard")], hub_bus, utc_now, FeedLimits(throttle={AssetClass.FX: 0.0}))

    async def audience(request: web.Request) -> tuple[str, str]:
        return tenant, "standard"

    app = web.Application()
    PriceStream(web_bus, lambda tenant, symbol: symbol == "EUR/USD", audience).routes(app)
    runner, port = await serve(app, "127.0.0.1", 0)
    number = 0

    def tick() -> None:
        nonlocal number
        number += 1
        feed.on_quote(Quote("lp", "EUR/USD", D("1.08000") + D("0.00001") * number, D("1.09000"),
                            venue_time=utc_now(), received_at=utc_now()))

    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"http://127.0.0.1:{port}/api/stream/prices") as terminal:
            tick()
            await hub_bus.flush()
            await terminal.send_json({"op": "subscribe", "symbols": ["EUR/USD"]})
            seen = [await asyncio.wait_for(terminal.receive_json(), 10)]
            while seen[-1]["type"] != "quote":   # the first quote through the broker, after the snapshot (if any)
                tick()
                seen.append(await asyncio.wait_for(terminal.receive_json(), 10))
            await private.stop()
            for _ in range(20):                  # published while the broker is away: only the latest survives
                tick()
                await asyncio.sleep(0.01)
            await private.start()
            gap = None
            async with asyncio.timeout(20):
                while gap is None:
                    tick()
                    await hub_bus.flush()
                    try:
                        message = await asyncio.wait_for(terminal.receive_json(), 0.2)
                    except asyncio.TimeoutError:
                        continue
                    if message.get("gap"):
                        gap = message
            assert gap["seq"] > seen[-1]["seq"] + 1, "the terminal can tell that it missed updates"
            await terminal.send_json({"op": "subscribe", "symbols": ["EUR/USD"]})
            async with asyncio.timeout(10):
                snapshot = await terminal.receive_json()
                while snapshot["type"] != "snapshot":
                    snapshot = await terminal.receive_json()
            assert snapshot["seq"] >= gap["seq"]
            after = []
            async with asyncio.timeout(10):
                while len(after) < 5:
                    tick()
                    await hub_bus.flush()
                    after.append(await terminal.receive_json())
            seqs = [snapshot["seq"]] + [m["seq"] for m in after]
            assert all(not m.get("gap") for m in after)
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "consecutive again after the recovery"
    finally:
        await runner.cleanup()
        await hub_bus.close()
        await web_bus.close()
