"""GET /api/admin/audit: the back office's changes, newest first, as far as the caller's scope reaches (a super
admin every change, the platform's own included; an admin its region's tenants; a broker its own tenant)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from engine.domain.policy import Action, Scope
from engine.storage.audit import AuditEntry
from web.api.admin.base import Admin
from web.api.errors import ApiError, json_response
from web.api.schema import errors, ok, record, ref

FILTERS = ("resource", "resource_id", "actor", "tenant_id")


class AuditLog:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/audit", self.list)

    async def list(self, request: web.Request) -> web.Response:
        actor = self.admin.actor(request)
        policy = self.admin.office.policy
        if policy.scope(actor, Action.AUDIT_READ) is Scope.NONE:
            raise ApiError(403, "forbidden", f"{actor.role.named} may not read the audit log")
        tenants = None if policy.scope(actor, Action.AUDIT_READ) is Scope.PLATFORM \
            else policy.tenants(actor, Action.AUDIT_READ)
        wanted = request.query.get("tenant_id")
        if wanted is not None:
            if tenants is not None and wanted not in tenants:
                raise ApiError(403, "forbidden", f"tenant {wanted} is outside what you may read")
            tenants = frozenset({wanted})
        try:
            limit = int(request.query.get("limit", "200"))
            since, until = (dt.datetime.fromisoformat(request.query[name]) if name in request.query else None
                            for name in ("since", "until"))
        except ValueError:
            raise ApiError(400, "bad_request", "limit is a whole number; since and until are ISO-8601 times") \
                from None
        if not 1 <= limit <= 1000:
            raise ApiError(400, "bad_request", "limit must be between 1 and 1000")
        entries = self.admin.office.audit.query(
            tenants, request.query.get("resource"), request.query.get("resource_id"), request.query.get("actor"),
            _utc(since), _utc(until), limit)
        return json_response([_json(entry) for entry in entries])

    def paths(self) -> dict[str, Any]:
        text = {"type": "string", "maxLength": 128}
        parameters = [{"name": name, "in": "query", "required": False, "schema": text} for name in FILTERS]
        parameters += [{"name": name, "in": "query", "required": False,
                        "schema": {"type": "string", "format": "date-time"}} for name in ("since", "until")]
        parameters.append({"name": "limit", "in": "query", "required": False,
                           "schema": {"type": "integer", "minimum": 1, "maximum": 1000}})
        return {"/api/admin/audit": {"get": {
            "summary": "Back-office changes, newest first, within the caller's scope",
            "parameters": parameters,
            "responses": {**ok(200, {"type": "array", "items": ref("AuditEntry")}, "the changes"),
                          **errors(400, 401, 403)}}}}

    def schemas(self) -> dict[str, Any]:
        anything: dict[str, Any] = {}
        return {"AuditEntry": record({
            "audit_id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
            "actor": {"type": "string"}, "tenant_id": {"type": ["string", "null"]}, "action": {"type": "string"},
            "resource": {"type": "string"}, "resource_id": {"type": "string"}, "before": anything,
            "after": anything})}


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.timezone.utc)


def _json(entry: AuditEntry) -> dict[str, Any]:
    return {"audit_id": entry.audit_id, "at": entry.at.isoformat(), "actor": entry.actor,
            "tenant_id": entry.tenant_id, "action": entry.action, "resource": entry.resource,
            "resource_id": entry.resource_id, "before": entry.before, "after": entry.after}
