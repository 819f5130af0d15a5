"""The wire form of PrimeXM's order messages, sans-IO: NewOrderSingle, OrderCancelRequest,
OrderCancelReplaceRequest and OrderStatusRequest bodies out, and the few readings of an ExecutionReport the order
flow needs. PrimeXM has no StopPx: in its dialect a stop's trigger goes in Price(44); plain FIX 4.4 uses StopPx(99).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from adapters.primexm.instruments import VenueInstrument
from engine.domain.order import OrdStatus, OrdType
from engine.ports import VenueOrder
from fix_sessions.codec import Message, Value
from fix_sessions.utctime import format_timestamp

Body = list[tuple[int, Value]]
Outbound = tuple[bytes, Body]


def new_order_single(order: VenueOrder, instrument: VenueInstrument, *, dialect: str, deviation: Decimal | None,
                     now: dt.datetime) -> Outbound:
    """OrderQty in base units with Currency(15), and Deviation(10001) on market and stop orders when configured."""
    body: Body = [(11, order.order_id), (55, instrument.venue_symbol), (15, instrument.currency),
                  (54, order.side.value), (38, wire(instrument.to_venue_quantity(order.quantity))),
                  (40, order.ord_type.value), *prices(order, dialect),
                  (59, order.time_in_force.value), (60, transact_time(now))]
    if dialect == "primexm" and deviation is not None and order.ord_type in (OrdType.MARKET, OrdType.STOP):
        body.append((10001, wire(deviation)))
    return b"D", body


def cancel_request(cl_ord_id: str, orig_cl_ord_id: str, venue_order_id: str | None, order: VenueOrder,
                   instrument: VenueInstrument, now: dt.datetime) -> Outbound:
    return b"F", [(41, orig_cl_ord_id), (11, cl_ord_id), *identity(venue_order_id, order, instrument),
                  (60, transact_time(now)), (38, wire(instrument.to_venue_quantity(order.quantity)))]


def replace_request(cl_ord_id: str, orig_cl_ord_id: str, venue_order_id: str | None, changed: VenueOrder,
                    instrument: VenueInstrument, *, dialect: str, now: dt.datetime) -> Outbound:
    return b"G", [(41, orig_cl_ord_id), (11, cl_ord_id), *identity(venue_order_id, changed, instrument),
                  (60, transact_time(now)), (38, wire(instrument.to_venue_quantity(changed.quantity))),
                  (40, changed.ord_type.value), *prices(changed, dialect), (59, changed.time_in_force.value),
                  (15, instrument.currency)]


def status_request(cl_ord_id: str, request_id: str, venue_order_id: str | None, order: VenueOrder,
                   instrument: VenueInstrument | None) -> Outbound:
    """By ClOrdID, with Symbol and Side (FIX 4.4's H needs them): what lets an LP find an order after a restart."""
    if instrument is None:
        return b"H", [(11, cl_ord_id), (790, request_id), (54, order.side.value)]
    return b"H", [(11, cl_ord_id), (790, request_id), *identity(venue_order_id, order, instrument)]


def with_terms(order: VenueOrder, quantity: Decimal, price: Decimal | None) -> VenueOrder:
    """The order as a replace asks for it: a stop's new price is its trigger, any other's its limit."""
    if order.ord_type is OrdType.STOP:
        return VenueOrder(order.order_id, order.symbol, order.side, order.ord_type, quantity, order.time_in_force,
                          price=order.price, stop_price=price)
    return VenueOrder(order.order_id, order.symbol, order.side, order.ord_type, quantity, order.time_in_force,
                      price=price, stop_price=order.stop_price)


def prices(order: VenueOrder, dialect: str) -> Body:
    """Price(44) and StopPx(99), as the dialect carries them."""
    if order.ord_type is OrdType.STOP:
        assert order.stop_price is not None
        return [(44 if dialect == "primexm" else 99, wire(order.stop_price))]
    body: Body = []
    if order.price is not None and order.ord_type is not OrdType.MARKET:
        body.append((44, wire(order.price)))
    if order.ord_type is OrdType.STOP_LIMIT and order.stop_price is not None:
        body.append((99, wire(order.stop_price)))
    return body


def identity(venue_order_id: str | None, order: VenueOrder, instrument: VenueInstrument) -> Body:
    body: Body = [(55, instrument.venue_symbol), (54, order.side.value)]
    return [(37, venue_order_id), *body] if venue_order_id else body


def ord_status(message: Message) -> OrdStatus | None:
    raw = message.get(39)
    try:
        return OrdStatus(raw.decode("latin-1")) if raw else None
    except ValueError:
        return None


def unknown_order(message: Message) -> bool:
    """The LP says it has no such order."""
    return message.get(103) == b"5" or "unknown" in (message.get_str(58) or "").lower()


def transact_time(now: dt.datetime) -> bytes:
    return format_timestamp(now.timestamp())


def wire(value: Decimal) -> str:
    """A FIX decimal: plain digits, no exponent, no trailing zeros."""
    return format(value.normalize(), "f")
