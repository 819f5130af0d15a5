"""A price's way (ARCHITECTURE.md section 5): venue quotes in, checked, aggregated across venues, conflated per
asset class, marked up per tenant group through the same pipeline the orders use, published on the bus.

- Bad input (bid above ask, a price that is not a positive number, a venue time far in the future, a quote older
  than the last one from the same venue) is dropped and counted, never published.
- Stale: an instrument with no update within its asset class's limit is marked stale (one event on its topics);
  the router and the risk gate ask ``is_stale``/``venue_quote`` and refuse to price against it.
- Conflation: forex, equities and commodities go out at most once per interval per instrument, crypto at full rate
  unless configured. What goes out is always the latest state, so the latest price wins and none is delivered out
  of order; slow subscribers are the fan-out's business (each keeps only its latest), never the feed's.
- Topics: ``quotes.<tenant>.<group>.<symbol>`` (symbol as ``topic_symbol`` writes it), each event numbered by
  ``seq`` per topic so a subscriber can tell a gap.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import structlog

from engine.bus import Bus
from engine.domain.instrument import AssetClass, Instrument
from engine.ports import ClientQuote, Clock, Quote
from routing.pipeline import Pipelines

log = structlog.get_logger("routing.pricing")

Level = tuple[Decimal, Decimal]  # price, size


def topic_symbol(symbol: str) -> str:
    """A symbol as one topic segment: '/' and '.' separate levels on the buses ("EUR/USD" -> "EUR-USD",
    "0005.HK" -> "0005_HK")."""
    return symbol.replace("/", "-").replace(".", "_")


@dataclass(frozen=True, slots=True)
class FeedLimits:
    throttle: Mapping[AssetClass, float] = field(default_factory=lambda: {
        AssetClass.FX: 0.05, AssetClass.EQUITY: 0.1, AssetClass.COMMODITY: 0.05, AssetClass.CRYPTO: 0.0})
    stale_after: Mapping[AssetClass, float] = field(default_factory=lambda: {
        AssetClass.FX: 10.0, AssetClass.EQUITY: 60.0, AssetClass.COMMODITY: 10.0, AssetClass.CRYPTO: 10.0})
    max_clock_skew: float = 5.0   # seconds a venue's timestamp may run ahead of ours


@dataclass(frozen=True, slots=True)
class Best:
    """The best bid and offer across venues, and who shows them."""

    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    bid_size: Decimal | None
    ask_size: Decimal | None
    bid_venue: str | None
    ask_venue: str | None
    venue_time: dt.datetime | None


@dataclass(slots=True)
class _Instrument:
    instrument: Instrument
    quotes: dict[str, Quote] = field(default_factory=dict)     # venue -> latest
    seen: dict[str, float] = field(default_factory=dict)       # venue -> monotonic time of its latest
    next_due: float = 0.0
    scheduled: bool = False
    stale: bool = False


class PriceFeed:
    def __init__(self, instruments: Mapping[str, Instrument], pipelines: Pipelines,
                 audiences: Iterable[tuple[str, str]], bus: Bus, now: Clock, limits: FeedLimits = FeedLimits(),
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.pipelines = pipelines
        self.audiences = list(audiences)   # (tenant, group) pairs that receive prices
        self.bus = bus
        self.limits = limits
        self.monotonic = monotonic
        self.now = now
        self.dropped: Counter[str] = Counter()
        self.published = 0
        self._state = {symbol: _Instrument(instrument) for symbol, instrument in instruments.items()}
        self._seq: Counter[str] = Counter()
        self._topics = {(tenant, group, symbol): f"quotes.{tenant}.{group}.{topic_symbol(symbol)}"
                        for tenant, group in self.audiences for symbol in instruments}

    def add_audience(self, tenant: str, group: str) -> None:
        """A group created while the hub runs is priced from the next quote on, like the groups it started with."""
        if (tenant, group) in self.audiences:
            return
        self.audiences.append((tenant, group))
        self._topics.update({(tenant, group, symbol): f"quotes.{tenant}.{group}.{topic_symbol(symbol)}"
                             for symbol in self._state})

    def list_instrument(self, instrument: Instrument) -> None:
        """An instrument listed (or its terms changed) while the hub runs: priced to every audience from its next
        quote on; the quotes it already has are kept."""
        state = self._state.get(instrument.symbol)
        if state is not None:
            state.instrument = instrument
            return
        self._state[instrument.symbol] = _Instrument(instrument)
        self._topics.update({(tenant, group, instrument.symbol):
                             f"quotes.{tenant}.{group}.{topic_symbol(instrument.symbol)}"
                             for tenant, group in self.audiences})

    # ---------------------------------------------------------------- in
    def on_quote(self, quote: Quote) -> bool:
        """Take a venue's quote; False when it is dropped (and counted), so nothing downstream acts on it."""
        state = self._state.get(quote.symbol)
        if state is None:
            self._drop("unknown_symbol", quote)
            return False
        reason = self._bad(quote, state)
        if reason is not None:
            self._drop(reason, quote)
            return False
        state.quotes[quote.venue] = quote
        now = self.monotonic()
        state.seen[quote.venue] = now
        if state.stale:
            state.stale = False
            log.info("price.fresh", symbol=quote.symbol, venue=quote.venue)
        interval = self.limits.throttle.get(state.instrument.asset_class, 0.0)
        if now >= state.next_due:
            state.next_due = now + interval
            self._emit(state)
        elif not state.scheduled:
            state.scheduled = True
            asyncio.get_running_loop().call_later(state.next_due - now, self._emit_due, state)
        return True

    def _bad(self, quote: Quote, state: _Instrument) -> str | None:
        for price in (quote.bid, quote.ask):
            if price is not None and not (price.is_finite() and price > 0):
                return "bad_price"
        if quote.bid is None and quote.ask is None:
            return "empty"
        if quote.bid is not None and quote.ask is not None and quote.bid > quote.ask:
            return "crossed"
        if quote.venue_time is not None:
            if (quote.venue_time - self.now()).total_seconds() > self.limits.max_clock_skew:
                return "future_time"
            previous = state.quotes.get(quote.venue)
            if previous is not None and previous.venue_time is not None and quote.venue_time < previous.venue_time:
                return "out_of_order"
        return None

    def _drop(self, reason: str, quote: Quote) -> None:
        self.dropped[reason] += 1
        if self.dropped[reason] & (self.dropped[reason] - 1) == 0:  # 1st, 2nd, 4th, 8th...: visible, not a flood
            log.warning("price.dropped", reason=reason, venue=quote.venue, symbol=quote.symbol, bid=str(quote.bid),
                        ask=str(quote.ask), count=self.dropped[reason])

    # ---------------------------------------------------------------- reading
    def best(self, symbol: str) -> Best | None:
        """Best bid and offer across the venues whose quotes are not stale."""
        state = self._state.get(symbol)
        if state is None or state.stale:
            return None
        fresh = [q for venue, q in state.quotes.items() if not self._venue_stale(state, venue)]
        bids = [q for q in fresh if q.bid is not None]
        asks = [q for q in fresh if q.ask is not None]
        if not bids and not asks:
            return None
        top_bid = max(bids, key=lambda q: q.bid) if bids else None  # type: ignore[arg-type,return-value]
        top_ask = min(asks, key=lambda q: q.ask) if asks else None  # type: ignore[arg-type,return-value]
        times = [q.venue_time for q in fresh if q.venue_time is not None]
        return Best(symbol, top_bid.bid if top_bid else None, top_ask.ask if top_ask else None,
                    top_bid.bid_size if top_bid else None, top_ask.ask_size if top_ask else None,
                    top_bid.venue if top_bid else None, top_ask.venue if top_ask else None,
                    max(times) if times else None)

    def depth(self, symbol: str, levels: int = 10) -> tuple[list[Level], list[Level]]:
        """One book from every venue's depth: sizes at the same price add up; best first."""
        state = self._state.get(symbol)
        if state is None:
            return [], []
        bids: defaultdict[Decimal, Decimal] = defaultdict(Decimal)
        asks: defaultdict[Decimal, Decimal] = defaultdict(Decimal)
        for venue, quote in state.quotes.items():
            if self._venue_stale(state, venue):
                continue
            for price, size in _levels(quote.bids, quote.bid, quote.bid_size):
                bids[price] += size
            for price, size in _levels(quote.asks, quote.ask, quote.ask_size):
                asks[price] += size
        return (sorted(bids.items(), reverse=True)[:levels], sorted(asks.items())[:levels])

    def venue_quote(self, venue: str, symbol: str) -> Quote | None:
        """A venue's latest quote, or None if it has none or it is stale (what the router prices against)."""
        state = self._state.get(symbol)
        if state is None or venue not in state.quotes or self._venue_stale(state, venue):
            return None
        return state.quotes[venue]

    def is_stale(self, symbol: str) -> bool:
        state = self._state.get(symbol)
        return state is None or state.stale or not state.quotes

    def _venue_stale(self, state: _Instrument, venue: str) -> bool:
        limit = self.limits.stale_after.get(state.instrument.asset_class, 10.0)
        return self.monotonic() - state.seen.get(venue, float("-inf")) > limit

    # ---------------------------------------------------------------- out
    def sweep(self) -> list[str]:
        """Mark instruments stale whose every venue fell silent; returns the newly stale (the hub's clock calls)."""
        newly = []
        for symbol, state in self._state.items():
            if state.quotes and not state.stale and all(self._venue_stale(state, v) for v in state.quotes):
                state.stale = True
                newly.append(symbol)
                log.warning("price.stale", symbol=symbol, limit=self.limits.stale_after.get(
                    state.instrument.asset_class))
                self._publish(state.instrument.symbol, None, stale=True)
        return newly

    def _emit_due(self, state: _Instrument) -> None:
        state.scheduled = False
        state.next_due = self.monotonic() + self.limits.throttle.get(state.instrument.asset_class, 0.0)
        self._emit(state)

    def _emit(self, state: _Instrument) -> None:
        best = self.best(state.instrument.symbol)
        if best is not None:
            self._publish(state.instrument.symbol, best, stale=False)

    def _publish(self, symbol: str, best: Best | None, *, stale: bool) -> None:
        shared: dict[str, Any] = {"symbol": symbol, "stale": stale, "time": self.now().isoformat()}
        instrument = self._state[symbol].instrument
        tick, pip = instrument.tick_size, instrument.pip
        if best is not None:   # what every group sees alike is written once
            shared.update(bid_size=_text(best.bid_size), ask_size=_text(best.ask_size),
                          venue_time=best.venue_time.isoformat() if best.venue_time else None)
        for tenant, group in self.audiences:
            topic = self._topics[(tenant, group, symbol)]
            self._seq[topic] += 1
            event = {"seq": self._seq[topic], **shared}
            if best is not None:
                quote = self.pipelines.for_group(tenant, group).on_quote(
                    ClientQuote(tenant, group, symbol, best.bid, best.ask, tick, pip))
                event["bid"], event["ask"] = _text(quote.bid), _text(quote.ask)
            self.bus.publish(topic, event)
            self.published += 1


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _levels(depth: tuple[Level, ...], top: Decimal | None, size: Decimal | None) -> tuple[Level, ...]:
    """A venue's depth, or its top of book as a one-level book when it gives no depth."""
    if depth or top is None:
        return depth
    return ((top, size or Decimal(0)),)
