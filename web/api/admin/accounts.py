"""/api/admin/accounts: the trading accounts the caller may read, opened and changed by whoever manages the
tenant's accounts, and the broker's deposits (``POST .../deposits`` with an ``Idempotency-Key``: a retried request
books once and is answered as the first was)."""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from backoffice.accounts import Accounts, account_json
from backoffice.tenants import require_any
from engine.domain.policy import Action
from engine.domain.tenancy import Account, PositionMode
from web.api.admin.base import ID_PATTERN, Admin
from web.api.admin.tenants import AMOUNT_IN, only_fields
from web.api.errors import ApiError, json_response
from web.api.orders import amount
from web.api.schema import content, errors, ok, record, ref

ACCOUNT_ID = {"name": "account_id", "in": "path", "required": True, "schema": {"type": "string"}}
KEY_PATTERN = r"^[!-~]{1,128}$"
_KEY = re.compile(r"[!-~]{1,128}")
CURRENCY = {"type": "string", "pattern": "^[A-Z][A-Z0-9]{2,7}$"}
MODES = [mode.value for mode in PositionMode]


class AccountsResource:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.accounts = Accounts(admin.office)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/accounts", self.list)
        app.router.add_post("/api/admin/accounts", self.create)
        app.router.add_get("/api/admin/accounts/{account_id}", self.get)
        app.router.add_patch("/api/admin/accounts/{account_id}", self.update)
        app.router.add_post("/api/admin/accounts/{account_id}/deposits", self.deposit)

    def _json(self, account: Account) -> dict[str, Any]:
        return account_json(account, self.accounts.balance(account))

    async def list(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        wanted = {name: request.query[name] for name in ("tenant_id", "user_id", "group_id") if name in request.query}
        return json_response([self._json(a) for a in self.accounts.visible(actor)
                              if all(getattr(a, name) == value for name, value in wanted.items())])

    async def get(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        return json_response(self._json(self.accounts.get(actor, request.match_info["account_id"])))

    async def create(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        require_any(self.admin.office, actor, Action.ACCOUNTS_MANAGE)
        body = await self.admin.body(request)
        only_fields(body, {"account_id", "user_id", "group_id", "base_currency", "leverage", "position_mode"},
                    "the account")
        missing = sorted({"account_id", "user_id", "group_id"} - set(body))
        if missing:
            raise ApiError(400, "bad_request", f"a new account needs {', '.join(missing)}")
        currency = body.get("base_currency", "USD")
        if not isinstance(currency, str) or len(currency) > 8:
            raise ApiError(400, "bad_currency", "base_currency is a currency code such as USD")
        mode = body.get("position_mode", "netting")
        if mode not in MODES:
            raise ApiError(400, "bad_position_mode", f"position_mode is one of {', '.join(MODES)}")
        account = self.accounts.create(
            actor, self.admin.identifier(body["account_id"], "account_id"),
            self.admin.identifier(body["user_id"], "user_id"), self.admin.identifier(body["group_id"], "group_id"),
            currency, amount(body, "leverage"), PositionMode(mode))
        return json_response(self._json(account), 201)

    async def update(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        require_any(self.admin.office, actor, Action.ACCOUNTS_MANAGE)
        account_id = request.match_info["account_id"]
        self.accounts.get(actor, account_id, Action.ACCOUNTS_MANAGE)
        body = await self.admin.body(request)
        only_fields(body, {"group_id", "leverage"}, "an account's change")
        group_id = self.admin.identifier(body["group_id"], "group_id") if "group_id" in body else None
        account = self.accounts.update(actor, account_id, group_id, amount(body, "leverage"))
        return json_response(self._json(account))

    async def deposit(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        require_any(self.admin.office, actor, Action.ACCOUNTS_MANAGE)
        account_id = request.match_info["account_id"]
        self.accounts.get(actor, account_id, Action.ACCOUNTS_MANAGE)
        key = request.headers.get("Idempotency-Key", "")
        if not _KEY.fullmatch(key):
            raise ApiError(400, "idempotency_key_required", "send an Idempotency-Key header (1-128 printable "
                                                             "ASCII characters, new for each deposit) so that a "
                                                             "retried request books once")
        body = await self.admin.body(request)
        only_fields(body, {"amount", "currency", "reference"}, "a deposit")
        value = amount(body, "amount")
        currency, reference = body.get("currency"), body.get("reference", "")
        if value is None or not isinstance(currency, str) or len(currency) > 8:
            raise ApiError(400, "bad_request", 'send {"amount": "1000.00", "currency": "USD", "reference": "..."}')
        if not isinstance(reference, str) or len(reference) > 128:
            raise ApiError(400, "bad_reference", "reference is text of at most 128 characters")
        answer = await self.accounts.deposit(actor, account_id, key, value, currency, reference)
        return json_response(answer, 201)

    def paths(self) -> dict[str, Any]:
        filters = [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                   for name in ("tenant_id", "user_id", "group_id")]
        key = {"name": "Idempotency-Key", "in": "header", "required": True,
               "schema": {"type": "string", "pattern": KEY_PATTERN},
               "description": "new for each deposit; a retry sends the same key and gets the same answer"}
        return {
            "/api/admin/accounts": {
                "get": {"summary": "The accounts the caller may read", "parameters": filters,
                        "responses": {**ok(200, {"type": "array", "items": ref("AdminAccount")}, "the accounts"),
                                      **errors(401, 403)}},
                "post": {"summary": "Open an account for a user of a tenant",
                         "requestBody": {"required": True, **content(ref("NewAccount"))},
                         "responses": {**ok(201, ref("AdminAccount"), "opened"),
                                       **errors(400, 401, 403, 409, 415, 422)}}},
            "/api/admin/accounts/{account_id}": {
                "get": {"summary": "One account", "parameters": [ACCOUNT_ID],
                        "responses": {**ok(200, ref("AdminAccount"), "the account"), **errors(401, 403, 404)}},
                "patch": {"summary": "Move an account to another group of its tenant, or change its leverage",
                          "parameters": [ACCOUNT_ID],
                          "requestBody": {"required": True, **content(ref("AccountChange"))},
                          "responses": {**ok(200, ref("AdminAccount"), "changed"),
                                        **errors(400, 401, 403, 404, 415, 422)}}},
            "/api/admin/accounts/{account_id}/deposits": {
                "post": {"summary": "Deposit into an account from the broker's bank account, once per "
                                    "Idempotency-Key", "parameters": [ACCOUNT_ID, key],
                         "requestBody": {"required": True, **content(ref("Deposit"))},
                         "responses": {**ok(201, ref("DepositBooked"), "booked (or, for a retry, booked before)"),
                                       **errors(400, 401, 403, 404, 409, 415, 422)}}},
        }

    def schemas(self) -> dict[str, Any]:
        text = {"type": "string"}
        return {
            "AdminAccount": record({"account_id": text, "tenant_id": text, "user_id": text, "group_id": text,
                                    "base_currency": text, "leverage": text, "position_mode": {"enum": MODES},
                                    "balance": text}),
            "NewAccount": {**record({"account_id": {"type": "string", "pattern": ID_PATTERN},
                                     "user_id": {"type": "string", "pattern": ID_PATTERN},
                                     "group_id": {"type": "string", "pattern": ID_PATTERN},
                                     "base_currency": CURRENCY, "leverage": AMOUNT_IN,
                                     "position_mode": {"enum": MODES}},
                                    ["account_id", "user_id", "group_id"]), "additionalProperties": False},
            "AccountChange": {"type": "object", "additionalProperties": False,
                              "properties": {"group_id": {"type": "string", "pattern": ID_PATTERN},
                                             "leverage": AMOUNT_IN}},
            "Deposit": {**record({"amount": AMOUNT_IN, "currency": CURRENCY,
                                  "reference": {"type": "string", "maxLength": 128}}, ["amount", "currency"]),
                        "additionalProperties": False},
            "DepositBooked": record({"deposit_id": text, "account_id": text, "amount": text, "currency": text,
                                     "reference": text, "entry_reference": text,
                                     "at": {"type": "string", "format": "date-time"}, "by": text}),
        }
