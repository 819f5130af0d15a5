"""The price path: bad input dropped and counted, best bid and offer across venues, one depth book, conflation
that keeps the latest and never reorders, markup per tenant group, staleness, and sequence numbers per topic."""
from __future__ import annotations

import asyncio
import datetime as dt

from engine.bus import InProcessBus
from engine.domain.terms import Markup, MarkupUnit
from engine.ports import Quote
from routing.interceptors.spread_markup import SpreadMarkup
from routing.pipeline import Pipelines
from routing.pricing import FeedLimits, PriceFeed, topic_symbol
from tests.stubs import D, btcusdt, eurusd, hsbc_hk

T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def feed(throttle: float = 0.0, clock: Clock | None = None) -> tuple[PriceFeed, list[tuple[str, dict]]]:
    markup = SpreadMarkup({("broker-a", "vip", "*"): Markup.both(D("0.00001")),
                           ("broker-a", "*", "*"): Markup.both(D("0.00003")),
                           ("broker-b", "*", "*"): Markup.both(D("0.01"), MarkupUnit.PERCENT)})
    pipelines = Pipelines([markup], {}, ["spread_markup"])
    bus = InProcessBus()
    seen: list[tuple[str, dict]] = []
    bus.subscribe("quotes.#", lambda topic, event: seen.append((topic, event)))
    from engine.domain.instrument import AssetClass
    limits = FeedLimits(throttle={AssetClass.FX: throttle, AssetClass.CRYPTO: 0.0, AssetClass.EQUITY: throttle})
    instruments = {i.symbol: i for i in (eurusd(), btcusdt(), hsbc_hk())}
    price_feed = PriceFeed(instruments, pipelines, [("broker-a", "standard"), ("broker-a", "vip"),
                                                    ("broker-b", "standard")], bus, lambda: T0, limits,
                           monotonic=clock or Clock())
    return price_feed, seen


def q(venue: str, bid: str | None, ask: str | None, symbol: str = "EUR/USD", at: dt.datetime = T0,
      **extra: object) -> Quote:
    return Quote(venue, symbol, D(bid) if bid else None, D(ask) if ask else None, venue_time=at,
                 received_at=T0, **extra)  # type: ignore[arg-type]


async def test_each_tenant_group_gets_the_best_price_across_venues_with_its_own_markup() -> None:
    price_feed, seen = feed()
    price_feed.on_quote(q("lp-1", "1.08340", "1.08350"))
    price_feed.on_quote(q("lp-2", "1.08342", "1.08352"))
    best = price_feed.best("EUR/USD")
    assert best is not None and (best.bid, best.bid_venue, best.ask, best.ask_venue) == \
        (D("1.08342"), "lp-2", D("1.08350"), "lp-1")
    latest = {topic: event for topic, event in seen}
    assert latest["quotes.broker-a.standard.EUR-USD"]["bid"] == "1.08339"   # 1.08342 less 0.3 pip
    assert latest["quotes.broker-a.standard.EUR-USD"]["ask"] == "1.08353"
    assert latest["quotes.broker-a.vip.EUR-USD"]["ask"] == "1.08351"
    # 1.08350 plus 0.01% is 1.0836083...: rounded up on the tick, in the broker's favour
    assert latest["quotes.broker-b.standard.EUR-USD"]["ask"] == "1.08361"
    assert [e["seq"] for t, e in seen if t == "quotes.broker-a.vip.EUR-USD"] == [1, 2]


async def test_bad_quotes_are_dropped_counted_and_never_published() -> None:
    price_feed, seen = feed()
    price_feed.on_quote(q("lp-1", "1.08350", "1.08340"))                       # bid above ask
    price_feed.on_quote(q("lp-1", "-1.08340", "1.08350"))                      # negative
    price_feed.on_quote(q("lp-1", "NaN", "1.08350"))                           # not a number
    price_feed.on_quote(q("lp-1", "1.08340", "1.08350", at=T0 + dt.timedelta(hours=1)))   # from the future
    price_feed.on_quote(q("lp-1", "1.08340", "1.08350", symbol="XYZ/ABC"))     # unknown
    assert seen == []
    assert price_feed.dropped == {"crossed": 1, "bad_price": 2, "future_time": 1, "unknown_symbol": 1}
    price_feed.on_quote(q("lp-1", "1.08340", "1.08350"))
    price_feed.on_quote(q("lp-1", "1.08300", "1.08310", at=T0 - dt.timedelta(seconds=1)))  # older than the last
    assert price_feed.dropped["out_of_order"] == 1
    assert {e["bid"] for _, e in seen} == {"1.08337", "1.08339", "1.08329"}


