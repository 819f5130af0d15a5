"""The fx-lp simulator as a client sees it on the wire (a plain fix_sessions initiator, no adapter): PrimeXM's
dialect or plain FIX 4.4, credentials, fills, and the scenario knobs QA scripts use; and its command line."""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from decimal import Decimal as D
from pathlib import Path

from fix_sessions.application import Application
from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_sessions.transport import SocketInitiator
from fix_specs import path as spec_path
from simulators.fx_lp import FxLP, FxLPConfig


class Client(Application):
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.admin: list[Message] = []
        self.logged_on: set[SessionID] = set()

    async def on_logon(self, session_id: SessionID) -> None:
        self.logged_on.add(session_id)

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        self.messages.append(message)

    async def from_admin(self, message: Message, session_id: SessionID) -> None:
        self.admin.append(message)

    def of(self, msg_type: bytes) -> list[Message]:
        return [m for m in self.messages if m.msg_type == msg_type]


QUOTE, TRADE = SessionID("FIX.4.4", "DT_QUOTE", "PXM"), SessionID("FIX.4.4", "DT_TRADE", "PXM")


@contextlib.asynccontextmanager
async def connected(dialect: str = "primexm", password: str = "demo", dictionary: str | None = None,
                    **changes: object) -> AsyncIterator[tuple[FxLP, SocketInitiator, Client]]:
    """The LP and a client that reads it with ``dictionary`` (by default the dialect's own)."""
    lp = FxLP(FxLPConfig(dialect=dialect, tick_interval=0.05, seed=3, **changes))  # type: ignore[arg-type]
    await lp.start()
    dictionary = str(spec_path(dictionary or ("PRIMEXM44.xml" if dialect == "primexm" else "FIX44.xml")))
    configs = [SessionConfig(session_id=session_id, connection_type="initiator",
                             socket_connect_hosts=(("127.0.0.1", lp.port),), reset_on_logon=True,
                             data_dictionary=dictionary, username="demo", password=password)
               for session_id in (QUOTE, TRADE)]
    client = Client()
    initiator = SocketInitiator(configs, client, first_retry=0.1)
    await initiator.start()
    try:
        yield lp, initiator, client
    finally:
        await initiator.stop(logout_wait=0.5)
        await lp.stop()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def subscribe(md_req_id: str, symbol: str) -> list[tuple[int, str | int]]:
    return [(262, md_req_id), (263, "1"), (264, 16), (265, "1"), (267, 2), (269, "0"), (269, "1"), (146, 1),
            (55, symbol)]


def order(cl_ord_id: str, quantity: str, ord_type: str = "1", tif: str = "3", price: str | None = None,
          currency: str = "EUR") -> list[tuple[int, str]]:
    body = [(11, cl_ord_id), (55, "EUR/USD"), (15, currency), (54, "1"), (38, quantity), (40, ord_type), (59, tif),
            (60, "20261125-10:00:00")]
    return body + ([(44, price)] if price else [])


async def test_primexm_dialect_streams_a_snapshot_then_mass_quotes_named_by_the_request() -> None:
    async with connected() as (_, initiator, client):
        await until(lambda: QUOTE in client.logged_on)
        await initiator.send_to_target(QUOTE, b"V", subscribe("7", "EUR/USD"))
        await until(lambda: len(client.of(b"i")) >= 3)
        snapshot = client.of(b"W")[0]
        assert (snapshot.get_str(262), snapshot.get_str(55), snapshot.get_str(268)) == ("7", "EUR/USD", "6")
        issuers = [value for tag, value in snapshot.fields if tag == 106]
        levels = [value for tag, value in snapshot.fields if tag == 299]
        assert issuers == [b"0", b"0", b"1", b"1", b"2", b"2"] and levels[:2] == [b"0", b"0"]
        mass_quote = client.of(b"i")[0]
        assert mass_quote.get_str(302) == "7" and 117 not in mass_quote
        assert {tag for tag, _ in mass_quote.fields} >= {296, 295, 299}
        assert not {132, 133} & {tag for tag, _ in mass_quote.fields}  # prices travel as spot rates


async def test_plain_fix44_dialect_streams_incremental_refreshes() -> None:
    async with connected("fix44") as (lp, initiator, client):
        await until(lambda: QUOTE in client.logged_on)
        await initiator.send_to_target(QUOTE, b"V", subscribe("1", "USD/JPY"))
        await until(lambda: bool(client.of(b"X")))
        update = client.of(b"X")[0]
        assert update.get_str(262) == "1" and update.get_str(279) == "1" and update.get_str(55) == "USD/JPY"
        assert not client.of(b"i")
        lp.pause_stream()
        lp.set_price("USD/JPY", D("150.000"), D("150.008"))
        await until(lambda: any(m.get_str(270) == "150" for m in client.of(b"X")))


