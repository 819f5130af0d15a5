"""Every registered venue type that holds a connection recovers by itself (resilience.py) against its simulator over
real sockets, built as a hub builds it (through the registry, like test_contract.py): an outage in which a fill is
missed, a report it cannot read, a subscriber that fails. A type registered without a case here fails, except the
in-memory venue, which has no connection to lose."""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from adapters.registry import VENUE_TYPES
from engine.ports import Venue, utc_now
from simulators.binance import BinanceSimulator
from simulators.equity import EquitySimulator, MarketClock
from simulators.fx_lp import FxLP, FxLPConfig
from tests.adapters.resilience import Faults, check_resilience
from tests.adapters.test_contract import BINANCE_ENV, binance_table, connected

NO_CONNECTION = {"memory"}


@dataclass
class Subject:
    venue: Venue
    faults: Faults
    symbol: str
    quantity: D
    resting_buy_price: D


Case = Callable[[Path], AbstractAsyncContextManager[Subject]]


# ---- primexm: the fx-lp simulator, in PrimeXM's dialect and in plain FIX 4.4
def lp_faults(lp: FxLP, symbol: str) -> Faults:
    async def outage(seconds: float) -> None:
        lp.drop_sessions(hold_down=seconds)

    async def trade_through(price: D) -> None:
        lp.set_price(symbol, price - D("0.0002"), price - D("0.0001"))
        await asyncio.sleep(0.1)   # the LP matches on its next price event

    async def malformed(order_id: str) -> None:
        await lp.inject_report([(37, "PXM-0"), (11, order_id), (17, "E0"), (150, "F"), (39, "2"), (55, symbol),
                                (54, "1"), (38, "1,5"), (151, "0"), (14, "1,5"), (6, "1.08")])

    return Faults(outage, trade_through, malformed,
                  status_asked=lambda order_id: sum(m.msg_type == b"H" and m.get_str(11) == order_id
                                                    for _, m in lp.received),
                  sessions=lambda: sum(lp.logons.values()))


def primexm(dialect: str) -> Case:
    @asynccontextmanager
    async def case(_: Path) -> AsyncIterator[Subject]:
        lp = FxLP(FxLPConfig(dialect=dialect, tick_interval=0.05, seed=7))
        await lp.start()
        table = {"type": "primexm", "name": "pxm", "quote_port": lp.port, "trade_port": lp.port,
                 "dialect": dialect, "connect_timeout": 5, "request_timeout": 3, "first_retry": 0.1}
        venue = await connected(table, {"PRIMEXM_USERNAME": "demo", "PRIMEXM_PASSWORD": "demo"}, utc_now)
        try:
            yield Subject(venue, lp_faults(lp, "EUR/USD"), "EUR/USD", D(1), D("1.0"))
        finally:
            await venue.close()
            await lp.stop()
    return case


# ---- binance: the user data stream (spot and cross margin) or the FIX order entry session
def binance_faults(sim: BinanceSimulator, over_fix: bool) -> Faults:
    fix = sim.fix

    async def outage(seconds: float) -> None:
        if over_fix:
            assert fix is not None
            await fix.drop_sessions(refuse_for=seconds)
        else:
            await sim.drop_websockets(refuse_for=seconds)

    async def trade_through(price: D) -> None:
        sim.set_price("BTCUSDT", price - 1000)

    async def malformed(order_id: str) -> None:
        if over_fix:
            assert fix is not None
            fix.inject_report([(17, "0"), (11, order_id), (150, "F"), (39, "2"), (55, "BTCUSDT"), (54, "1"),
                               (32, "1,5"), (31, "x"), (14, "1,5")])
        else:
            sim.inject_user_event("{not json")
            sim.inject_user_event({"e": "executionReport", "c": order_id})   # no "x", no trade: unusable

    def status_asked(order_id: str) -> int:
        return sum(method == "GET" and path.endswith("/order") and params.get("origClientOrderId") == order_id
                   for method, path, params in sim.requests)

    def sessions() -> int:
        return fix.logons if over_fix and fix is not None else sim.user_stream_subscriptions

    return Faults(outage, trade_through, malformed, status_asked, sessions)


