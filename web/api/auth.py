"""Who is calling: a browser session (cookie from POST /api/session) or a program signing each request with an API
key (HMAC-SHA256 over timestamp, method, path with query, and body). Sessions live in SQL (only the hash of the
cookie's token), so a hub restart keeps browsers logged in; logging out ends one, a lock ends them all. A locked user
cannot log in (403 ``user_locked``), and whatever session or key it still holds is refused at its next request.

A password is checked on a thread, one at a time (scrypt is slow by design), and only when neither the login from
that address nor the address is locked (``engine.login_guard``): a flood of wrong passwords is answered 429 from a
dictionary, and the event loop keeps serving everyone else. A signed request is accepted once: its signature is remembered for as long as its
timestamp is inside the window, so a replay inside the window is refused, and a timestamp may run at most
``SIGNATURE_AHEAD_MS`` ahead of the hub's clock."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from collections import OrderedDict

import orjson
import structlog
from aiohttp import web

from engine.domain.tenancy import Directory, Role, Tenant
from engine.login_guard import Locked, LoginGuard
from engine.ports import Clock
from engine.storage.access import SqlAccess
from web.api.caller import CALLER, Caller
from web.api.errors import ApiError, Handler, json_response

log = structlog.get_logger("web.auth")

COOKIE = "dt_session"
SESSION_SECONDS = 12 * 3600
IB_ROLES = frozenset({Role.MASTER_IB, Role.IB, Role.SUB_IB})
LOCKED = web.RequestKey("locked", str)   # the locked user whose session or key came with the request
SIGNATURE_WINDOW_MS = 5000
SIGNATURE_AHEAD_MS = 1000   # a client's clock may run this far ahead of ours


class Auth:
    def __init__(self, access: SqlAccess, directory: Directory, clock: Clock) -> None:
        self.access = access
        self.directory = directory
        self.clock = clock
        self.guard = LoginGuard(clock)
        self._seen: OrderedDict[str, int] = OrderedDict()     # accepted signature -> its timestamp (ms)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/session", self.login)
        app.router.add_get("/api/session", self.whoami)
        app.router.add_delete("/api/session", self.logout)
        app.router.add_post("/api/keys", self.create_key)

    def caller(self, request: web.Request) -> Caller:
        caller = request.get(CALLER)
        if caller is None:
            if LOCKED in request:
                raise ApiError(401, "user_locked", f"user {request[LOCKED]} is locked: its sessions and API keys "
                                                   "no longer work")
            raise ApiError(401, "login_required", "log in (POST /api/session) or sign the request with an API key")
        return caller

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if "X-DT-APIKEY" in request.headers:
            user_id: str | None = await self._signed(request)
            via = "api_key"
        else:
            token = request.cookies.get(COOKIE)
            user_id = self.access.session_user(token) if token else None
            via = "session"
        user = self.directory.users.get(user_id) if user_id is not None else None
        if user is not None and user.locked:
            request[LOCKED] = user.user_id
        elif user is not None:
            request[CALLER] = self._caller(user.user_id, via)
        return await handler(request)

    def open_session(self, request: web.Request, user_id: str) -> str:
        """A new session for ``user_id`` (joins the open transaction): its token, for ``set_cookie``."""
        return self.access.open_session(user_id, request.remote or "", dt.timedelta(seconds=SESSION_SECONDS))

    @staticmethod
    def set_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
        # Secure whenever the browser came over TLS, so the browser never sends the cookie back over plain HTTP;
        # the plain-HTTP demo keeps working. (request.secure is the connection's scheme, not X-Forwarded-Proto.)
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", max_age=SESSION_SECONDS, path="/",
                            secure=request.secure)

    async def _signed(self, request: web.Request) -> str:
        """The user id whose key signed this request, once; anything wrong with the signature is a 401."""
        key = self.access.api_key(request.headers["X-DT-APIKEY"])
        try:
            stamp = int(request.headers.get("X-DT-TIMESTAMP", ""))
        except ValueError:
            raise ApiError(401, "bad_signature", "X-DT-TIMESTAMP must be milliseconds since the epoch") from None
        now_ms = int(self.clock().timestamp() * 1000)
        if stamp < now_ms - SIGNATURE_WINDOW_MS or stamp > now_ms + SIGNATURE_AHEAD_MS:
            raise ApiError(401, "stale_timestamp", f"X-DT-TIMESTAMP must be within {SIGNATURE_WINDOW_MS} ms before "
                                                   f"and {SIGNATURE_AHEAD_MS} ms after the hub's clock")
        body = await request.read()
        payload = str(stamp).encode() + request.method.encode() + request.path_qs.encode() + body
        given = request.headers.get("X-DT-SIGNATURE", "")
        if key is None or not hmac.compare_digest(hmac.new(key[1], payload, hashlib.sha256).hexdigest(), given):
            log.warning("auth.bad_signature", key_id=request.headers["X-DT-APIKEY"], path=request.path)
            raise ApiError(401, "bad_signature", "the signature does not match this key and request")
        self._forget_signatures(now_ms)
        if given in self._seen:
            log.warning("auth.replayed_signature", key_id=request.headers["X-DT-APIKEY"], path=request.path)
            raise ApiError(401, "replayed_request", "this signed request was already accepted: sign each request "
                                                    "anew, with a new X-DT-TIMESTAMP")
        self._seen[given] = stamp
        return key[0]

    def _forget_signatures(self, now_ms: int) -> None:
        """A signature whose timestamp left the window can no longer be replayed: forget it (oldest first)."""
        while self._seen:
            signature, stamp = next(iter(self._seen.items()))
            if stamp >= now_ms - SIGNATURE_WINDOW_MS - SIGNATURE_AHEAD_MS:
                break
            del self._seen[signature]

    def _caller(self, user_id: str, via: str) -> Caller:
        user = self.directory.users[user_id]
        accounts = tuple(a for a in self.directory.accounts.values() if a.user_id == user_id)
        return Caller(user, accounts, via)

    async def login(self, request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
            login, password = body["login"], body["password"]
            if not isinstance(login, str) or not isinstance(password, str) or len(login) > 128 or len(password) > 1024:
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise ApiError(400, "bad_request", 'send {"login": "...", "password": "..."} (a login of at most 128 '
                                               'characters, a password of at most 1,024)') from None
        address = request.remote or "unknown"

        def known() -> str | None:
            user_id = self.access.authenticate(login, password)
            return user_id if user_id in self.directory.users else None
        try:
            user_id = await self.guard.attempt(f"web:{login}", address, known)
        except Locked as locked:
            log.info("auth.login_locked", login=login, address=address, seconds=locked.seconds)
            wait = str(math.ceil(locked.seconds))
            raise ApiError(429, "too_many_attempts", f"too many failed logins: try again in {wait} s",
                           headers={"Retry-After": wait}) from None
        if user_id is None:
            log.info("auth.login_refused", login=login, address=address)
            raise ApiError(401, "bad_login", "wrong login or password")
        if self.directory.users[user_id].locked:   # said only to whoever knows the password
            log.info("auth.login_locked_user", user_id=user_id, address=address)
            raise ApiError(403, "user_locked", f"user {user_id} is locked: ask your broker to unlock it")
        token = self.open_session(request, user_id)
        log.info("auth.login", user_id=user_id, address=address)
        response = json_response(self.describe(request, self._caller(user_id, "session"), login))
        self.set_cookie(request, response, token)
        return response

    async def whoami(self, request: web.Request) -> web.Response:
        caller = self.caller(request)
        return json_response(self.describe(request, caller, self.access.login_of(caller.user.user_id) or ""))

    async def logout(self, request: web.Request) -> web.Response:
        token = request.cookies.get(COOKIE)
        if token:
            self.access.end_session(token)
            log.info("auth.logout", user_id=caller.user.user_id if (caller := request.get(CALLER)) else None)
        response = web.Response(status=204)
        response.del_cookie(COOKIE, path="/")
        return response

    async def create_key(self, request: web.Request) -> web.Response:
        caller = self.caller(request)
        if caller.via != "session":
            raise ApiError(403, "forbidden", "API keys are created from a logged-in session")
        key_id, secret = self.access.create_api_key(caller.user.user_id)
        log.info("auth.api_key_created", user_id=caller.user.user_id, key_id=key_id)
        return json_response({"key_id": key_id, "secret": secret}, status=201)

    def describe(self, request: web.Request, caller: Caller, login: str) -> dict[str, object]:
        """Who the session is; an IB's referral code and the sign-up link its clients come in by."""
        user = caller.user
        code = user.referral_code if user.role in IB_ROLES else None
        return {"user_id": user.user_id, "login": login, "tenant_id": user.tenant_id, "role": user.role.value,
                "name": user.name, "accounts": [a.account_id for a in caller.accounts], "referral_code": code,
                "referral_link": referral_link(request, self.directory.tenants.get(user.tenant_id), code)
                if code else None}


def public_base(request: web.Request, tenant: Tenant | None) -> str:
    """Where a tenant's people come in: its own domain when it has one, else the address this request came to."""
    if tenant is not None and tenant.brand.domain:
        return f"https://{tenant.brand.domain}"
    return f"{request.scheme}://{request.host}"


def referral_link(request: web.Request, tenant: Tenant | None, code: str) -> str:
    return f"{public_base(request, tenant)}/signup?ref={code}"
