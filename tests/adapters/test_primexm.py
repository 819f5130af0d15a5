"""PrimeXMVenue against the fx-lp simulator over real loopback sockets: the quote stream as a trader sees it, and
what the OMS hears when the LP refuses, drops or partly fills (the venue contract, in both dialects, is
test_contract.py's)."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.primexm import PrimeXMConfig, PrimeXMVenue
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.domain.rejects import Rejection, retryable
from engine.domain.terms import RouteRule
from engine.oms import NewOrder
from engine.ports import Quote, ReportKind, VenueDown, VenueOrder, VenueReport, utc_now
from simulators.fx_lp import FxLP, FxLPConfig
from tests.adapters.contract import Recorder
from tests.stubs import D, hub


def settings(lp: FxLP, **changes: object) -> PrimeXMConfig:
    config = PrimeXMConfig(name="pxm", host="127.0.0.1", quote_port=lp.port, trade_port=lp.port, username="demo",
                           password="demo", dialect=lp.config.dialect, connect_timeout=5, request_timeout=3,
                           first_retry=0.1, latency_probe_interval=0.2)
    return replace(config, **changes)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def trading(dialect: str = "primexm", lp_changes: dict[str, object] | None = None,
                  **changes: object) -> AsyncIterator[tuple[FxLP, PrimeXMVenue, Recorder]]:
    lp = FxLP(FxLPConfig(dialect=dialect, tick_interval=0.05, seed=7, **(lp_changes or {})))  # type: ignore[arg-type]
    await lp.start()
    venue = PrimeXMVenue(settings(lp, **changes), clock=utc_now)
    recorder = Recorder()
    venue.on_report(recorder.report)
    venue.on_quote(recorder.quote)
    try:
        await venue.connect()
        yield lp, venue, recorder
    finally:
        await venue.close()
        await lp.stop()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def market(order_id: str, quantity: str = "1", symbol: str = "EUR/USD", side: Side = Side.BUY) -> VenueOrder:
    return VenueOrder(order_id, symbol, side, OrdType.MARKET, D(quantity), TimeInForce.IOC)


async def test_a_one_sided_entry_moves_its_side_and_keeps_the_other() -> None:
    async with trading() as (lp, venue, recorder):
        lp.pause_stream()
        await venue.subscribe(["EUR/USD"])
        await until(lambda: venue.quote("EUR/USD") is not None)
        lp.set_price("EUR/USD", D("1.08340"), D("1.08350"))
        await until(lambda: recorder.quotes[-1].ask == D("1.08350"))
        lp.push_entry("EUR/USD", 0, bid=D("1.08344"))
        await until(lambda: recorder.quotes[-1].bid == D("1.08344"))
        assert venue.quote("EUR/USD") == recorder.quotes[-1]
        top = recorder.quotes[-1]
        assert (top.ask, top.bid_size, top.ask_size) == (D("1.08350"), D("10"), D("10"))  # 1,000,000 = 10 lots


async def test_a_partial_update_changes_one_size_and_keeps_the_prices() -> None:
    async with trading() as (lp, venue, recorder):
        lp.pause_stream()
        await venue.subscribe(["EUR/USD"])
        lp.set_price("EUR/USD", D("1.08340"), D("1.08350"))
        await until(lambda: bool(recorder.quotes) and recorder.quotes[-1].bid == D("1.08340"))
        lp.push_entry("EUR/USD", 0, ask_size=D("2500000"))
        await until(lambda: recorder.quotes[-1].ask_size == D("25"))
        top = recorder.quotes[-1]
        assert (top.bid, top.ask, top.bid_size) == (D("1.08340"), D("1.08350"), D("10"))
        assert top.venue == "pxm" and top.venue_time is not None


async def test_the_best_level_wins_when_a_deeper_one_is_updated_past_it() -> None:
    async with trading() as (lp, venue, recorder):
        lp.pause_stream()
        await venue.subscribe(["XAU/USD"])
        lp.set_price("XAU/USD", D("2345.00"), D("2345.30"))
        await until(lambda: bool(recorder.quotes) and recorder.quotes[-1].bid == D("2345.00"))
        lp.push_entry("XAU/USD", 2, bid=D("2345.10"), bid_size=D("200"))  # level 2 now bids best: 2 lots
        await until(lambda: recorder.quotes[-1].bid == D("2345.10"))
        assert recorder.quotes[-1].bid_size == D("2")


@pytest.mark.parametrize("dialect", ["primexm", "fix44"])
async def test_either_dialect_reads_xcores_snapshot_with_issuers_and_its_incremental_refreshes(dialect: str) -> None:
    """XCore names each snapshot entry's LP in Issuer(106) and may stream 35=X instead of MassQuote. Before, the
    PrimeXM dialect refused every X (quotes froze at the snapshot) and plain FIX 4.4 refused the snapshot (the
    first quotes were one-sided); either way the LP got a session Reject per message."""
    async with trading(dialect, lp_changes={"updates": "X", "issuer": True}) as (lp, venue, recorder):
        lp.pause_stream()
        await venue.subscribe(["EUR/USD"])
        await until(lambda: venue.quote("EUR/USD") is not None)
        snapshot = recorder.quotes[0]
        assert (snapshot.bid, snapshot.ask) == (lp.books["EUR/USD"].bid, lp.books["EUR/USD"].ask)
        assert (snapshot.bid_size, snapshot.ask_size) == (D("10"), D("10"))
        lp.set_price("EUR/USD", D("1.08340"), D("1.08350"))
        await until(lambda: recorder.quotes[-1].bid == D("1.08340"))
        lp.push_entry("EUR/USD", 0, ask=D("1.08347"))
        await until(lambda: recorder.quotes[-1].ask == D("1.08347"))
        assert venue.quote("EUR/USD") == recorder.quotes[-1] and recorder.quotes[-1].bid == D("1.08340")
        assert not lp.rejects


async def test_quotes_stream_and_mass_quotes_that_ask_for_it_are_acknowledged() -> None:
    async with trading(lp_changes={"quote_id_every": 2}) as (lp, venue, recorder):
        await venue.subscribe(["EUR/USD", "US30"])
        await until(lambda: {q.symbol for q in recorder.quotes} == {"EUR/USD", "US30"} and len(lp.acks) >= 2)
        assert lp.acks[:2] == ["Q1", "Q2"]
        assert all(q.bid is not None and q.ask is not None and q.bid < q.ask for q in recorder.quotes)


async def test_a_refused_subscription_is_surfaced_with_the_lps_reason() -> None:
    async with trading(lp_changes={"symbols": ("EUR/USD",)}) as (_, venue, _):
        await venue.subscribe(["GER40"])
        await until(lambda: "GER40" in venue.subscription_errors)
        assert venue.subscription_errors["GER40"] == "Unknown symbol GER40"
        assert venue.quote("GER40") is None


async def test_quotes_resume_after_the_quote_session_is_dropped() -> None:
    async with trading() as (lp, venue, recorder):
        await venue.subscribe(["GBP/USD"])
        await until(lambda: venue.quote("GBP/USD") is not None)
        lp.drop_sessions(lp.config.quote_session_id)
        await until(lambda: lp.logons[lp.config.quote_session_id] == 2)
        lp.pause_stream()
        lp.set_price("GBP/USD", D("1.30000"), D("1.30010"))
        await until(lambda: recorder.quotes[-1].bid == D("1.30000"))
        assert venue.health().connected


async def test_a_wrong_password_is_refused_at_logon_and_the_venue_is_down() -> None:
    lp = FxLP(FxLPConfig(seed=1))
    await lp.start()
    config = settings(lp, password="wrong")
    assert "wrong" not in repr(config)
    venue = PrimeXMVenue(config, clock=utc_now)
    try:
        with pytest.raises(VenueDown, match="Invalid username or password"):
            await venue.connect()
        assert not venue.health().connected
        assert "Invalid username or password" in (venue.health().logon_refused or ""), "health says why"
        with pytest.raises(VenueDown):
            await venue.place(market("X1"))
    finally:
        await venue.close()
        await lp.stop()


async def test_a_last_look_reject_reaches_the_oms_as_rejected_with_the_lps_text() -> None:
    async with trading() as (lp, venue, _):
        h = hub(rules=[RouteRule(("pxm",), reroute_on_reject=False)], venues={"pxm": venue})
        lp.reject_next("Off quotes")
        order = await h.oms.submit(NewOrder("c1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D("1"),
                                            time_in_force=TimeInForce.IOC))
        await until(lambda: order.status is OrdStatus.REJECTED)
        assert order.rejection == Rejection("venue_unavailable", "pxm: Off quotes")   # last look: retryable
        second = await h.oms.submit(NewOrder("c2", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D("1"),
                                             time_in_force=TimeInForce.IOC))
        await until(lambda: second.status is OrdStatus.FILLED)


async def test_a_fill_lost_in_a_dropped_trade_session_is_reconciled_and_reported_once() -> None:
    async with trading() as (lp, venue, recorder):
        lp.drop_trade_on_next_order()
        await venue.place(market("M1", "2"))
        await until(lambda: bool(recorder.of("M1", ReportKind.FILL)))
        await asyncio.sleep(0.5)  # a later logon or status answer must not report it again
        fills = recorder.of("M1", ReportKind.FILL)
        assert len(fills) == 1 and fills[0].last_quantity == D("2") and fills[0].status is OrdStatus.FILLED
        assert lp.logons[lp.config.trade_session_id] == 2
        assert [m.msg_type for _, m in lp.received if m.get_str(11) == "M1"] == [b"D", b"H"]
        status = await venue.order_status(market("M1", "2"))
        assert status is not None and status.last_quantity == D("2") and status.last_price == fills[0].last_price
        assert len(recorder.of("M1", ReportKind.FILL)) == 1


async def test_partial_fills_carry_the_lps_exec_ids_and_a_replace_below_the_filled_quantity_is_refused() -> None:
    async with trading() as (lp, venue, recorder):
        lp.pause_stream()
        lp.set_price("EUR/USD", D("1.08340"), D("1.08350"))
        lp.partial_fill_ratio = D("0.5")
        await venue.place(VenueOrder("L1", "EUR/USD", Side.BUY, OrdType.LIMIT, D("1"), TimeInForce.GTC,
                                     price=D("1.08360")))
        await until(lambda: bool(recorder.of("L1", ReportKind.FILL)))
        first = recorder.of("L1", ReportKind.FILL)[0]
        assert (first.last_quantity, first.last_price, first.status) == (
            D("0.5"), D("1.08350"), OrdStatus.PARTIALLY_FILLED)
        await venue.replace("L1", D("0.4"), D("1.08360"))
        await until(lambda: bool(recorder.of("L1", ReportKind.CANCEL_REJECTED)))
        assert not recorder.of("L1", ReportKind.REJECTED)
        refusal = recorder.of("L1", ReportKind.CANCEL_REJECTED)[0]
        assert refusal.reason == "Cannot reduce below the filled quantity"
        assert refusal.status is OrdStatus.PARTIALLY_FILLED
        lp.set_price("EUR/USD", D("1.08341"), D("1.08351"))  # the rest fills on the next price
        await until(lambda: len(recorder.of("L1", ReportKind.FILL)) == 2)
        fills = recorder.of("L1", ReportKind.FILL)
        assert fills[1].status is OrdStatus.FILLED and sum(f.last_quantity for f in fills) == D("1")
        assert fills[0].exec_id != fills[1].exec_id and all(f.exec_id.startswith("E") for f in fills)


async def test_an_lp_without_cancel_answers_with_a_business_reject_and_the_order_stays_open() -> None:
    async with trading() as (lp, venue, recorder):
        lp.refuse("F")
        order = VenueOrder("R1", "EUR/USD", Side.SELL, OrdType.LIMIT, D("1"), TimeInForce.GTC, price=D("2.0"))
        await venue.place(order)
        await until(lambda: bool(recorder.of("R1", ReportKind.ACCEPTED)))
        await venue.cancel("R1")
        await until(lambda: bool(recorder.of("R1", ReportKind.CANCEL_REJECTED)))
        assert not recorder.of("R1", ReportKind.REJECTED)
        refusal = recorder.of("R1", ReportKind.CANCEL_REJECTED)[0]
        assert refusal.reason == "Unsupported Message Type" and refusal.status is OrdStatus.NEW
        status = await venue.order_status(order)
        assert status is not None and status.status is OrdStatus.NEW


async def test_orders_go_out_in_base_units_with_the_currency_and_the_deviation() -> None:
    async with trading(deviation=D("0.0002")) as (lp, venue, recorder):
        lp.slippage = D("0.0005")
        await venue.place(market("G1", "0.5", "XAU/USD", Side.SELL))
        await until(lambda: bool(recorder.of("G1", ReportKind.CANCELED)))
        order = next(m for _, m in lp.received if m.get_str(11) == "G1")
        assert (order.get_str(38), order.get_str(15), order.get_str(10001)) == ("50", "XAU", "0.0002")
        assert recorder.of("G1", ReportKind.CANCELED)[0].reason == "Price moved beyond the deviation"
        await venue.place(VenueOrder("S1", "EUR/USD", Side.BUY, OrdType.STOP_LIMIT, D("1"), TimeInForce.GTC,
                                     price=D("1.1"), stop_price=D("1.1")))
        refusal = recorder.of("S1", ReportKind.REJECTED)[0]
        assert refusal.code == "unsupported" and retryable(refusal.code) and "STOP_LIMIT" in (refusal.reason or "")


async def test_health_reports_the_round_trip_and_the_last_message() -> None:
    async with trading() as (_, venue, _):
        await until(lambda: venue.health().latency_ms is not None)
        health = venue.health()
        assert health.connected and 0 <= (health.latency_ms or 0) < 1000 and health.last_message_at is not None


async def test_stale_quotes_are_not_offered() -> None:
    async with trading(quote_stale_after=0.3) as (lp, venue, recorder):
        await venue.subscribe(["EUR/USD"])
        await until(lambda: venue.quote("EUR/USD") is not None)
        lp.pause_stream()
        await asyncio.sleep(0.4)
        assert venue.quote("EUR/USD") is None
        assert isinstance(recorder.quotes[-1], Quote)


async def test_after_a_hub_restart_the_lps_status_answer_restores_an_order_the_adapter_did_not_place() -> None:
    async with trading() as (lp, first, _):
        order = VenueOrder("H1", "EUR/USD", Side.SELL, OrdType.LIMIT, D("3"), TimeInForce.GTC, price=D("2.0"))
        await first.place(order)
        await until(lambda: "H1" in lp.matcher.orders)
        await first.close()
        restarted = PrimeXMVenue(settings(lp), clock=utc_now)
        recorder = Recorder()
        restarted.on_report(recorder.report)
        await restarted.connect()
        try:
            status = await restarted.order_status(order)
            assert status is not None and (status.status, status.last_quantity) == (OrdStatus.NEW, D(0))
            asked = [m for _, m in lp.received if m.msg_type == b"H" and m.get_str(11) == "H1"][-1]
            assert asked.get(55) is not None and asked.get_str(54) == "2"   # FIX 4.4's H needs Symbol and Side
            await restarted.cancel("H1")
            await until(lambda: bool(recorder.of("H1", ReportKind.CANCELED)))
        finally:
            await restarted.close()


async def test_an_adopted_order_reports_only_the_fills_made_after_its_status() -> None:
    async with trading() as (lp, first, _):
        lp.pause_stream()
        lp.set_price("EUR/USD", D("1.08340"), D("1.08350"))
        lp.partial_fill_ratio = D("0.5")
        order = VenueOrder("P1", "EUR/USD", Side.BUY, OrdType.LIMIT, D("2"), TimeInForce.GTC, price=D("1.08360"))
        await first.place(order)
        await until(lambda: lp.matcher.orders["P1"].cum > 0 if "P1" in lp.matcher.orders else False)
        await first.close()
        restarted = PrimeXMVenue(settings(lp), clock=utc_now)
        recorder = Recorder()
        restarted.on_report(recorder.report)
        await restarted.connect()
        try:
            status = await restarted.order_status(order)
            assert status is not None and status.status is OrdStatus.PARTIALLY_FILLED
            assert (status.last_quantity, status.last_price) == (D("1"), D("1.08350"))
            assert not recorder.of("P1", ReportKind.FILL), "the fill before the restart is the status's to tell"
            lp.set_price("EUR/USD", D("1.08341"), D("1.08351"))
            await until(lambda: bool(recorder.of("P1", ReportKind.FILL)))
            await asyncio.sleep(0.2)
            [fill] = recorder.of("P1", ReportKind.FILL)
            assert (fill.last_quantity, fill.last_price, fill.status) == (D("1"), D("1.08351"), OrdStatus.FILLED)
        finally:
            await restarted.close()



async def test_an_order_lost_with_the_connection_is_rejected_after_the_reconnect_so_the_router_can_retry() -> None:
    async with trading() as (lp, venue, recorder):
        lp.drop_trade_on_next_order(taken=False)
        await venue.place(market("LOST"))
        await until(lambda: bool(recorder.of("LOST")))
        await asyncio.sleep(0.3)
        [report] = recorder.of("LOST")
        assert report.kind is ReportKind.REJECTED and report.code == "venue_unavailable" and retryable(report.code)
        assert report.reason == "the order never reached the LP"


async def test_the_trade_session_refused_for_a_while_comes_back_reconciled_before_it_takes_orders() -> None:
    """The LP cuts the trade session and refuses its logons; quotes stream on; an order resting at the LP fills
    meanwhile. The adapter logs on again by itself, asks for the order's status and books the fill before it says
    it is connected, then takes orders."""
    async with trading() as (lp, venue, recorder):
        await venue.subscribe(["EUR/USD"])
        resting = VenueOrder("REST", "EUR/USD", Side.BUY, OrdType.LIMIT, D("1"), TimeInForce.GTC, price=D("1.0"))
        await venue.place(resting)
        await until(lambda: bool(recorder.of("REST", ReportKind.ACCEPTED)))
        connected_at_fill: list[bool] = []

        def note_fill(report: VenueReport) -> None:
            if report.kind is ReportKind.FILL:
                connected_at_fill.append(venue.health().connected)

        venue.on_report(note_fill)
        trade, quote = lp.config.trade_session_id, lp.config.quote_session_id
        lp.drop_sessions(trade, hold_down=0.6)
        await until(lambda: not venue.health().connected)
        with pytest.raises(VenueDown):
            await venue.place(market("DURING"))
        lp.set_price("EUR/USD", D("0.99990"), D("0.99995"))   # REST fills; its report cannot get out
        quotes = len(recorder.quotes)
        await until(lambda: len(recorder.quotes) > quotes + 3)   # the quote session was never touched
        assert lp.logons[quote] == 1
        await until(lambda: venue.health().connected)
        assert lp.logons[trade] == 2
        [fill] = recorder.of("REST", ReportKind.FILL)
        assert (fill.last_quantity, connected_at_fill) == (D("1"), [False]) and fill.last_price <= D("1.0")
        asked = [m for _, m in lp.received if m.msg_type == b"H" and m.get_str(11) == "REST"]
        assert asked, "reconciled by OrderStatusRequest"
        await venue.place(market("AFTER"))
        await until(lambda: bool(recorder.of("AFTER", ReportKind.FILL)))


async def test_the_quote_session_refused_for_a_while_resubscribes_and_trading_goes_on_meanwhile() -> None:
    async with trading() as (lp, venue, recorder):
        await venue.subscribe(["GBP/USD"])
        await until(lambda: venue.quote("GBP/USD") is not None)
        quote = lp.config.quote_session_id
        lp.drop_sessions(quote, hold_down=0.6)
        await until(lambda: not lp.logged_on(quote))
        assert venue.health().connected, "orders do not need the quote session"
        await venue.place(market("MEANWHILE"))
        await until(lambda: bool(recorder.of("MEANWHILE", ReportKind.FILL)))
        await until(lambda: lp.logons[quote] == 2)
        lp.pause_stream()
        lp.set_price("GBP/USD", D("1.30000"), D("1.30010"))
        await until(lambda: recorder.quotes[-1].bid == D("1.30000"))   # subscribed again on the new session
        assert lp.logons[lp.config.trade_session_id] == 1


async def test_a_fill_the_hub_cannot_book_does_not_take_the_lp_out_of_routing() -> None:
    """What a restarted demo met: one fill the hub failed to book ended the trade session for good, and every FX
    order after was 'every venue for EUR/USD is down' while prices streamed on."""
    async with trading() as (lp, venue, _):
        h = hub(rules=[RouteRule(("pxm",))], venues={"pxm": venue})
        failed: list[str] = []

        def booking_fails_once(report: VenueReport) -> None:
            if report.kind is ReportKind.FILL and not failed:
                failed.append(report.order_id)
                raise RuntimeError("UNIQUE constraint failed: executions.exec_id")

        venue.on_report(booking_fails_once)
        first = await h.oms.submit(NewOrder("c1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D("1"),
                                            time_in_force=TimeInForce.IOC))
        await until(lambda: bool(failed))
        assert failed == [first.order_id]
        second = await h.oms.submit(NewOrder("c2", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D("1"),
                                             time_in_force=TimeInForce.IOC))
        await until(lambda: second.status is OrdStatus.FILLED)
        assert venue.health().connected and lp.logons[lp.config.trade_session_id] == 1


async def test_an_lp_restarted_with_its_state_file_is_found_again_and_quotes_on_from_where_it_stopped(
        tmp_path: Path) -> None:
    state = tmp_path / "fx-lp.json"
    lp = FxLP(FxLPConfig(tick_interval=0.05, seed=7, state_path=state))
    await lp.start()
    venue = PrimeXMVenue(settings(lp), clock=utc_now)
    recorder = Recorder()
    venue.on_report(recorder.report)
    venue.on_quote(recorder.quote)
    await venue.connect()
    again: FxLP | None = None
    try:
        await venue.subscribe(["EUR/USD"])
        await venue.place(market("BEFORE"))
        await until(lambda: bool(recorder.of("BEFORE", ReportKind.FILL)))
        lp.pause_stream()
        lp.set_price("EUR/USD", D("1.20000"), D("1.20006"))
        await until(lambda: recorder.quotes[-1].bid == D("1.20000"))
        port = lp.port
        await lp.stop()
        await until(lambda: not venue.health().connected)
        quotes = len(recorder.quotes)
        again = FxLP(FxLPConfig(port=port, tick_interval=0.05, seed=8, state_path=state))
        await again.start()
        await until(lambda: venue.health().connected and len(recorder.quotes) > quotes)
        assert abs((recorder.quotes[-1].bid or D(0)) - D("1.20000")) < D("0.001"), "resubscribed, near where it was"
        await venue.place(market("AFTER"))
        await until(lambda: bool(recorder.of("AFTER", ReportKind.FILL)))
        before, after = ({r.exec_id for r in recorder.of(o, ReportKind.FILL)} for o in ("BEFORE", "AFTER"))
        assert before and after and not before & after, "no ExecID of the last run given again"
    finally:
        await venue.close()
        if again is not None:
            await again.stop()
