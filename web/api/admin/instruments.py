"""/api/admin/instruments: the instruments of the hub, listing a new one (a crypto token or pair, a forex pair, a
metal, an index, a stock) at a venue that carries it, changing its filters, and delisting it to close-only. A
broker lists for its own tenant (``tenant_id``); the platform's catalogue (``tenant_id`` null) is the platform
staff's. A listing is live at once: the OMS trades it, the feed prices it, terminals add it to their watch list."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from aiohttp import web

from backoffice.instruments import FILTERS, FUNDING, Catalogue, Listing
from engine.domain.instrument import AssetClass, Instrument
from web.api.admin.base import ID_PATTERN, Admin, whole_number
from web.api.errors import json_response
from web.api.orders import AMOUNT_PATTERN, TEXT_PATTERN, amount, bad, identifier
from web.api.schema import content, errors, ok, record, ref

CURRENCY_PATTERN = r"^[A-Z0-9]{2,12}$"
_CURRENCY = re.compile(CURRENCY_PATTERN)
REQUIRED = ("symbol", "asset_class", "base_currency", "quote_currency", "tick_size", "lot_step", "min_quantity",
            "max_quantity", "margin_rate", "venue", "venue_symbol")
OPTIONAL = ("contract_size", "min_notional", "pip_size", "price_precision", "quantity_precision", "deposit_enabled",
            "withdraw_enabled", "confirmations", "tenant_id")
DECIMALS = ("tick_size", "lot_step", "min_quantity", "max_quantity", "margin_rate", "contract_size", "min_notional",
            "pip_size")
INTEGERS = ("price_precision", "quantity_precision", "confirmations")
FLAGS = ("deposit_enabled", "withdraw_enabled")
ONE = r"/api/admin/instruments/{symbol:[\s\S]+}"


class Instruments:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.catalogue = Catalogue(admin.office)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/instruments", self.list)
        app.router.add_post("/api/admin/instruments", self.add)
        app.router.add_post(ONE + "/delist", self.delist)
        app.router.add_patch(ONE, self.change)

    async def list(self, request: web.Request) -> web.Response:
        return json_response(self.catalogue.instruments(self.admin.actor(request)))

    async def add(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        body = await self.admin.body(request)
        _known(body, {*REQUIRED, *OPTIONAL})
        missing = [name for name in REQUIRED if body.get(name) is None]
        if missing:
            raise bad(f"missing: {', '.join(missing)}")
        values = _values(body)
        asset_class = body["asset_class"]
        if asset_class not in {a.value for a in AssetClass}:
            raise bad(f"asset_class must be one of {', '.join(a.value for a in AssetClass)}", "bad_asset_class")
        currencies = [_currency(body, name) for name in ("base_currency", "quote_currency")]
        tenant_id = None if body.get("tenant_id") is None else Admin.identifier(body["tenant_id"], "tenant_id")
        contract_size = values.get("contract_size")
        if contract_size is None:
            contract_size = Decimal(1)
        instrument = Instrument(
            identifier(body["symbol"], "symbol"), AssetClass(asset_class), currencies[0], currencies[1],
            values["tick_size"], values["lot_step"], values["min_quantity"], values["max_quantity"],
            values["margin_rate"], contract_size,
            pip_size=values.get("pip_size"), min_notional=values.get("min_notional"),
            price_precision=values.get("price_precision"), quantity_precision=values.get("quantity_precision"),
            tenant_id=tenant_id)
        listing = Listing(instrument, Admin.identifier(body["venue"], "venue"),
                          identifier(body["venue_symbol"], "venue_symbol"), values.get("deposit_enabled", False),
                          values.get("withdraw_enabled", False), values.get("confirmations"))
        return json_response(self.catalogue.list(actor, listing), status=201)

    async def change(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        symbol = identifier(request.match_info["symbol"], "symbol")
        body = await self.admin.body(request)
        _known(body, {*FILTERS, *FUNDING})
        if not body:
            raise bad("name at least one filter to change")
        if any(body.get(name) is None for name in ("tick_size", "lot_step", "min_quantity", "max_quantity",
                                                   "margin_rate") if name in body):
            raise bad("tick_size, lot_step, min_quantity, max_quantity and margin_rate cannot be null")
        return json_response(self.catalogue.change_filters(actor, symbol, _values(body)))

    async def delist(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        return json_response(self.catalogue.delist(actor, identifier(request.match_info["symbol"], "symbol")))

    def paths(self) -> dict[str, Any]:
        symbol = [{"name": "symbol", "in": "path", "required": True,
                   "schema": {"type": "string", "pattern": TEXT_PATTERN},
                   "description": "percent-encoded in the path (DOGE%2FUSDT)"}]
        one = {"description": "the instrument as it now trades", **content(ref("AdminInstrument"))}
        return {
            "/api/admin/instruments": {
                "get": {"summary": "The hub's instruments the caller manages (a broker: the platform's catalogue "
                                   "and its own listings)",
                        "responses": {**ok(200, {"type": "array", "items": ref("AdminInstrument")}, "instruments"),
                                      **errors(401, 403)}},
                "post": {"summary": "List an instrument at a venue that carries it; live at once",
                         "requestBody": {"required": True, **content(ref("InstrumentListing"))},
                         "responses": {"201": {**one, "description": "listed"},
                                       **errors(400, 401, 403, 404, 409, 413, 415, 422)}}},
            "/api/admin/instruments/{symbol}": {"patch": {
                "summary": "Change an instrument's filters, precision or funding (instruments listed here)",
                "parameters": symbol,
                "requestBody": {"required": True, **content(ref("InstrumentFilters"))},
                "responses": {"200": one, **errors(400, 401, 403, 404, 409, 413, 415, 422)}}},
            "/api/admin/instruments/{symbol}/delist": {"post": {
                "summary": "Delist to close-only: positions may be closed, no new ones opened",
                "parameters": symbol,
                "responses": {"200": one, **errors(400, 401, 403, 404, 409)}}},
        }

    def schemas(self) -> dict[str, Any]:
        decimal = {"type": "string", "pattern": AMOUNT_PATTERN}
        maybe_decimal = {"type": ["string", "null"], "pattern": AMOUNT_PATTERN}
        places = {"type": ["integer", "null"], "minimum": 0, "maximum": 12}
        flag = {"type": "boolean"}
        currency = {"type": "string", "pattern": CURRENCY_PATTERN}
        filters = {"tick_size": decimal, "lot_step": decimal, "min_quantity": decimal, "max_quantity": decimal,
                   "min_notional": maybe_decimal, "margin_rate": decimal, "pip_size": maybe_decimal,
                   "price_precision": places, "quantity_precision": places}
        funding = {"deposit_enabled": flag, "withdraw_enabled": flag,
                   "confirmations": {"type": ["integer", "null"], "minimum": 0, "maximum": 10000}}
        listing = {"symbol": {"type": "string", "pattern": TEXT_PATTERN},
                   "asset_class": {"type": "string", "enum": [a.value for a in AssetClass]},
                   "base_currency": currency, "quote_currency": currency, **filters, "contract_size": decimal,
                   "venue": {"type": "string", "pattern": ID_PATTERN},
                   "venue_symbol": {"type": "string", "pattern": TEXT_PATTERN}, **funding,
                   "tenant_id": {"type": ["string", "null"], "pattern": ID_PATTERN}}
        text, maybe_text = {"type": "string"}, {"type": ["string", "null"]}
        maybe_int, maybe_flag = {"type": ["integer", "null"]}, {"type": ["boolean", "null"]}
        return {
            "InstrumentListing": {**record(listing, list(REQUIRED)), "additionalProperties": False},
            "InstrumentFilters": {**record({**filters, **funding}, []), "additionalProperties": False,
                                  "minProperties": 1},
            "AdminInstrument": record({
                "symbol": text, "asset_class": text, "base_currency": text, "quote_currency": text,
                "tick_size": text, "lot_step": text, "min_quantity": text, "max_quantity": text,
                "min_notional": maybe_text, "margin_rate": text, "contract_size": text, "pip_size": text,
                "price_precision": maybe_int, "quantity_precision": maybe_int, "tenant_id": maybe_text,
                "close_only": flag, "listed_here": flag, "venue": maybe_text, "venue_symbol": maybe_text,
                "deposit_enabled": maybe_flag, "withdraw_enabled": maybe_flag, "confirmations": maybe_int,
                "listed_at": maybe_text}),
        }


def _known(body: dict[str, Any], fields: set[str]) -> None:
    unknown = sorted(set(body) - fields)
    if unknown:
        raise bad(f"unknown fields: {', '.join(unknown)[:200]}")


def _values(body: dict[str, Any]) -> dict[str, Any]:
    """The body's decimals, whole numbers and flags, each checked as the schema says."""
    values: dict[str, Any] = {name: amount(body, name) for name in DECIMALS if name in body}
    for name in INTEGERS:
        if name in body:
            value = body[name]
            if value is not None and (value := whole_number(value)) is None:
                raise bad(f"{name} must be a whole number or null")
            values[name] = value
    for name in FLAGS:
        if name in body:
            if not isinstance(body[name], bool):
                raise bad(f"{name} must be true or false")
            values[name] = body[name]
    return values


def _currency(body: dict[str, Any], name: str) -> str:
    value = body[name]
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise bad(f"{name} must be 2-12 capital letters or digits", f"bad_{name}")
    return value
