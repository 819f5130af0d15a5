"""/api/admin/commission-plans: a group's commission, a ``rate`` per ``unit`` (lot, unit or notional) of each fill
plus ``per_trade``, in the account's currency. GET lists the plans of the caller's tenants; PUT sets a group's
(the next fill is charged by it); DELETE removes it. Who may: whoever manages the group's tenant."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from backoffice.terms import Terms
from engine.domain.terms import CommissionPlan, CommissionUnit
from web.api.admin.base import ID_PATTERN, Admin
from web.api.errors import json_response
from web.api.orders import AMOUNT_PATTERN, amount, bad
from web.api.schema import content, errors, ok, record, ref

PATH = "/api/admin/commission-plans/{group_id}"


class CommissionPlans:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.terms = Terms(admin.office)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/commission-plans", self.list)
        app.router.add_put(PATH, self.put)
        app.router.add_delete(PATH, self.delete)

    async def list(self, request: web.Request) -> web.Response:
        return json_response(self.terms.plans(self.admin.actor(request)))

    async def put(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        group_id = Admin.identifier(request.match_info["group_id"], "group_id")
        body = await self.admin.body(request)
        unknown = sorted(set(body) - {"rate", "unit", "per_trade"})
        if unknown:
            raise bad(f"unknown fields: {', '.join(unknown)[:200]}")
        rate = amount(body, "rate")
        if rate is None:
            raise bad("rate is a required decimal string")
        unit = body.get("unit")
        if unit not in {u.value for u in CommissionUnit}:
            raise bad(f"unit must be one of {', '.join(u.value for u in CommissionUnit)}", "bad_unit")
        per_trade = amount(body, "per_trade")
        plan = CommissionPlan(rate, CommissionUnit(unit), per_trade if per_trade is not None else Decimal(0))
        return json_response(self.terms.put_plan(actor, group_id, plan))

    async def delete(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        self.terms.delete_plan(actor, Admin.identifier(request.match_info["group_id"], "group_id"))
        return web.Response(status=204)

    def paths(self) -> dict[str, Any]:
        group = [{"name": "group_id", "in": "path", "required": True, "schema": {"type": "string",
                                                                                "pattern": ID_PATTERN}}]
        return {
            "/api/admin/commission-plans": {"get": {
                "summary": "Commission plans of the groups of the tenants the caller manages",
                "responses": {**ok(200, {"type": "array", "items": ref("CommissionPlan")}, "the plans"),
                              **errors(401, 403)}}},
            PATH: {
                "put": {"summary": "Set a group's commission plan; the next fill is charged by it",
                        "parameters": group,
                        "requestBody": {"required": True, **content(ref("CommissionPlanChange"))},
                        "responses": {**ok(200, ref("CommissionPlan"), "the plan as it now applies"),
                                      **errors(400, 401, 403, 404, 413, 415, 422)}},
                "delete": {"summary": "Remove a group's commission plan",
                           "parameters": group,
                           "responses": {"204": {"description": "removed"}, **errors(400, 401, 403, 404)}}},
        }

    def schemas(self) -> dict[str, Any]:
        decimal = {"type": "string", "pattern": AMOUNT_PATTERN}
        unit = {"type": "string", "enum": [u.value for u in CommissionUnit]}
        text = {"type": "string"}
        return {
            "CommissionPlan": record({"group_id": text, "tenant_id": text, "rate": text, "unit": unit,
                                      "per_trade": text}),
            "CommissionPlanChange": {**record({"rate": decimal, "unit": unit, "per_trade": decimal},
                                              ["rate", "unit"]), "additionalProperties": False},
        }
