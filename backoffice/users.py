"""Users and their logins, as the back office changes them: create (with a one-time invitation that sets the
password), change name, contact, role or place in the IB tree, grant an IB trading on its clients, lock, unlock, and
send a password reset link.

Whom a caller may change is the policy's ``users.manage`` scope, and within it only users whose role the caller may
give (``Policy.grant``): a broker manages its IBs and traders, not another broker; an admin the brokers of its
region. Anyone may change their own name and e-mail, nothing else of themselves. Every change keeps the IB tree as
``REFERRALS`` allows it, without cycles. Tokens and hashes never reach the audit log."""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from backoffice.office import BackOffice, Conflict, Invalid, NotFound, Refused
from engine.domain.policy import Action, Scope, Target
from engine.domain.tenancy import PLATFORM_ROLES, PLATFORM_TENANT, REFERRALS, Role, User
from engine.storage.access import SqlAccess

LINK_LIFETIME = dt.timedelta(hours=72)   # an invitation or a reset link
IB_ROLES = frozenset({Role.MASTER_IB, Role.IB, Role.SUB_IB})
_CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read aloud or typed from a flyer


@dataclass(frozen=True, slots=True)
class Invitation:
    """A one-time link's token, shown to the caller this once (only its hash is stored)."""

    user: User
    token: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class UserChanges:
    """What a PATCH changes; None leaves a field as it is."""

    name: str | None = None
    email: str | None = None
    role: Role | None = None
    referrer_id: str | None = None
    trade_clients: bool | None = None
    region: str | None = None


def target(user: User) -> Target:
    """The policy's target for a user: the platform's own people are the platform's (``Target(None, ...)``)."""
    return Target(None if user.tenant_id == PLATFORM_TENANT else user.tenant_id, user.user_id)


def user_json(user: User) -> dict[str, Any]:
    return {"user_id": user.user_id, "tenant_id": user.tenant_id, "role": user.role.value,
            "referrer_id": user.referrer_id, "name": user.name, "email": user.email, "region": user.region,
            "locked": user.locked, "trade_clients": user.trade_clients, "referral_code": user.referral_code}


def new_referral_code(taken: Iterable[str | None]) -> str:
    used = set(taken)
    while (code := "".join(secrets.choice(_CODE_LETTERS) for _ in range(8))) in used:
        pass
    return code


