"""What the Binance adapter keeps of each order beyond the shared record (``adapters.tracked``), Binance's words for
ours, and the reports both order transports (REST and FIX) make the same way: a trade reported once by its trade
ID, a replace once by its generation."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal

from adapters.tracked import Reporter, TrackedOrder
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce

ZERO = Decimal(0)

ORDER_STATUS = {
    "NEW": OrdStatus.NEW, "PENDING_NEW": OrdStatus.PENDING_NEW, "PARTIALLY_FILLED": OrdStatus.PARTIALLY_FILLED,
    "FILLED": OrdStatus.FILLED, "CANCELED": OrdStatus.CANCELED, "PENDING_CANCEL": OrdStatus.PENDING_CANCEL,
    "REJECTED": OrdStatus.REJECTED, "EXPIRED": OrdStatus.EXPIRED, "EXPIRED_IN_MATCH": OrdStatus.EXPIRED,
}
SIDES = {Side.BUY: "BUY", Side.SELL: "SELL"}
TIME_IN_FORCE = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}
ORD_TYPES = {"MARKET": OrdType.MARKET, "LIMIT": OrdType.LIMIT, "LIMIT_MAKER": OrdType.LIMIT,
             "STOP_LOSS": OrdType.STOP, "TAKE_PROFIT": OrdType.STOP,
             "STOP_LOSS_LIMIT": OrdType.STOP_LIMIT, "TAKE_PROFIT_LIMIT": OrdType.STOP_LIMIT}


@dataclass(frozen=True, slots=True)
class OrderEndpoints:
    """Where an account's orders and trades live, with each call's documented request weight."""

    order: str
    trades: str
    place_weight: int
    cancel_weight: int
    query_weight: int
    trades_weight: int
    params: tuple[tuple[str, str], ...] = ()     # sent with every order, cancel and query


SPOT = OrderEndpoints("/api/v3/order", "/api/v3/myTrades", 1, 1, 4, 5)
# Margin Trading, Trade: weights 6 (UID) to place, 10 (IP) to cancel, query or list trades; cross margin only.
MARGIN = OrderEndpoints("/sapi/v1/margin/order", "/sapi/v1/margin/myTrades", 6, 10, 10, 10, (("isIsolated", "FALSE"),))


def client_id(order_id: str, generation: int) -> str:
    """newClientOrderId of each generation: our order ID first, then one new ID per cancelReplace."""
    return order_id if generation == 0 else f"{order_id}-r{generation}"


@dataclass(slots=True)
class AtBinance:
    """How Binance knows an order: its symbol and order type there, the generation it is in (each cancelReplace
    makes a new Binance order), the trades and replaces already reported, and a replace in flight (its
    generation, total quantity and price)."""

    venue_symbol: str
    venue_type: str
    generation: int = 0
    trade_ids: set[int] = field(default_factory=set)
    replaced: set[int] = field(default_factory=set)
    pending: tuple[int, Decimal, Decimal | None] | None = None


Tracked = TrackedOrder[AtBinance]


def current_id(t: Tracked) -> str:
    """The client order ID the order goes by at Binance now."""
    return client_id(t.order.order_id, t.at_venue.generation)


def report_trade(reports: Reporter, t: Tracked, trade_id: int, quantity: Decimal, price: Decimal) -> None:
    """A trade of the order, from any source (the REST answer, the stream, a query), reported once."""
    if trade_id in t.at_venue.trade_ids or quantity <= 0:
        return
    reports.accepted(t)
    t.at_venue.trade_ids.add(trade_id)
    reports.filled(t, f"{t.at_venue.venue_symbol}-{trade_id}", quantity, price)


def report_replaced(reports: Reporter, t: Tracked, generation: int, quantity: Decimal | None = None,
                    price: Decimal | None = None) -> None:
    """Generation ``generation`` took over, with the replace's terms (or those given, from Binance's record)."""
    venue = t.at_venue
    if generation in venue.replaced:
        return
    venue.replaced.add(generation)
    if venue.pending is not None and venue.pending[0] == generation:
        _, quantity, price = venue.pending
        venue.pending = None
    venue.generation = max(venue.generation, generation)
    reports.replaced(t, t.order if quantity is None else dataclasses.replace(t.order, quantity=quantity, price=price))
