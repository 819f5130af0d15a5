"""The market rules of the equity profiles as a trader would check them against the exchanges' published tables,
and the adapter's settings from the environment."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from adapters.equity_fix import EquityFixConfig
from adapters.equity_fix.instruments import STOCKS
from adapters.equity_fix.profiles import HK, IN, US, tick_for


@pytest.mark.parametrize(("price", "tick"), [
    ("0.25", "0.001"), ("0.255", "0.005"), ("0.50", "0.005"), ("9.99", "0.01"), ("10", "0.01"), ("15", "0.01"),
    ("20.02", "0.02"), ("50", "0.02"), ("50.05", "0.05"), ("100", "0.05"), ("100.1", "0.1"), ("600", "0.5"),
    ("1500", "1"), ("3000", "2"), ("9995", "5"),
])
def test_the_hkex_spread_table_after_the_2025_reduction(price: str, tick: str) -> None:
    assert tick_for(HK.ticks, D(price)) == D(tick)


def test_us_prices_follow_the_sub_penny_rule() -> None:
    assert US.check_tick(D("0.5123"), None) is None
    assert US.check_tick(D("1.00"), None) is None
    assert US.check_tick(D("1.005"), None) is not None
    assert US.check_tick(D("0.51234"), None) is not None


def test_nse_ticks_follow_the_previous_close_not_the_order_price() -> None:
    assert IN.check_tick(D("240.03"), D("240.00")) is None          # below Rs 250: 0.01
    assert IN.check_tick(D("260.03"), D("240.00")) is None          # same stock, same tick, whatever the order
    assert IN.check_tick(D("1500.05"), D("1500.00")) is not None    # Rs 1000-5000: 0.10
    assert IN.check_tick(D("1500.10"), D("1500.00")) is None


@pytest.mark.parametrize(("profile", "local", "open_"), [
    (US, dt.datetime(2026, 11, 24, 9, 29, tzinfo=ZoneInfo("America/New_York")), False),
    (US, dt.datetime(2026, 11, 24, 9, 30, tzinfo=ZoneInfo("America/New_York")), True),
    (US, dt.datetime(2026, 11, 24, 16, 0, tzinfo=ZoneInfo("America/New_York")), False),
    (US, dt.datetime(2026, 11, 28, 11, 0, tzinfo=ZoneInfo("America/New_York")), False),  # a Saturday
    (HK, dt.datetime(2026, 11, 24, 11, 59, tzinfo=ZoneInfo("Asia/Hong_Kong")), True),
    (HK, dt.datetime(2026, 11, 24, 12, 0, tzinfo=ZoneInfo("Asia/Hong_Kong")), False),
    (HK, dt.datetime(2026, 11, 24, 13, 0, tzinfo=ZoneInfo("Asia/Hong_Kong")), True),
    (IN, dt.datetime(2026, 11, 24, 9, 15, tzinfo=ZoneInfo("Asia/Kolkata")), True),
    (IN, dt.datetime(2026, 11, 24, 15, 30, tzinfo=ZoneInfo("Asia/Kolkata")), False),
])
def test_trading_hours(profile, local: dt.datetime, open_: bool) -> None:  # type: ignore[no-untyped-def]
    assert (profile.check_session(local) is None) is open_


def test_sales_are_marked_short_unless_the_long_position_covers_them() -> None:
    assert US.wire_side_for_sale(D(100), D(100)) == "2"
    assert US.wire_side_for_sale(D(100), D(99)) == "5"
    assert US.wire_side_for_sale(D(100), None) == "5"   # unknown position: short, as Reg SHO 200(g) requires
    assert HK.wire_side_for_sale(D(100), None) == "5"
    assert IN.wire_side_for_sale(D(100), None) == "2"   # NSE has no short mark on the order
    assert (US.requires_locate, HK.requires_locate, IN.requires_locate) == (True, False, False)  # Reg SHO


def test_settings_come_from_the_environment_and_the_password_is_never_shown() -> None:
    config = EquityFixConfig.from_env({"EQUITY_FIX_PORT": "9999", "EQUITY_FIX_MARKETS": "us, hk",
                                       "EQUITY_FIX_PASSWORD": "s3cret", "EQUITY_FIX_STATUS_TIMEOUT": "2.5",
                                       "EQUITY_FIX_LOCATE_BROKER": "GSCO"})
    assert (config.port, config.markets, config.status_timeout) == (9999, ("US", "HK"), 2.5)
    assert config.locate_broker == "GSCO"
    assert config.session_config().password == "s3cret"
    assert "s3cret" not in repr(config) and "s3cret" not in repr(config.session_config())


def test_an_nse_f_and_o_stock_has_the_10_percent_dynamic_band_not_a_fixed_20() -> None:
    """IRFC joined NSE's F&O segment on 29 Nov 2024: no fixed band, a dynamic one of 10% of the previous close."""
    irfc = next(stock for stock in STOCKS if stock.venue_symbol == "IRFC")
    assert IN.check_band(D("143.00"), D("130"), irfc.band_percent) is None
    refused = IN.check_band(D("145.00"), D("130"), irfc.band_percent)
    assert refused is not None and refused.code == "outside_band"