class Users:
    def __init__(self, office: BackOffice, access: SqlAccess) -> None:
        self.office = office
        self.access = access

    # ------------------------------------------------------------------ reading
    def visible(self, actor: User, tenant_id: str | None = None, role: Role | None = None,
                referrer_id: str | None = None) -> list[User]:
        """Everyone the caller may read, filtered, by user id."""
        policy = self.office.policy
        return sorted((u for u in self.office.directory.users.values()
                       if (tenant_id is None or u.tenant_id == tenant_id) and (role is None or u.role is role)
                       and (referrer_id is None or u.referrer_id == referrer_id)
                       and policy.allows(actor, Action.USERS_READ, target(u))),
                      key=lambda u: u.user_id)

    def get(self, actor: User, user_id: str) -> User:
        user = self._known(actor, user_id, Action.USERS_READ)
        self.office.require(actor, Action.USERS_READ, target(user))
        return user

    def logins(self, users: Iterable[User]) -> dict[str, str]:
        return self.access.logins_of([u.user_id for u in users])

    # ------------------------------------------------------------------ changing
    def create(self, actor: User, new: User, login: str) -> Invitation:
        """``new`` as asked for; without a referrer a trader or an IB goes under the tenant's broker, and an IB gets
        its referral code here."""
        platform = new.role in PLATFORM_ROLES
        where = Target(None if platform else new.tenant_id, new.user_id)
        self.office.require(actor, Action.USERS_MANAGE, where)
        self._may_give(actor, new.role)
        directory = self.office.directory
        if platform != (new.tenant_id == PLATFORM_TENANT):
            raise Invalid("bad_tenant", f"{new.role.named} belongs " + (f"to the platform (tenant_id "
                          f"{PLATFORM_TENANT})" if platform else "to a broker's tenant"))
        if not platform and new.tenant_id not in directory.tenants:
            raise NotFound("unknown_tenant", f"there is no tenant {new.tenant_id}")
        if new.user_id in directory.users:
            raise Conflict("user_exists", f"there is already a user {new.user_id}")
        if self.access.login_taken(login):
            raise Conflict("login_taken", f"the login {login} is taken: choose another")
        referrer_id = new.referrer_id if new.referrer_id is not None else self._default_referrer(new)
        user = replace(new, referrer_id=referrer_id, locked=False,
                       referral_code=self._code() if new.role in IB_ROLES else None)
        self._check_fields(user)
        self._check_referrer(user, referrer_id)
        with self.office.change(actor, Action.USERS_MANAGE, where, "users", user.user_id,
                                "users.create") as change:
            self.office.store.save(user)
            self.access.add_login(user.user_id, login)
            token, expires = self.access.issue_link(user.user_id, "invite", actor.user_id, LINK_LIFETIME)
            change.after = {**user_json(user), "login": login, "invite_expires_at": expires.isoformat()}
            change.on_commit(lambda: self._replace(user))
        return Invitation(user, token, expires)

    def update(self, actor: User, user_id: str, changes: UserChanges) -> User:
        user = self._known(actor, user_id, Action.USERS_MANAGE)
        self.office.require(actor, Action.USERS_MANAGE, target(user))
        own = {"name", "email"}
        asked = {f.name for f in fields(changes) if getattr(changes, f.name) is not None}
        if actor.user_id == user.user_id and asked - own:
            raise Refused("forbidden", f"you may change only your own name and e-mail, not your "
                                       f"{', '.join(sorted(asked - own))}")
        if actor.user_id != user.user_id:
            self._may_give(actor, user.role)
        role = changes.role or user.role
        if role is not user.role:
            self._may_give(actor, role)
            if (role in PLATFORM_ROLES) != (user.role in PLATFORM_ROLES):
                raise Invalid("bad_role", f"{user.role.named} cannot become {role.named}: the platform's "
                                          "people and a broker's are created apart")
        code = (user.referral_code or self._code()) if role in IB_ROLES else None
        if changes.trade_clients is not None:
            trade_clients = changes.trade_clients
        else:   # a user leaving the IB roles loses the grant with them
            trade_clients = user.trade_clients and role in IB_ROLES
        updated = replace(user, name=_given(changes.name, user.name), email=_given(changes.email, user.email),
                          role=role, referrer_id=changes.referrer_id or user.referrer_id, trade_clients=trade_clients,
                          region=_given(changes.region, user.region), referral_code=code)
        self._check_fields(updated)
        self._check_referrer(updated, updated.referrer_id)
        self._check_clients(updated)
        if updated == user:
            return user   # nothing to change: no audit record of a change that did not happen
        return self._save(actor, user, updated, "users.update")

    def set_locked(self, actor: User, user_id: str, locked: bool) -> User:
        """Lock (every session ends with it; API keys stop working) or unlock."""
        user = self._managed(actor, user_id)
        if actor.user_id == user.user_id:
            raise Invalid("own_lock", "you cannot lock or unlock yourself")
        if user.locked == locked:
            return user
        updated = replace(user, locked=locked)
        verb = "users.lock" if locked else "users.unlock"
        with self.office.change(actor, Action.USERS_MANAGE, target(user), "users", user_id, verb) as change:
            self.office.store.save(updated)
            ended = self.access.end_sessions(user_id) if locked else 0
            change.before, change.after = user_json(user), {**user_json(updated), "sessions_ended": ended}
            change.on_commit(lambda: self._replace(updated))
        return updated

    def reset(self, actor: User, user_id: str) -> Invitation:
        """A one-time link to set a new password; the current one works until the link is used."""
        user = self._known(actor, user_id, Action.USERS_MANAGE)
        self.office.require(actor, Action.USERS_MANAGE, target(user))
        if actor.user_id != user.user_id:
            self._may_give(actor, user.role)
        if user.locked:
            raise Conflict("user_locked", f"user {user_id} is locked: unlock it before sending a reset link")
        with self.office.change(actor, Action.USERS_MANAGE, target(user), "users", user_id, "users.reset") as change:
            token, expires = self.access.issue_link(user_id, "reset", actor.user_id, LINK_LIFETIME)
            change.after = {"user_id": user_id, "reset_expires_at": expires.isoformat()}
        return Invitation(user, token, expires)

    # ------------------------------------------------------------------ rules
    def _known(self, actor: User, user_id: str, action: Action) -> User:
        """The user, or why not without telling whether an id outside the caller's reach exists."""
        user = self.office.directory.users.get(user_id)
        if user is not None:
            return user
        scope = self.office.policy.scope(actor, action)
        if scope is Scope.PLATFORM:
            raise NotFound("unknown_user", f"there is no user {user_id}")
        if scope is Scope.NONE:
            self.office.require(actor, action, Target(actor.tenant_id))   # refuses, saying the role may not
        raise Refused("forbidden", f"user {user_id} is outside what {actor.role.named} {actor.user_id} may "
                                   f"{'read' if action is Action.USERS_READ else 'manage'}")

    def _managed(self, actor: User, user_id: str) -> User:
        user = self._known(actor, user_id, Action.USERS_MANAGE)
        self.office.require(actor, Action.USERS_MANAGE, target(user))
        self._may_give(actor, user.role)
        return user

    def _may_give(self, actor: User, role: Role) -> None:
        refusal = self.office.policy.grant(actor, role)
        if refusal is not None:
            raise Refused(refusal.code, refusal.reason)

    def _default_referrer(self, new: User) -> str | None:
        """A trader or an IB created without a referrer lands directly under the tenant's broker."""
        if new.role not in REFERRALS[Role.BROKER]:
            return None
        brokers = sorted(u.user_id for u in self.office.directory.users.values()
                         if u.tenant_id == new.tenant_id and u.role is Role.BROKER)
        return brokers[0] if brokers else None

    def _code(self) -> str:
        return new_referral_code(u.referral_code for u in self.office.directory.users.values())

    @staticmethod
    def _check_fields(user: User) -> None:
        if user.region and user.role is not Role.ADMIN:
            raise Invalid("bad_region", "only an admin has a region (the tenants it is assigned)")
        if user.trade_clients and user.role not in IB_ROLES:
            raise Invalid("bad_grant", "only an IB (master IB, IB, sub-IB) can be let trade on its clients' accounts")

    def _check_referrer(self, user: User, referrer_id: str | None) -> None:
        if referrer_id is None:
            if user.role is Role.SUB_IB:
                raise Invalid("referrer_required", "a sub-IB sits under an IB: name its referrer_id")
            return
        directory = self.office.directory
        referrer = directory.users.get(referrer_id)
        if referrer is None or referrer.tenant_id != user.tenant_id:
            raise Invalid("bad_referrer", f"the referrer {referrer_id} is not a user of tenant {user.tenant_id}")
        if user.role not in REFERRALS.get(referrer.role, frozenset()):
            raise Invalid("referral_not_allowed", f"{referrer.role.named} cannot refer {user.role.named}")
        if user.user_id in directory.users and referrer_id in directory.subtree(user.user_id):
            raise Invalid("referral_cycle", f"{referrer_id} is {user.user_id} or below it in the tree: moving "
                                            f"{user.user_id} under it would make a cycle")

    def _check_clients(self, user: User) -> None:
        """The users below keep a referrer that may refer them."""
        allowed = REFERRALS.get(user.role, frozenset())
        below = sorted(u.user_id for u in self.office.directory.users.values()
                       if u.referrer_id == user.user_id and u.role not in allowed)
        if below:
            raise Invalid("referral_not_allowed", f"{user.role.named} cannot refer {', '.join(below[:5])}: move "
                                                  "them first")

    def _save(self, actor: User, before: User, after: User, verb: str) -> User:
        with self.office.change(actor, Action.USERS_MANAGE, target(before), "users", before.user_id,
                                verb) as change:
            self.office.store.save(after)
            change.before, change.after = user_json(before), user_json(after)
            change.on_commit(lambda: self._replace(after))
        return after

    def _replace(self, user: User) -> None:
        self.office.directory.users[user.user_id] = user


def _given(value: str | None, current: str) -> str:
    return current if value is None else value
