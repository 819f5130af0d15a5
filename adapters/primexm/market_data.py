"""The quote session's side, sans-IO: MarketDataRequests out; snapshots, MassQuotes or incremental refreshes in;
top of book out as engine.ports.Quote, stamped by the adapter's clock.

PrimeXM sends a MarketDataSnapshotFullRefresh (W) per subscription (MDEntryType/Px/Size per level, the level in
QuoteEntryID, the LP number in Issuer), then MassQuotes (i) whose quote sets are named by the request's MDReqID
and whose entries carry only what changed: prices only, one size only, one side only, or everything. The book
keeps each level from the snapshot on and applies every entry to it. A plain FIX 4.4 LP, and XCore at times,
follows W with MarketDataIncrementalRefresh (X) instead; both are read in either dialect, whichever arrives (the
dialects' dictionaries, fix_specs/PRIMEXM44.xml and PRIMEXM-FIX44.xml, hold X, and Issuer in W's entries).
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import structlog

from adapters.primexm.instruments import InstrumentMap, VenueInstrument, read_decimal
from engine.ports import Clock, Quote
from fix_sessions.codec import Message, Value
from fix_sessions.utctime import parse_timestamp

log = structlog.get_logger("adapters.primexm")

BID, OFFER = b"0", b"1"
DELETE_LEVEL = Decimal(-1)  # a size of -1 removes the level (the public client's reading of PrimeXM's feed)
_W_MEMBERS = frozenset({269, 270, 271, 299, 106, 278, 290, 15})
_X_MEMBERS = frozenset({279, 269, 270, 271, 299, 106, 278, 290, 55, 15})
_QUOTE_ENTRY_MEMBERS = frozenset({106, 134, 135, 188, 190})

Body = list[tuple[int, Value]]


@dataclass(slots=True)
class Level:
    price: Decimal | None = None
    size: Decimal | None = None
    issuer: str | None = None

    @property
    def live(self) -> bool:
        return self.price is not None and (self.size is None or self.size > 0)


@dataclass(slots=True)
class Book:
    """One subscription's levels per side, keyed by QuoteEntryID (or MDEntryID)."""

    bids: dict[str, Level] = field(default_factory=dict)
    offers: dict[str, Level] = field(default_factory=dict)

    def side(self, entry_type: bytes) -> dict[str, Level]:
        return self.bids if entry_type == BID else self.offers

    def update(self, entry_type: bytes, level_id: str, price: Decimal | None, size: Decimal | None,
               issuer: str | None) -> None:
        """Apply what an entry carries; what it leaves out stays as it was."""
        levels = self.side(entry_type)
        if size == DELETE_LEVEL:
            levels.pop(level_id, None)
            return
        level = levels.setdefault(level_id, Level())
        if price is not None:
            level.price = price
        if size is not None:
            level.size = size
        if issuer is not None:
            level.issuer = issuer

    def top(self, entry_type: bytes) -> tuple[Decimal | None, Decimal | None]:
        """Best price and the size quoted at it (summed over levels at that price; None if any is unsized)."""
        live = [level for level in self.side(entry_type).values() if level.live]
        if not live:
            return None, None
        best = (max if entry_type == BID else min)(level.price for level in live if level.price is not None)
        sizes = [level.size for level in live if level.price == best]
        if any(size is None for size in sizes):
            return best, None
        return best, sum((size for size in sizes if size is not None), Decimal(0))


