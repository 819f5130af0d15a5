"""The Binance simulator's scenario API over HTTP (/sim/...), for QA scripts driving a simulator started with
`dynamictech sim binance`; each route calls the scenario method of the same name on BinanceSimulator."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from aiohttp import web

from simulators.binance.rest_api import SIM, json_response

routes = web.RouteTableDef()


async def _body(request: web.Request) -> dict[str, Any]:
    return orjson.loads(await request.read() or b"{}")


@routes.post("/sim/price")
async def _set_price(request: web.Request) -> web.Response:
    body = await _body(request)
    request.app[SIM].set_price(body["symbol"], Decimal(str(body["price"])))
    return json_response({})


@routes.post("/sim/partial-fill")
async def _partial_fill(request: web.Request) -> web.Response:
    request.app[SIM].force_partial_fill(Decimal(str((await _body(request)).get("ratio", "0.5"))))
    return json_response({})


@routes.post("/sim/timeout-next-order")
async def _timeout_next(request: web.Request) -> web.Response:
    request.app[SIM].timeout_next_order(bool((await _body(request)).get("silent", True)))
    return json_response({})


@routes.post("/sim/drop-websockets")
async def _drop(request: web.Request) -> web.Response:
    await request.app[SIM].drop_websockets(float((await _body(request)).get("refuse_for", 0)))
    return json_response({})


@routes.post("/sim/rate-limit")
async def _rate_limit(request: web.Request) -> web.Response:
    request.app[SIM].rate_limit_now(float((await _body(request)).get("retry_after", 1)))
    return json_response({})


@routes.post("/sim/ban")
async def _ban(request: web.Request) -> web.Response:
    request.app[SIM].ban_now(float((await _body(request)).get("seconds", 120)))
    return json_response({})


@routes.post("/sim/latency")
async def _latency(request: web.Request) -> web.Response:
    request.app[SIM].add_latency(float((await _body(request)).get("seconds", 0)))
    return json_response({})


@routes.post("/sim/skip-depth")
async def _skip_depth(request: web.Request) -> web.Response:
    body = await _body(request)
    request.app[SIM].skip_depth_updates(body["symbol"], int(body.get("count", 1)))
    return json_response({})


@routes.post("/sim/fix-news")
async def _fix_news(request: web.Request) -> web.Response:
    body = await _body(request)
    request.app[SIM].announce_maintenance(str(body.get("headline", "Your connection is about to be closed. "
                                                                   "Please reconnect.")))
    return json_response({})


@routes.post("/sim/user-event")
async def _user_event(request: web.Request) -> web.Response:
    """Body: {"event": {...}} for one event of the caller's making, or {"frame": "..."} for raw text."""
    body = await _body(request)
    request.app[SIM].inject_user_event(body["event"] if "event" in body else str(body["frame"]))
    return json_response({})


@routes.post("/sim/fix-drop")
async def _fix_drop(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    if sim.fix is not None:
        await sim.fix.drop_sessions(float((await _body(request)).get("refuse_for", 0)))
    return json_response({})


@routes.get("/sim/state")
async def _state(request: web.Request) -> web.Response:
    exchange = request.app[SIM].exchange
    return json_response({"prices": {s: str(b.mid) for s, b in exchange.books.items()},
                          "balances": {a: str(v) for a, v in exchange.balances.items()},
                          "openOrders": [o.as_json() for o in exchange.open_orders(None)]})
