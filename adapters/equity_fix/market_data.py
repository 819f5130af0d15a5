"""Top of book from the broker's FIX 4.2 market data (V out; W, X and Y in), normalised to engine.ports.Quote.

The subscription asks depth 1 for bid (269=0), offer (1) and closing price (5); the closing price is the previous
close that NSE's price bands and tick sizes are computed from.
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

import structlog

from adapters.equity_fix.fix42 import Body, market_data_request
from adapters.equity_fix.instruments import Instruments, Stock
from engine.ports import Clock, Quote
from fix_sessions.codec import Message
from fix_sessions.utctime import parse_timestamp

BID, OFFER, CLOSE = "0", "1", "5"
_DELETE = "2"


@dataclass(slots=True)
class _Entry:
    action: str = "0"
    kind: str | None = None
    venue_symbol: str | None = None
    exchange: str | None = None
    price: Decimal | None = None
    size: Decimal | None = None


@dataclass(slots=True)
class _Top:
    bid: tuple[Decimal, Decimal | None] | None = None
    ask: tuple[Decimal, Decimal | None] | None = None


class MarketData:
    """Keeps the last top of book per engine symbol and the previous closes; a quote older than ``stale_after``
    seconds by the adapter's clock, or from before a disconnect, is not served."""

    def __init__(self, venue: str, instruments: Instruments, clock: Clock, stale_after: float) -> None:
        self.venue = venue
        self.instruments = instruments
        self.clock = clock
        self.stale_after = dt.timedelta(seconds=stale_after)
        self.subscribed: set[str] = set()
        self.previous_close: dict[str, Decimal] = {}
        self._quotes: dict[str, Quote] = {}
        self._tops: dict[str, _Top] = {}
        self._ids = itertools.count(1)
        self._log = structlog.get_logger("adapters.equity_fix").bind(venue=venue)

    def request(self, stocks: list[Stock]) -> Body:
        self.subscribed.update(s.symbol for s in stocks)
        return market_data_request(f"{self.venue}-md-{next(self._ids)}", stocks)

    def resubscription(self) -> Body | None:
        """The request that restores every subscription after a logon, or None if there is none."""
        stocks = [s for symbol in sorted(self.subscribed) if (s := self.instruments.get(symbol)) is not None]
        return self.request(stocks) if stocks else None

    def quote(self, symbol: str) -> Quote | None:
        quote = self._quotes.get(symbol)
        if quote is None or self.clock() - quote.received_at > self.stale_after:
            return None
        return quote

    def disconnected(self) -> None:
        """Quotes from before a disconnect are stale; previous closes stay true for the day."""
        self._quotes.clear()
        self._tops.clear()

    def on_snapshot(self, message: Message) -> Quote | None:
        """A MarketDataSnapshotFullRefresh (W): the whole top of book for one stock."""
        stock = self.instruments.from_venue(message.get_str(55) or "", message.get_str(207))
        if stock is None:
            self._log.warning("equity_fix.md.unknown_symbol", symbol=message.get_str(55))
            return None
        self._tops[stock.symbol] = _Top()
        for entry in _entries(message, start_tag=269):
            self._apply(stock, entry)
        return self._publish(stock, message)

    def on_incremental(self, message: Message) -> list[Quote]:
        """A MarketDataIncrementalRefresh (X): changes, each naming its stock."""
        touched: dict[str, Stock] = {}
        for entry in _entries(message, start_tag=279):
            stock = self.instruments.from_venue(entry.venue_symbol or "", entry.exchange)
            if stock is None:
                continue
            self._apply(stock, entry)
            touched[stock.symbol] = stock
        return [q for s in touched.values() if (q := self._publish(s, message)) is not None]

    def on_reject(self, message: Message) -> None:
        self._log.warning("equity_fix.md.rejected", md_req_id=message.get_str(262), reason=message.get_str(281),
                          text=message.get_str(58))

    def _apply(self, stock: Stock, entry: _Entry) -> None:
        top = self._tops.setdefault(stock.symbol, _Top())
        level = None if entry.action == _DELETE or entry.price is None else (entry.price, entry.size)
        if entry.kind == BID:
            top.bid = level
        elif entry.kind == OFFER:
            top.ask = level
        elif entry.kind == CLOSE and entry.price is not None:
            self.previous_close[stock.symbol] = entry.price

    def _publish(self, stock: Stock, message: Message) -> Quote | None:
        top = self._tops.get(stock.symbol)
        if top is None or (top.bid is None and top.ask is None):
            return None
        sending_time = message.get(52)
        venue_time = (dt.datetime.fromtimestamp(parse_timestamp(sending_time), dt.UTC)
                      if sending_time else None)
        quote = Quote(self.venue, stock.symbol,
                      bid=top.bid[0] if top.bid else None, ask=top.ask[0] if top.ask else None,
                      bid_size=top.bid[1] if top.bid else None, ask_size=top.ask[1] if top.ask else None,
                      venue_time=venue_time, received_at=self.clock())
        self._quotes[stock.symbol] = quote
        return quote


def _entries(message: Message, start_tag: int) -> list[_Entry]:
    """The repeating group's instances, flat in wire order; ``start_tag`` opens each one."""
    entries: list[_Entry] = []
    for tag, raw in message.fields:
        if tag == start_tag:
            entries.append(_Entry())
        if not entries:
            continue
        value = raw.decode("latin-1")
        entry = entries[-1]
        if tag == 279:
            entry.action = value
        elif tag == 269:
            entry.kind = value
        elif tag == 55:
            entry.venue_symbol = value
        elif tag == 207:
            entry.exchange = value
        elif tag == 270:
            entry.price = Decimal(value)
        elif tag == 271:
            entry.size = Decimal(value)
    return entries
