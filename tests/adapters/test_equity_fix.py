"""The equity FIX 4.2 adapter against the equity simulator over loopback sockets: the market rules each profile
enforces before an order leaves the hub, short marking, and recovery after a dropped session (the venue contract is
test_contract.py's)."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.equity_fix import EquityFixConfig, EquityFixVenue
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.ports import ReportKind, VenueOrder
from simulators.equity import EquitySimulator, MarketClock
from tests.adapters.contract import Recorder
from tests.adapters.resilience import until

US_OPEN = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/New_York"))  # a Tuesday
HK_OPEN = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Hong_Kong"))
HK_LUNCH = dt.datetime(2026, 11, 24, 12, 30, tzinfo=ZoneInfo("Asia/Hong_Kong"))
IN_OPEN = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))


def config_for(simulator: EquitySimulator, store: Path | None = None,
               locate_broker: str | None = None) -> EquityFixConfig:
    return EquityFixConfig(port=simulator.port, first_retry=0.05, connect_timeout=5,
                           file_store_path=str(store) if store is not None else None, locate_broker=locate_broker)


@asynccontextmanager
async def broker(market_time: dt.datetime, long_position: Callable[[str], D | None] | None = None,
                 store: Path | None = None, locate_broker: str | None = None
                 ) -> AsyncIterator[tuple[EquitySimulator, EquityFixVenue, Recorder]]:
    """A simulated broker and the adapter logged on to it, both reading the same market clock. ``store``: keep
    the session's sequence numbers in files there, so a new adapter instance (a restarted hub) can log on."""
    simulator = EquitySimulator(clock=MarketClock(market_time))
    await simulator.start()
    venue = EquityFixVenue(config_for(simulator, store, locate_broker), clock=simulator.clock.now,
                           long_position=long_position)
    recorder = Recorder()
    venue.on_report(recorder.report)
    venue.on_quote(recorder.quote)
    await venue.connect()
    try:
        yield simulator, venue, recorder
    finally:
        await venue.close()
        await simulator.stop()


def limit(order_id: str, symbol: str, quantity: str, price: str, side: Side = Side.BUY) -> VenueOrder:
    return VenueOrder(order_id, symbol, side, OrdType.LIMIT, D(quantity), TimeInForce.DAY, price=D(price))


def sent_orders(simulator: EquitySimulator) -> list[str]:
    return [m.get_str(11, "") for m in simulator.received if m.msg_type == b"D"]


async def test_an_order_in_the_hong_kong_lunch_break_is_refused_before_it_is_sent() -> None:
    async with broker(HK_LUNCH) as (simulator, venue, recorder):
        await venue.place(limit("HK-LUNCH", "0700.HK", "100", "600.0"))
        [refused] = recorder.of("HK-LUNCH")
        assert refused.kind is ReportKind.REJECTED and refused.status is OrdStatus.REJECTED
        assert refused.reason is not None and refused.reason.startswith("market_closed")
        assert refused.code == "market_closed"
        assert "12:30" in refused.reason and "13:00-16:00" in refused.reason
        assert sent_orders(simulator) == []

        simulator.set_clock(HK_LUNCH.replace(hour=13, minute=0, second=1))  # the afternoon session opens
        await venue.place(limit("HK-AFTERNOON", "0700.HK", "100", "600.0"))
        await recorder.until(lambda: bool(recorder.of("HK-AFTERNOON", ReportKind.ACCEPTED)))


async def test_hsbc_off_its_board_lot_is_refused_before_it_is_sent() -> None:
    async with broker(HK_OPEN) as (simulator, venue, recorder):
        await venue.place(limit("HSBC-ODD", "0005.HK", "100", "98.50"))
        [refused] = recorder.of("HSBC-ODD")
        assert refused.kind is ReportKind.REJECTED
        assert refused.reason == "off_lot: quantity 100 is not a multiple of the board lot of 400"
        assert refused.code == "invalid_quantity"
        assert sent_orders(simulator) == []

        await venue.place(limit("HSBC-LOT", "0005.HK", "800", "98.50"))
        await recorder.until(lambda: bool(recorder.of("HSBC-LOT", ReportKind.ACCEPTED)))


async def test_a_price_off_the_hkex_spread_table_is_refused_before_it_is_sent() -> None:
    async with broker(HK_OPEN) as (simulator, venue, recorder):
        await venue.place(limit("TENCENT-OFF", "0700.HK", "100", "600.20"))  # 500-1000 trades in 0.50 steps
        [refused] = recorder.of("TENCENT-OFF")
        assert refused.reason is not None and refused.reason.startswith("off_tick")
        assert "0.5 tick" in refused.reason and "HKEX spread table" in refused.reason
        assert sent_orders(simulator) == []

        await venue.place(limit("TENCENT-ON", "0700.HK", "100", "600.50"))
        await recorder.until(lambda: bool(recorder.of("TENCENT-ON", ReportKind.ACCEPTED)))
        assert sent_orders(simulator) == ["TENCENT-ON"]