def binance(account_type: str = "spot", over_fix: bool = False) -> Case:
    @asynccontextmanager
    async def case(_: Path) -> AsyncIterator[Subject]:
        key = Ed25519PrivateKey.generate()
        sim = BinanceSimulator(walk_interval=None, seed=1)
        sim.register_fix_key("sim-fix-api-key", key.public_key())
        sim.fund_margin("USDT", D(10000))
        await sim.start()
        environ, fields = dict(BINANCE_ENV), {"account_type": account_type}
        if over_fix:
            environ |= {"BINANCE_FIX_API_KEY": "sim-fix-api-key", "BINANCE_FIX_PRIVATE_KEY": key.private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()}
            fields |= {"order_transport": "fix", "fix_host": "127.0.0.1", "fix_port": sim.fix_port, "fix_tls": False,
                       "fix_sender_comp_ids": ["HUB1"], "fix_heartbeat_interval": 5, "max_reconnect_delay": 1.0}
        venue = await connected(binance_table(sim, **fields), environ, utc_now)
        try:
            yield Subject(venue, binance_faults(sim, over_fix), "BTC/USDT", D("0.01"), D(30000))
        finally:
            await venue.close()
            await sim.stop()
    return case


# ---- equity_fix: the equity broker simulator during US hours
def equity_faults(simulator: EquitySimulator, symbol: str, ticker: str) -> Faults:
    async def outage(seconds: float) -> None:
        await simulator.drop_session(hold_down=seconds, lose_reports=True)

    async def trade_through(price: D) -> None:
        await simulator.set_price(symbol, price - 1)

    async def malformed(order_id: str) -> None:
        await simulator.inject_report([(37, "EQ-0"), (11, order_id), (17, "BAD-0"), (20, "0"), (150, "2"),
                                       (39, "2"), (55, ticker), (207, "XNAS"), (54, "1"), (38, "100"), (40, "1"),
                                       (32, "1,5"), (31, "190"), (151, "0"), (14, "1,5"), (6, "190")])

    return Faults(outage, trade_through, malformed,
                  status_asked=lambda order_id: sum(m.msg_type == b"H" and m.get_str(11) == order_id
                                                    for m in simulator.received),
                  sessions=lambda: simulator.logons)


@asynccontextmanager
async def equity_us_hours(store: Path) -> AsyncIterator[Subject]:
    simulator = EquitySimulator(clock=MarketClock(dt.datetime(2026, 11, 24, 10, 0,
                                                              tzinfo=ZoneInfo("America/New_York"))))
    await simulator.start()
    table = {"type": "equity_fix", "port": simulator.port, "first_retry": 0.05, "connect_timeout": 5,
             "file_store_path": str(store)}
    venue = await connected(table, {}, simulator.clock.now)
    try:
        yield Subject(venue, equity_faults(simulator, "AAPL.US", "AAPL"), "AAPL.US", D(100), D("100.00"))
    finally:
        await venue.close()
        await simulator.stop()


CASES: dict[str, dict[str, Case]] = {
    "primexm": {"primexm dialect": primexm("primexm"), "fix44 dialect": primexm("fix44")},
    "binance": {"spot over REST": binance(), "spot over FIX": binance(over_fix=True),
                "cross margin": binance("margin")},
    "equity_fix": {"US hours": equity_us_hours},
}


def test_every_registered_type_with_a_connection_has_a_case() -> None:
    assert set(CASES) | NO_CONNECTION == set(VENUE_TYPES)


@pytest.mark.parametrize(("kind", "variant"), [
    pytest.param(kind, variant, id=f"{kind}: {variant}") for kind, variants in CASES.items() for variant in variants])
async def test_every_venue_type_recovers_by_itself_from_what_its_venue_does(
        kind: str, variant: str, tmp_path: Path) -> None:
    async with CASES[kind][variant](tmp_path) as subject:
        await check_resilience(subject.venue, subject.faults, symbol=subject.symbol, quantity=subject.quantity,
                               resting_buy_price=subject.resting_buy_price)
