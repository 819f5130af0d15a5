"""The simulated broker's market rules against the exchanges' own published rules, band edge by band edge: the
HKEX spread table, board lots and trading hours, NSE's tick sizes and price bands, the Reg NMS sub-penny rule and
the US core session. The expected values are the documents', not the adapter's."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from simulators.equity.market_rules import HK, HKEX_SPREAD_TABLE, IN, NSE_TICK_SIZES, REG_NMS_612, US, Market
from simulators.equity.stocks import Listings

HKT, IST, ET = ZoneInfo("Asia/Hong_Kong"), ZoneInfo("Asia/Kolkata"), ZoneInfo("America/New_York")


@pytest.mark.parametrize(("price", "tick"), [  # HKEX Second Schedule, Part A, after Phase 1 (4 August 2025)
    ("0.01", "0.001"), ("0.25", "0.001"),       # from 0.01 to 0.25
    ("0.255", "0.005"), ("0.50", "0.005"),      # over 0.25 to 0.50
    ("0.51", "0.01"), ("10.00", "0.01"),        # over 0.50 to 10.00 (Phase 2 would make it 0.005)
    ("10.01", "0.01"), ("20.00", "0.01"),       # over 10.00 to 20.00: 0.01 since Phase 1 (was 0.02)
    ("20.02", "0.02"), ("50.00", "0.02"),       # over 20.00 to 50.00: 0.02 since Phase 1 (was 0.05)
    ("50.05", "0.05"), ("100.00", "0.05"),      # over 50.00 to 100.00
    ("100.10", "0.10"), ("200.00", "0.10"), ("200.20", "0.20"), ("500.00", "0.20"),
    ("500.50", "0.50"), ("1000.00", "0.50"), ("1001", "1.00"), ("2000", "1.00"),
    ("2002", "2.00"), ("5000", "2.00"), ("5005", "5.00"), ("9995", "5.00"),
])
def test_the_hkex_spread_table(price: str, tick: str) -> None:
    assert HKEX_SPREAD_TABLE.tick(D(price)) == D(tick)


def test_the_hkex_spread_table_ends_at_its_lowest_and_highest_prices() -> None:
    assert HKEX_SPREAD_TABLE.tick(D("0.009")) is None and HKEX_SPREAD_TABLE.tick(D(10000)) is None
    refusal = HK.check_tick(D("0.005"), previous_close=D("0.005"))
    assert str(refusal) == "off_tick: price 0.005 is below 0.01, the lowest price of the HKEX spread table"


def test_tencent_trades_in_fifty_cent_steps_between_hk500_and_hk1000() -> None:
    refusal = HK.check_tick(D("600.20"), previous_close=D("600.0"))
    assert str(refusal) == "off_tick: price 600.20 is not a multiple of the 0.5 tick (HKEX spread table)"
    assert HK.check_tick(D("600.50"), previous_close=D("600.0")) is None


@pytest.mark.parametrize(("price", "tick"), [  # Reg NMS Rule 612: $0.0001 below $1.00, $0.01 at $1.00 and above
    ("0.0001", "0.0001"), ("0.9999", "0.0001"), ("1.00", "0.01"), ("250.00", "0.01"),
])
def test_the_reg_nms_sub_penny_rule(price: str, tick: str) -> None:
    assert REG_NMS_612.tick(D(price)) == D(tick)


def test_us_prices_off_the_sub_penny_rule_are_refused() -> None:
    assert US.check_tick(D("0.5123"), previous_close=D("0.50")) is None
    assert US.check_tick(D("1.00"), previous_close=D("1.00")) is None
    assert US.check_tick(D("1.005"), previous_close=D("1.00")) is not None
    assert US.check_tick(D("0.51234"), previous_close=D("0.50")) is not None


@pytest.mark.parametrize(("close", "tick"), [  # NSE: below Rs 250 (June 2024), the rest from 15 April 2025
    ("249.99", "0.01"), ("250", "0.05"), ("1000", "0.05"), ("1000.10", "0.10"), ("5000", "0.10"),
    ("5000.50", "0.50"), ("10000", "0.50"), ("10001", "1.00"), ("20000", "1.00"), ("20005", "5.00"),
])
def test_the_nse_tick_size_table(close: str, tick: str) -> None:
    assert NSE_TICK_SIZES.tick(D(close)) == D(tick)


def test_an_nse_stock_keeps_the_tick_of_its_close_whatever_the_order_price() -> None:
    assert IN.check_tick(D("260.03"), previous_close=D("240.00")) is None      # closed below Rs 250: 0.01
    assert IN.check_tick(D("1500.05"), previous_close=D("1500.00")) is not None  # Rs 1,000-5,000: 0.10
    assert IN.check_tick(D("1500.10"), previous_close=D("1500.00")) is None


def test_nse_price_bands_around_the_previous_close() -> None:
    listings = Listings()
    reliance, suzlon, irfc = (listings.find(ticker, "XNSE") for ticker in ("RELIANCE", "SUZLON", "IRFC"))
    assert reliance is not None and suzlon is not None and irfc is not None
    assert IN.check_band(D("1650.00"), D(1500), reliance.band_percent) is None       # 10%: stocks with F&O
    assert str(IN.check_band(D("1650.10"), D(1500), reliance.band_percent)) == (
        "outside_band: price 1650.10 is outside the 10% band 1350-1650 around the previous close 1500")
    assert irfc.band_percent == D(10)                                                  # in F&O since Nov 2024
    assert IN.check_band(D("63.00"), D(60), suzlon.band_percent) is None             # a 5% band
    assert IN.check_band(D("63.05"), D(60), suzlon.band_percent) is not None
    assert US.check_band(D(1000), D(100), None) is None and HK.check_band(D(1000), D(100), None) is None


@pytest.mark.parametrize(("code", "board_lot"), [  # as HKEX lists them
    ("0005", 400), ("0700", 100), ("9988", 100), ("0941", 500), ("1299", 200), ("0388", 100),
])
def test_hkex_board_lots(code: str, board_lot: int) -> None:
    stock = Listings().find(code, "XHKG")
    assert stock is not None and stock.lot == D(board_lot)
    assert HK.check_lot(D(board_lot * 3), stock.lot) is None
    assert HK.check_lot(D(board_lot + 1), stock.lot) is not None


def test_an_odd_lot_of_hsbc_is_refused_naming_the_board_lot() -> None:
    assert str(HK.check_lot(D(100), D(400))) == "off_lot: quantity 100 is not a multiple of the board lot of 400"


@pytest.mark.parametrize(("market", "local", "open_"), [
    (HK, dt.datetime(2026, 11, 24, 9, 29, tzinfo=HKT), False),   # HKEX Rule 501(1): 9:30-12:00, 13:00-16:00
    (HK, dt.datetime(2026, 11, 24, 9, 30, tzinfo=HKT), True),
    (HK, dt.datetime(2026, 11, 24, 11, 59, tzinfo=HKT), True),
    (HK, dt.datetime(2026, 11, 24, 12, 0, tzinfo=HKT), False),   # the lunch break
    (HK, dt.datetime(2026, 11, 24, 12, 59, tzinfo=HKT), False),
    (HK, dt.datetime(2026, 11, 24, 13, 0, tzinfo=HKT), True),
    (HK, dt.datetime(2026, 11, 24, 16, 0, tzinfo=HKT), False),
    (IN, dt.datetime(2026, 11, 24, 9, 14, tzinfo=IST), False),   # NSE normal market 9:15-15:30
    (IN, dt.datetime(2026, 11, 24, 9, 15, tzinfo=IST), True),
    (IN, dt.datetime(2026, 11, 24, 15, 29, tzinfo=IST), True),
    (IN, dt.datetime(2026, 11, 24, 15, 30, tzinfo=IST), False),
    (US, dt.datetime(2026, 11, 24, 9, 29, tzinfo=ET), False),    # NYSE/Nasdaq core session 9:30-16:00
    (US, dt.datetime(2026, 11, 24, 9, 30, tzinfo=ET), True),
    (US, dt.datetime(2026, 11, 24, 15, 59, tzinfo=ET), True),
    (US, dt.datetime(2026, 11, 24, 16, 0, tzinfo=ET), False),
    (US, dt.datetime(2026, 11, 28, 11, 0, tzinfo=ET), False),    # a Saturday
])
def test_regular_trading_hours(market: Market, local: dt.datetime, open_: bool) -> None:
    assert market.is_open(local) is open_
    assert (market.check_session(local) is None) is open_


def test_the_lunch_break_refusal_says_when_hkex_trades() -> None:
    refusal = HK.check_session(dt.datetime(2026, 11, 24, 12, 30, tzinfo=HKT))
    assert str(refusal) == ("market_closed: HKEX is closed at Tue 12:30 local time; it trades 09:30-12:00, "
                            "13:00-16:00 Asia/Hong_Kong, Monday to Friday")
