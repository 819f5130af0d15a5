"""``BackOffice``: what every back-office change goes through. ``change()`` checks the caller's permission, opens
one transaction for the change and its audit record, and only after the commit applies the change to the running
hub (the callbacks given to ``Change.on_commit``), so a change the database refused leaves the hub as it was."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog

from engine.bus import Bus
from engine.domain.instrument import Instrument
from engine.domain.policy import Action, Policy, Target
from engine.domain.rejects import Rejection
from engine.domain.tenancy import Directory, User
from engine.oms import OMS
from engine.ports import Clock
from engine.scheduler import Scheduler
from engine.storage.audit import SqlAudit
from engine.storage.directory import SqlDirectory
from engine.storage.unit_of_work import UnitOfWork
from routing.interceptors.commission import Commission
from routing.interceptors.ib_rebate import IbRebate
from routing.interceptors.spread_markup import SpreadMarkup
from routing.pipeline import Pipelines
from routing.pricing import PriceFeed
from routing.router import Router

log = structlog.get_logger("backoffice")


class BackOfficeError(Exception):
    """A change refused; ``kind`` says how a door should answer it."""

    kind = "invalid"

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.rejection = Rejection(code, reason)


class Refused(BackOfficeError):
    """The policy does not let this caller do it (a 403)."""

    kind = "refused"


class Invalid(BackOfficeError):
    """The change itself is wrong: a bad field, a rule it would break (a 400 or 422)."""

    kind = "invalid"


class NotFound(BackOfficeError):
    kind = "not_found"


class Conflict(BackOfficeError):
    """It clashes with what is there: an id taken, a thing still in use (a 409)."""

    kind = "conflict"


@dataclass
class Change:
    """One back-office change in progress: set ``before`` and ``after`` (JSON-able, no secrets) for the audit
    record; ``on_commit`` what the running hub must do once it is on disk."""

    actor: User
    action: str
    resource: str
    resource_id: str
    tenant_id: str | None
    before: Any = None
    after: Any = None
    _applies: list[Callable[[], None]] = field(default_factory=list)

    def on_commit(self, apply: Callable[[], None]) -> None:
        self._applies.append(apply)


@dataclass
class Live:
    """The running hub's parts a committed change is applied to. ``instruments`` is the OMS's own table."""

    markup: SpreadMarkup
    commission: Commission
    rebates: IbRebate
    router: Router
    feed: PriceFeed
    pipelines: Pipelines
    instruments: dict[str, Instrument]
    bus: Bus
    oms: OMS   # what a deposit books through: the ledger, and the events a terminal hears


class BackOffice:
    """The store, the audit log, the policy, the live directory and the rest of the running hub; resource modules
    (``backoffice.tenants`` and the rest) build on it."""

    def __init__(self, unit: UnitOfWork, directory: Directory, clock: Clock, live: Live) -> None:
        self.unit = unit
        self.directory = directory
        self.live = live
        self.store = SqlDirectory(unit)
        self.audit = SqlAudit(unit, clock)
        self.policy = Policy(directory)
        self.clock = clock
        self.scheduler: Scheduler | None = None   # set by the hub once its jobs are built on this office

    def require(self, actor: User, action: Action, target: Target) -> None:
        refusal = self.policy.check(actor, action, target)
        if refusal is not None:
            log.info("backoffice.refused", actor=actor.user_id, action=action.value, tenant=target.tenant_id,
                     user=target.user_id, code=refusal.code)
            raise Refused(refusal.code, refusal.reason)

    @contextmanager
    def change(self, actor: User, action: Action, target: Target, resource: str, resource_id: str,
               verb: str | None = None) -> Iterator[Change]:
        """Check, then run the block and write its audit record in one transaction, then apply it live. ``verb``
        names the change more finely than the permission does ("users.lock")."""
        self.require(actor, action, target)
        change = Change(actor, verb or action.value, resource, resource_id, target.tenant_id)
        with self.unit.transaction():
            yield change
            self.audit.record(actor.user_id, change.action, resource, resource_id, change.tenant_id,
                              change.before, change.after)
        for apply in change._applies:
            apply()

    def user(self, user_id: str) -> User:
        user = self.directory.users.get(user_id)
        if user is None:
            raise NotFound("unknown_user", f"there is no user {user_id}")
        return user
