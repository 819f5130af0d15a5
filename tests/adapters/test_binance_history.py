"""Past candles through the Binance adapter from the simulator's GET /api/v3/klines over HTTP: paged past 1000,
bounded to [start, end), the last one closing at the simulator's price, the same numbers when asked again."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from adapters.binance import BinanceVenue
from engine.ports import History, utc_now
from simulators.binance import BinanceSimulator
from tests.adapters.test_binance import config_for


@pytest.fixture
async def binance() -> AsyncIterator[tuple[BinanceSimulator, BinanceVenue]]:
    sim = BinanceSimulator(walk_interval=None, seed=7)
    await sim.start()
    venue = BinanceVenue(config_for(sim), clock=utc_now)
    await venue.connect()
    yield sim, venue
    await venue.close()
    await sim.stop()


async def test_klines_come_back_as_past_bars_paged_and_bounded(binance: tuple[BinanceSimulator, BinanceVenue]) -> None:
    sim, venue = binance
    assert isinstance(venue, History)
    now = utc_now()
    end = now.replace(second=0, microsecond=0)
    start = end - dt.timedelta(seconds=1)
    bars = await venue.past_bars("BTC/USDT", 1, end - dt.timedelta(seconds=1000), end)
    seconds = [bar.start for bar in bars]
    assert len(bars) == len(set(seconds)) and seconds == sorted(seconds)
    assert all(end - dt.timedelta(seconds=1000) <= s < end for s in seconds)
    minutes = await venue.past_bars("BTC/USDT", 60, end - dt.timedelta(hours=20), end)   # 1200: two pages
    assert [b.start for b in minutes] == [end - dt.timedelta(minutes=1200 - i) for i in range(1200)]
    pages = [params for method, path, params in sim.requests if path == "/api/v3/klines"]
    assert [p["interval"] for p in pages] == ["1s", "1m", "1m"] and pages[1]["limit"] == "1000"
    mid = sim.exchange.books["BTCUSDT"].mid
    assert abs(minutes[-1].close - mid) <= sim.exchange.specs["BTCUSDT"].tick_size   # the past ends at today
    assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in minutes)
    assert all(b.volume is not None and b.volume > 0 and b.ticks > 0 for b in minutes)
    again = await venue.past_bars("BTC/USDT", 60, start - dt.timedelta(minutes=9), start)
    assert again == [b for b in minutes if start - dt.timedelta(minutes=9) <= b.start < start]


async def test_a_symbol_binance_does_not_list_has_no_past(binance: tuple[BinanceSimulator, BinanceVenue]) -> None:
    _, venue = binance
    end = utc_now()
    assert await venue.past_bars("NOPE/USDT", 60, end - dt.timedelta(hours=1), end) == []