def entries(message: Message, tag: int) -> list[bytes]:
    return [value for t, value in message.fields if t == tag]


async def test_primexm_dialect_can_stream_incremental_refreshes_that_name_each_entrys_issuer() -> None:
    """XCore may follow the snapshot with 35=X rather than MassQuote; its dialect's dictionary reads both."""
    async with connected(updates="X") as (lp, initiator, client):
        await until(lambda: QUOTE in client.logged_on)
        await initiator.send_to_target(QUOTE, b"V", subscribe("4", "EUR/USD"))
        await until(lambda: len(client.of(b"X")) >= 3)
        assert entries(client.of(b"W")[0], 106) == [b"0", b"0", b"1", b"1", b"2", b"2"]
        update = client.of(b"X")[0]
        assert update.get_str(262) == "4" and len(entries(update, 106)) == len(entries(update, 279)) >= 1
        lp.pause_stream()
        lp.push_entry("EUR/USD", 1, ask=D("1.08400"))
        await until(lambda: any(entries(m, 270) == [b"1.084"] for m in client.of(b"X")))
        pushed = next(m for m in client.of(b"X") if entries(m, 270) == [b"1.084"])
        assert (entries(pushed, 269), entries(pushed, 278), entries(pushed, 106)) == ([b"1"], [b"1"], [b"1"])
        assert not client.of(b"i") and not lp.rejects


async def test_plain_fix44_dialect_can_name_each_snapshot_entrys_issuer_as_xcore_does() -> None:
    """The stock FIX 4.4 dictionary refuses Issuer inside W's entries (373=13), the LP hears of it; the adapter's
    fix44 dictionary reads it."""
    async with connected("fix44", issuer=True) as (lp, initiator, client):
        await until(lambda: QUOTE in client.logged_on)
        await initiator.send_to_target(QUOTE, b"V", subscribe("1", "USD/JPY"))
        await until(lambda: bool(lp.rejects))
        assert (lp.rejects[0].get_str(372), lp.rejects[0].get_str(373)) == ("W", "13") and not client.of(b"W")
    async with connected("fix44", dictionary="PRIMEXM-FIX44.xml", issuer=True) as (lp, initiator, client):
        await until(lambda: QUOTE in client.logged_on)
        await initiator.send_to_target(QUOTE, b"V", subscribe("1", "USD/JPY"))
        await until(lambda: bool(client.of(b"X")))
        assert entries(client.of(b"W")[0], 106) == [b"0", b"0", b"1", b"1", b"2", b"2"]
        assert entries(client.of(b"X")[0], 106) and not lp.rejects


async def test_a_wrong_password_gets_a_logout_with_the_reason() -> None:
    async with connected(password="nope") as (lp, _, client):
        await until(lambda: any(m.get_str(58) == "Invalid username or password" for m in client.admin))
        assert not client.logged_on and lp.logons[lp.config.trade_session_id] == 0


async def test_market_orders_fill_at_the_touch_with_slippage_partial_fills_and_ioc_remainders() -> None:
    async with connected() as (lp, initiator, client):
        await until(lambda: TRADE in client.logged_on)
        lp.pause_stream()
        lp.set_price("EUR/USD", D("1.08340"), D("1.08350"))
        lp.slippage = D("0.00002")
        lp.partial_fill_ratio = D("0.4")
        await initiator.send_to_target(TRADE, b"D", order("A", "1000000"))
        await until(lambda: len(client.of(b"8")) == 3)
        new, fill, rest = client.of(b"8")
        assert [m.get_str(150) for m in (new, fill, rest)] == ["0", "F", "4"]
        assert (fill.get_str(32), fill.get_str(31), fill.get_str(39)) == ("400000", "1.08352", "1")
        assert rest.get_str(58) == "Immediate or cancel: remainder canceled" and rest.get_str(14) == "400000"


async def test_last_look_latency_and_currency_checks() -> None:
    async with connected() as (lp, initiator, client):
        await until(lambda: TRADE in client.logged_on)
        lp.reject_next("Off quotes")
        lp.latency = 0.2
        started = asyncio.get_running_loop().time()
        await initiator.send_to_target(TRADE, b"D", order("B", "100000"))
        await until(lambda: bool(client.of(b"8")))
        assert asyncio.get_running_loop().time() - started >= 0.2
        assert (client.of(b"8")[0].get_str(150), client.of(b"8")[0].get_str(58)) == ("8", "Off quotes")
        lp.latency = 0
        await initiator.send_to_target(TRADE, b"D", order("C", "100000", currency="USD"))
        await until(lambda: len(client.of(b"8")) == 2)
        assert client.of(b"8")[1].get_str(58) == "Currency must be EUR"


