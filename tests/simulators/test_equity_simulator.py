"""The equity simulator as an exchange-facing broker, driven with raw FIX 4.2 from our own initiator (no adapter in
between, so nothing is filtered before the simulator sees it)."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

from fix_sessions.application import Application
from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_sessions.transport import SocketInitiator
from fix_specs import path as spec_path
from simulators.equity import EquitySimulator, MarketClock

US_OPEN = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/New_York"))
US_EVENING = dt.datetime(2026, 11, 24, 20, 0, tzinfo=ZoneInfo("America/New_York"))
HK_OPEN = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Hong_Kong"))
IN_OPEN = dt.datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Asia/Kolkata"))  # 13:30 in Hong Kong: both open
HUB = SessionID("FIX.4.2", "DYNAMICTECH", "EQBROKER")


class Hub(Application):
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.changed = asyncio.Event()

    async def on_logon(self, session_id: SessionID) -> None:
        self.changed.set()

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        self.messages.append(message)
        self.changed.set()

    def of(self, msg_type: bytes, cl_ord_id: str | None = None) -> list[Message]:
        return [m for m in self.messages
                if m.msg_type == msg_type and (cl_ord_id is None or m.get_str(11) == cl_ord_id)]

    async def until(self, predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
        async def wait() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(wait(), timeout)


@asynccontextmanager
async def exchange(market_time: dt.datetime, walk_interval: float | None = None, state_path: Path | None = None
                   ) -> AsyncIterator[tuple[EquitySimulator, SocketInitiator, Hub]]:
    simulator = EquitySimulator(clock=MarketClock(market_time), walk_interval=walk_interval, seed=7,
                                state_path=state_path)
    await simulator.start()
    hub = Hub()
    initiator = SocketInitiator([SessionConfig(
        session_id=HUB, connection_type="initiator", socket_connect_hosts=(("127.0.0.1", simulator.port),),
        data_dictionary=str(spec_path("FIX42.xml")))], hub, first_retry=0.05)
    await initiator.start()
    try:
        await hub.until(lambda: HUB in initiator.connections and initiator.connections[HUB].session.logged_on)
        yield simulator, initiator, hub
    finally:
        await initiator.stop()
        await simulator.stop()


def order(cl_ord_id: str, symbol: str, exchange_mic: str, quantity: str, price: str | None = None,
          ord_type: str = "2", time_in_force: str = "0", stop: str | None = None) -> list[tuple[int, str]]:
    body = [(11, cl_ord_id), (21, "1"), (55, symbol), (207, exchange_mic), (54, "1"),
            (60, "20261124-15:00:00.000"), (38, quantity), (40, ord_type)]
    if price is not None:
        body.append((44, price))
    if stop is not None:
        body.append((99, stop))
    return body + [(59, time_in_force)]


async def test_orders_that_break_the_exchange_rules_are_rejected_with_a_reason() -> None:
    cases = [  # (market time, order, OrdRejReason, start of Text)
        (US_OPEN, order("SUBPENNY", "AAPL", "XNAS", "100", "190.005"), "0", "off_tick"),
        (US_EVENING, order("EVENING", "AAPL", "XNAS", "100", "190.00"), "2", "market_closed"),
        (HK_OPEN, order("ODDLOT", "0005", "XHKG", "100", "98.50"), "0", "off_lot"),
        (HK_OPEN, order("SPREAD", "0700", "XHKG", "100", "600.20"), "0", "off_tick"),
        (IN_OPEN, order("CIRCUIT", "RELIANCE", "XNSE", "10", "1700.00"), "0", "outside_band"),
        (IN_OPEN, order("F&O-BAND", "IRFC", "XNSE", "10", "145.00"), "0", "outside_band"),  # 10%, F&O since 2024
        (US_OPEN, order("NOSUCH", "ZZZZ", "XNAS", "100", "1.00"), "1", "unknown_symbol"),
    ]
    async with exchange(US_OPEN) as (simulator, initiator, hub):
        for market_time, body, reason, text in cases:
            simulator.set_clock(market_time)
            await initiator.send_to_target(HUB, b"D", body)
            cl_ord_id = body[0][1]
            await hub.until(lambda cl_ord_id=cl_ord_id: bool(hub.of(b"8", cl_ord_id)))
            [report] = hub.of(b"8", cl_ord_id)
            assert (report.get_str(150), report.get_str(39), report.get_str(103)) == ("8", "8", reason), cl_ord_id
            assert (report.get_str(58) or "").startswith(text), report.get_str(58)


def short_sale(cl_ord_id: str, ticker: str, mic: str, quantity: str, price: str,
               *locate: tuple[int, str]) -> list[tuple[int, str]]:
    """A limit sell short (Side=5) with the given LocateReqd(114) and LocateBroker(5700) fields, if any."""
    return [(tag, "5" if tag == 54 else value) for tag, value in order(cl_ord_id, ticker, mic, quantity, price)
            ] + list(locate)


async def test_a_us_short_sale_without_a_locate_is_rejected_as_reg_sho_requires() -> None:
    cases = [  # (order, what the broker does with it: ExecType, start of Text)
        (short_sale("NAKED", "AAPL", "XNAS", "100", "189.99"), "8", "locate_required: a short sale needs a locate"),
        (short_sale("NO-FIRM", "AAPL", "XNAS", "100", "189.99", (114, "N")), "8",
         "locate_required: a short sale with LocateReqd(114)=N must name the firm"),
        (short_sale("WE-LOCATE", "AAPL", "XNAS", "100", "189.99", (114, "Y")), "0", ""),
        (short_sale("LOCATED", "AAPL", "XNAS", "100", "189.99", (114, "N"), (5700, "GSCO")), "0", ""),
        (short_sale("HK-SHORT", "0700", "XHKG", "100", "600.00"), "0", ""),  # HKEX's rules ask no LocateReqd
    ]
    async with exchange(US_OPEN) as (simulator, initiator, hub):
        for body, exec_type, text in cases:
            simulator.set_clock(HK_OPEN if body[0][1] == "HK-SHORT" else US_OPEN)
            await initiator.send_to_target(HUB, b"D", body)
            cl_ord_id = body[0][1]
            await hub.until(lambda cl_ord_id=cl_ord_id: bool(hub.of(b"8", cl_ord_id)))
            first = hub.of(b"8", cl_ord_id)[0]
            assert first.get_str(150) == exec_type, (cl_ord_id, first.get_str(58))
            assert (first.get_str(58) or "").startswith(text), first.get_str(58)
        assert "Reg SHO Rule 203(b)(1)" in (hub.of(b"8", "NAKED")[0].get_str(58) or "")


async def test_thin_liquidity_fills_a_market_order_in_parts_and_cancels_the_rest() -> None:
    async with exchange(US_OPEN) as (simulator, initiator, hub):
        await simulator.set_liquidity("AAPL.US", D(30), depth=3)
        await initiator.send_to_target(HUB, b"D", order("SWEEP", "AAPL", "XNAS", "100", ord_type="1",
                                                        time_in_force="3"))
        await hub.until(lambda: any(m.get_str(150) == "4" for m in hub.of(b"8", "SWEEP")))
        reports = hub.of(b"8", "SWEEP")
        assert [m.get_str(150) for m in reports] == ["0", "1", "1", "1", "4"]
        assert [(m.get_str(32), m.get_str(31)) for m in reports[1:4]] == [
            ("30", "190.01"), ("30", "190.02"), ("30", "190.03")]
        assert (reports[-1].get_str(14), reports[-1].get_str(39), reports[-1].get_str(6)) == ("90", "4", "190.02")


async def test_a_stop_order_waits_for_its_price_then_fills() -> None:
    async with exchange(US_OPEN) as (simulator, initiator, hub):
        await initiator.send_to_target(HUB, b"D", order("STOP", "IBM", "XNYS", "10", ord_type="3", stop="231.00"))
        await hub.until(lambda: bool(hub.of(b"8", "STOP")))
        await simulator.set_price("IBM.US", D("230.50"))
        assert [m.get_str(150) for m in hub.of(b"8", "STOP")] == ["0"]
        await simulator.set_price("IBM.US", D("231.00"))
        await hub.until(lambda: len(hub.of(b"8", "STOP")) == 2)
        fill = hub.of(b"8", "STOP")[-1]
        assert (fill.get_str(150), fill.get_str(32), fill.get_str(31)) == ("2", "10", "231.01")


async def test_canceling_or_asking_about_an_unknown_order_is_answered_not_ignored() -> None:
    async with exchange(US_OPEN) as (_, initiator, hub):
        await initiator.send_to_target(HUB, b"F", [(41, "GHOST"), (11, "GHOST.C1"), (55, "AAPL"), (207, "XNAS"),
                                                   (54, "1"), (60, "20261124-15:00:00.000"), (38, "100")])
        await initiator.send_to_target(HUB, b"H", [(11, "GHOST"), (55, "AAPL"), (207, "XNAS"), (54, "1")])
        await hub.until(lambda: bool(hub.of(b"9")) and bool(hub.of(b"8", "GHOST")))
        [refused] = hub.of(b"9")
        assert (refused.get_str(434), refused.get_str(102), refused.get_str(41)) == ("1", "1", "GHOST")
        [status] = hub.of(b"8", "GHOST")
        assert (status.get_str(20), status.get_str(150), status.get_str(103)) == ("3", "8", "5")


async def test_market_data_starts_with_a_snapshot_and_follows_the_price() -> None:
    async with exchange(US_OPEN) as (simulator, initiator, hub):
        await initiator.send_to_target(HUB, b"V", [(262, "MD-1"), (263, "1"), (264, 1), (265, 1), (267, 2),
                                                   (269, "0"), (269, "1"), (146, 1), (55, "AAPL"), (207, "XNAS")])
        await hub.until(lambda: bool(hub.of(b"W")))
        [snapshot] = hub.of(b"W")
        entries = [(tag, value) for tag, value in snapshot.fields if tag in (269, 270)]
        assert entries == [(269, b"0"), (270, b"189.99"), (269, b"1"), (270, b"190.01"), (269, b"5"), (270, b"190")]
        await simulator.set_price("AAPL.US", D("191.00"))
        await hub.until(lambda: bool(hub.of(b"X")))
        prices = [value for tag, value in hub.of(b"X")[0].fields if tag == 270]
        assert prices == [b"190.99", b"191.01"]


async def test_the_random_walk_keeps_prices_on_their_ticks_and_nse_inside_its_band() -> None:
    async with exchange(IN_OPEN, walk_interval=0.002) as (simulator, _, _):
        await simulator.set_price("SUZLON.NS", D("63.00"))  # the top of its 5% band around 60.00
        await asyncio.sleep(0.4)
        hk_and_in = [b for b in simulator.books.values() if b.stock.symbol.endswith((".HK", ".NS"))]
        assert any(b.reference != b.previous_close for b in hk_and_in if b.stock.symbol != "SUZLON.NS")
        for book in hk_and_in:
            for level in book.bids + book.asks:
                assert book.stock.market.check_tick(level.price, book.previous_close) is None, book.stock.symbol
        assert D("57.00") <= simulator.books["SUZLON.NS"].reference <= D("63.00")
        assert simulator.books["AAPL.US"].reference == D("190.00")  # New York is closed at 00:30


def test_the_cli_prints_its_address_and_stops_on_sigint() -> None:
    script = ("import argparse, sys; from simulators.equity import cli; p = argparse.ArgumentParser(); "
              "cli.add_arguments(p); sys.exit(cli.run(p.parse_args(sys.argv[1:])))")
    process = subprocess.Popen([sys.executable, "-c", script, "--port", "0", "--seed", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, cwd=os.getcwd())
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on 127.0.0.1:" in line and not line.rstrip().endswith(":0")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()


async def test_with_a_state_file_the_broker_starts_again_from_its_last_prices_and_gives_new_order_ids(
        tmp_path: Path) -> None:
    """The demo's 0700.HK marked at 611 before a restart is still near 611 after it, not back at 600."""
    state = tmp_path / "equity.json"

    async def order_id(initiator: SocketInitiator, hub: Hub, cl_ord_id: str) -> int:
        await initiator.send_to_target(HUB, b"D", order(cl_ord_id, "AAPL", "XNAS", "10", "150.00"))
        await hub.until(lambda: bool(hub.of(b"8", cl_ord_id)))
        return int((hub.of(b"8", cl_ord_id)[0].get_str(37) or "").removeprefix("EQ-"))

    async with exchange(US_OPEN, state_path=state) as (simulator, initiator, hub):
        await simulator.set_price("0700.HK", D("611.0"))
        first = await order_id(initiator, hub, "BEFORE")
        async with exchange(US_OPEN, state_path=state) as (killed, initiator, hub):  # as a SIGKILL now would leave it
            assert killed.books["0700.HK"].reference == D("611.0")
            assert await order_id(initiator, hub, "AFTER-KILL") > first
    async with exchange(US_OPEN, state_path=state) as (restarted, initiator, hub):
        assert restarted.books["0700.HK"].reference == D("611.0")
        assert restarted.books["0700.HK"].top()[1] is not None and restarted.books["0700.HK"].top()[1].price > 611
        assert await order_id(initiator, hub, "AFTER-STOP") > first
