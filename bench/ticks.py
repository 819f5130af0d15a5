"""Ticks through the price path on one core, and tick-to-terminal latency over WebSocket.

    python bench/ticks.py [--ticks 200000] [--rounds 3] [--bus memory:// redis://127.0.0.1:6379/0 mqtt://127.0.0.1:1883]
                          [--clients 100] [--rate 2000] [--seconds 5]

Throughput: raw venue ticks (strings, as a venue's JSON carries them) are normalised into Quotes, checked,
aggregated, conflated (forex at most every 50 ms per instrument, crypto at full rate), marked up for 10 tenant
groups and published, per bus backend; the figure is ticks in per second of wall time, including the flush to the
broker. All on uvloop, as the hub runs. Latency: a hub process feeds forex ticks at ``--rate`` into the feed and the WebSocket price stream; two
client processes hold ``--clients`` WebSocket connections (10 per tenant group, each watching the five forex
instruments) and measure from the tick's venue timestamp to its arrival, so conflation and the stream are inside the
figure. Full-rate crypto to 100 terminals is not in the latency figure: every tick to every client is more frames
than one Python process writes (the throughput lines show what the feed itself does).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog  # noqa: E402
import uvloop  # noqa: E402

from engine.bus import make_bus  # noqa: E402
from engine.domain.instrument import AssetClass, Instrument  # noqa: E402
from engine.domain.terms import Markup
from engine.ports import (
    Quote,  # noqa: E402
    utc_now,
)
from routing.interceptors.spread_markup import SpreadMarkup  # noqa: E402
from routing.pipeline import Pipelines  # noqa: E402
from routing.pricing import FeedLimits, PriceFeed  # noqa: E402

GROUPS = [("broker-a", f"group-{number}") for number in range(10)]
FX = {"EURUSD": ("EUR/USD", "1.08340"), "GBPUSD": ("GBP/USD", "1.26510"), "USDJPY": ("USD/JPY", "151.230"),
      "AUDUSD": ("AUD/USD", "0.65420"), "XAUUSD": ("XAU/USD", "2391.50")}
CRYPTO = {"BTCUSDT": ("BTC/USDT", "60000.00"), "ETHUSDT": ("ETH/USDT", "3100.00"), "SOLUSDT": ("SOL/USDT", "150.00")}


def instruments() -> dict[str, Instrument]:
    out = {}
    for table, asset_class in ((FX, AssetClass.FX), (CRYPTO, AssetClass.CRYPTO)):
        for symbol, _ in table.values():
            base, quote = symbol.split("/")
            out[symbol] = Instrument(symbol, asset_class, base, quote, Decimal("0.00001"), Decimal("0.01"),
                                     Decimal("0.01"), Decimal(100), Decimal("0.01"))
    return out


def raw_ticks(count: int, crypto_share: float) -> list[dict[str, str]]:
    """Venue-format ticks: venue symbol, bid and ask as text, event time in milliseconds."""
    rng = random.Random(7)
    ticks = []
    for number in range(count):
        table = CRYPTO if rng.random() < crypto_share else FX
        venue_symbol = rng.choice(list(table))
        mid = float(table[venue_symbol][1]) * (1 + rng.uniform(-0.001, 0.001))  # test data only, never money
        ticks.append({"s": venue_symbol, "b": f"{mid * 0.99999:.5f}", "a": f"{mid * 1.00001:.5f}", "T": str(number)})
    return ticks


def build_feed(bus_url: str):  # type: ignore[no-untyped-def]
    bus = make_bus(bus_url)
    markups = {("broker-a", group, "*"): Markup.both(Decimal("0.00001") * (n + 1)) for n, (_, group) in
               enumerate(GROUPS)}
    pipelines = Pipelines([SpreadMarkup(markups)], {}, ["spread_markup"])
    return bus, PriceFeed(instruments(), pipelines, GROUPS, bus, utc_now, FeedLimits())


def normalise(tick: dict[str, str], symbols: dict[str, str], now: dt.datetime) -> Quote:
    return Quote("bench-lp", symbols[tick["s"]], Decimal(tick["b"]), Decimal(tick["a"]), venue_time=now,
                 received_at=now)


async def throughput(bus_url: str, ticks: list[dict[str, str]]) -> tuple[float, int]:
    bus, feed = build_feed(bus_url)
    await bus.start()
    symbols = {venue: engine for table in (FX, CRYPTO) for venue, (engine, _) in table.items()}
    now = dt.datetime.now(dt.timezone.utc)
    start = time.perf_counter()
    for number, tick in enumerate(ticks):
        feed.on_quote(normalise(tick, symbols, now))
        if number % 1000 == 0:
            await asyncio.sleep(0)   # let the conflation timers and the bus writer run
    await bus.flush()
    elapsed = time.perf_counter() - start
    await bus.close()
    return len(ticks) / elapsed, feed.published


# ------------------------------------------------------------------------------------------------- latency
async def serve_and_feed(rate: int, seconds: float, clients: int, watch: list[str],
                         processes: int = 2) -> list[list[float]]:
    from aiohttp import web

    from web.api.stream import PriceStream
    from web.app import serve

    bus, feed = build_feed("memory://")
    app = web.Application()

    async def audience(request: web.Request) -> tuple[str, str]:
        return "broker-a", request.query["group"]

    listed = set(instruments())
    PriceStream(bus, lambda tenant, symbol: symbol in listed, audience).routes(app)
    runner, port = await serve(app, "127.0.0.1", 0)
    peers = [await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", str(port), str(clients // processes), str(seconds + 1), str(number),
        ",".join(watch), stdout=subprocess.PIPE) for number in range(processes)]
    for peer in peers:
        assert peer.stdout is not None
        await peer.stdout.readline()  # "connected"
    symbols = {venue: engine for table in (FX, CRYPTO) for venue, (engine, _) in table.items()}
    ticks = [t for t in raw_ticks(int(rate * seconds) * 8, crypto_share=0.5) if symbols[t["s"]] in watch]
    ticks = ticks[:int(rate * seconds)]
    batch = max(1, rate // 1000)   # pace in batches of a millisecond's ticks; a sleep per tick caps the rate
    start = time.perf_counter()
    for number, tick in enumerate(ticks):
        if number % batch == 0:
            delay = start + number / rate - time.perf_counter()
            await asyncio.sleep(max(delay, 0))
        feed.on_quote(normalise(tick, symbols, dt.datetime.now(dt.timezone.utc)))
    latencies: list[list[float]] = [[], []]
    for peer in peers:
        output, _ = await peer.communicate()
        tick, publish = json.loads(output)
        latencies[0] += tick
        latencies[1] += publish
    await runner.cleanup()
    return latencies


async def client(port: int, count: int, seconds: float, offset: int, watch: list[str]) -> None:
    """Terminals, 10 per tenant group, each watching ``watch``; orjson, so the clients outrun the server. Two
    figures per delivery: from the tick's venue time (conflation included) and from the feed's publish."""
    import aiohttp
    import orjson

    latencies: list[float] = []
    after_publish: list[float] = []

    async def one(session: aiohttp.ClientSession, number: int) -> None:
        group = GROUPS[number % len(GROUPS)][1]
        async with session.ws_connect(f"http://127.0.0.1:{port}/api/stream/prices?group={group}") as socket:
            await socket.send_str(orjson.dumps({"op": "subscribe", "symbols": watch}).decode())
            connected.append(number)
            end = time.time() + seconds
            while time.time() < end:
                try:
                    frame = await asyncio.wait_for(socket.receive(), max(0.01, end - time.time()))
                except asyncio.TimeoutError:
                    break
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    break
                message = orjson.loads(frame.data)
                if message.get("type") == "quote" and message.get("venue_time"):
                    now = time.time()
                    latencies.append(now - dt.datetime.fromisoformat(message["venue_time"]).timestamp())
                    after_publish.append(now - dt.datetime.fromisoformat(message["time"]).timestamp())

    connected: list[int] = []
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(one(session, offset * count + n)) for n in range(count)]
        while len(connected) < count:
            await asyncio.sleep(0.01)
        print("connected", flush=True)
        await asyncio.gather(*tasks)
    print(json.dumps([latencies, after_publish]))


def main() -> None:
    if sys.argv[1:2] == ["--client"]:
        uvloop.run(client(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]),
                           sys.argv[6].split(",")))
        return
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--ticks", type=int, default=200_000)
    options.add_argument("--rounds", type=int, default=3)
    options.add_argument("--bus", nargs="+", default=["memory://"])
    options.add_argument("--clients", type=int, default=100)
    options.add_argument("--rate", type=int, default=20000)
    options.add_argument("--crypto-rate", type=int, default=100)
    options.add_argument("--seconds", type=float, default=5)
    args = options.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
                        cache_logger_on_first_use=True)
    print(f"# python bench/ticks.py --ticks {args.ticks} --rounds {args.rounds} --bus {' '.join(args.bus)} "
          f"--clients {args.clients} --rate {args.rate} --crypto-rate {args.crypto_rate} --seconds {args.seconds}")
    for crypto_share, label in ((0.0, "forex (conflated)"), (1.0, "crypto (full rate)"), (0.5, "half and half")):
        ticks = raw_ticks(args.ticks, crypto_share)
        rates: dict[str, list[float]] = {bus_url: [] for bus_url in args.bus}
        published: dict[str, int] = {}
        for _ in range(args.rounds):   # backends side by side in each round, over several rounds
            for bus_url in args.bus:
                rate, published[bus_url] = uvloop.run(throughput(bus_url, ticks))
                rates[bus_url].append(rate)
        for bus_url in args.bus:
            print(f"{label:20} {bus_url:32} median {statistics.median(rates[bus_url]):>10,.0f} ticks/s (rounds "
                  f"{', '.join(f'{r:,.0f}' for r in rates[bus_url])}; {published[bus_url]:,} group quotes "
                  f"published a round)")
    forex = sorted(symbol for symbol, _ in FX.values())
    for label, watch, rate in ((f"5 forex instruments, {args.rate:,} ticks/s in", forex, args.rate),
                               (f"BTC/USDT at full rate, {args.crypto_rate:,} ticks/s in", ["BTC/USDT"],
                                args.crypto_rate)):
        tick, publish = (sorted(x) for x in uvloop.run(serve_and_feed(rate, args.seconds, args.clients, watch)))
        if not tick:
            print(f"{label}: no quote reached a client")
            continue
        print(f"{args.clients} WebSocket clients on {label}: tick to client p50 {_ms(tick, 0.5)}, p99 "
              f"{_ms(tick, 0.99)}; publish to client p50 {_ms(publish, 0.5)}, p99 {_ms(publish, 0.99)}; "
              f"{len(tick):,} deliveries")
    print(f"the original brief's 10 million ticks a day is {10_000_000 / 86_400:,.0f} ticks/s")


def _ms(values: list[float], quantile: float) -> str:
    return f"{values[min(len(values) - 1, int(len(values) * quantile))] * 1000:.2f} ms"


if __name__ == "__main__":
    main()
