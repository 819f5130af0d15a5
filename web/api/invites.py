"""The doors for people without a password yet: a one-time link (an invitation or a reset) that sets one, and the
sign-up of a new trader, under the IB whose referral code it brings or directly under the tenant's broker.

Each is an API (``/api/invites/{token}``, ``/api/signup``) and a page the link leads to (``/invite/<token>``,
``/signup?ref=<code>``): a plain HTML form, no script, so the link works in any browser before the panel or the
terminal is loaded. Either way the password is hashed off the event loop, set in one transaction with the link's
end (a link works once) and a new session, and the browser comes back logged in.

A new trader gets an account at once, in the tenant's first group (the one the broker created first), at the
tenant's default leverage capped by the group's; a tenant without a group signs traders up without one. Sign-ups
are limited per address (``SIGNUPS_PER_HOUR``)."""
from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
from aiohttp import web

from backoffice.office import BackOffice
from backoffice.users import target, user_json
from engine.domain.tenancy import REFERRALS, Account, Directory, Group, Role, Tenant, User
from engine.ports import Clock
from engine.storage.access import Link, hash_password
from web.api.admin.base import ID_PATTERN, Admin
from web.api.admin.users import EMAIL_PATTERN, NAME_PATTERN, only, text
from web.api.auth import Auth
from web.api.caller import Caller
from web.api.errors import ApiError, json_response
from web.api.schema import content, errors, ok, record, ref

MIN_PASSWORD, MAX_PASSWORD = 10, 1024
CODE_PATTERN = r"^[A-Za-z0-9]{1,32}$"
SIGNUPS_PER_HOUR = 5          # per address
ACCOUNT_CURRENCY = "USD"
_ID, _CODE = re.compile(ID_PATTERN), re.compile(CODE_PATTERN)
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1,
                                                                      "maxLength": 128}}


class SignupLimit:
    """At most ``per_hour`` sign-ups from one address in any hour (the oldest forgotten first)."""

    def __init__(self, clock: Clock, per_hour: int = SIGNUPS_PER_HOUR, max_addresses: int = 100_000) -> None:
        self.clock = clock
        self.per_hour = per_hour
        self.max_addresses = max_addresses
        self._seen: dict[str, list[dt.datetime]] = {}

    def take(self, address: str) -> None:
        now = self.clock()
        recent = [at for at in self._seen.pop(address, []) if now - at < dt.timedelta(hours=1)]
        if len(recent) >= self.per_hour:
            self._seen[address] = recent
            wait = str(max(1, int((recent[0] + dt.timedelta(hours=1) - now).total_seconds())))
            raise ApiError(429, "too_many_signups", f"at most {self.per_hour} sign-ups an hour from one address: "
                                                    f"try again in {wait} s", headers={"Retry-After": wait})
        self._seen[address] = [*recent, now]
        while len(self._seen) > self.max_addresses:
            del self._seen[next(iter(self._seen))]


@dataclass(frozen=True, slots=True)
class Signup:
    login: str
    password: str
    name: str
    email: str
    referral_code: str | None
    tenant_id: str | None


