"""/api/admin/rebate-plans: a tenant's IB rebate plans (list, create, read, change, delete) and the release of an
IB's held rebates for payment (``backoffice.rebates``)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from backoffice.rebates import DECIMAL, FRACTIONS, LEVEL_FIELDS, MAX_HOLD_SECONDS, SYMBOL_PATTERN, RebatePlans, as_json
from engine.domain.rebates import IB_ROLES, Schedule
from web.api.admin.base import ID_PATTERN, Admin
from web.api.errors import json_response
from web.api.schema import content, errors, ok, record, ref

BASE = "/api/admin/rebate-plans"


class RebatePlansResource:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.plans = RebatePlans(admin.office)

    def routes(self, app: web.Application) -> None:
        app.router.add_get(BASE, self.list)
        app.router.add_post(BASE, self.create)
        app.router.add_get(BASE + "/{plan_id}", self.read)
        app.router.add_patch(BASE + "/{plan_id}", self.patch)
        app.router.add_delete(BASE + "/{plan_id}", self.delete)
        app.router.add_post(BASE + "/payouts/{ib}/release", self.release)

    async def list(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        tenant = request.query.get("tenant_id")
        if tenant is not None:
            self.admin.identifier(tenant, "tenant_id")
        return json_response([as_json(plan) for plan in self.plans.list(actor, tenant)])

    async def create(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        body = await self.admin.body(request)
        self.admin.identifier(body.get("plan_id"), "plan_id")
        if "tenant_id" in body:
            self.admin.identifier(body["tenant_id"], "tenant_id")
        return json_response(as_json(self.plans.create(actor, body)), status=201)

    async def read(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        return json_response(as_json(self.plans.get(actor, self._plan_id(request))))

    async def patch(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        plan_id = self._plan_id(request)
        body = await self.admin.body(request)
        return json_response(as_json(self.plans.patch(actor, plan_id, body)))

    async def delete(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        plan_id = self._plan_id(request)
        self.plans.delete(actor, plan_id)
        return json_response({"plan_id": plan_id, "deleted": True})

    async def release(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        ib = self.admin.identifier(request.match_info["ib"], "ib")
        release_id = self.plans.release(actor, ib)
        return json_response({"release_id": release_id, "ib": ib})

    def _plan_id(self, request: web.Request) -> str:
        return self.admin.identifier(request.match_info["plan_id"], "plan_id")

    def paths(self) -> dict[str, Any]:
        plan_id = {"name": "plan_id", "in": "path", "required": True,
                   "schema": {"type": "string", "pattern": ID_PATTERN}}
        ib = {"name": "ib", "in": "path", "required": True, "schema": {"type": "string", "pattern": ID_PATTERN},
              "description": "the IB's user id"}
        tenant = {"name": "tenant_id", "in": "query", "required": False,
                  "schema": {"type": "string", "pattern": ID_PATTERN}}
        plan = ok(200, ref("RebatePlan"), "the plan")
        return {
            BASE: {
                "get": {"summary": "The rebate plans of the tenants the caller manages", "parameters": [tenant],
                        "responses": {**ok(200, {"type": "array", "items": ref("RebatePlan")}, "the plans"),
                                      **errors(400, 401, 403)}},
                "post": {"summary": "Create a rebate plan (rebates.manage on its tenant)",
                         "requestBody": {"required": True, **content(ref("NewRebatePlan"))},
                         "responses": {**ok(201, ref("RebatePlan"), "created, and in force for the next fill"),
                                       **errors(400, 401, 403, 409, 422)}}},
            BASE + "/{plan_id}": {
                "parameters": [plan_id],
                "get": {"summary": "One rebate plan", "responses": {**plan, **errors(400, 401, 403, 404)}},
                "patch": {"summary": "Change a rebate plan; the next fill earns by it",
                          "requestBody": {"required": True, **content(ref("RebatePlanChange"))},
                          "responses": {**plan, **errors(400, 401, 403, 404, 409, 422)}},
                "delete": {"summary": "Delete a rebate plan; what it accrued stays, and is paid daily",
                           "responses": {**ok(200, record({"plan_id": {"type": "string"},
                                                           "deleted": {"type": "boolean"}}), "deleted"),
                                         **errors(400, 401, 403, 404)}}},
            BASE + "/payouts/{ib}/release": {
                "parameters": [ib],
                "post": {"summary": "Release an IB's held rebates (plans that hold for review): what it accrued "
                                    "until now is paid by the next run of the ib_payouts job (jobs.run)",
                         "responses": {**ok(200, record({"release_id": {"type": "integer"},
                                                         "ib": {"type": "string"}}), "released"),
                                       **errors(400, 401, 403, 404)}}},
        }

    def schemas(self) -> dict[str, Any]:
        amount_in = {"type": "string", "pattern": DECIMAL}
        level = {"type": "object", "additionalProperties": False,
                 "properties": {field: amount_in for field in LEVEL_FIELDS},
                 "description": f"per_lot in the account currency; {', '.join(FRACTIONS)} are fractions (<= 1)"}
        levels = {"type": "object", "additionalProperties": False,
                  "properties": {role.value: level for role in IB_ROLES}}
        fields: dict[str, Any] = {
            "name": {"type": "string", "maxLength": 128},
            "group_id": {"type": ["string", "null"], "pattern": ID_PATTERN},
            "symbol_pattern": {"type": "string", "pattern": SYMBOL_PATTERN},
            "cap": {"type": ["string", "null"], "pattern": DECIMAL},
            "within_revenue": {"type": "boolean"},
            "min_hold_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_HOLD_SECONDS},
            "schedule": {"enum": [s.value for s in Schedule]},
            "hold_for_review": {"type": "boolean"},
            "levels": levels,
        }
        new = record({"plan_id": {"type": "string", "pattern": ID_PATTERN},
                      "tenant_id": {"type": "string", "pattern": ID_PATTERN}, **fields}, ["plan_id"])
        change = record(fields, [])
        amount = {"type": "string"}
        out_level = record({field: amount for field in LEVEL_FIELDS})
        return {
            "NewRebatePlan": {**new, "additionalProperties": False},
            "RebatePlanChange": {**change, "additionalProperties": False},
            "RebatePlan": record({
                "plan_id": {"type": "string"}, "tenant_id": {"type": "string"}, "name": {"type": "string"},
                "group_id": {"type": ["string", "null"]}, "symbol_pattern": {"type": "string"},
                "cap": {"type": ["string", "null"]}, "within_revenue": {"type": "boolean"},
                "min_hold_seconds": {"type": "integer"}, "schedule": {"enum": [s.value for s in Schedule]},
                "hold_for_review": {"type": "boolean"},
                "levels": {"type": "object", "additionalProperties": out_level}}),
        }
