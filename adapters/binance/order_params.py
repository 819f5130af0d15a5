"""What the adapter sends for an order: our order type and time in force as Binance's, and the filters checked
first, so that an order Binance would refuse is refused here, with Binance's code and reason, and never sent."""
from __future__ import annotations

from decimal import Decimal

from adapters.binance.errors import describe, reject_code
from adapters.binance.instruments import MARKET_TYPES, SymbolRules
from adapters.binance.orders import SIDES, TIME_IN_FORCE
from adapters.binance.rest import Params
from engine.domain.order import OrdType, Side, TimeInForce
from engine.ports import VenueOrder

PRICED = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
WITH_TIF = frozenset({"LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
TRIGGERED = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})


class Refusal(Exception):
    """The adapter will not send this: Binance's ``code`` and message where Binance would say the same (so the reason
    reads as Binance's and errors.CODES gives our code), else our own words and ``catalogue_code``."""

    def __init__(self, code: int | None, msg: str, catalogue_code: str | None = None) -> None:
        super().__init__(msg)
        self.code, self.msg, self.catalogue_code = code, msg, catalogue_code

    @property
    def reason(self) -> str:
        return describe(self.code, self.msg) if self.code is not None else self.msg

    @property
    def reject_code(self) -> str:
        if self.catalogue_code is not None:
            return self.catalogue_code
        return reject_code(self.code, self.msg) if self.code is not None else "venue_rejected"


def number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def choose_type(order: VenueOrder, rules: SymbolRules, post_only: bool, reference: Decimal | None) -> str:
    """STOP is Binance's STOP_LOSS when the stop lies beyond the market in the adverse direction (a buy above,
    a sell below), else TAKE_PROFIT, which Binance triggers when the price comes back to it; *_LIMIT alike."""
    if order.ord_type is OrdType.MARKET:
        return "MARKET"
    if order.ord_type is OrdType.LIMIT:
        return "LIMIT_MAKER" if post_only else "LIMIT"
    if order.stop_price is None:
        raise Refusal(-1102, "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed.")
    if reference is None:
        raise Refusal(None, f"no market price for {rules.symbol} to place a stop against", "venue_unavailable")
    loss = (order.stop_price > reference) == (order.side is Side.BUY)
    return ("STOP_LOSS" if loss else "TAKE_PROFIT") + ("_LIMIT" if order.ord_type is OrdType.STOP_LIMIT else "")


def order_params(rules: SymbolRules, side: Side, venue_type: str, time_in_force: TimeInForce, quantity: Decimal,
                 price: Decimal | None, stop_price: Decimal | None, new_client_id: str,
                 reference: Decimal | None) -> Params:
    """POST /api/v3/order's parameters (cancelReplace adds its own); ``reference`` prices market notional."""
    if not rules.trading:
        raise Refusal(-2010, "Market is closed.")
    if venue_type not in rules.order_types:
        raise Refusal(-2010, f"{venue_type} orders are not supported for this symbol.")
    if venue_type in PRICED and price is None:
        raise Refusal(-1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.")
    if venue_type in WITH_TIF and time_in_force not in TIME_IN_FORCE:
        raise Refusal(-1115, f"Invalid timeInForce. (Binance spot has no {time_in_force.name})")
    if venue_type == "MARKET" and time_in_force is TimeInForce.FOK:
        raise Refusal(-1115, "Invalid timeInForce. (a Binance MARKET order cannot be FOK; send a LIMIT FOK)")
    if venue_type == "LIMIT_MAKER" and time_in_force is not TimeInForce.GTC:
        raise Refusal(-1115, "Invalid timeInForce. (a post-only order rests: GTC only)")
    breach = rules.breach(venue_type, quantity, price if venue_type in PRICED else None,
                          stop_price if venue_type in TRIGGERED else None,
                          reference if venue_type in MARKET_TYPES else None)
    if breach:
        raise Refusal(-1013, f"{breach}; not sent")
    params: Params = [("symbol", rules.venue_symbol), ("side", SIDES[side]), ("type", venue_type)]
    if venue_type in WITH_TIF:
        params.append(("timeInForce", TIME_IN_FORCE[time_in_force]))
    params.append(("quantity", number(quantity)))
    if venue_type in PRICED and price is not None:
        params.append(("price", number(price)))
    if venue_type in TRIGGERED and stop_price is not None:
        params.append(("stopPrice", number(stop_price)))
    params += [("newClientOrderId", new_client_id), ("newOrderRespType", "FULL")]
    return params
