"""/api/accounts/{account_id}/scheduled-orders: an order placed now to be sent at ``send_at`` (to the second), by
the scheduler, through the whole pipeline (``backoffice.jobs.scheduled_orders``). The body is an order's body as
``POST /api/accounts/{account_id}/orders`` takes it, plus ``send_at``. Placing and cancelling take
``accounts.trade`` on the account, listing ``accounts.read``."""
from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from backoffice.jobs.scheduled_orders import STATUSES, ScheduledOrder, ScheduledOrders
from engine.domain.policy import Action
from engine.domain.tenancy import User
from web.api.admin.base import Admin
from web.api.errors import ApiError, json_response
from web.api.openapi import ACCOUNT, AMOUNT_IN, FIX_TEXT, MAYBE_AMOUNT, MAYBE_AMOUNT_IN
from web.api.orders import SIDE_NAMES, SIDES, TIF_NAMES, TIFS, TYPE_NAMES, TYPES, new_order
from web.api.schema import content, errors, ok, record, ref

SCHEDULED_ID = {"name": "scheduled_id", "in": "path", "required": True, "schema": {"type": "string"}}


class ScheduledOrdersResource:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    @property
    def book(self) -> ScheduledOrders:
        scheduler = self.admin.office.scheduler
        job = None if scheduler is None else scheduler.jobs.get(ScheduledOrders.name)
        if not isinstance(job, ScheduledOrders):
            raise RuntimeError("the hub's scheduler runs the scheduled_orders job")
        return job

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/accounts/{account_id}/scheduled-orders", self.list)
        app.router.add_post("/api/accounts/{account_id}/scheduled-orders", self.place)
        app.router.add_delete("/api/accounts/{account_id}/scheduled-orders/{scheduled_id}", self.cancel)

    def _account(self, request: web.Request, action: Action) -> tuple[User, str]:
        actor = self.admin.actor(request)
        account_id = request.match_info["account_id"]
        target = self.admin.office.policy.account_target(account_id)
        if target is None:
            raise ApiError(403, "forbidden", f"account {account_id[:64]} is not yours")
        self.admin.office.require(actor, action, target)
        return actor, account_id

    async def list(self, request: web.Request) -> web.Response:
        _, account_id = self._account(request, Action.ACCOUNTS_READ)
        return json_response([_json(s) for s in self.book.of_account(account_id)])

    async def place(self, request: web.Request) -> web.Response:
        actor, account_id = self._account(request, Action.ACCOUNTS_TRADE)
        body = await self.admin.body(request)
        send_at = _send_at(body.pop("send_at", None))
        scheduled = self.book.place(actor, new_order(body, account_id), send_at)
        return json_response(_json(scheduled), status=201)

    async def cancel(self, request: web.Request) -> web.Response:
        _, account_id = self._account(request, Action.ACCOUNTS_TRADE)
        return json_response(_json(self.book.cancel(account_id, request.match_info["scheduled_id"])))

    def paths(self) -> dict[str, Any]:
        return {
            "/api/accounts/{account_id}/scheduled-orders": {
                "get": {"summary": "scheduled orders, newest first", "parameters": [ACCOUNT],
                        "responses": {**ok(200, {"type": "array", "items": ref("ScheduledOrder")},
                                           "the scheduled orders"), **errors(401, 403)}},
                "post": {"summary": "schedule an order to be sent at send_at (to the second, at most 90 days "
                                    "ahead)", "parameters": [ACCOUNT],
                         "requestBody": {"required": True, **content(ref("ScheduledOrderRequest"))},
                         "responses": {**ok(201, ref("ScheduledOrder"), "kept; sent at send_at"),
                                       **errors(400, 401, 403, 409, 415)}},
            },
            "/api/accounts/{account_id}/scheduled-orders/{scheduled_id}": {
                "delete": {"summary": "cancel a scheduled order not yet sent", "parameters": [ACCOUNT, SCHEDULED_ID],
                           "responses": {**ok(200, ref("ScheduledOrder"), "cancelled"),
                                         **errors(401, 403, 404, 409, 415)}},
            },
        }

    def schemas(self) -> dict[str, Any]:
        time = {"type": "string", "format": "date-time"}
        maybe_text = {"type": ["string", "null"]}
        request = record({
            "send_at": time, "cl_ord_id": FIX_TEXT, "symbol": FIX_TEXT, "side": {"enum": list(SIDES)},
            "type": {"enum": list(TYPES)}, "quantity": AMOUNT_IN, "price": MAYBE_AMOUNT_IN,
            "stop_price": MAYBE_AMOUNT_IN, "time_in_force": {"enum": list(TIFS)},
            "expire_at": {"type": ["string", "null"], "format": "date-time"}, "trail": MAYBE_AMOUNT_IN,
            "take_profit": MAYBE_AMOUNT_IN, "stop_loss": MAYBE_AMOUNT_IN,
            "position_id": {**FIX_TEXT, "type": ["string", "null"]},
        }, ["send_at", "symbol", "side", "type", "quantity"])
        request["additionalProperties"] = False
        return {
            "ScheduledOrderRequest": request,
            "ScheduledOrder": record({
                "scheduled_id": {"type": "string"}, "account_id": {"type": "string"},
                "placed_by": {"type": "string"}, "send_at": time, "status": {"enum": list(STATUSES)},
                "cl_ord_id": {"type": "string"}, "symbol": {"type": "string"}, "side": {"enum": list(SIDES)},
                "type": {"enum": list(TYPES)}, "quantity": {"type": "string"}, "price": MAYBE_AMOUNT,
                "stop_price": MAYBE_AMOUNT, "time_in_force": {"enum": list(TIFS)},
                "expire_at": {"type": ["string", "null"], "format": "date-time"}, "trail": MAYBE_AMOUNT,
                "take_profit": MAYBE_AMOUNT, "stop_loss": MAYBE_AMOUNT, "position_id": maybe_text,
                "order_id": maybe_text, "reject_code": maybe_text, "reject_reason": maybe_text,
                "created_at": time, "updated_at": time}),
        }


