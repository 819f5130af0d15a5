"""/api/admin/markups: a tenant's spread markups per group (or ``*``) and symbol (or ``*``), bid and ask apart, in
points, pips or percent. GET lists what the caller's tenants have; PUT creates or replaces one (the next quote
carries it); DELETE removes one. Who may: whoever manages the tenant's groups."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from backoffice.terms import ANY, MarkupKey, Terms, markup_json
from engine.domain.terms import Markup, MarkupUnit
from web.api.admin.base import ID_PATTERN, Admin
from web.api.errors import json_response
from web.api.orders import AMOUNT_PATTERN, TEXT_PATTERN, amount, bad, identifier
from web.api.schema import content, errors, ok, record, ref

KEY_FIELDS = ("tenant_id", "group_id", "symbol")
GROUP_PATTERN = rf"^\*$|{ID_PATTERN}"
SYMBOL_PATTERN = rf"^\*$|{TEXT_PATTERN}"


class Markups:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.terms = Terms(admin.office)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/markups", self.list)
        app.router.add_put("/api/admin/markups", self.put)
        app.router.add_delete("/api/admin/markups", self.delete)

    async def list(self, request: web.Request) -> web.Response:
        entries = self.terms.markups(self.admin.actor(request))
        wanted = request.query.get("tenant_id")
        return json_response([markup_json(e) for e in entries if wanted is None or e.tenant_id == wanted])

    async def put(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        body = await self.admin.body(request)
        unknown = sorted(set(body) - {*KEY_FIELDS, "bid", "ask", "unit"})
        if unknown:
            raise bad(f"unknown fields: {', '.join(unknown)[:200]}")
        key = _key(body)
        sides = [amount(body, name) for name in ("bid", "ask")]
        if sides[0] is None or sides[1] is None:
            raise bad("bid and ask are required decimal strings (\"0\" for none)")
        unit = body.get("unit")
        if unit not in {u.value for u in MarkupUnit}:
            raise bad(f"unit must be one of {', '.join(u.value for u in MarkupUnit)}", "bad_unit")
        entry = self.terms.put_markup(actor, key, Markup(bid=sides[0], ask=sides[1], unit=MarkupUnit(unit)))
        return json_response(markup_json(entry))

    async def delete(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        self.terms.delete_markup(actor, _key(dict(request.query)))
        return web.Response(status=204)

    def paths(self) -> dict[str, Any]:
        key_parameters = [{"name": name, "in": "query", "required": True, "schema": schema}
                          for name, schema in _key_schemas().items()]
        return {"/api/admin/markups": {
            "get": {"summary": "Spread markups of the tenants whose groups the caller manages",
                    "parameters": [{"name": "tenant_id", "in": "query", "required": False,
                                    "schema": {"type": "string", "maxLength": 64}}],
                    "responses": {**ok(200, {"type": "array", "items": ref("Markup")}, "the markups"),
                                  **errors(401, 403)}},
            "put": {"summary": "Create or replace one markup; the next quote carries it",
                    "requestBody": {"required": True, **content(ref("MarkupChange"))},
                    "responses": {**ok(200, ref("Markup"), "the markup as it now applies"),
                                  **errors(400, 401, 403, 404, 413, 415, 422)}},
            "delete": {"summary": "Remove one markup",
                       "parameters": key_parameters,
                       "responses": {"204": {"description": "removed"}, **errors(400, 401, 403, 404)}}}}

    def schemas(self) -> dict[str, Any]:
        decimal = {"type": "string", "pattern": AMOUNT_PATTERN}
        unit = {"type": "string", "enum": [u.value for u in MarkupUnit]}
        text = {"type": "string"}
        return {
            "Markup": record({"tenant_id": text, "group_id": text, "symbol": text, "bid": text, "ask": text,
                              "unit": unit}),
            "MarkupChange": {**record({**_key_schemas(), "bid": decimal, "ask": decimal, "unit": unit}),
                             "additionalProperties": False},
        }


def _key_schemas() -> dict[str, Any]:
    return {"tenant_id": {"type": "string", "pattern": ID_PATTERN},
            "group_id": {"type": "string", "pattern": GROUP_PATTERN},
            "symbol": {"type": "string", "pattern": SYMBOL_PATTERN}}


def _key(fields: dict[str, Any]) -> MarkupKey:
    """tenant, group (or *), symbol (or *), each checked as the schema says."""
    tenant_id = Admin.identifier(fields.get("tenant_id"), "tenant_id")
    group_id = fields.get("group_id")
    if group_id != ANY:
        group_id = Admin.identifier(group_id, "group_id")
    symbol = fields.get("symbol")
    if symbol != ANY:
        symbol = identifier(symbol, "symbol")
    return tenant_id, group_id, symbol