def password(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_PASSWORD:
        raise ApiError(400, "bad_password", f"password is text of at most {MAX_PASSWORD} characters")
    if len(value) < MIN_PASSWORD:
        raise ApiError(422, "weak_password", f"a password has at least {MIN_PASSWORD} characters")
    return value


def signup_of(body: dict[str, Any]) -> Signup:
    only(body, frozenset({"login", "password", "name", "email", "referral_code", "tenant_id"}))
    login = body.get("login")
    if not isinstance(login, str) or not _ID.match(login):
        raise ApiError(400, "bad_login", "login must be 1-64 letters, digits, '.', '_' or '-', starting with a "
                                         "letter or digit")
    code, tenant_id = body.get("referral_code"), body.get("tenant_id")
    if code is not None and (not isinstance(code, str) or not _CODE.match(code)):
        raise ApiError(400, "bad_referral_code", "referral_code is 1-32 letters and digits")
    if tenant_id is not None and (not isinstance(tenant_id, str) or not _ID.match(tenant_id)):
        raise ApiError(400, "bad_tenant_id", "tenant_id is the broker's id")
    if code is None and tenant_id is None:
        raise ApiError(400, "bad_request", "name the broker (tenant_id) or bring an IB's referral_code")
    return Signup(login, password(body.get("password")), text(body, "name") or "", text(body, "email") or "",
                  code.upper() if code else None, tenant_id)


class Invites:
    def __init__(self, admin: Admin) -> None:
        self.office: BackOffice = admin.office
        self.auth: Auth = admin.auth
        self.access = admin.auth.access
        self.directory: Directory = admin.office.directory
        self.signups = SignupLimit(admin.office.clock)

    def routes(self, app: web.Application) -> None:
        add = app.router
        add.add_get("/api/invites/{token}", self.describe_link)
        add.add_post("/api/invites/{token}", self.use_link)
        add.add_post("/api/signup", self.signup)
        add.add_get("/invite/{token}", self.invite_page)
        add.add_post("/invite/{token}", self.invite_form)
        add.add_get("/signup", self.signup_page)
        add.add_post("/signup", self.signup_form)

    # ------------------------------------------------------------------ one-time links
    def _link(self, token: str) -> tuple[Link, User]:
        found = self.access.link(token) if len(token) <= 128 else None
        if found is None:
            raise ApiError(404, "unknown_link", "this link does not exist: ask for a new one")
        if found == "used":
            raise ApiError(409, "link_used", "this link was used already: a link sets a password once")
        if found == "expired":
            raise ApiError(409, "link_expired", "this link has expired: ask your broker for a new one")
        user = self.directory.users.get(found.user_id)
        if user is None:
            raise ApiError(404, "unknown_link", "this link does not exist: ask for a new one")
        if user.locked:
            raise ApiError(403, "user_locked", f"user {user.user_id} is locked: ask your broker to unlock it")
        return found, user

    async def describe_link(self, request: web.Request) -> web.Response:
        link, user = self._link(request.match_info["token"])
        return json_response({"user_id": user.user_id, "login": self.access.login_of(user.user_id) or "",
                              "name": user.name, "purpose": link.purpose,
                              "expires_at": link.expires_at.isoformat()})

    async def _set_password(self, request: web.Request, token: str, new_password: str) -> tuple[User, str]:
        """The link used, the password set, the user's older sessions ended on a reset and a new one opened, in
        one transaction: its user and the new session's token."""
        link, user = self._link(token)
        password_hash = await asyncio.to_thread(hash_password, new_password)
        link, user = self._link(token)   # again: another request may have used it while this one hashed
        with self.office.unit.transaction():
            if not self.access.claim_link(token):
                raise ApiError(409, "link_used", "this link was used already: a link sets a password once")
            self.access.set_password_hash(user.user_id, password_hash)
            ended = self.access.end_sessions(user.user_id) if link.purpose == "reset" else 0
            session = self.auth.open_session(request, user.user_id)
            self.office.audit.record(user.user_id, f"users.{link.purpose}_used", "users", user.user_id,
                                     target(user).tenant_id, None, {"password_set": True, "sessions_ended": ended})
        return user, session

    async def use_link(self, request: web.Request) -> web.Response:
        body = await Admin.body(request)
        only(body, frozenset({"password"}))
        user, session = await self._set_password(request, request.match_info["token"], password(body.get("password")))
        return self._logged_in(request, session, json_response(self._whoami(request, user)))

    # ------------------------------------------------------------------ sign-up
    def _place(self, signup: Signup) -> tuple[Tenant, User | None]:
        """The tenant and the referrer a sign-up lands under."""
        if signup.referral_code is not None:
            referrer = next((u for u in self.directory.users.values() if u.referral_code == signup.referral_code
                             and Role.END_USER in REFERRALS.get(u.role, frozenset())), None)
            if referrer is None:
                raise ApiError(404, "unknown_referral_code", f"no IB has the referral code {signup.referral_code}")
            if signup.tenant_id is not None and signup.tenant_id != referrer.tenant_id:
                raise ApiError(409, "tenant_mismatch", f"the referral code {signup.referral_code} is not of "
                                                       f"tenant {signup.tenant_id}")
            return self.directory.tenants[referrer.tenant_id], referrer
        tenant = self.directory.tenants.get(signup.tenant_id or "")
        if tenant is None:
            raise ApiError(404, "unknown_tenant", f"there is no broker {signup.tenant_id}")
        brokers = sorted(u.user_id for u in self.directory.users.values()
                         if u.tenant_id == tenant.tenant_id and u.role is Role.BROKER)
        return tenant, self.directory.users[brokers[0]] if brokers else None

    def _free(self, login: str) -> None:
        if login in self.directory.users or self.access.login_taken(login):
            raise ApiError(409, "login_taken", f"the login {login} is taken: choose another")

    def _account(self, tenant: Tenant, user_id: str) -> Account | None:
        group: Group | None = next((g for g in self.directory.groups.values() if g.tenant_id == tenant.tenant_id),
                                   None)
        if group is None:
            return None
        account_id, n = f"{user_id.upper()}-{ACCOUNT_CURRENCY}", 1
        while account_id in self.directory.accounts:
            n += 1
            account_id = f"{user_id.upper()}-{ACCOUNT_CURRENCY}-{n}"
        return Account(account_id, tenant.tenant_id, user_id, group.group_id, ACCOUNT_CURRENCY,
                       min(tenant.defaults.leverage, group.max_leverage))

    async def _sign_up(self, request: web.Request, signup: Signup) -> tuple[User, str]:
        tenant, referrer = self._place(signup)
        self._free(signup.login)
        self.signups.take(request.remote or "unknown")
        password_hash = await asyncio.to_thread(hash_password, signup.password)
        tenant, referrer = self._place(signup)   # again: the tree may have changed while the password hashed
        self._free(signup.login)
        user = User(signup.login, tenant.tenant_id, Role.END_USER, referrer.user_id if referrer else None,
                    signup.name, signup.email)
        account = self._account(tenant, user.user_id)
        with self.office.unit.transaction():
            self.office.store.save(user, *([account] if account else []))
            self.access.add_login(user.user_id, signup.login, password_hash)
            session = self.auth.open_session(request, user.user_id)
            self.office.audit.record(user.user_id, "users.signup", "users", user.user_id, tenant.tenant_id, None,
                                     {**user_json(user), "login": signup.login,
                                      "account_id": account.account_id if account else None})
        self.directory.add_user(user)
        if account is not None:
            self.directory.add_account(account)
        return user, session

    async def signup(self, request: web.Request) -> web.Response:
        signup = signup_of(await Admin.body(request))
        user, session = await self._sign_up(request, signup)
        return self._logged_in(request, session, json_response(self._whoami(request, user), 201))

    # ------------------------------------------------------------------ the pages
    async def invite_page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            link, user = self._link(token)
        except ApiError as refused:
            return _page("This link does not work", _reason(refused), status=refused.status)
        heading = "Choose your password" if link.purpose == "invite" else "Choose a new password"
        return _page(heading, f"<p>{html.escape(user.name or user.user_id)}, the password sets your login "
                              f"<b>{html.escape(self.access.login_of(user.user_id) or '')}</b>.</p>"
                              + _password_form(token), self.directory.tenants.get(user.tenant_id))

    async def invite_form(self, request: web.Request) -> web.Response:
        _same_origin(request)
        token = request.match_info["token"]
        form = await request.post()
        try:
            user, session = await self._set_password(request, token, password(form.get("password")))
        except ApiError as refused:
            return _page("The password was not set", _reason(refused) + _password_form(token),
                         status=refused.status)
        return self._logged_in(request, session, _home(user))

    async def signup_page(self, request: web.Request) -> web.Response:
        values = {"referral_code": request.query.get("ref", ""), "tenant_id": request.query.get("tenant_id", "")}
        return _page("Open an account", _signup_form(values), self._whose(values))

    async def signup_form(self, request: web.Request) -> web.Response:
        _same_origin(request)
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str) and v != ""}
        try:
            user, session = await self._sign_up(request, signup_of(form))
        except ApiError as refused:
            return _page("The account was not opened", _reason(refused) + _signup_form(form), self._whose(form),
                         refused.status)
        return self._logged_in(request, session, _home(user))

    def _whose(self, values: dict[str, str]) -> Tenant | None:
        """The tenant a sign-up page is for: the referral code's, else the tenant named."""
        code = values.get("referral_code", "").upper()
        referrer = next((u for u in self.directory.users.values() if code and u.referral_code == code), None)
        return self.directory.tenants.get(referrer.tenant_id if referrer else values.get("tenant_id", ""))

    # ------------------------------------------------------------------ shared
    def _whoami(self, request: web.Request, user: User) -> dict[str, object]:
        return self.auth.describe(request, Caller(user, self.directory.accounts_of(user.user_id), "session"),
                                  self.access.login_of(user.user_id) or "")

    def _logged_in(self, request: web.Request, session: str, response: web.Response) -> web.Response:
        self.auth.set_cookie(request, response, session)
        return response

    def paths(self) -> dict[str, Any]:
        public: dict[str, Any] = {"security": []}
        password_schema = {"type": "string", "minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD}
        login = {"type": "string", "pattern": ID_PATTERN}
        return {
            "/api/invites/{token}": {
                "get": {**public, "summary": "What a one-time link is for (an invitation or a reset), and whose",
                        "parameters": [TOKEN],
                        "responses": {**ok(200, ref("Link"), "the link works"), **errors(403, 404, 409)}},
                "post": {**public, "summary": "Set the password with a one-time link; logs in (sets dt_session)",
                         "parameters": [TOKEN],
                         "requestBody": {"required": True, **content({**record({"password": password_schema}),
                                                                      "additionalProperties": False})},
                         "responses": {**ok(200, ref("Session"), "the password is set and the user logged in"),
                                       **errors(400, 403, 404, 409, 415, 422)}}},
            "/api/signup": {"post": {
                **public, "summary": "Open an account as a new trader, under the IB of referral_code or directly "
                                     "under the broker of tenant_id; logs in (sets dt_session)",
                "requestBody": {"required": True, **content({
                    **record({"login": login, "password": password_schema,
                              "name": {"type": "string", "pattern": NAME_PATTERN},
                              "email": {"type": "string", "pattern": EMAIL_PATTERN},
                              "referral_code": {"type": "string", "pattern": CODE_PATTERN},
                              "tenant_id": {"type": "string", "pattern": ID_PATTERN}}, ["login", "password"]),
                    "anyOf": [{"required": ["referral_code"]}, {"required": ["tenant_id"]}],
                    "additionalProperties": False})},
                "responses": {**ok(201, ref("Session"), "signed up and logged in"),
                              **errors(400, 404, 409, 415, 422, 429)}}},
        }

    def schemas(self) -> dict[str, Any]:
        return {
            "Link": record({"user_id": {"type": "string"}, "login": {"type": "string"}, "name": {"type": "string"},
                            "purpose": {"enum": ["invite", "reset"]},
                            "expires_at": {"type": "string", "format": "date-time"}}),
        }


def _same_origin(request: web.Request) -> None:
    """A form posted from another site is refused: it could sign a browser up, or in, as someone else."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise ApiError(403, "cross_origin", "this form is posted only from its own page")


def _home(user: User) -> web.Response:
    """Traders to the terminal; the broker's people to the back office."""
    return web.Response(status=303, headers={"Location": "/" if user.role is Role.END_USER else "/admin/"})


def _reason(refused: ApiError) -> str:
    return f'<p role="alert">{html.escape(orjson.loads(refused.text or "{}").get("reason", ""))}</p>'


def _input(name: str, label: str, kind: str, value: str = "") -> str:
    field = f'<input name="{name}" type="{kind}" value="{html.escape(value)}"'
    if kind == "hidden":
        return field + ">"
    if kind == "password":
        field += f' minlength="{MIN_PASSWORD}" autocomplete="new-password" required'
    return f"<label>{label}{field}></label>"


def _form(action: str, inputs: list[str]) -> str:
    return f'<form method="post" action="{html.escape(action)}">{"".join(inputs)}<button type="submit">Continue' \
           "</button></form>"


def _password_form(token: str) -> str:
    return _form(f"/invite/{quote(token, safe='')}", [_input("password", "Password", "password")])


def _signup_form(values: dict[str, str]) -> str:
    code = values.get("referral_code", "")
    where = _input("referral_code", "", "hidden", code) if code else \
        _input("tenant_id", "Broker", "text", values.get("tenant_id", ""))
    return _form("/signup", [_input("login", "Login", "text", values.get("login", "")),
                             _input("name", "Name", "text", values.get("name", "")),
                             _input("email", "E-mail", "email", values.get("email", "")),
                             _input("password", "Password", "password"), where])


def _page(heading: str, body: str, tenant: Tenant | None = None, status: int = 200) -> web.Response:
    """A page in the tenant's name and colour, when the link or the code says whose it is."""
    colour = tenant.brand.primary_colour if tenant and _COLOUR.match(tenant.brand.primary_colour) else "#1f6feb"
    brand = f'<p class="brand">{html.escape(tenant.name)}</p>' if tenant else ""
    style = ("body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}"
             ".brand{font-weight:600;color:var(--brand)}label{display:block;margin:.75rem 0}"
             "input{display:block;width:100%;padding:.5rem;font:inherit;box-sizing:border-box}"
             "button{margin-top:1rem;padding:.5rem 1.5rem;font:inherit;color:#fff;background:var(--brand);"
             f"border:0;border-radius:4px}}[role=alert]{{color:#b42318}}:root{{--brand:{colour}}}")
    title = f"{heading} · {tenant.name}" if tenant else heading
    return web.Response(text=f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
                             f'content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title>'
                             f"<style>{style}</style></head><body>{brand}<h1>{html.escape(heading)}</h1>{body}"
                             "</body></html>", status=status, content_type="text/html")
