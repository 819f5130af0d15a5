"""/api/admin/users: list and read users within the caller's scope; create one (answered with its one-time
invitation link), change its name, contact, role, place in the tree, grant or region; lock, unlock, and send a
password reset link (``backoffice.users`` has the rules)."""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from backoffice.users import Invitation, UserChanges, Users, user_json
from engine.domain.tenancy import Role, User
from web.api.admin.base import ID_PATTERN, Admin
from web.api.auth import public_base
from web.api.errors import ApiError, json_response
from web.api.schema import content, errors, ok, record, ref

NAME_PATTERN = r"^[^\x00-\x1f\x7f]{0,128}$"          # a person's or a desk's name: no control characters
EMAIL_PATTERN = r"^$|^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,189}$"   # empty, or something@somewhere
REGION_PATTERN = r"^[A-Za-z0-9_-]{0,32}$"
ROLES = [role.value for role in Role]
_PATTERNS = {"name": re.compile(NAME_PATTERN), "email": re.compile(EMAIL_PATTERN),
             "region": re.compile(REGION_PATTERN)}
USER_ID = {"name": "user_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": ID_PATTERN}}


def text(body: dict[str, Any], field: str) -> str | None:
    """An optional string field, checked against its pattern (a 400 naming the field otherwise)."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not _PATTERNS[field].match(value):
        raise ApiError(400, f"bad_{field}", {"name": "name must be at most 128 characters, without control "
                                                     "characters",
                                             "email": "email must be empty or an address like name@example.com",
                                             "region": "region must be at most 32 letters, digits, '_' or '-'"}
                       [field])
    return value


def only(body: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, "bad_request", f"unknown field(s): {', '.join(unknown)[:200]}; allowed: "
                                           f"{', '.join(sorted(allowed))}")


def link(request: web.Request, admin: Admin, invitation: Invitation) -> str:
    """The one-time link to hand to the user: on the tenant's own domain when it has one."""
    tenant = admin.office.directory.tenants.get(invitation.user.tenant_id)
    return f"{public_base(request, tenant)}/invite/{invitation.token}"