async def test_a_one_sided_quote_keeps_its_side_and_the_other_venue_fills_the_gap() -> None:
    price_feed, _ = feed()
    price_feed.on_quote(q("lp-1", "1.08340", None))
    best = price_feed.best("EUR/USD")
    assert best is not None and best.bid == D("1.08340") and best.ask is None
    price_feed.on_quote(q("lp-2", None, "1.08352"))
    best = price_feed.best("EUR/USD")
    assert best is not None and (best.bid, best.ask) == (D("1.08340"), D("1.08352"))


async def test_depth_from_several_venues_is_one_book_with_sizes_added_at_a_price() -> None:
    price_feed, _ = feed()
    price_feed.on_quote(q("lp-1", "60000", "60010", symbol="BTC/USDT",
                          bids=((D(60000), D(1)), (D(59990), D(2))), asks=((D(60010), D("0.5")),)))
    price_feed.on_quote(q("lp-2", "59990", "60020", symbol="BTC/USDT", bid_size=D(3), ask_size=D(1)))
    bids, asks = price_feed.depth("BTC/USDT")
    assert bids == [(D(60000), D(1)), (D(59990), D(5))]
    assert asks == [(D(60010), D("0.5")), (D(60020), D(1))]


async def test_forex_is_conflated_the_latest_price_wins_and_crypto_passes_at_full_rate() -> None:
    clock = Clock()
    price_feed, seen = feed(throttle=0.05, clock=clock)
    for number in range(10):
        price_feed.on_quote(q("lp-1", f"1.0834{number}", f"1.0835{number}", at=T0 + dt.timedelta(milliseconds=number)))
        price_feed.on_quote(q("lp-1", f"6000{number}", f"6001{number}", symbol="BTC/USDT",
                              at=T0 + dt.timedelta(milliseconds=number)))
    fx = [e for t, e in seen if t == "quotes.broker-a.standard.EUR-USD"]
    crypto = [e for t, e in seen if t == "quotes.broker-a.standard.BTC-USDT"]
    assert len(crypto) == 10
    assert [e["bid"] for e in fx] == ["1.08337"], "the first update goes out, the rest wait for the interval"
    clock.t += 0.05
    await asyncio.sleep(0.06)
    fx = [e for t, e in seen if t == "quotes.broker-a.standard.EUR-USD"]
    assert [e["bid"] for e in fx] == ["1.08337", "1.08346"], "then only the latest, once"
    assert [e["seq"] for e in fx] == [1, 2]


async def test_an_instrument_whose_venues_fall_silent_goes_stale_and_comes_back_with_the_next_quote() -> None:
    clock = Clock()
    price_feed, seen = feed(clock=clock)
    price_feed.on_quote(q("lp-1", "1.08340", "1.08350"))
    assert price_feed.sweep() == [] and not price_feed.is_stale("EUR/USD")
    clock.t += 11
    assert price_feed.venue_quote("lp-1", "EUR/USD") is None, "the router must not price against it"
    assert price_feed.sweep() == ["EUR/USD"]
    assert price_feed.is_stale("EUR/USD") and price_feed.best("EUR/USD") is None
    assert seen[-1][1]["stale"] is True and "bid" not in seen[-1][1]
    price_feed.on_quote(q("lp-1", "1.08341", "1.08351", at=T0 + dt.timedelta(seconds=1)))
    assert not price_feed.is_stale("EUR/USD") and seen[-1][1]["stale"] is False


def test_symbols_become_one_topic_segment() -> None:
    assert topic_symbol("EUR/USD") == "EUR-USD" and topic_symbol("0005.HK") == "0005_HK"
