"""/api/admin/tenants: the white-label tenants, as far as the caller's scope reaches; created by the platform's super
admin or the admin of the tenant's region, changed by them or by the tenant's own broker (brand and defaults)."""
from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from backoffice.tenants import LANGUAGES, Tenants, require_any, tenant_json
from engine.domain.policy import Action
from engine.domain.tenancy import Tenant, TenantDefaults
from web.api.admin.base import ID_PATTERN, Admin, whole_number
from web.api.errors import ApiError, json_response
from web.api.orders import AMOUNT_PATTERN, amount
from web.api.schema import content, errors, ok, record, ref

COLOUR: dict[str, Any] = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}
TEXT: dict[str, Any] = {"type": "string", "maxLength": 2048}
BRAND: dict[str, dict[str, Any]] = {"logo_url": TEXT, "primary_colour": COLOUR, "accent_colour": COLOUR, "language": {"enum": list(LANGUAGES)},
         "domain": {"type": "string", "maxLength": 253}, "path": {"type": "string", "maxLength": 80}}
AMOUNT_IN = {"type": "string", "pattern": AMOUNT_PATTERN}
LEVEL_IN = {"type": ["string", "null"], "pattern": AMOUNT_PATTERN}
DEFAULTS = {"leverage": AMOUNT_IN, "margin_call": LEVEL_IN, "stop_out": LEVEL_IN,
            "orders_per_second": {"type": ["integer", "null"], "minimum": 0, "maximum": 100_000},
            "allowed_instruments": {"type": "array", "maxItems": 500, "items": {"type": "string", "maxLength": 32}}}
NAME = {"type": "string", "minLength": 1, "maxLength": 128}
REGION = {"type": "string", "pattern": "^[a-z0-9-]{0,32}$"}
TENANT_ID = {"name": "tenant_id", "in": "path", "required": True, "schema": {"type": "string"}}


