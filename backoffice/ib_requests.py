"""An end user asks to become an IB; the broker approves or rejects. Approved, the user becomes an IB (a sub-IB when
its referrer is an IB, as ``REFERRALS`` has it) with a referral code of its own, and sign-ups through its link land
under it. One open request per user at a time; the asking and each answer are audited."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlmodel import Session, col, select

from backoffice.office import BackOffice, Conflict, Invalid, NotFound, Refused
from backoffice.users import new_referral_code, user_json
from engine.domain.policy import Action, Scope, Target
from engine.domain.tenancy import Role, User
from engine.storage.login_tables import IbRequestRecord
from engine.storage.types import as_utc

OPEN, APPROVED, REJECTED = "open", "approved", "rejected"
STATUSES = (OPEN, APPROVED, REJECTED)


@dataclass(frozen=True, slots=True)
class IbRequest:
    request_id: int
    user_id: str
    tenant_id: str
    note: str
    status: str
    asked_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    reason: str
    role: str | None

    def json(self) -> dict[str, object]:
        return {"request_id": self.request_id, "user_id": self.user_id, "tenant_id": self.tenant_id,
                "note": self.note, "status": self.status, "asked_at": self.asked_at.isoformat(),
                "decided_at": self.decided_at.isoformat() if self.decided_at else None,
                "decided_by": self.decided_by, "reason": self.reason, "role": self.role}


def _request(row: IbRequestRecord) -> IbRequest:
    return IbRequest(row.request_id or 0, row.user_id, row.tenant_id, row.note, row.status, as_utc(row.asked_at),
                     as_utc(row.decided_at) if row.decided_at else None, row.decided_by, row.reason, row.role)


class IbRequests:
    def __init__(self, office: BackOffice) -> None:
        self.office = office

    def ask(self, user: User, note: str) -> IbRequest:
        if user.role is not Role.END_USER:
            raise Conflict("not_an_end_user", f"user {user.user_id} is {user.role.named} already")
        if (latest := self.latest(user)) is not None and latest.status == OPEN:
            raise Conflict("request_open", f"request {latest.request_id} is still waiting for the broker")
        office = self.office
        with office.unit.transaction():
            with office.unit.session() as session:
                row = IbRequestRecord(user_id=user.user_id, tenant_id=user.tenant_id, note=note, status=OPEN,
                                      asked_at=office.clock())
                session.add(row)
                session.flush()
                asked = _request(row)
            office.audit.record(user.user_id, "ib-requests.ask", "ib-requests", str(asked.request_id),
                                user.tenant_id, None, asked.json())
        return asked

    def latest(self, user: User) -> IbRequest | None:
        with Session(self.office.unit.engine) as session:
            row = session.exec(select(IbRequestRecord).where(IbRequestRecord.user_id == user.user_id)
                               .order_by(col(IbRequestRecord.request_id).desc())).first()
            return _request(row) if row is not None else None

    def visible(self, actor: User, status: str | None = None) -> list[IbRequest]:
        """The requests of every tenant where the caller approves them, newest first."""
        policy = self.office.policy
        if policy.scope(actor, Action.REBATES_MANAGE) is Scope.NONE:
            self.office.require(actor, Action.REBATES_MANAGE, Target(actor.tenant_id))   # refuses, saying why
        statement = select(IbRequestRecord).order_by(col(IbRequestRecord.request_id).desc())
        if status is not None:
            statement = statement.where(IbRequestRecord.status == status)
        with Session(self.office.unit.engine) as session:
            rows = session.exec(statement).all()
        return [_request(r) for r in rows
                if policy.allows(actor, Action.REBATES_MANAGE, Target(r.tenant_id, r.user_id))]

    def approve(self, actor: User, request_id: int) -> tuple[IbRequest, User]:
        asked = self._open(actor, request_id)
        user = self.office.user(asked.user_id)
        if user.role is not Role.END_USER:
            raise Conflict("not_an_end_user", f"user {user.user_id} is {user.role.named} already")
        referrer = self.office.directory.users.get(user.referrer_id) if user.referrer_id else None
        if referrer is not None and referrer.role is Role.SUB_IB:
            raise Invalid("referral_not_allowed", f"{user.user_id} is a client of the sub-IB {referrer.user_id}, "
                                                  "which cannot have IBs below it: move the user under an IB or "
                                                  "the broker first")
        role = Role.SUB_IB if referrer is not None and referrer.role is Role.IB else Role.IB
        promoted = replace(user, role=role, referral_code=user.referral_code or new_referral_code(
            u.referral_code for u in self.office.directory.users.values()))
        decided = replace(asked, status=APPROVED, decided_at=self.office.clock(), decided_by=actor.user_id,
                          role=role.value)
        self._decide(actor, asked, decided, "ib-requests.approve", user, promoted)
        return decided, promoted

    def reject(self, actor: User, request_id: int, reason: str) -> IbRequest:
        asked = self._open(actor, request_id)
        decided = replace(asked, status=REJECTED, decided_at=self.office.clock(), decided_by=actor.user_id,
                          reason=reason)
        self._decide(actor, asked, decided, "ib-requests.reject")
        return decided

    def _open(self, actor: User, request_id: int) -> IbRequest:
        with Session(self.office.unit.engine) as session:
            row = session.get(IbRequestRecord, request_id)
        scope = self.office.policy.scope(actor, Action.REBATES_MANAGE)
        if row is None:
            if scope is Scope.PLATFORM:
                raise NotFound("unknown_request", f"there is no IB request {request_id}")
            if scope is Scope.NONE:
                self.office.require(actor, Action.REBATES_MANAGE, Target(actor.tenant_id))
            raise Refused("forbidden", f"IB request {request_id} is outside what {actor.role.named} "
                                       f"{actor.user_id} may decide")
        self.office.require(actor, Action.REBATES_MANAGE, Target(row.tenant_id, row.user_id))
        if row.status != OPEN:
            raise Conflict("request_decided", f"IB request {request_id} was {row.status} already")
        return _request(row)

    def _decide(self, actor: User, asked: IbRequest, decided: IbRequest, verb: str, user: User | None = None,
                promoted: User | None = None) -> None:
        office = self.office
        with office.change(actor, Action.REBATES_MANAGE, Target(asked.tenant_id, asked.user_id), "ib-requests",
                           str(asked.request_id), verb) as change:
            with office.unit.session() as session:
                row = session.get(IbRequestRecord, asked.request_id)
                if row is None or row.status != OPEN:
                    raise Conflict("request_decided", f"IB request {asked.request_id} was decided meanwhile")
                row.status, row.decided_at, row.decided_by = decided.status, decided.decided_at, decided.decided_by
                row.reason, row.role = decided.reason, decided.role
                session.add(row)
            change.before, change.after = {"request": asked.json()}, {"request": decided.json()}
            if user is not None and promoted is not None:
                office.store.save(promoted)
                change.before["user"], change.after["user"] = user_json(user), user_json(promoted)
                change.on_commit(lambda: office.directory.users.__setitem__(promoted.user_id, promoted))