class UsersAdmin:
    CREATE = frozenset({"user_id", "tenant_id", "role", "login", "referrer_id", "name", "email", "region",
                        "trade_clients"})
    PATCH = frozenset({"name", "email", "role", "referrer_id", "trade_clients", "region"})

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.users = Users(admin.office, admin.auth.access)

    def routes(self, app: web.Application) -> None:
        add = app.router
        add.add_get("/api/admin/users", self.list)
        add.add_post("/api/admin/users", self.create)
        add.add_get("/api/admin/users/{user_id}", self.get)
        add.add_patch("/api/admin/users/{user_id}", self.update)
        add.add_post("/api/admin/users/{user_id}/lock", self.lock)
        add.add_post("/api/admin/users/{user_id}/unlock", self.unlock)
        add.add_post("/api/admin/users/{user_id}/reset", self.reset)

    def _json(self, users: list[User]) -> list[dict[str, Any]]:
        logins = self.users.logins(users)
        return [{**user_json(u), "login": logins.get(u.user_id)} for u in users]

    def _one(self, user: User, status: int = 200) -> web.Response:
        return json_response(self._json([user])[0], status)

    def _user_id(self, request: web.Request) -> str:
        return self.admin.identifier(request.match_info["user_id"], "user_id")

    async def list(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        query = request.query
        role = query.get("role")
        if role is not None and role not in ROLES:
            raise ApiError(400, "bad_role", f"role is one of {', '.join(ROLES)}")
        tenant_id, referrer = (self.admin.identifier(query[name], name) if name in query else None
                               for name in ("tenant_id", "referrer"))
        return json_response(self._json(self.users.visible(actor, tenant_id, Role(role) if role else None,
                                                           referrer)))

    async def get(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        return self._one(self.users.get(actor, self._user_id(request)))

    async def create(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        body = await self.admin.body(request)
        only(body, self.CREATE)
        user_id = self.admin.identifier(body.get("user_id"), "user_id")
        role = body.get("role")
        if role not in ROLES:
            raise ApiError(400, "bad_role", f"role is one of {', '.join(ROLES)}")
        trade_clients = body.get("trade_clients", False)
        if not isinstance(trade_clients, bool):
            raise ApiError(400, "bad_trade_clients", "trade_clients is true or false")
        new = User(user_id, self.admin.identifier(body.get("tenant_id"), "tenant_id"), Role(role),
                   self.admin.identifier(body["referrer_id"], "referrer_id")
                   if body.get("referrer_id") is not None else None,
                   text(body, "name") or "", text(body, "email") or "", text(body, "region") or "",
                   trade_clients=trade_clients)
        invitation = self.users.create(actor, new, self.admin.identifier(body.get("login", user_id), "login"))
        return json_response({"user": self._json([invitation.user])[0],
                              "invite_link": link(request, self.admin, invitation),
                              "invite_expires_at": invitation.expires_at.isoformat()}, 201)

    async def update(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        user_id = self._user_id(request)
        body = await self.admin.body(request)
        only(body, self.PATCH)
        role = body.get("role")
        if role is not None and role not in ROLES:
            raise ApiError(400, "bad_role", f"role is one of {', '.join(ROLES)}")
        trade_clients = body.get("trade_clients")
        if trade_clients is not None and not isinstance(trade_clients, bool):
            raise ApiError(400, "bad_trade_clients", "trade_clients is true or false")
        referrer = body.get("referrer_id")
        changes = UserChanges(text(body, "name"), text(body, "email"), Role(role) if role else None,
                              self.admin.identifier(referrer, "referrer_id") if referrer is not None else None,
                              trade_clients, text(body, "region"))
        return self._one(self.users.update(actor, user_id, changes))

    async def lock(self, request: web.Request) -> web.Response:
        return self._one(self.users.set_locked(self.admin.actor(request), self._user_id(request), True))

    async def unlock(self, request: web.Request) -> web.Response:
        return self._one(self.users.set_locked(self.admin.actor(request), self._user_id(request), False))

    async def reset(self, request: web.Request) -> web.Response:
        invitation = self.users.reset(self.admin.actor(request), self._user_id(request))
        return json_response({"user": self._json([invitation.user])[0],
                              "reset_link": link(request, self.admin, invitation),
                              "reset_expires_at": invitation.expires_at.isoformat()}, 201)

    def paths(self) -> dict[str, Any]:
        user = ok(200, ref("AdminUser"), "the user")
        one: dict[str, Any] = {"parameters": [USER_ID]}
        action = {**one, "responses": {**user, **errors(400, 401, 403, 404, 422)}}
        query = [{"name": "tenant_id", "in": "query", "required": False,
                  "schema": {"type": "string", "pattern": ID_PATTERN}},
                 {"name": "role", "in": "query", "required": False, "schema": {"enum": ROLES}},
                 {"name": "referrer", "in": "query", "required": False,
                  "schema": {"type": "string", "pattern": ID_PATTERN}}]
        return {
            "/api/admin/users": {
                "get": {"summary": "Users within the caller's scope (users.read), by user id",
                        "parameters": query,
                        "responses": {**ok(200, {"type": "array", "items": ref("AdminUser")}, "the users"),
                                      **errors(400, 401)}},
                "post": {"summary": "Create a user with a login and a one-time invitation (72 h) that sets its "
                                    "password", "requestBody": {"required": True, **content(ref("NewUser"))},
                         "responses": {**ok(201, ref("Invitation"), "created; hand the invite_link to the user"),
                                       **errors(400, 401, 403, 404, 409, 415, 422)}}},
            "/api/admin/users/{user_id}": {
                "get": {**one, "summary": "A user within the caller's scope",
                        "responses": {**user, **errors(400, 401, 403, 404)}},
                "patch": {**one, "summary": "Change name, e-mail, role, referrer (move in the tree), an IB's "
                                            "trade_clients grant or an admin's region",
                          "requestBody": {"required": True, **content(ref("UserChanges"))},
                          "responses": {**user, **errors(400, 401, 403, 404, 415, 422)}}},
            "/api/admin/users/{user_id}/lock": {"post": {
                **action, "summary": "Lock: no login at any door; its sessions end and its API keys stop"}},
            "/api/admin/users/{user_id}/unlock": {"post": {**action, "summary": "Unlock"}},
            "/api/admin/users/{user_id}/reset": {"post": {
                **one, "summary": "A one-time link (72 h) to set a new password; the current one works until "
                                  "it is used",
                "responses": {**ok(201, ref("PasswordReset"), "hand the reset_link to the user"),
                              **errors(400, 401, 403, 404, 409)}}},
        }

    def schemas(self) -> dict[str, Any]:
        string, maybe = {"type": "string"}, {"type": ["string", "null"]}
        identifier = {"type": "string", "pattern": ID_PATTERN}
        fields = {"name": {"type": "string", "pattern": NAME_PATTERN},
                  "email": {"type": "string", "pattern": EMAIL_PATTERN},
                  "region": {"type": "string", "pattern": REGION_PATTERN}, "trade_clients": {"type": "boolean"}}
        new_user = record({"user_id": identifier, "tenant_id": identifier, "role": {"enum": ROLES},
                           "login": identifier, "referrer_id": {**identifier, "type": ["string", "null"]}, **fields},
                          ["user_id", "tenant_id", "role"])
        changes = record({**fields, "role": {"enum": ROLES},
                          "referrer_id": {**identifier, "type": ["string", "null"]}}, [])
        admin_user = record({"user_id": string, "tenant_id": string, "role": {"enum": ROLES}, "referrer_id": maybe,
                             "name": string, "email": string, "region": string, "locked": {"type": "boolean"},
                             "trade_clients": {"type": "boolean"}, "referral_code": maybe, "login": maybe})
        time = {"type": "string", "format": "date-time"}
        return {"AdminUser": admin_user,
                "NewUser": {**new_user, "additionalProperties": False},
                "UserChanges": {**changes, "additionalProperties": False},
                "Invitation": record({"user": ref("AdminUser"), "invite_link": string, "invite_expires_at": time}),
                "PasswordReset": record({"user": ref("AdminUser"), "reset_link": string,
                                         "reset_expires_at": time})}