async def test_an_nse_order_beyond_the_circuit_limit_is_refused_before_it_is_sent() -> None:
    async with broker(IN_OPEN) as (simulator, venue, recorder):
        await venue.place(limit("RIL-BLIND", "RELIANCE.NS", "10", "1500.00"))  # no previous close known yet
        assert recorder.of("RIL-BLIND")[0].reason.startswith("no_reference_price")  # type: ignore[union-attr]

        await venue.subscribe(["RELIANCE.NS"])  # the snapshot carries the previous close, 1500
        await recorder.until(lambda: venue.quote("RELIANCE.NS") is not None)
        await venue.place(limit("RIL-HIGH", "RELIANCE.NS", "10", "1700.00"))
        [refused] = recorder.of("RIL-HIGH")
        assert refused.reason == ("outside_band: price 1700.00 is outside the 10% band 1350-1650 around the "
                                  "previous close 1500")
        await venue.place(limit("RIL-TICK", "RELIANCE.NS", "10", "1500.05"))  # above Rs 1000 the tick is 0.10
        assert recorder.of("RIL-TICK")[0].reason.startswith("off_tick")  # type: ignore[union-attr]
        assert sent_orders(simulator) == []

        await venue.place(limit("RIL-OK", "RELIANCE.NS", "10", "1600.00"))
        await recorder.until(lambda: bool(recorder.of("RIL-OK", ReportKind.ACCEPTED)))


async def test_a_sale_beyond_the_long_position_goes_out_as_a_short_sale() -> None:
    positions = {"AAPL.US": D(50)}
    async with broker(US_OPEN, long_position=positions.get) as (simulator, venue, recorder):
        await venue.place(limit("SHORT", "AAPL.US", "100", "189.99", side=Side.SELL))
        await venue.place(limit("LONG", "AAPL.US", "50", "189.99", side=Side.SELL))
        await recorder.until(lambda: sum(r.last_quantity for r in recorder.of("SHORT", ReportKind.FILL)) == 100
                             and sum(r.last_quantity for r in recorder.of("LONG", ReportKind.FILL)) == 50)
        sides = {m.get_str(11): (m.get_str(54), m.get_str(114)) for m in simulator.received if m.msg_type == b"D"}
        assert sides == {"SHORT": ("5", "Y"), "LONG": ("2", None)}  # no locate arranged: the broker is to locate


async def test_a_us_short_sale_names_the_configured_locate_broker_and_fills() -> None:
    async with broker(US_OPEN, locate_broker="GSCO") as (simulator, venue, recorder):
        await venue.place(limit("LOCATED", "AAPL.US", "100", "189.99", side=Side.SELL))
        await recorder.until(lambda: sum(r.last_quantity for r in recorder.of("LOCATED", ReportKind.FILL)) == 100)
        assert not recorder.of("LOCATED", ReportKind.REJECTED)
        [sent] = [m for m in simulator.received if m.msg_type == b"D"]
        assert (sent.get_str(54), sent.get_str(114), sent.get_str(5700)) == ("5", "N", "GSCO")


async def test_a_hong_kong_short_sale_carries_no_us_locate_fields() -> None:
    async with broker(HK_OPEN, locate_broker="GSCO") as (simulator, venue, recorder):
        await venue.place(limit("HK-SHORT", "0700.HK", "100", "600.00", side=Side.SELL))
        await recorder.until(lambda: bool(recorder.of("HK-SHORT", ReportKind.ACCEPTED)))
        [sent] = [m for m in simulator.received if m.msg_type == b"D"]
        assert (sent.get_str(54), sent.get_str(114), sent.get_str(5700)) == ("5", None, None)


async def test_a_refused_cancel_comes_back_as_a_cancel_rejected_report_and_the_order_lives_on() -> None:
    async with broker(US_OPEN) as (simulator, venue, recorder):
        await venue.place(limit("KEEP", "MSFT.US", "10", "400.00"))
        await recorder.until(lambda: bool(recorder.of("KEEP", ReportKind.ACCEPTED)))
        simulator.reject_next("desk is reviewing the order")
        await venue.cancel("KEEP")
        await recorder.until(lambda: bool(recorder.of("KEEP", ReportKind.CANCEL_REJECTED)))
        assert not recorder.of("KEEP", ReportKind.REJECTED)
        [refused] = recorder.of("KEEP", ReportKind.CANCEL_REJECTED)
        assert refused.status is OrdStatus.NEW
        assert refused.reason == "cancel refused: desk is reviewing the order"
        assert refused.code == "venue_rejected"   # CxlRejReason 2, the broker's option
        await venue.cancel("KEEP")
        await recorder.until(lambda: bool(recorder.of("KEEP", ReportKind.CANCELED)))


