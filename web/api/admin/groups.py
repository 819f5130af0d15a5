"""/api/admin/groups: a tenant's account groups (leverage cap overall and per asset class, pipeline order); listed,
created, changed and deleted by whoever manages the tenant's groups (its broker, the admin of its region, the super
admin)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from backoffice.groups import ASSET_CLASSES, Groups, group_json
from backoffice.tenants import require_any
from engine.domain.policy import Action
from engine.domain.tenancy import Group
from web.api.admin.base import ID_PATTERN, Admin
from web.api.admin.tenants import AMOUNT_IN, json_object, only_fields
from web.api.errors import ApiError, json_response
from web.api.orders import amount
from web.api.schema import content, errors, ok, record, ref

GROUP_ID = {"name": "group_id", "in": "path", "required": True, "schema": {"type": "string"}}
FIELDS = {"max_leverage": AMOUNT_IN,
          "leverage": {"type": "object", "properties": {name: AMOUNT_IN for name in ASSET_CLASSES},
                       "additionalProperties": False},
          "pipeline": {"type": "array", "maxItems": 32, "items": {"type": "string", "maxLength": 64}}}


class GroupsResource:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.groups = Groups(admin.office)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/groups", self.list)
        app.router.add_post("/api/admin/groups", self.create)
        app.router.add_get("/api/admin/groups/{group_id}", self.get)
        app.router.add_patch("/api/admin/groups/{group_id}", self.update)
        app.router.add_delete("/api/admin/groups/{group_id}", self.delete)

    async def list(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        tenant_id = request.query.get("tenant_id")
        return json_response([group_json(g) for g in self.groups.visible(actor, tenant_id)])

    async def get(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        return json_response(group_json(self.groups.get(actor, request.match_info["group_id"])))

    async def create(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        require_any(self.admin.office, actor, Action.GROUPS_MANAGE)
        body = await self.admin.body(request)
        only_fields(body, {"group_id", "tenant_id", *FIELDS}, "the group")
        if "group_id" not in body:
            raise ApiError(400, "bad_request", "a new group needs group_id (and tenant_id, unless you are a broker)")
        tenant_id = body.get("tenant_id", actor.tenant_id)
        group = _merged(Group(self.admin.identifier(body["group_id"], "group_id"),
                              self.admin.identifier(tenant_id, "tenant_id")), body)
        return json_response(group_json(self.groups.create(actor, group)), 201)

    async def update(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        require_any(self.admin.office, actor, Action.GROUPS_MANAGE)
        before = self.groups.get(actor, request.match_info["group_id"])
        body = await self.admin.body(request)
        only_fields(body, set(FIELDS), "a group's change")
        return json_response(group_json(self.groups.update(actor, _merged(before, body))))

    async def delete(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        self.groups.delete(actor, request.match_info["group_id"])
        return web.Response(status=204)

    def paths(self) -> dict[str, Any]:
        tenant = {"name": "tenant_id", "in": "query", "required": False, "schema": {"type": "string"}}
        return {
            "/api/admin/groups": {
                "get": {"summary": "The groups of the tenants whose groups the caller manages",
                        "parameters": [tenant],
                        "responses": {**ok(200, {"type": "array", "items": ref("Group")}, "the groups"),
                                      **errors(401, 403)}},
                "post": {"summary": "Create a group; it is priced at once",
                         "requestBody": {"required": True, **content(ref("NewGroup"))},
                         "responses": {**ok(201, ref("Group"), "created"),
                                       **errors(400, 401, 403, 409, 415, 422)}}},
            "/api/admin/groups/{group_id}": {
                "get": {"summary": "One group", "parameters": [GROUP_ID],
                        "responses": {**ok(200, ref("Group"), "the group"), **errors(401, 403, 404)}},
                "patch": {"summary": "Change a group's leverage caps or pipeline order", "parameters": [GROUP_ID],
                          "requestBody": {"required": True, **content(ref("GroupChange"))},
                          "responses": {**ok(200, ref("Group"), "changed"),
                                        **errors(400, 401, 403, 404, 409, 415, 422)}},
                "delete": {"summary": "Delete a group no account is in", "parameters": [GROUP_ID],
                           "responses": {"204": {"description": "deleted"}, **errors(401, 403, 404, 409)}}},
        }

    def schemas(self) -> dict[str, Any]:
        return {
            "Group": record({"group_id": {"type": "string"}, "tenant_id": {"type": "string"},
                             "max_leverage": {"type": "string"},
                             "leverage": {"type": "object", "additionalProperties": {"type": "string"}},
                             "pipeline": {"type": "array", "items": {"type": "string"}}}),
            "NewGroup": {**record({"group_id": {"type": "string", "pattern": ID_PATTERN},
                                   "tenant_id": {"type": "string", "pattern": ID_PATTERN}, **FIELDS},
                                  ["group_id"]), "additionalProperties": False},
            "GroupChange": {"type": "object", "properties": FIELDS, "additionalProperties": False},
        }


def _merged(group: Group, body: dict[str, Any]) -> Group:
    max_leverage = group.max_leverage
    if "max_leverage" in body:
        max_leverage = _required_amount(body, "max_leverage")
    leverage: dict[str, Decimal] = dict(group.leverage)
    if "leverage" in body:
        given = json_object(body["leverage"], "leverage", set(ASSET_CLASSES))
        leverage = {name: _required_amount(given, name) for name in given}
    pipeline = group.pipeline
    if "pipeline" in body:
        names = body["pipeline"]
        if not isinstance(names, list) or len(names) > 32 or not all(isinstance(n, str) and len(n) <= 64
                                                                      for n in names):
            raise ApiError(400, "bad_pipeline", "pipeline is a list of interceptor names")
        pipeline = tuple(names)
    return Group(group.group_id, group.tenant_id, max_leverage, leverage, pipeline)


def _required_amount(body: dict[str, Any], name: str) -> Decimal:
    value = amount(body, name)
    if value is None:
        raise ApiError(400, "bad_amount", f"{name} is a decimal string such as \"100\"")
    return value
