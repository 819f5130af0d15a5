"""Binance's own record of an order, read over REST: every generation of its client order ID chain (each
cancelReplace made a new Binance order), the trades of each, and an order placed before a restart rebuilt from
them. What the order flow reconciles with and adopts from."""
from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from adapters.binance.errors import BinanceError, StatusUnknown
from adapters.binance.instruments import SymbolRules
from adapters.binance.orders import (
    ORD_TYPES,
    ORDER_STATUS,
    TIME_IN_FORCE,
    ZERO,
    AtBinance,
    OrderEndpoints,
    Tracked,
    client_id,
)
from adapters.binance.rest import RestClient
from adapters.tracked import TrackedOrder
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.ports import VenueDown, VenueOrder

Chain = list[dict[str, Any]]   # one GET order answer per generation, oldest first


async def query_chain(rest: RestClient, endpoints: OrderEndpoints, venue_symbol: str, order_id: str) -> Chain:
    """Every generation of an order, oldest first: only a canceled one can have been replaced by the next.
    VenueDown when Binance cannot say."""
    chain: Chain = []
    for generation in itertools.count():
        try:
            answer = await rest.signed("GET", endpoints.order, [
                ("symbol", venue_symbol), ("origClientOrderId", client_id(order_id, generation)), *endpoints.params],
                weight=endpoints.query_weight)
        except BinanceError as error:
            if error.code == -2013:
                break
            raise VenueDown(f"{rest.config.name}: {error}") from error
        except StatusUnknown as unknown:
            raise VenueDown(f"{rest.config.name}: {unknown}") from unknown
        chain.append(answer)
        if answer["status"] != "CANCELED":
            break
    return chain


async def trades_of(rest: RestClient, endpoints: OrderEndpoints, venue_symbol: str,
                    answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The trades of one generation, in the order Binance made them."""
    trades: list[dict[str, Any]] = await rest.signed("GET", endpoints.trades, [
        ("symbol", venue_symbol), ("orderId", str(answer["orderId"])), *endpoints.params],
        weight=endpoints.trades_weight)
    return sorted(trades, key=lambda trade: int(trade["id"]))


async def adopted(rest: RestClient, endpoints: OrderEndpoints, rules: SymbolRules, order_id: str,
                  chain: Chain) -> Tracked:
    """An order this adapter did not place, rebuilt from Binance's record of it: the trades it has now count as
    reported (the status answer tells the OMS their total), later ones are reported as for our own orders."""
    first, last = chain[0], chain[-1]
    executed = sum((Decimal(a["executedQty"]) for a in chain), ZERO)
    total = executed - Decimal(last["executedQty"]) + Decimal(last["origQty"])
    time_in_force = str(first.get("timeInForce", "GTC"))
    order = VenueOrder(order_id, rules.symbol, Side.BUY if first["side"] == "BUY" else Side.SELL,
                       ORD_TYPES.get(first["type"], OrdType.LIMIT), total,
                       TimeInForce[time_in_force] if time_in_force in TIME_IN_FORCE.values() else TimeInForce.GTC,
                       Decimal(last["price"]) or None, Decimal(first["stopPrice"]) if first.get("stopPrice") else None)
    t: Tracked = TrackedOrder(order, AtBinance(rules.venue_symbol, first["type"], generation=len(chain) - 1))
    status = ORDER_STATUS.get(last["status"], OrdStatus.NEW)
    spent = sum((Decimal(a["cummulativeQuoteQty"]) for a in chain), ZERO)
    traded, traded_spent = ZERO, ZERO
    for answer in chain:
        if Decimal(answer["executedQty"]):
            trades = await trades_of(rest, endpoints, rules.venue_symbol, answer)
            t.at_venue.trade_ids.update(int(trade["id"]) for trade in trades)   # the OMS has these already
            traded += sum((Decimal(trade["qty"]) for trade in trades), ZERO)
            traded_spent += sum((Decimal(trade["qty"]) * Decimal(trade["price"]) for trade in trades), ZERO)
    if traded > executed:  # it traded again between the two queries: those trades count as reported too
        executed, spent = traded, traded_spent
        if executed >= total:
            status = OrdStatus.FILLED
    t.adopt(status, executed, spent / executed if executed else ZERO, str(last["orderId"]))
    return t