def _send_at(value: object) -> dt.datetime:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ApiError(400, "bad_send_at", "send_at is required: an ISO-8601 time with its UTC offset")
    try:
        send_at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "bad_send_at", "send_at must be an ISO-8601 time with its UTC offset") from None
    if send_at.tzinfo is None:
        raise ApiError(400, "bad_send_at", "send_at must carry its UTC offset")
    return send_at


def _amount(value: object) -> str | None:
    return None if value is None else str(value)


def _json(scheduled: ScheduledOrder) -> dict[str, Any]:
    order = scheduled.order
    return {"scheduled_id": scheduled.scheduled_id, "account_id": order.account_id, "placed_by": scheduled.placed_by,
            "send_at": scheduled.send_at.isoformat(), "status": scheduled.status, "cl_ord_id": order.cl_ord_id,
            "symbol": order.symbol, "side": SIDE_NAMES[order.side], "type": TYPE_NAMES[order.ord_type],
            "quantity": str(order.quantity), "price": _amount(order.price), "stop_price": _amount(order.stop_price),
            "time_in_force": TIF_NAMES[order.time_in_force],
            "expire_at": order.expire_at.isoformat() if order.expire_at else None, "trail": _amount(order.trail),
            "take_profit": _amount(order.take_profit), "stop_loss": _amount(order.stop_loss),
            "position_id": order.position_id, "order_id": scheduled.order_id,
            "reject_code": scheduled.rejection.code if scheduled.rejection else None,
            "reject_reason": scheduled.rejection.reason if scheduled.rejection else None,
            "created_at": scheduled.created_at.isoformat(), "updated_at": scheduled.updated_at.isoformat()}