async def test_a_fill_during_a_dropped_session_is_reported_once_after_reconnect_and_resend() -> None:
    async with broker(US_OPEN) as (simulator, venue, recorder):
        await venue.place(limit("DROP", "AAPL.US", "100", "185.00"))
        await recorder.until(lambda: bool(recorder.of("DROP", ReportKind.ACCEPTED)))
        await simulator.drop_session()
        await simulator.set_price("AAPL.US", D("184.00"))  # the ask, 184.01, is now inside the limit
        await recorder.until(lambda: bool(recorder.of("DROP", ReportKind.FILL)))
        # answered after the logon's reconciliation
        status = await venue.order_status(limit("DROP", "AAPL.US", "100", "185.00"))
        assert status is not None and status.status is OrdStatus.FILLED and status.last_quantity == 100
        [fill] = recorder.of("DROP", ReportKind.FILL)
        assert (fill.last_quantity, fill.last_price) == (D(100), D("184.01"))
        assert [m.get_str(11) for m in simulator.received if m.msg_type == b"H"].count("DROP") >= 2
        assert venue.health().connected


async def test_a_fill_whose_report_was_lost_is_found_by_the_status_request_after_logon() -> None:
    async with broker(US_OPEN) as (simulator, venue, recorder):
        await venue.place(limit("LOST", "AAPL.US", "100", "185.00"))
        await recorder.until(lambda: bool(recorder.of("LOST", ReportKind.ACCEPTED)))
        await simulator.drop_session(hold_down=0.3, lose_reports=True)
        assert not venue.health().connected
        await simulator.set_price("AAPL.US", D("184.00"))
        await recorder.until(lambda: bool(recorder.of("LOST", ReportKind.FILL)))
        status = await venue.order_status(limit("LOST", "AAPL.US", "100", "185.00"))
        assert status is not None and status.status is OrdStatus.FILLED
        [fill] = recorder.of("LOST", ReportKind.FILL)
        assert (fill.last_quantity, fill.last_price) == (D(100), D("184.01"))
        health = venue.health()
        assert health.connected and health.latency_ms is not None and health.last_message_at is not None


async def test_a_refused_logon_shows_in_health_with_the_brokers_reason_until_a_logon_succeeds() -> None:
    async with broker(US_OPEN) as (simulator, venue, _):
        assert venue.health().logon_refused is None
        await simulator.drop_session(hold_down=1.0)
        await until(lambda: venue.health().logon_refused is not None)
        assert venue.health().logon_refused == "simulated outage: try again later"
        assert not venue.health().connected
        await until(lambda: venue.health().connected)
        assert venue.health().logon_refused is None


async def test_day_orders_expire_at_the_close_and_gtc_orders_stay() -> None:
    async with broker(US_OPEN) as (simulator, venue, recorder):
        await venue.place(limit("TODAY", "JPM.US", "10", "200.00"))
        until_canceled = VenueOrder("UNTIL-CANCELED", "JPM.US", Side.BUY, OrdType.LIMIT, D(10), TimeInForce.GTC,
                                    price=D("200.00"))
        await venue.place(until_canceled)
        await recorder.until(lambda: bool(recorder.of("UNTIL-CANCELED", ReportKind.ACCEPTED)))
        await simulator.end_day()
        await recorder.until(lambda: bool(recorder.of("TODAY", ReportKind.EXPIRED)))
        assert recorder.of("TODAY", ReportKind.EXPIRED)[0].status is OrdStatus.EXPIRED
        status = await venue.order_status(until_canceled)
        assert status is not None and status.status is OrdStatus.NEW


async def test_health_shows_the_brokers_latency() -> None:
    async with broker(US_OPEN) as (simulator, venue, recorder):
        simulator.add_latency(0.2)
        await venue.place(limit("SLOW", "NVDA.US", "10", "100.00"))
        await recorder.until(lambda: bool(recorder.of("SLOW", ReportKind.ACCEPTED)))
        health = venue.health()
        assert health.connected and health.latency_ms is not None and health.latency_ms >= 200


async def test_after_a_restart_an_order_is_adopted_and_only_later_fills_are_reported(tmp_path: Path) -> None:
    async with broker(US_OPEN, store=tmp_path) as (simulator, first, recorder):
        await simulator.set_liquidity("AAPL.US", D(40), depth=1)  # one level of 40 shares a side
        order = limit("ADOPT", "AAPL.US", "100", "190.01")
        await first.place(order)
        await recorder.until(lambda: bool(recorder.of("ADOPT", ReportKind.FILL)))
        await first.close()
        restarted = EquityFixVenue(config_for(simulator, tmp_path), clock=simulator.clock.now)
        after = Recorder()
        restarted.on_report(after.report)
        await restarted.connect()
        try:
            status = await restarted.order_status(order)
            assert status is not None and status.status is OrdStatus.PARTIALLY_FILLED
            assert (status.last_quantity, status.last_price) == (D(40), D("190.01"))
            asked = [m for m in simulator.received if m.msg_type == b"H"][-1]
            assert (asked.get_str(11), asked.get_str(55), asked.get_str(54)) == ("ADOPT", "AAPL", "1")
            assert not after.of("ADOPT", ReportKind.FILL), "the fill before the restart is the status's to tell"
            await simulator.set_liquidity("AAPL.US", D(1000))
            await after.until(lambda: bool(after.of("ADOPT", ReportKind.FILL)))
            [fill] = after.of("ADOPT", ReportKind.FILL)
            assert (fill.last_quantity, fill.status) == (D(60), OrdStatus.FILLED)
        finally:
            await restarted.close()
