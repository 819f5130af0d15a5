"""Numbers and market hours at the API's edge, without a server: digits per instrument, minor units per currency,
and when a closed market opens."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dynamictech.demo import instruments
from web.api.market_hours import market_json, next_open
from web.api.numbers import money, price, quantity, quote_json

D = Decimal
UTC = dt.timezone.utc
DEMO = instruments()


def test_a_price_has_the_instruments_digits_rounded_half_even() -> None:
    eurusd, btc = DEMO["EUR/USD"], DEMO["BTC/USDT"]
    assert price(eurusd, D("1.081463636363636363636363636")) == "1.08146"
    assert price(eurusd, D("1.081465")) == "1.08146" and price(eurusd, D("1.081475")) == "1.08148"   # half-even
    assert price(btc, D("59745.09000000")) == "59745.09"
    assert price(eurusd, D("1.2")) == "1.20000"   # a price is always shown to its digits
    assert price(eurusd, None) is None
    assert price(DEMO["AAPL.US"], "187.5") == "187.500"   # the bus's decimal strings too


def test_a_quantity_has_the_lot_steps_places() -> None:
    assert quantity(DEMO["EUR/USD"], D("0.1")) == "0.10"
    assert quantity(DEMO["BTC/USDT"], D("0.01")) == "0.01000"
    assert quantity(DEMO["0700.HK"], D("300")) == "300"


def test_money_has_its_currencys_minor_units() -> None:
    assert money(D("99999.971"), "USD") == "99999.97"
    assert money(D("1234.5"), "JPY") == "1234" and money(D("1235.5"), "JPY") == "1236"
    assert money(D("1.23456"), "KWD") == "1.235"
    assert money("0.000000015", "BTC") == "0.00000002"


def test_a_quote_leaves_with_digits_and_sizes() -> None:
    quote = {"symbol": "EUR/USD", "bid": "1.0812", "ask": "1.08135", "bid_size": "10", "ask_size": None,
             "time": "2026-12-05T10:00:00+00:00", "stale": False, "seq": 3}
    assert quote_json(DEMO["EUR/USD"], quote) == {**quote, "bid": "1.08120", "ask": "1.08135", "bid_size": "10.00"}


def test_us_stocks_are_closed_on_a_saturday_and_open_on_monday_new_york_time() -> None:
    saturday = dt.datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    hours = market_json(DEMO["AAPL.US"], saturday)
    assert hours == {"open_now": False, "next_open": "2026-12-07T14:30:00+00:00", "as_of": saturday.isoformat()}
    assert market_json(DEMO["BTC/USDT"], saturday)["open_now"] is True   # crypto never closes
    assert next_open(DEMO["BTC/USDT"], saturday) is None


def test_before_the_open_the_wait_is_three_hours_twenty_and_while_open_there_is_none() -> None:
    monday = dt.datetime(2026, 12, 7, 11, 10, tzinfo=UTC)
    opens = next_open(DEMO["AAPL.US"], monday)
    assert opens is not None and opens - monday == dt.timedelta(hours=3, minutes=20)
    during = dt.datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert market_json(DEMO["AAPL.US"], during) == {"open_now": True, "next_open": None, "as_of": during.isoformat()}
    # after Monday's close, Tuesday's open; Hong Kong's lunch break ends at 13:00 local (05:00 UTC)
    assert next_open(DEMO["AAPL.US"], dt.datetime(2026, 12, 7, 21, 5, tzinfo=UTC)) == \
        dt.datetime(2026, 12, 8, 14, 30, tzinfo=UTC)
    assert next_open(DEMO["0700.HK"], dt.datetime(2026, 12, 7, 4, 30, tzinfo=UTC)) == \
        dt.datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