class MarketData:
    """Subscriptions and books of one quote session; ``on_message`` returns the quotes that changed and the
    messages to send back (MassQuoteAcknowledgement)."""

    def __init__(self, venue: str, instruments: InstrumentMap, clock: Clock, *, depth: int, dialect: str,
                 stream_name: str | None = None, stale_after: float = 30.0) -> None:
        self.venue = venue
        self.instruments = instruments
        self.depth = depth
        self.dialect = dialect
        self.stream_name = stream_name
        self.stale_after = dt.timedelta(seconds=stale_after)
        self.clock = clock
        self.wanted: set[str] = set()
        self.errors: dict[str, str] = {}           # symbol -> the LP's reason for refusing its subscription
        self._requests: dict[str, str] = {}        # MDReqID -> symbol, for this logon
        self._books: dict[str, Book] = {}
        self._quotes: dict[str, Quote] = {}
        self._ids = itertools.count(1)
        self._unknown_sets: set[str] = set()

    # ------------------------------------------------------------------ subscriptions
    def want(self, symbols: Iterable[str]) -> list[str]:
        """Remember ``symbols``; returns those not requested yet on this logon (unknown ones are logged)."""
        fresh = []
        for symbol in symbols:
            if self.instruments.get(symbol) is None:
                log.warning("adapters.primexm.subscribe_unknown_symbol", venue=self.venue, symbol=symbol)
                continue
            self.wanted.add(symbol)
            self.errors.pop(symbol, None)
            if symbol not in self._requests.values():
                fresh.append(symbol)
        return fresh

    def request(self, symbol: str) -> Body:
        """A MarketDataRequest (V) body: snapshot plus updates, bid and offer, one symbol."""
        instrument = self.instruments.get(symbol)
        assert instrument is not None
        md_req_id = str(next(self._ids))
        self._requests[md_req_id] = symbol
        body: Body = [(262, md_req_id), (263, b"1"), (264, self.depth), (265, b"1")]
        if self.stream_name:
            body.append((7533, self.stream_name))
        body += [(267, 2), (269, BID), (269, OFFER), (146, 1), (55, instrument.venue_symbol)]
        return body

    def session_down(self) -> None:
        """The quote session is gone: its subscriptions and books with it; ``wanted`` is asked again on logon."""
        self._requests.clear()
        self._books.clear()
        self._quotes.clear()

    def quote(self, symbol: str) -> Quote | None:
        quote = self._quotes.get(symbol)
        if quote is None or self.clock() - quote.received_at > self.stale_after:
            return None
        return quote

    # ------------------------------------------------------------------ inbound
    def on_message(self, message: Message) -> tuple[list[Quote], list[tuple[bytes, Body]]]:
        msg_type = message.msg_type
        if msg_type == b"W":
            return self._snapshot(message), []
        if msg_type == b"i":
            return self._mass_quote(message)
        if msg_type == b"X":
            return self._incremental(message), []
        if msg_type == b"Y":
            self._rejected(message)
        else:
            log.warning("adapters.primexm.unexpected_quote_message", venue=self.venue,
                        msg_type=msg_type.decode("latin-1"))
        return [], []

    def _snapshot(self, message: Message) -> list[Quote]:
        symbol = self._symbol(message.get_str(262), message.get_str(55))
        if symbol is None:
            return []
        book = self._books[symbol] = Book()
        counts = {BID: 0, OFFER: 0}
        for entry in _instances(message, 268, 269, _W_MEMBERS):
            entry_type = entry.get(269)
            if entry_type not in counts:
                continue
            level_id = _level_id(entry, str(counts[entry_type]))
            counts[entry_type] += 1
            book.update(entry_type, level_id, read_decimal(entry.get(270)), read_decimal(entry.get(271)),
                        _text(entry.get(106)))
        return self._publish(symbol, book, message)

    def _mass_quote(self, message: Message) -> tuple[list[Quote], list[tuple[bytes, Body]]]:
        quotes = []
        for set_id, entries in _quote_sets(message):
            symbol = self._requests.get(set_id)
            if symbol is None:
                if set_id not in self._unknown_sets:  # once per id, not once per tick
                    self._unknown_sets.add(set_id)
                    log.warning("adapters.primexm.unknown_quote_set", venue=self.venue, quote_set_id=set_id)
                continue
            book = self._books.setdefault(symbol, Book())
            for entry in entries:
                level_id, issuer = _text(entry.get(299)) or "0", _text(entry.get(106))
                bid_px, bid_size = read_decimal(entry.get(188)), read_decimal(entry.get(134))
                offer_px, offer_size = read_decimal(entry.get(190)), read_decimal(entry.get(135))
                if bid_px is not None or bid_size is not None:
                    book.update(BID, level_id, bid_px, bid_size, issuer)
                if offer_px is not None or offer_size is not None:
                    book.update(OFFER, level_id, offer_px, offer_size, issuer)
            quotes += self._publish(symbol, book, message)
        replies: list[tuple[bytes, Body]] = []
        quote_id = message.get(117)
        if quote_id is not None:
            ack: Body = [(117, quote_id)]
            if self.dialect == "fix44":
                ack.append((297, b"0"))  # QuoteStatus: accepted (standard FIX 4.4 requires it)
            replies.append((b"b", ack))
        return quotes, replies

    def _incremental(self, message: Message) -> list[Quote]:
        touched: dict[str, Book] = {}
        for entry in _instances(message, 268, 279, _X_MEMBERS):
            entry_type = entry.get(269)
            if entry_type not in (BID, OFFER):
                continue
            venue_symbol = _text(entry.get(55))
            symbol = self._symbol(message.get_str(262), venue_symbol)
            if symbol is None:
                continue
            book = touched[symbol] = self._books.setdefault(symbol, Book())
            level_id = _level_id(entry, "0")
            if entry.get(279) == b"2":
                book.side(entry_type).pop(level_id, None)
            else:
                book.update(entry_type, level_id, read_decimal(entry.get(270)), read_decimal(entry.get(271)),
                            _text(entry.get(106)))
        return [quote for symbol, book in touched.items() for quote in self._publish(symbol, book, message)]

    def _rejected(self, message: Message) -> None:
        md_req_id = message.get_str(262) or ""
        symbol = self._requests.pop(md_req_id, None)
        text = message.get_str(58) or "no reason given"
        if symbol is not None:
            self.errors[symbol] = text
            self.wanted.discard(symbol)  # not asked again at every logon; a new subscribe() asks again
        log.warning("adapters.primexm.market_data_rejected", venue=self.venue, md_req_id=md_req_id, symbol=symbol,
                    text=text, reason=message.get_str(281))

    # ------------------------------------------------------------------ helpers
    def _symbol(self, md_req_id: str | None, venue_symbol: str | None) -> str | None:
        if md_req_id is not None and md_req_id in self._requests:
            return self._requests[md_req_id]
        instrument = self.instruments.by_venue_symbol(venue_symbol) if venue_symbol else None
        if instrument is None or instrument.symbol not in self.wanted:
            log.warning("adapters.primexm.unrequested_market_data", venue=self.venue, md_req_id=md_req_id,
                        symbol=venue_symbol)
            return None
        return instrument.symbol

    def _publish(self, symbol: str, book: Book, message: Message) -> list[Quote]:
        """The new top of book, if it differs from the last one published."""
        instrument = self.instruments.get(symbol)
        assert instrument is not None
        bid, bid_size = book.top(BID)
        ask, ask_size = book.top(OFFER)
        quote = Quote(self.venue, symbol, bid, ask, _lots(instrument, bid_size), _lots(instrument, ask_size),
                      venue_time=_sending_time(message), received_at=self.clock())
        last = self._quotes.get(symbol)
        self._quotes[symbol] = quote  # kept even when unchanged: the LP still stands by it
        if last is not None and (last.bid, last.ask, last.bid_size, last.ask_size) == (
                quote.bid, quote.ask, quote.bid_size, quote.ask_size):
            return []
        return [quote]


