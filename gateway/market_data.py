"""MarketDataRequest (V) on an order-entry session: its group's marked-up top of book as a snapshot (W), then an
incremental refresh (X) on every quote the price feed publishes, until the client unsubscribes (263=2) or logs out.

Entries are the bid (269=0) and the offer (269=1). A quote gone stale deletes both entries (279=2); the next fresh
quote adds them again (279=0); other updates change them (279=1). A request that cannot be served gets a
MarketDataRequestReject (Y) with MDReqRejReason(281) and nothing else.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from engine.bus import Bus
from engine.domain.instrument import Instrument
from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID
from gateway.outbox import Outbox
from gateway.reports import Fields
from routing.pricing import topic_symbol

log = structlog.get_logger("gateway.order_entry")

SNAPSHOT, SUBSCRIBE, UNSUBSCRIBE = b"0", b"1", b"2"
BID, OFFER = "0", "1"
NEW, CHANGE, DELETE = "0", "1", "2"
# MDReqRejReason(281)
UNKNOWN_SYMBOL, DUPLICATE_MD_REQ_ID, UNSUPPORTED_SUBSCRIPTION = "0", "1", "4"
UNSUPPORTED_DEPTH, UNSUPPORTED_UPDATE_TYPE, UNSUPPORTED_ENTRY_TYPE = "5", "6", "8"


class _Refused(Exception):
    def __init__(self, reason: str | None, text: str) -> None:
        super().__init__(text)
        self.reason = reason
        self.text = text


@dataclass(slots=True)
class _Subscription:
    md_req_id: str
    entry_types: frozenset[str]
    full_refresh: bool                           # MDUpdateType 0: every update as a new snapshot
    live: dict[str, bool] = field(default_factory=dict)    # symbol -> its entries are on the client's book
    unsubscribe: list[Callable[[], None]] = field(default_factory=list)


class MarketData:
    def __init__(self, bus: Bus, instruments: Mapping[str, Instrument], outbox: Outbox,
                 logged_on: Callable[[SessionID], bool]) -> None:
        self.bus = bus
        self.instruments = instruments
        self.outbox = outbox
        self.logged_on = logged_on
        self._subscriptions: dict[tuple[SessionID, str], _Subscription] = {}

    def request(self, message: Message, session_id: SessionID, tenant: str, group: str) -> None:
        md_req_id = message.get_str(262) or ""
        try:
            self._request(message, session_id, md_req_id, tenant, group)
        except _Refused as refusal:
            log.info("gateway.order_entry.md_rejected", session=str(session_id), md_req_id=md_req_id,
                     reason=refusal.reason, text=refusal.text)
            body: Fields = [(262, md_req_id)]
            if refusal.reason is not None:
                body.append((281, refusal.reason))
            self.outbox.put(session_id, b"Y", [*body, (58, refusal.text)])

    def end_session(self, session_id: SessionID) -> None:
        """Subscriptions end with the session that made them."""
        for key in [key for key in self._subscriptions if key[0] == session_id]:
            self._drop(key)

    def close(self) -> None:
        for key in list(self._subscriptions):
            self._drop(key)

    def _request(self, message: Message, session_id: SessionID, md_req_id: str, tenant: str, group: str) -> None:
        kind = message.get(263)
        key = (session_id, md_req_id)
        if kind == UNSUBSCRIBE:
            if key not in self._subscriptions:
                raise _Refused(None, f"no subscription {md_req_id} to end")
            self._drop(key)
            return
        if kind not in (SNAPSHOT, SUBSCRIBE):
            raise _Refused(UNSUPPORTED_SUBSCRIPTION, "SubscriptionRequestType must be 0, 1 or 2")
        if key in self._subscriptions:
            raise _Refused(DUPLICATE_MD_REQ_ID, f"MDReqID {md_req_id} is already subscribed")
        if message.get(264) not in (b"0", b"1"):
            raise _Refused(UNSUPPORTED_DEPTH, "only the top of book is published (MarketDepth 0 or 1)")
        update_type = message.get(265, b"1")
        if update_type not in (b"0", b"1"):
            raise _Refused(UNSUPPORTED_UPDATE_TYPE, "MDUpdateType must be 0 or 1")
        entry_types = {value.decode("latin-1") for tag, value in message.fields if tag == 269}
        if not entry_types or entry_types - {BID, OFFER}:
            raise _Refused(UNSUPPORTED_ENTRY_TYPE, "only bid (0) and offer (1) entries are published")
        symbols = list(dict.fromkeys(value.decode("latin-1") for tag, value in message.fields if tag == 55))
        unknown = [symbol for symbol in symbols if symbol not in self.instruments]
        if unknown or not symbols:
            raise _Refused(UNKNOWN_SYMBOL, f"unknown symbol {', '.join(unknown) or '(none given)'}")
        subscription = _Subscription(md_req_id, frozenset(entry_types), full_refresh=update_type == b"0")
        topics = {symbol: f"quotes.{tenant}.{group}.{topic_symbol(symbol)}" for symbol in symbols}
        for symbol, topic in topics.items():
            self._snapshot(session_id, subscription, symbol, self.bus.last(topic))
        log.info("gateway.order_entry.md_subscribed", session=str(session_id), md_req_id=md_req_id,
                 symbols=symbols, updates=kind == SUBSCRIBE)
        if kind == SNAPSHOT:
            return
        self._subscriptions[key] = subscription
        for symbol, topic in topics.items():
            subscription.unsubscribe.append(self.bus.subscribe(
                topic, functools.partial(self._on_topic, session_id, subscription, symbol)))

    def _drop(self, key: tuple[SessionID, str]) -> None:
        subscription = self._subscriptions.pop(key)
        for unsubscribe in subscription.unsubscribe:
            unsubscribe()
        log.info("gateway.order_entry.md_unsubscribed", session=str(key[0]), md_req_id=key[1])

    def _snapshot(self, session_id: SessionID, subscription: _Subscription, symbol: str,
                  quote: dict[str, Any] | None) -> None:
        entries: Fields = []
        sides = _sides(quote, subscription.entry_types)
        for entry_type, price, size in sides:
            entries += [(269, entry_type), (270, price)]
            if size is not None:
                entries.append((271, size))
        subscription.live[symbol] = bool(sides)
        self.outbox.put(session_id, b"W", [(262, subscription.md_req_id), (55, symbol), (268, len(sides)),
                                            *entries])

    def _on_topic(self, session_id: SessionID, subscription: _Subscription, symbol: str, topic: str,
                  event: dict[str, Any]) -> None:
        self._on_quote(session_id, subscription, symbol, event)

    def _on_quote(self, session_id: SessionID, subscription: _Subscription, symbol: str,
                  quote: dict[str, Any]) -> None:
        if not self.logged_on(session_id):  # prices are not worth a resend: a client back gets a new snapshot
            return
        if subscription.full_refresh:
            self._snapshot(session_id, subscription, symbol, quote)
            return
        sides = _sides(quote, subscription.entry_types)
        was_live = subscription.live.get(symbol, False)
        if not sides and not was_live:
            return
        entries: Fields = []
        if sides:
            action = CHANGE if was_live else NEW
            for entry_type, price, size in sides:
                entries += [(279, action), (269, entry_type), (55, symbol), (270, price)]
                if size is not None:
                    entries.append((271, size))
        else:
            for entry_type in sorted(subscription.entry_types):
                entries += [(279, DELETE), (269, entry_type), (55, symbol)]
        subscription.live[symbol] = bool(sides)
        count = len([tag for tag, _ in entries if tag == 279])
        self.outbox.put(session_id, b"X", [(262, subscription.md_req_id), (268, count), *entries])


def _sides(quote: dict[str, Any] | None, wanted: frozenset[str]) -> list[tuple[str, str, str | None]]:
    """(MDEntryType, price, size) of each wanted side the quote has; nothing for a stale quote."""
    if quote is None or quote.get("stale"):
        return []
    sides = []
    if BID in wanted and quote.get("bid") is not None:
        sides.append((BID, quote["bid"], quote.get("bid_size")))
    if OFFER in wanted and quote.get("ask") is not None:
        sides.append((OFFER, quote["ask"], quote.get("ask_size")))
    return sides
