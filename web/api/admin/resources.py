"""Every resource of /api/admin/, in the order the OpenAPI document lists them."""
from __future__ import annotations

from web.api.admin.audit import AuditLog
from web.api.admin.base import Admin, Resource


def resources(admin: Admin) -> list[Resource]:
    return [AuditLog(admin)]