def _instances(message: Message, count_tag: int, delimiter: int, members: frozenset[int]) -> list[dict[int, bytes]]:
    """The instances of a flat repeating group: each opens with ``delimiter``; member tags fill the current one."""
    instances: list[dict[int, bytes]] = []
    inside = False
    for tag, value in message.fields:
        if tag == count_tag:
            inside = True
        elif inside and tag == delimiter:
            instances.append({tag: value})
        elif inside and instances and tag in members:
            instances[-1].setdefault(tag, value)
    return instances


def _quote_sets(message: Message) -> list[tuple[str, list[dict[int, bytes]]]]:
    """MassQuote's NoQuoteSets, each QuoteSetID with its NoQuoteEntries instances."""
    sets: list[tuple[str, list[dict[int, bytes]]]] = []
    for tag, value in message.fields:
        if tag == 302:
            sets.append((value.decode("latin-1"), []))
        elif tag == 299 and sets:
            sets[-1][1].append({299: value})
        elif tag in _QUOTE_ENTRY_MEMBERS and sets and sets[-1][1]:
            sets[-1][1][-1].setdefault(tag, value)
    return sets


def _level_id(entry: dict[int, bytes], default: str) -> str:
    for tag in (299, 278, 290):
        if tag in entry:
            return entry[tag].decode("latin-1")
    return default


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


def _lots(instrument: VenueInstrument, size: Decimal | None) -> Decimal | None:
    return None if size is None else instrument.from_venue_quantity(size)


def _sending_time(message: Message) -> dt.datetime | None:
    raw = message.get(52)
    if raw is None:
        return None
    return dt.datetime.fromtimestamp(parse_timestamp(raw), tz=dt.UTC)
