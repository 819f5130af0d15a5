"""The OpenAPI 3.1 document of the REST API, served at /api/openapi.json; tests/web/test_openapi.py has
schemathesis check the running server against it."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from web.api.admin.base import Resource
from web.api.orders import AMOUNT_PATTERN, SIDES, TEXT_PATTERN, TIFS, TYPES
from web.api.schema import content, errors, ok, record, ref

# What the server sends: any plain decimal string.
AMOUNT: dict[str, Any] = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "examples": ["1.08352"]}
MAYBE_AMOUNT: dict[str, Any] = {"type": ["string", "null"], "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
# What the server takes: the same, bounded to what web/api/orders.py accepts (anything else is a 400 bad_amount).
AMOUNT_IN: dict[str, Any] = {"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["1.08352"]}
MAYBE_AMOUNT_IN: dict[str, Any] = {"type": ["string", "null"], "pattern": AMOUNT_PATTERN}
# Identifiers that reach FIX: printable ASCII without space (anything else is a 400 bad_<field>).
FIX_TEXT: dict[str, Any] = {"type": "string", "pattern": TEXT_PATTERN, "minLength": 1, "maxLength": 64}
STATUSES = ["pending_new", "new", "partially_filled", "filled", "pending_cancel", "canceled", "pending_replace",
            "rejected", "expired"]


ACCOUNT = {"name": "account_id", "in": "path", "required": True, "schema": {"type": "string"}}
# The history's search (web/api/history.py): a time window, one instrument, statuses, a page's last order id.
SINCE = {"name": "from", "in": "query", "schema": {"type": "string", "format": "date-time"},
         "description": "UTC unless it carries an offset; a date (2026-12-03) is that day's start"}
UNTIL = {"name": "to", "in": "query", "schema": {"type": "string", "format": "date-time"},
         "description": "exclusive; a date (2026-12-03) takes in the whole day"}
SYMBOL = {"name": "symbol", "in": "query", "schema": FIX_TEXT}
STATUS_LIST = rf"^({'|'.join(STATUSES)})(,({'|'.join(STATUSES)}))*$"
CL_ORD_ID = {"name": "cl_ord_id", "in": "path", "required": True, "schema": FIX_TEXT,
             "description": "percent-encoded in the path (FIX allows characters such as { } % ?)"}


def document(admin: Sequence[Resource] = ()) -> dict[str, Any]:
    """The public API's document, with each back-office resource's part."""
    order_request = record({
        "cl_ord_id": FIX_TEXT, "symbol": FIX_TEXT,
        "side": {"enum": list(SIDES)}, "type": {"enum": list(TYPES)}, "quantity": AMOUNT_IN,
        "price": MAYBE_AMOUNT_IN, "stop_price": MAYBE_AMOUNT_IN, "time_in_force": {"enum": list(TIFS)},
        "expire_at": {"type": ["string", "null"], "format": "date-time"}, "trail": MAYBE_AMOUNT_IN,
        "take_profit": MAYBE_AMOUNT_IN, "stop_loss": MAYBE_AMOUNT_IN,
        "position_id": {**FIX_TEXT, "type": ["string", "null"]},
    }, ["symbol", "side", "type", "quantity"])
    order_request["additionalProperties"] = False
    nullable_text = {"type": ["string", "null"]}
    schemas: dict[str, Any] = {
        "Error": record({"code": {"type": "string"}, "reason": {"type": "string"}}),
        "Session": record({"user_id": {"type": "string"}, "login": {"type": "string"},
                            "tenant_id": {"type": "string"}, "role": {"type": "string"}, "name": {"type": "string"},
                            "accounts": {"type": "array", "items": {"type": "string"}},
                            "referral_code": {"type": ["string", "null"]},
                            "referral_link": {"type": ["string", "null"]}}),
        "Instrument": record({"symbol": {"type": "string"}, "asset_class": {"type": "string"},
                               "base_currency": {"type": "string"}, "quote_currency": {"type": "string"},
                               "tick_size": AMOUNT, "lot_step": AMOUNT, "min_quantity": AMOUNT,
                               "max_quantity": AMOUNT, "contract_size": AMOUNT, "market": nullable_text,
                               "board_lot": MAYBE_AMOUNT, "market_hours": record({
                                   "open_now": {"type": "boolean"},
                                   "next_open": {"type": ["string", "null"], "format": "date-time",
                                                 "description": "UTC; null while open or for a market that "
                                                                "never closes"},
                                   "as_of": {"type": "string", "format": "date-time",
                                             "description": "the hub's clock when this was computed"}})}),
        "Quote": record({"symbol": {"type": "string"}, "bid": MAYBE_AMOUNT, "ask": MAYBE_AMOUNT,
                          "bid_size": MAYBE_AMOUNT, "ask_size": MAYBE_AMOUNT, "time": {"type": "string"},
                          "stale": {"type": "boolean"}, "seq": {"type": "integer"}}),
        "Bar": record({"start": {"type": "string"}, "open": AMOUNT, "high": AMOUNT, "low": AMOUNT,
                        "close": AMOUNT, "ticks": {"type": "integer"}}),
        "Depth": record({"bids": {"type": "array", "items": {"type": "array", "items": AMOUNT}},
                          "asks": {"type": "array", "items": {"type": "array", "items": AMOUNT}}}),
        "Account": record({"account_id": {"type": "string"}, "tenant_id": {"type": "string"},
                            "user_id": {"type": "string"}, "base_currency": {"type": "string"},
                            "leverage": AMOUNT, "position_mode": {"enum": ["netting", "hedging"]},
                            "group_id": {"type": "string"}, "balance": AMOUNT, "equity": AMOUNT,
                            "used_margin": AMOUNT, "free_margin": AMOUNT, "margin_level": MAYBE_AMOUNT}),
        "Position": record({"position_id": {"type": "string"}, "symbol": {"type": "string"}, "quantity": AMOUNT,
                             "average_price": AMOUNT, "mark": AMOUNT, "unrealised_pnl": AMOUNT}),
        "OrderRequest": order_request,
        "Replace": {**record({"quantity": AMOUNT_IN, "price": MAYBE_AMOUNT_IN, "stop_price": MAYBE_AMOUNT_IN},
                               ["quantity"]),
                    "additionalProperties": False},
        "Order": record({
            "order_id": {"type": "string"}, "cl_ord_id": {"type": "string"}, "account_id": {"type": "string"},
            "symbol": {"type": "string"}, "side": {"enum": list(SIDES)}, "type": {"enum": list(TYPES)},
            "quantity": AMOUNT, "price": MAYBE_AMOUNT, "stop_price": MAYBE_AMOUNT,
            "time_in_force": {"enum": list(TIFS)}, "expire_at": nullable_text, "status": {"enum": STATUSES},
            "filled": AMOUNT, "average_price": AMOUNT, "reject_reason": nullable_text, "reject_code": nullable_text,
            "created_at": {"type": "string"}, "trail": MAYBE_AMOUNT, "take_profit": MAYBE_AMOUNT,
            "stop_loss": MAYBE_AMOUNT, "parent_id": nullable_text, "oco_id": nullable_text,
            "position_id": nullable_text}),
        "Fill": record({"exec_id": {"type": "string"}, "order_id": {"type": "string"},
                         "symbol": {"type": "string"}, "side": {"enum": list(SIDES)}, "quantity": AMOUNT,
                         "price": AMOUNT, "commission": AMOUNT, "at": {"type": "string"},
                         "realised_pnl": {**MAYBE_AMOUNT, "description": "in the account's currency; null for a "
                                                                          "fill that opened or added"}}),
        "PnlRow": record({name: AMOUNT for name in ("realised", "commission", "financing", "net")}),
        "Pnl": record({"currency": {"type": "string"}, "by": {"enum": ["day", "week", "month"]},
                       "periods": {"type": "array", "items": {"allOf": [ref("PnlRow"), record({
                           "start": {"type": "string", "format": "date"}})]}},
                       "total": ref("PnlRow")}),
    }
    symbol_query = {"name": "symbol", "in": "query", "required": True, "schema": {"type": "string"}}
    paths: dict[str, Any] = {
        "/api/session": {
            "post": {"summary": "log in", "security": [],
                     "requestBody": {"required": True, **content(record({
                         "login": {"type": "string", "maxLength": 128},
                         "password": {"type": "string", "maxLength": 1024}}))},
                     "responses": {**ok(200, ref("Session"), "logged in; sets the dt_session cookie"),
                                   **errors(400, 401, 403, 415, 429)}},
            "get": {"summary": "who is logged in",
                    "responses": {**ok(200, ref("Session"), "the session"), **errors(401)}},
            "delete": {"summary": "log out (the session ends on the server too)",
                       "responses": {"204": {"description": "logged out"}}},
        },
        "/api/keys": {"post": {"summary": "create an API key (from a browser session)",
                               "responses": {**ok(201, record({"key_id": {"type": "string"},
                                                                 "secret": {"type": "string"}}),
                                                   "the key; the secret is shown only now"),
                                             **errors(401, 403)}}},
        "/api/instruments": {"get": {"summary": "what can be traded", "responses": {
            **ok(200, {"type": "array", "items": ref("Instrument")}, "instruments"), **errors(401)}}},
        "/api/quotes": {"get": {"summary": "the caller's group's latest prices",
                                "parameters": [{"name": "symbols", "in": "query", "required": False,
                                                "schema": {"type": "string"}}],
                                "responses": {**ok(200, {"type": "array", "items": ref("Quote")}, "quotes"),
                                              **errors(401, 403, 404)}}},
        "/api/bars": {"get": {"summary": "OHLC bars, oldest first", "parameters": [
            symbol_query, {"name": "interval", "in": "query", "schema": {"enum": ["1s", "1m", "5m", "15m", "1h",
                                                                                   "1d"]}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5000}}],
            "responses": {**ok(200, {"type": "array", "items": ref("Bar")}, "bars"),
                          **errors(400, 401, 403, 404)}}},
        "/api/depth": {"get": {"summary": "market depth across venues, at the caller's group's prices",
                               "parameters": [symbol_query],
                               "responses": {**ok(200, ref("Depth"), "depth"), **errors(401, 403, 404)}}},
        "/api/accounts": {"get": {
            "summary": "accounts with margin: the caller's own, or every account the caller's role reaches",
            "parameters": [{"name": "scope", "in": "query", "schema": {"enum": ["own", "all"]},
                            "description": "own (default): the caller's accounts; all: every account the caller "
                                           "may read (a broker its tenant's, an IB its clients')"}],
            "responses": {**ok(200, {"type": "array", "items": ref("Account")}, "accounts"), **errors(400, 401)}}},
        "/api/accounts/{account_id}/balances": {"get": {
            "summary": "wallet balances", "parameters": [ACCOUNT],
            "responses": {**ok(200, {"type": "object", "additionalProperties": AMOUNT}, "balances"),
                          **errors(401, 403, 404)}}},
        "/api/accounts/{account_id}/positions": {"get": {
            "summary": "open positions with live P&L", "parameters": [ACCOUNT],
            "responses": {**ok(200, {"type": "array", "items": ref("Position")}, "positions"),
                          **errors(401, 403, 404)}}},
        "/api/accounts/{account_id}/orders": {
            "get": {"summary": "orders, newest first: the open ones, or (state=all) the history, searched and paged",
                "parameters": [
                    ACCOUNT, {"name": "state", "in": "query", "schema": {"enum": ["open", "all"]}}, SINCE, UNTIL,
                    SYMBOL, {"name": "status", "in": "query", "description": "comma-separated: filled,canceled",
                             "schema": {"type": "string", "pattern": STATUS_LIST}},
                    {"name": "before", "in": "query", "schema": FIX_TEXT,
                     "description": "the order_id of the previous page's last order: the page after it"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
                "responses": {**ok(200, {"type": "array", "items": ref("Order")}, "orders"),
                              **errors(400, 401, 403, 404)}},
            "post": {"summary": "place an order", "parameters": [ACCOUNT],
                     "requestBody": {"required": True, **content(ref("OrderRequest"))},
                     "responses": {**ok(201, ref("Order"), "accepted; status rejected with its reason if the "
                                                             "pipeline refused it"),
                                   **errors(400, 401, 403, 404, 415)}},
        },
        "/api/accounts/{account_id}/orders/{cl_ord_id}": {
            "delete": {"summary": "cancel", "parameters": [ACCOUNT, CL_ORD_ID],
                       "responses": {**ok(202, ref("Order"), "cancel on its way"),
                                     **errors(400, 401, 403, 404, 409, 415)}},
            "patch": {"summary": "amend quantity, price and (held orders) stop price", "parameters": [ACCOUNT, CL_ORD_ID],
                      "requestBody": {"required": True, **content(ref("Replace"))},
                      "responses": {**ok(202, ref("Order"), "replace on its way"),
                                    **errors(400, 401, 403, 404, 409, 415)}},
        },
        "/api/accounts/{account_id}/fills": {"get": {
            "summary": "fills, newest first, with the P&L each realised",
            "parameters": [ACCOUNT, SINCE, UNTIL, SYMBOL, {"name": "limit", "in": "query",
                                                         "schema": {"type": "integer", "minimum": 1, "maximum": 5000}}],
            "responses": {**ok(200, {"type": "array", "items": ref("Fill")}, "fills"),
                          **errors(400, 401, 403, 404)}}},
        "/api/accounts/{account_id}/pnl": {"get": {
            "summary": "realised P&L, commission and financing per period, newest first, in the account's currency "
                       "(each as it moved the balance: a charge is negative)",
            "parameters": [ACCOUNT, SINCE, UNTIL, {"name": "by", "in": "query",
                                                 "schema": {"enum": ["day", "week", "month"]}}],
            "responses": {**ok(200, ref("Pnl"), "the summary"), **errors(400, 401, 403, 404)}}},
        "/api/layout": {
            "get": {"summary": "the terminal layout saved for this user",
                    "responses": {**ok(200, record({"layout": {}}), "the layout or null"), **errors(401)}},
            "put": {"summary": "save the terminal layout",
                    "requestBody": {"required": True, **content({**record({"layout": {}}),
                                                               "additionalProperties": False})},
                    "responses": {"204": {"description": "saved"}, **errors(400, 401, 413, 415)}},
        },
    }
    for resource in admin:
        paths.update(resource.paths())
        schemas.update(resource.schemas())
    return {
        "openapi": "3.1.0",
        "info": {"title": "DynamicTech API", "version": "1",
                 "description": "Amounts are decimal strings (in requests: at most 15 digits before the point and 12 "
                                "after, no exponent); identifiers sent to FIX (cl_ord_id, symbol, position_id) are "
                                "1-64 printable ASCII characters without spaces; request bodies are "
                                "application/json; times UTC ISO-8601; errors are {code, reason}."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "dt_session"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-DT-APIKEY",
                       "description": "with X-DT-TIMESTAMP and X-DT-SIGNATURE = hex HMAC-SHA256(secret, timestamp "
                                      "+ METHOD + path with query + body)"}}},
        "security": [{"session": []}, {"apiKey": []}],
    }
