"""Binance cross margin through the adapter against the simulator: borrow and repay with
POST /sapi/v1/margin/borrow-repay, the margin level from GET /sapi/v1/margin/account, and Binance's refusals."""
from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest

from adapters.binance import BinanceConfig, BinanceVenue
from adapters.binance.errors import BinanceError
from engine.domain.rejects import retryable
from engine.ports import utc_now
from simulators.binance import TEST_API_KEY, TEST_API_SECRET, BinanceSimulator


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    simulator = BinanceSimulator(walk_interval=None, seed=7, weight_limit=100000, fix_port=None)
    simulator.set_price("BTCUSDT", D(60000))
    simulator.fund_margin("USDT", D(10000))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def binance(sim: BinanceSimulator) -> AsyncIterator[BinanceVenue]:
    venue = BinanceVenue(BinanceConfig(api_key=TEST_API_KEY, api_secret=TEST_API_SECRET, rest_url=sim.rest_url,
                                       stream_url=sim.stream_url, ws_api_url=sim.ws_api_url, connect_timeout=3.0),
                         clock=utc_now)
    await venue.connect()
    yield venue
    await venue.close()


async def test_an_account_without_loans_shows_binances_999_margin_level(binance: BinanceVenue) -> None:
    level = await binance.margin_level()
    assert level.level == D(999) and level.total_liability_btc == 0
    assert level.assets["USDT"].free == D(10000) and level.total_asset_btc == D("0.16666667")   # 8 decimals


async def test_borrowing_adds_a_liability_and_lowers_the_margin_level(binance: BinanceVenue) -> None:
    tran_id = await binance.borrow("BTC", D("0.1"))
    assert tran_id.isdigit()
    level = await binance.margin_level()
    btc = level.assets["BTC"]
    assert (btc.free, btc.borrowed, btc.net) == (D("0.1"), D("0.1"), D(0))
    assert level.level == D("2.66666667")            # (10,000 + 6,000) / 6,000 USDT: assets over liabilities
    await binance.repay("BTC", D("0.1"))
    level = await binance.margin_level()
    assert level.assets["BTC"].borrowed == 0 and level.level == D(999)


async def test_a_loan_beyond_binances_pool_is_refused_with_3045(sim: BinanceSimulator,
                                                                binance: BinanceVenue) -> None:
    sim.margin.inventory["BTC"] = D("0.05")
    with pytest.raises(BinanceError) as refused:
        await binance.borrow("BTC", D("0.1"))
    assert refused.value.code == -3045 and refused.value.reason == \
        "-3045 INSUFFICIENT_INVENTORY: The system does not have enough asset now."
    assert refused.value.reject_code == "insufficient_funds" and retryable(refused.value.reject_code)


async def test_a_loan_beyond_the_collateral_is_refused_with_3006(binance: BinanceVenue) -> None:
    with pytest.raises(BinanceError, match="-3006"):
        await binance.borrow("BTC", D(1))              # 60,000 USDT against 10,000 of collateral at 3x


async def test_repaying_more_than_is_owed_is_refused(binance: BinanceVenue) -> None:
    await binance.borrow("USDT", D(100))
    with pytest.raises(BinanceError, match="-3015"):
        await binance.repay("USDT", D(101))
