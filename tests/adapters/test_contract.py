"""Every registered venue type keeps the venue contract (contract.py) against its simulator over real sockets, built
the way a hub builds it: through the registry, from a TOML-like table, the environment and a clock. A type
registered without a case here fails, so a new venue cannot ship untested; each variant an adapter has (a dialect,
a transport, an account type) is a case of its own. Every report and quote must carry a moment the clock gave."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from adapters.memory import MemoryVenue
from adapters.registry import VENUE_TYPES, build
from engine.ports import Clock, Venue, utc_now
from simulators.binance import TEST_API_KEY, TEST_API_SECRET, BinanceSimulator
from simulators.equity import EquitySimulator, MarketClock
from simulators.fx_lp import FxLP, FxLPConfig
from tests.adapters.contract import Recorder, check_contract


class WitnessedClock:
    """A clock that remembers every moment it gave, so a report stamped by any other clock is caught."""

    def __init__(self, source: Clock = utc_now) -> None:
        self.source = source
        self.given: set[dt.datetime] = set()

    def __call__(self) -> dt.datetime:
        moment = self.source()
        self.given.add(moment)
        return moment


@dataclass
class Contract:
    """What check_contract needs: a connected venue, how to make a restarted hub's instance, and the terms."""

    venue: Venue
    fresh: Callable[[], Awaitable[Venue]]
    symbol: str
    quantity: D
    resting_buy_price: D
    clock: WitnessedClock
    prefix: str = "CT"


Case = Callable[[Path], AbstractAsyncContextManager[Contract]]


async def connected(table: dict[str, Any], environ: dict[str, str], clock: Clock) -> Venue:
    venue = build(table, environ, clock)
    await venue.connect()
    return venue


def one_session_at_a_time(first: Venue, make: Callable[[], Awaitable[Venue]]) -> Callable[[], Awaitable[Venue]]:
    """For a FIX session the venue takes once: the first instance logs out before the new one logs on."""
    async def fresh() -> Venue:
        await first.close()
        return await make()
    return fresh


# ---- primexm: the fx-lp simulator, in PrimeXM's dialect and in plain FIX 4.4
def primexm(dialect: str) -> Case:
    @asynccontextmanager
    async def case(_: Path) -> AsyncIterator[Contract]:
        lp = FxLP(FxLPConfig(dialect=dialect, tick_interval=0.05, seed=7))
        await lp.start()
        table = {"type": "primexm", "name": "pxm", "quote_port": lp.port, "trade_port": lp.port,
                 "dialect": dialect, "connect_timeout": 5, "request_timeout": 3, "first_retry": 0.1,
                 "latency_probe_interval": 0.2}
        environ, clock = {"PRIMEXM_USERNAME": "demo", "PRIMEXM_PASSWORD": "demo"}, WitnessedClock()
        venue = await connected(table, environ, clock)
        try:
            yield Contract(venue, one_session_at_a_time(venue, lambda: connected(table, environ, clock)),
                           "EUR/USD", D(1), D("1.0"), clock)
        finally:
            await venue.close()
            await lp.stop()
    return case


# ---- binance: the Binance simulator's REST and WebSocket API, its FIX order entry, its cross margin account
def binance_table(sim: BinanceSimulator, **fields: Any) -> dict[str, Any]:
    return {"type": "binance", "rest_url": sim.rest_url, "stream_url": sim.stream_url, "ws_api_url": sim.ws_api_url,
            "reconnect_delay": 0.05, "max_reconnect_delay": 0.2, "reconcile_delay": 0.05, "connect_timeout": 3.0,
            "max_backoff_wait": 2.0, **fields}


BINANCE_ENV = {"BINANCE_API_KEY": TEST_API_KEY, "BINANCE_API_SECRET": TEST_API_SECRET}


@asynccontextmanager
async def binance_spot(_: Path) -> AsyncIterator[Contract]:
    sim = BinanceSimulator(walk_interval=0.05, seed=1)
    await sim.start()
    clock = WitnessedClock()
    venue = await connected(binance_table(sim), BINANCE_ENV, clock)
    try:   # the same account twice: Binance takes both connections at once
        yield Contract(venue, lambda: connected(binance_table(sim), BINANCE_ENV, clock), "BTC/USDT", D("0.01"),
                       D(30000), clock)
    finally:
        await venue.close()
        await sim.stop()


