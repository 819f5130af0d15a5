"""Becoming an IB: ``POST /api/ib-request`` (a logged-in end user asks; ``GET`` shows its latest request), and the
broker's side, ``/api/admin/ib-requests``: the requests it may decide, approve (the user gets its role, referral
code and link) or reject with a reason."""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from backoffice.ib_requests import STATUSES, IbRequests
from web.api.admin.base import Admin
from web.api.admin.users import only
from web.api.auth import referral_link
from web.api.errors import ApiError, json_response
from web.api.schema import content, errors, ok, record, ref

NOTE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]{0,500}$"   # lines of text, no other control characters
REASON_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
MAX_ID = 2**31 - 1
_NOTE, _REASON = re.compile(NOTE_PATTERN), re.compile(REASON_PATTERN)
REQUEST_ID = {"name": "request_id", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


class IbRequestsAdmin:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.requests = IbRequests(admin.office)

    def routes(self, app: web.Application) -> None:
        add = app.router
        add.add_post("/api/ib-request", self.ask)
        add.add_get("/api/ib-request", self.mine)
        add.add_get("/api/admin/ib-requests", self.list)
        add.add_post("/api/admin/ib-requests/{request_id}/approve", self.approve)
        add.add_post("/api/admin/ib-requests/{request_id}/reject", self.reject)

    async def ask(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        body = await self.admin.body(request) if await request.read() else {}
        only(body, frozenset({"note"}))
        note = body.get("note", "")
        if not isinstance(note, str) or len(note) > 500 or not _NOTE.match(note):
            raise ApiError(400, "bad_note", "note is text of at most 500 characters")
        return json_response(self.requests.ask(actor, note).json(), 201)

    async def mine(self, request: web.Request) -> web.Response:
        latest = self.requests.latest(self.admin.actor(request))
        if latest is None:
            raise ApiError(404, "no_request", "you have not asked to become an IB: POST /api/ib-request")
        return json_response(latest.json())

    async def list(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        status = request.query.get("status")
        if status is not None and status not in STATUSES:
            raise ApiError(400, "bad_status", f"status is one of {', '.join(STATUSES)}")
        return json_response([r.json() for r in self.requests.visible(actor, status)])

    async def approve(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        decided, user = self.requests.approve(actor, _request_id(request))
        code = user.referral_code or ""
        return json_response({"request": decided.json(), "referral_code": code,
                              "referral_link": referral_link(request, self.admin.office.directory.tenants.get(
                                  user.tenant_id), code)})

    async def reject(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        request_id = _request_id(request)
        body = await self.admin.body(request)
        only(body, frozenset({"reason"}))
        reason = body.get("reason")
        if not isinstance(reason, str) or len(reason) > 500 or not _REASON.match(reason):
            raise ApiError(400, "bad_reason", "reason is required: text of at most 500 characters saying why")
        return json_response(self.requests.reject(actor, request_id, reason).json())

    def paths(self) -> dict[str, Any]:
        one = ok(200, ref("IbRequest"), "the request")
        return {
            "/api/ib-request": {
                "post": {"summary": "Ask the broker to become an IB (an end user; one open request at a time)",
                         "requestBody": {"required": False, **content({**record(
                             {"note": {"type": "string", "maxLength": 500, "pattern": NOTE_PATTERN}}, []),
                             "additionalProperties": False})},
                         "responses": {**ok(201, ref("IbRequest"), "asked"), **errors(400, 401, 409, 415)}},
                "get": {"summary": "The caller's latest request and its answer",
                        "responses": {**one, **errors(401, 404)}}},
            "/api/admin/ib-requests": {"get": {
                "summary": "IB requests the caller may decide (rebates.manage), newest first",
                "parameters": [{"name": "status", "in": "query", "required": False,
                                "schema": {"enum": list(STATUSES)}}],
                "responses": {**ok(200, {"type": "array", "items": ref("IbRequest")}, "the requests"),
                              **errors(400, 401, 403)}}},
            "/api/admin/ib-requests/{request_id}/approve": {"post": {
                "summary": "Approve: the user becomes an IB (a sub-IB under an IB) with its referral code",
                "parameters": [REQUEST_ID],
                "responses": {**ok(200, record({"request": ref("IbRequest"), "referral_code": {"type": "string"},
                                                "referral_link": {"type": "string"}}), "approved"),
                              **errors(400, 401, 403, 404, 409, 422)}}},
            "/api/admin/ib-requests/{request_id}/reject": {"post": {
                "summary": "Reject, saying why", "parameters": [REQUEST_ID],
                "requestBody": {"required": True, **content({**record(
                    {"reason": {"type": "string", "maxLength": 500, "pattern": REASON_PATTERN}}),
                    "additionalProperties": False})},
                "responses": {**one, **errors(400, 401, 403, 404, 409, 415)}}},
        }

    def schemas(self) -> dict[str, Any]:
        maybe = {"type": ["string", "null"]}
        return {"IbRequest": record({
            "request_id": {"type": "integer"}, "user_id": {"type": "string"}, "tenant_id": {"type": "string"},
            "note": {"type": "string"}, "status": {"enum": list(STATUSES)},
            "asked_at": {"type": "string", "format": "date-time"},
            "decided_at": {"type": ["string", "null"], "format": "date-time"}, "decided_by": maybe,
            "reason": {"type": "string"}, "role": maybe})}


def _request_id(request: web.Request) -> int:
    try:
        request_id = int(request.match_info["request_id"])
    except ValueError:
        raise ApiError(400, "bad_request_id", "request_id is a whole number") from None
    if not 1 <= request_id <= MAX_ID:
        raise ApiError(400, "bad_request_id", f"request_id is between 1 and {MAX_ID}")
    return request_id
