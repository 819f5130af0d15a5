"""The audit log: one row per back-office change (who, when, what, the thing before and after), written in the
transaction of the change itself, so a change is never without its record nor a record without its change."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from sqlmodel import Session, col, select

from engine.ports import Clock
from engine.storage.tables import AuditRecord
from engine.storage.types import as_utc
from engine.storage.unit_of_work import UnitOfWork

log = structlog.get_logger("engine.audit")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    audit_id: int
    at: dt.datetime
    actor: str
    tenant_id: str | None
    action: str
    resource: str
    resource_id: str
    before: Any
    after: Any


class SqlAudit:
    def __init__(self, unit: UnitOfWork, clock: Clock) -> None:
        self.unit = unit
        self.clock = clock

    def record(self, actor: str, action: str, resource: str, resource_id: str, tenant_id: str | None,
               before: Any, after: Any) -> None:
        """``before`` and ``after`` are JSON-able (None: created, or deleted); they must never hold a secret."""
        row = AuditRecord(at=self.clock(), actor=actor, tenant_id=tenant_id, action=action, resource=resource,
                          resource_id=resource_id, before=_dump(before), after=_dump(after))
        with self.unit.session() as session:
            session.add(row)
        log.info("audit.change", actor=actor, action=action, resource=resource, resource_id=resource_id,
                 tenant_id=tenant_id, before=before, after=after)

    def query(self, tenants: frozenset[str] | None = None, resource: str | None = None,
              resource_id: str | None = None, actor: str | None = None, since: dt.datetime | None = None,
              until: dt.datetime | None = None, limit: int = 200) -> list[AuditEntry]:
        """Newest first. ``tenants`` None: every tenant and the platform's own changes; else only those tenants'."""
        statement = select(AuditRecord)
        if tenants is not None:
            statement = statement.where(col(AuditRecord.tenant_id).in_(sorted(tenants)))
        for column, value in ((AuditRecord.resource, resource), (AuditRecord.resource_id, resource_id),
                              (AuditRecord.actor, actor)):
            if value is not None:
                statement = statement.where(col(column) == value)
        if since is not None:
            statement = statement.where(col(AuditRecord.at) >= since)
        if until is not None:
            statement = statement.where(col(AuditRecord.at) < until)
        statement = statement.order_by(col(AuditRecord.audit_id).desc()).limit(limit)
        with Session(self.unit.engine) as session:
            rows = session.exec(statement).all()
        return [AuditEntry(r.audit_id or 0, as_utc(r.at), r.actor, r.tenant_id, r.action,
                           r.resource, r.resource_id, _load(r.before), _load(r.after)) for r in rows]


def _dump(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


def _load(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)