@asynccontextmanager
async def binance_over_fix(_: Path) -> AsyncIterator[Contract]:
    key = Ed25519PrivateKey.generate()
    sim = BinanceSimulator(walk_interval=0.05, seed=1)
    sim.register_fix_key("sim-fix-api-key", key.public_key())
    await sim.start()
    environ = {**BINANCE_ENV, "BINANCE_FIX_API_KEY": "sim-fix-api-key",
               "BINANCE_FIX_PRIVATE_KEY": key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                                            NoEncryption()).decode()}

    def table(sender_comp_id: str) -> dict[str, Any]:
        return binance_table(sim, max_reconnect_delay=1.0, max_backoff_wait=1.0, order_transport="fix",
                             fix_host="127.0.0.1", fix_port=sim.fix_port, fix_tls=False,
                             fix_sender_comp_ids=[sender_comp_id], fix_heartbeat_interval=5)

    clock = WitnessedClock()
    venue = await connected(table("HUB1"), environ, clock)
    try:   # another session of the account: a SenderCompID of its own
        yield Contract(venue, lambda: connected(table("HUB9"), environ, clock), "BTC/USDT", D("0.01"), D(30000),
                       clock, prefix="FX")
        sent = [method for method, _, _ in sim.requests]
        assert "POST" not in sent and "DELETE" not in sent, "orders went over FIX, not REST"
    finally:
        await venue.close()
        await sim.stop()


@asynccontextmanager
async def binance_margin(_: Path) -> AsyncIterator[Contract]:
    sim = BinanceSimulator(walk_interval=0.05, seed=1, fix_port=None)
    sim.fund_margin("USDT", D(10000))
    await sim.start()
    table, clock = binance_table(sim, account_type="margin", max_backoff_wait=5.0), WitnessedClock()
    venue = await connected(table, BINANCE_ENV, clock)
    try:
        yield Contract(venue, lambda: connected(table, BINANCE_ENV, clock), "BTC/USDT", D("0.01"), D(30000), clock)
    finally:
        await venue.close()
        await sim.stop()
    margin_paths = {path for _, path, _ in sim.requests if "order" in path.lower()}
    assert margin_paths == {"/sapi/v1/margin/order"}, "no spot order endpoint is used"
    assert not sim.exchange.open_orders(None, account="SPOT") and sim.margin.free["BTC"] == D("0.01")


# ---- equity_fix: the equity broker simulator during US hours, its market clock the adapter's clock
@asynccontextmanager
async def equity_us_hours(store: Path) -> AsyncIterator[Contract]:
    simulator = EquitySimulator(clock=MarketClock(dt.datetime(2026, 11, 24, 10, 0,
                                                              tzinfo=ZoneInfo("America/New_York"))))
    await simulator.start()
    table = {"type": "equity_fix", "port": simulator.port, "first_retry": 0.05, "connect_timeout": 5,
             "file_store_path": str(store)}   # sequence numbers kept, so a new instance can log on
    clock = WitnessedClock(simulator.clock.now)
    venue = await connected(table, {}, clock)
    try:
        yield Contract(venue, one_session_at_a_time(venue, lambda: connected(table, {}, clock)), "AAPL.US", D(100),
                       D("100.00"), clock)
    finally:
        await venue.close()
        await simulator.stop()


# ---- memory: no simulator; the restarted hub's instance is one on the same in-memory market
@asynccontextmanager
async def in_memory(_: Path) -> AsyncIterator[Contract]:
    clock = WitnessedClock()
    venue = await connected({"type": "memory", "name": "mem", "quotes": {"EUR/USD": ["1.0834", "1.0835"]}}, {},
                            clock)
    assert isinstance(venue, MemoryVenue)

    async def fresh() -> Venue:
        other = venue.restarted()
        await other.connect()
        return other

    yield Contract(venue, fresh, "EUR/USD", D(1000), D("1.0"), clock)


CASES: dict[str, dict[str, Case]] = {
    "primexm": {"primexm dialect": primexm("primexm"), "fix44 dialect": primexm("fix44")},
    "binance": {"spot over REST": binance_spot, "spot over FIX": binance_over_fix, "cross margin": binance_margin},
    "equity_fix": {"US hours": equity_us_hours},
    "memory": {"in memory": in_memory},
}


def test_every_case_is_of_a_registered_type() -> None:
    assert set(CASES) <= set(VENUE_TYPES)


@pytest.mark.parametrize(("kind", "variant"), [
    pytest.param(kind, variant, id=f"{kind}: {variant}")
    for kind in VENUE_TYPES for variant in (CASES.get(kind) or ["no case"])])
async def test_every_registered_venue_type_keeps_the_contract_against_its_simulator(
        kind: str, variant: str, tmp_path: Path) -> None:
    case = CASES.get(kind, {}).get(variant)
    if case is None:
        pytest.fail(f"venue type {kind!r} is registered but has no contract case: add one to CASES that starts "
                    "its simulator")
    async with case(tmp_path) as contract:
        seen = Recorder()
        contract.venue.on_report(seen.report)
        contract.venue.on_quote(seen.quote)
        await check_contract(contract.venue, symbol=contract.symbol, quantity=contract.quantity,
                             resting_buy_price=contract.resting_buy_price, fresh=contract.fresh,
                             prefix=contract.prefix)
        assert seen.reports and {r.at for r in seen.reports} <= contract.clock.given, "stamped by another clock"
        assert seen.quotes and {q.received_at for q in seen.quotes} <= contract.clock.given
