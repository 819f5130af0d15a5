"""Cross margin orders on the simulated Binance (developers.binance.com, Margin Trading, Trade): POST, DELETE and GET
/sapi/v1/margin/order, GET /sapi/v1/margin/openOrders and /sapi/v1/margin/myTrades. They match on the spot books and
trade from the margin account's wallet; sideEffectType MARGIN_BUY borrows what the order lacks when it is placed,
AUTO_REPAY repays the liability in what each trade brings in, AUTO_BORROW_REPAY does both. Their executionReports
go to the margin user data stream (a WebSocket API subscription made with a listenToken, see server.py)."""
from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from simulators.binance.book import ZERO, ApiError, fmt, now_ms
from simulators.binance.exchange import SimOrder, _decimal, cancel_response
from simulators.binance.rest_api import SIM, json_response, signed

routes = web.RouteTableDef()
SIDE_EFFECTS = ("NO_SIDE_EFFECT", "MARGIN_BUY", "AUTO_REPAY", "AUTO_BORROW_REPAY")
LISTEN_TOKEN_VALIDITY_MS = 24 * 3600 * 1000


def _cross(params: dict[str, str]) -> None:
    if params.get("isIsolated", "FALSE").upper() != "FALSE":
        raise ApiError(-1020, "This operation is not supported.")     # isolated margin is not simulated


def _margin_json(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "isIsolated": False}


@routes.post("/sapi/v1/margin/order")
async def new_margin_order(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    _cross(params)
    side_effect = params.get("sideEffectType", "NO_SIDE_EFFECT")
    if side_effect not in SIDE_EFFECTS:
        raise ApiError(-1102, "Mandatory parameter 'sideEffectType' was not sent, was empty/null, or malformed.")
    exchange, account = sim.exchange, sim.margin
    spec = exchange.spec(params.get("symbol", ""))
    side = params.get("side", "")
    loan, asset = ZERO, ""
    if side_effect in ("MARGIN_BUY", "AUTO_BORROW_REPAY") and side in ("BUY", "SELL"):
        quantity = _decimal(params, "quantity", required=True)
        assert quantity is not None
        asset = spec.quote if side == "BUY" else spec.base
        needed = exchange.cost(spec.symbol, side, quantity, _decimal(params, "price", required=False)) \
            if side == "BUY" else quantity
        loan = account.borrow_shortfall(asset, needed)
        try:
            order = exchange.place(params, account="MARGIN", side_effect=side_effect)
        except ApiError:
            if loan:
                account.repay(asset, loan)        # the order failed: so did its loan
            raise
    else:
        order = exchange.place(params, account="MARGIN", side_effect=side_effect)
    body = _margin_json(exchange.full_response(order))
    if asset:
        body.update(marginBuyBorrowAmount=fmt(loan), marginBuyBorrowAsset=asset)
    if params.get("newOrderRespType") == "ACK":
        body = {"symbol": order.symbol, "orderId": order.order_id, "clientOrderId": order.client_order_id,
                "isIsolated": False, "transactTime": order.time}
    return json_response(body)


@routes.delete("/sapi/v1/margin/order")
async def cancel_margin_order(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    _cross(params)
    order, cancel_id = sim.exchange.cancel(params.get("symbol", ""), params.get("orderId"),
                                           params.get("origClientOrderId"), params.get("newClientOrderId"),
                                           account="MARGIN")
    return json_response(_margin_json(cancel_response(order, cancel_id)))


@routes.get("/sapi/v1/margin/order")
async def query_margin_order(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    _cross(params)
    if "orderId" not in params and "origClientOrderId" not in params:
        raise ApiError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
    order: SimOrder = sim.exchange.query(params.get("symbol", ""), params.get("orderId"),
                                         params.get("origClientOrderId"), account="MARGIN")
    return json_response(_margin_json(order.as_json()))


@routes.get("/sapi/v1/margin/openOrders")
async def margin_open_orders(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    _cross(params)
    return json_response([_margin_json(o.as_json())
                          for o in sim.exchange.open_orders(params.get("symbol"), account="MARGIN")])


@routes.get("/sapi/v1/margin/myTrades")
async def margin_trades(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    params = await signed(request)
    _cross(params)
    order_id = int(params["orderId"]) if "orderId" in params else None
    return json_response([_margin_json(t.as_json())
                          for t in sim.exchange.my_trades(params.get("symbol", ""), order_id, account="MARGIN")])


@routes.post("/sapi/v1/userListenToken")
async def listen_token(request: web.Request) -> web.Response:
    """A token for the cross margin account's user data stream (userDataStream.subscribe.listenToken)."""
    sim = request.app[SIM]
    params = await signed(request)
    if params.get("isIsolated", "false").lower() != "false":
        raise ApiError(-1020, "This operation is not supported.")
    validity = min(int(params.get("validity", LISTEN_TOKEN_VALIDITY_MS)), LISTEN_TOKEN_VALIDITY_MS)
    token, expires = secrets.token_urlsafe(48), now_ms() + validity
    sim.listen_tokens[token] = expires
    return json_response({"token": token, "expirationTime": expires})
