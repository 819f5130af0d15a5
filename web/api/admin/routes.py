"""/api/admin/routes: the A-Book route table, read and replaced whole. The rules are in order (the first that
matches an order decides); each names its venues in order of preference (the next is tried when one is down or,
with ``reroute_on_reject``, refuses), or with ``best_price`` the best quoted first. A table that names a venue the
hub lacks, leaves an instrument with no rule, or has a size band upside down is refused with a 422 naming it."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from backoffice.routes import RouteTable, rule_json
from engine.domain.instrument import AssetClass
from engine.domain.terms import RouteRule
from web.api.admin.base import ID_PATTERN, Admin
from web.api.errors import json_response
from web.api.orders import AMOUNT_PATTERN, TEXT_PATTERN, amount, bad
from web.api.schema import content, errors, ok, record, ref

FIELDS = ("venues", "tenant_id", "group_id", "asset_class", "symbol_pattern", "min_quantity", "max_quantity",
          "best_price", "reroute_on_reject")
MAX_RULES = 500


class Routes:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.table = RouteTable(admin.office)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/routes", self.list)
        app.router.add_put("/api/admin/routes", self.replace)

    async def list(self, request: web.Request) -> web.Response:
        return json_response([rule_json(rule) for rule in self.table.rules(self.admin.actor(request))])

    async def replace(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        body = await self.admin.body(request)
        if set(body) != {"rules"} or not isinstance(body["rules"], list):
            raise bad('send {"rules": [...]}, the whole table in order')
        if len(body["rules"]) > MAX_RULES:
            raise bad(f"at most {MAX_RULES} rules")
        rules = [_rule(index, item) for index, item in enumerate(body["rules"], start=1)]
        return json_response([rule_json(rule) for rule in self.table.replace(actor, rules)])

    def paths(self) -> dict[str, Any]:
        table = {"type": "array", "items": ref("RouteRule")}
        return {"/api/admin/routes": {
            "get": {"summary": "The A-Book route table, in order (platform staff who manage routes)",
                    "responses": {**ok(200, table, "the rules, first match first"), **errors(401, 403)}},
            "put": {"summary": "Replace the whole route table; checked before it is applied, live once committed",
                    "requestBody": {"required": True, **content({
                        **record({"rules": {"type": "array", "maxItems": MAX_RULES,
                                            "items": ref("RouteRuleChange")}}),
                        "additionalProperties": False})},
                    "responses": {**ok(200, table, "the table as it now applies"),
                                  **errors(400, 401, 403, 413, 415, 422)}}}}

    def schemas(self) -> dict[str, Any]:
        nullable_id = {"type": ["string", "null"], "pattern": ID_PATTERN}
        nullable_decimal = {"type": ["string", "null"], "pattern": AMOUNT_PATTERN}
        venues = {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string", "pattern": ID_PATTERN}}
        asset_class = {"type": ["string", "null"], "enum": [a.value for a in AssetClass] + [None]}
        fields = {"venues": venues, "tenant_id": nullable_id, "group_id": nullable_id, "asset_class": asset_class,
                  "symbol_pattern": {"type": "string", "pattern": TEXT_PATTERN},
                  "min_quantity": nullable_decimal, "max_quantity": nullable_decimal,
                  "best_price": {"type": "boolean"}, "reroute_on_reject": {"type": "boolean"}}
        return {"RouteRule": record(fields),
                "RouteRuleChange": {**record(fields, ["venues"]), "additionalProperties": False}}


def _rule(index: int, item: Any) -> RouteRule:
    """One rule of the body, each field as the schema says; what is missing takes the rule's default."""
    where = f"rule {index}"
    if not isinstance(item, dict):
        raise bad(f"{where} must be an object")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise bad(f"{where}: unknown fields {', '.join(unknown)[:200]}")
    venues = item.get("venues")
    if not isinstance(venues, list) or not venues or len(venues) > 20:
        raise bad(f"{where}: venues must be a list of 1 to 20 venue names", "bad_venues")
    names = tuple(Admin.identifier(venue, "venue") for venue in venues)
    tenant_id, group_id = (None if item.get(name) is None else Admin.identifier(item[name], name)
                           for name in ("tenant_id", "group_id"))
    asset_class = item.get("asset_class")
    if asset_class is not None and asset_class not in {a.value for a in AssetClass}:
        raise bad(f"{where}: asset_class must be one of {', '.join(a.value for a in AssetClass)} or null",
                  "bad_asset_class")
    pattern = item.get("symbol_pattern", "*")
    if not isinstance(pattern, str):
        raise bad(f"{where}: symbol_pattern must be a string", "bad_pattern")
    flags = {name: item.get(name, default) for name, default in (("best_price", False), ("reroute_on_reject", True))}
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise bad(f"{where}: {name} must be true or false")
    return RouteRule(names, tenant_id, group_id, AssetClass(asset_class) if asset_class else None,
                     _pattern(where, pattern), amount(item, "min_quantity"), amount(item, "max_quantity"),
                     flags["best_price"], flags["reroute_on_reject"])


def _pattern(where: str, pattern: str) -> str:
    if not pattern or len(pattern) > 64 or not pattern.isascii() or not pattern.isprintable() or " " in pattern:
        raise bad(f"{where}: symbol_pattern must be 1-64 printable ASCII characters without spaces", "bad_pattern")
    return pattern