async def test_resting_orders_answer_status_replace_and_cancel_and_unknown_ones_are_refused() -> None:
    async with connected() as (lp, initiator, client):
        await until(lambda: TRADE in client.logged_on)
        await initiator.send_to_target(TRADE, b"D", order("L", "100000", ord_type="2", tif="1", price="1.0"))
        await initiator.send_to_target(TRADE, b"H", [(11, "L"), (790, "s1"), (55, "EUR/USD"), (54, "1")])
        await until(lambda: any(m.get_str(150) == "I" for m in client.of(b"8")))
        status = next(m for m in client.of(b"8") if m.get_str(150) == "I")
        assert (status.get_str(39), status.get_str(790), status.get_str(151)) == ("0", "s1", "100000")
        await initiator.send_to_target(TRADE, b"G", [(41, "L"), (11, "L2"), (55, "EUR/USD"), (54, "1"),
                                                     (60, "20261125-10:00:00"), (38, "200000"), (40, "2"),
                                                     (44, "1.0")])
        await initiator.send_to_target(TRADE, b"F", [(41, "L2"), (11, "L3"), (55, "EUR/USD"), (54, "1"),
                                                     (60, "20261125-10:00:00")])
        await until(lambda: any(m.get_str(150) == "4" for m in client.of(b"8")))
        assert [m.get_str(150) for m in client.of(b"8")][-2:] == ["5", "4"]
        await initiator.send_to_target(TRADE, b"F", [(41, "L3"), (11, "L4"), (55, "EUR/USD"), (54, "1"),
                                                     (60, "20261125-10:00:00")])
        await initiator.send_to_target(TRADE, b"H", [(11, "NEVER")])
        await until(lambda: bool(client.of(b"9")) and bool(client.of(b"j")))
        assert client.of(b"9")[0].get_str(102) == "0"
        assert (client.of(b"j")[0].get_str(380), client.of(b"j")[0].get_str(58)) == ("1", "Unknown order NEVER (11)")
        lp.refuse("F")
        await initiator.send_to_target(TRADE, b"F", [(41, "L"), (11, "L5"), (55, "EUR/USD"), (54, "1"),
                                                     (60, "20261125-10:00:00")])
        await until(lambda: len(client.of(b"j")) == 2)
        assert client.of(b"j")[1].get_str(380) == "3"


async def test_the_command_line_prints_its_address_and_stops_on_sigterm() -> None:
    script = ("import argparse, sys; from simulators.fx_lp import cli; p = argparse.ArgumentParser(); "
              "cli.add_arguments(p); sys.exit(cli.run(p.parse_args(sys.argv[1:])))")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, "--port", "0", "--symbols", "EUR/USD,XAU/USD", "--updates", "X",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, cwd=os.getcwd())
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 10)
    assert line.startswith(b"fx-lp: listening on 127.0.0.1:") and b"(primexm, W with Issuer then X;" in line
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_with_a_state_file_the_lp_starts_again_from_its_last_prices_and_never_repeats_an_exec_id(
        tmp_path: Path) -> None:
    state = tmp_path / "fx-lp.json"
    async with connected(state_path=state) as (lp, initiator, client):
        await until(lambda: TRADE in client.logged_on)
        lp.pause_stream()
        lp.set_price("EUR/USD", D("1.10000"), D("1.10006"))
        await initiator.send_to_target(TRADE, b"D", order("K", "100000"))
        await until(lambda: len(client.of(b"8")) == 2)
        before = {int((m.get_str(17) or "")[1:]) for m in client.of(b"8")}
        killed = FxLP(FxLPConfig(state_path=state))   # as a SIGKILL now would leave it: saved before the ids went out
        assert (killed.books["EUR/USD"].bid, killed.books["EUR/USD"].ask) == (D("1.10000"), D("1.10006"))
        assert next(killed.matcher.ids) > max(before)
    async with connected(state_path=state) as (lp, initiator, client):   # stopped, then started again
        bid = lp.books["EUR/USD"].bid
        assert bid is not None and abs(bid - D("1.10000")) < D("0.001"), "near where it stopped (it walks on)"
        await until(lambda: TRADE in client.logged_on)
        await initiator.send_to_target(TRADE, b"D", order("L", "100000"))
        await until(lambda: len(client.of(b"8")) == 2)
        assert min(int((m.get_str(17) or "")[1:]) for m in client.of(b"8")) > max(before)