class TenantsResource:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.tenants = Tenants(admin.office)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/tenants", self.list)
        app.router.add_post("/api/admin/tenants", self.create)
        app.router.add_get("/api/admin/tenants/{tenant_id}", self.get)
        app.router.add_patch("/api/admin/tenants/{tenant_id}", self.update)

    async def list(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        return json_response([tenant_json(t) for t in self.tenants.visible(actor)])

    async def get(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        return json_response(tenant_json(self.tenants.get(actor, request.match_info["tenant_id"])))

    async def create(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        require_any(self.admin.office, actor, Action.TENANTS_MANAGE)
        body = await self.admin.body(request)
        only_fields(body, {"tenant_id", "name", "region", "brand", "defaults"}, "the tenant")
        if "tenant_id" not in body or "name" not in body:
            raise ApiError(400, "bad_request", "a new tenant needs tenant_id and name")
        tenant = _merged(Tenant(self.admin.identifier(body["tenant_id"], "tenant_id"), ""), body)
        return json_response(tenant_json(self.tenants.create(actor, tenant)), 201)

    async def update(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        require_any(self.admin.office, actor, Action.TENANTS_MANAGE)
        before = self.tenants.get(actor, request.match_info["tenant_id"])
        body = await self.admin.body(request)
        only_fields(body, {"name", "region", "brand", "defaults"}, "a tenant's change")
        return json_response(tenant_json(self.tenants.update(actor, _merged(before, body))))

    def paths(self) -> dict[str, Any]:
        listing = {**ok(200, {"type": "array", "items": ref("Tenant")}, "the tenants"), **errors(401, 403)}
        return {
            "/api/admin/tenants": {
                "get": {"summary": "The tenants within the caller's scope", "responses": listing},
                "post": {"summary": "Create a white-label tenant (with its default group <tenant>-standard)",
                         "requestBody": {"required": True, **content(ref("NewTenant"))},
                         "responses": {**ok(201, ref("Tenant"), "created"),
                                       **errors(400, 401, 403, 409, 415, 422)}}},
            "/api/admin/tenants/{tenant_id}": {
                "get": {"summary": "One tenant", "parameters": [TENANT_ID],
                        "responses": {**ok(200, ref("Tenant"), "the tenant"), **errors(401, 403, 404)}},
                "patch": {"summary": "Change a tenant's name, brand or defaults (its region: the super admin only)",
                          "parameters": [TENANT_ID],
                          "requestBody": {"required": True, **content(ref("TenantChange"))},
                          "responses": {**ok(200, ref("Tenant"), "changed"),
                                        **errors(400, 401, 403, 404, 409, 415, 422)}}},
        }

    def schemas(self) -> dict[str, Any]:
        brand_in = {"type": "object", "properties": BRAND, "additionalProperties": False}
        defaults_in = {"type": "object", "properties": DEFAULTS, "additionalProperties": False}
        change = {"name": NAME, "region": REGION, "brand": brand_in, "defaults": defaults_in}
        amount_out = {"type": "string"}
        maybe_out = {"type": ["string", "null"]}
        return {
            "Tenant": record({
                "tenant_id": {"type": "string"}, "name": {"type": "string"}, "region": {"type": "string"},
                "brand": record({name: {"type": "string"} for name in BRAND}),
                "defaults": record({"leverage": amount_out, "margin_call": maybe_out, "stop_out": maybe_out,
                                    "orders_per_second": {"type": ["integer", "null"]},
                                    "allowed_instruments": {"type": "array", "items": {"type": "string"}}})}),
            "NewTenant": {**record({"tenant_id": {"type": "string", "pattern": ID_PATTERN}, **change},
                                   ["tenant_id", "name"]), "additionalProperties": False},
            "TenantChange": {"type": "object", "properties": change, "additionalProperties": False},
        }


def _merged(tenant: Tenant, body: dict[str, Any]) -> Tenant:
    """``tenant`` with what the body names changed; a field it leaves out stays as it is."""
    name = body.get("name", tenant.name)
    region = body.get("region", tenant.region)
    if not isinstance(name, str) or not 1 <= len(name) <= 128:
        raise ApiError(400, "bad_name", "name is a string of 1 to 128 characters")
    if not isinstance(region, str) or len(region) > 32:
        raise ApiError(400, "bad_region", "region is a string of at most 32 characters")
    brand = tenant.brand
    if "brand" in body:
        given = json_object(body["brand"], "brand", set(BRAND))
        for field, value in given.items():
            if not isinstance(value, str) or len(value) > BRAND[field].get("maxLength", 64):
                raise ApiError(400, f"bad_{field}", f"brand.{field} is a string")
        brand = dataclasses.replace(brand, **given)
    defaults = tenant.defaults
    if "defaults" in body:
        defaults = _defaults(defaults, json_object(body["defaults"], "defaults", set(DEFAULTS)))
    return Tenant(tenant.tenant_id, name, region, brand, defaults)


def _defaults(defaults: TenantDefaults, given: dict[str, Any]) -> TenantDefaults:
    changes: dict[str, Any] = {}
    if "leverage" in given:
        if given["leverage"] is None:
            raise ApiError(400, "bad_amount", "defaults.leverage is a decimal string such as \"100\"")
        changes["leverage"] = amount(given, "leverage")
    for name in ("margin_call", "stop_out"):
        if name in given:
            changes[name] = amount(given, name)
    if "orders_per_second" in given:
        value = given["orders_per_second"]
        if value is not None and ((value := whole_number(value)) is None or not 0 <= value <= 100_000):
            raise ApiError(400, "bad_throttle", "defaults.orders_per_second is a whole number 0-100000, or null")
        changes["orders_per_second"] = value
    if "allowed_instruments" in given:
        patterns = given["allowed_instruments"]
        if not isinstance(patterns, list) or len(patterns) > 500 \
                or not all(isinstance(p, str) and len(p) <= 32 for p in patterns):
            raise ApiError(400, "bad_request", "defaults.allowed_instruments is a list of symbol patterns")
        changes["allowed_instruments"] = tuple(patterns)
    return dataclasses.replace(defaults, **changes)


def json_object(value: Any, name: str, fields: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiError(400, "bad_request", f"{name} must be a JSON object")
    only_fields(value, fields, name)
    return value


def only_fields(body: dict[str, Any], fields: set[str], what: str) -> None:
    unknown = sorted(set(body) - fields)
    if unknown:
        raise ApiError(400, "bad_request", f"{what} has no field {', '.join(unknown)[:200]}; it has "
                                           f"{', '.join(sorted(fields))}")
