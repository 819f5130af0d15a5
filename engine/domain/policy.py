"""Who may do what, and to whose things: one permission table (role x action -> scope) that every door consults,
the REST API, the WebSockets, the FIX bindings and the back office alike. A refusal is a ``Rejection`` with a code
and a sentence, which each door turns into its own answer (a 403, a BusinessMessageReject, a Logout).

Scope follows the tenant tree: the platform (super admin), the tenants of an admin's region, the caller's own
tenant (broker), the caller's own subtree in the IB tree (master IB, IB, sub-IB: their clients, read only), the
caller's own accounts (end user)."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from engine.domain.rejects import Rejection
from engine.domain.tenancy import Account, Directory, Role, User


class Action(str, Enum):
    ACCOUNTS_READ = "accounts.read"            # balances, positions, orders, fills
    ACCOUNTS_TRADE = "accounts.trade"          # place, amend, cancel
    ACCOUNTS_MANAGE = "accounts.manage"        # open an account, change its group or leverage, deposit by hand
    TENANTS_READ = "tenants.read"
    TENANTS_MANAGE = "tenants.manage"          # create a tenant, change its brand and defaults
    USERS_READ = "users.read"
    USERS_MANAGE = "users.manage"              # create, invite, reset, lock, change role, move in the tree
    GROUPS_MANAGE = "groups.manage"            # groups, their markups and commission plans
    REBATES_MANAGE = "rebates.manage"          # IB rebate plans, approving IB requests
    INSTRUMENTS_MANAGE = "instruments.manage"  # list, delist (the platform's catalogue, or a tenant's own)
    ROUTES_MANAGE = "routes.manage"            # the A-Book route table
    JOBS_RUN = "jobs.run"                      # run a scheduled job now, release a held payout
    AUDIT_READ = "audit.read"
    COMMISSIONS_READ = "commissions.read"      # an IB's earnings and its clients' volume
    DROP_COPY = "drop_copy"                    # every execution of the tenant, as it happens


class Scope(int, Enum):
    """How far a permission reaches, widest first."""

    PLATFORM = 5
    REGION = 4
    TENANT = 3
    SUBTREE = 2
    OWN = 1
    NONE = 0


_IB: dict[Action, Scope] = {Action.ACCOUNTS_READ: Scope.SUBTREE, Action.ACCOUNTS_TRADE: Scope.OWN, Action.USERS_READ: Scope.SUBTREE,
       Action.COMMISSIONS_READ: Scope.SUBTREE}
# A broker lists instruments for its own tenant (Target(tenant)); the platform's catalogue and the route table
# (which venues carry every tenant's flow) stay the platform's.
_BROKER: dict[Action, Scope] = {action: Scope.TENANT for action in Action if action is not Action.ROUTES_MANAGE}
PERMISSIONS: dict[Role, dict[Action, Scope]] = {
    Role.SUPER_ADMIN: {action: Scope.PLATFORM for action in Action},
    Role.ADMIN: {action: Scope.REGION for action in Action if action is not Action.ROUTES_MANAGE},
    Role.BROKER: _BROKER,
    Role.MASTER_IB: dict(_IB),
    Role.IB: dict(_IB),
    Role.SUB_IB: dict(_IB),
    Role.END_USER: {Action.ACCOUNTS_READ: Scope.OWN, Action.ACCOUNTS_TRADE: Scope.OWN, Action.USERS_READ: Scope.OWN},
}
# What the broker's grant (User.trade_clients) widens for an IB.
GRANTED = {Action.ACCOUNTS_TRADE: Scope.SUBTREE}

# The roles a caller may give (create a user with, or change a user to).
GRANTS: dict[Role, frozenset[Role]] = {
    Role.SUPER_ADMIN: frozenset(Role),
    Role.ADMIN: frozenset(Role) - {Role.SUPER_ADMIN, Role.ADMIN},
    Role.BROKER: frozenset({Role.MASTER_IB, Role.IB, Role.SUB_IB, Role.END_USER}),
}


@dataclass(frozen=True, slots=True)
class Target:
    """What an action is on: a tenant, and within it, where one user's things are concerned, that user. ``region``
    places a tenant not created yet (an admin creates tenants in its own region)."""

    tenant_id: str | None
    user_id: str | None = None
    region: str | None = None


PLATFORM = Target(None)   # the platform's own things: its instrument catalogue, the route table


class Policy:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def scope(self, user: User, action: Action) -> Scope:
        scope = PERMISSIONS[user.role].get(action, Scope.NONE)
        if user.trade_clients:
            scope = max(scope, GRANTED.get(action, Scope.NONE))
        return scope

    def check(self, user: User, action: Action, target: Target) -> Rejection | None:
        """None when ``user`` may do ``action`` on ``target``; else why not."""
        if user.locked:
            return Rejection("user_locked", f"user {user.user_id} is locked")
        scope = self.scope(user, action)
        if scope is Scope.NONE:
            return Rejection("forbidden", f"{user.role.named} may not {_verb(action)}")
        if self._reaches(user, scope, target):
            return None
        return Rejection("forbidden", f"{_whose(target)} is outside what {user.role.named} "
                                      f"{user.user_id} may {_verb(action)}")

    def allows(self, user: User, action: Action, target: Target) -> bool:
        return self.check(user, action, target) is None

    def grant(self, user: User, role: Role) -> Rejection | None:
        """None when ``user`` may give ``role`` to someone."""
        if role in GRANTS.get(user.role, frozenset()):
            return None
        return Rejection("forbidden", f"{user.role.named} may not make anyone {role.named}")

    def tenants(self, user: User, action: Action) -> frozenset[str]:
        """Every tenant in which ``user`` may do ``action`` on at least something."""
        return frozenset(t for t in self.directory.tenants if self._reaches(user, self.scope(user, action),
                                                                           Target(t), partly=True))

    def _reaches(self, user: User, scope: Scope, target: Target, partly: bool = False) -> bool:
        if scope is Scope.PLATFORM:
            return True
        if target.tenant_id is None:
            return False   # only the platform's own people touch the platform's own things
        if scope is Scope.REGION:
            tenant = self.directory.tenants.get(target.tenant_id)
            region = tenant.region if tenant is not None else target.region
            return bool(user.region) and region == user.region
        if target.tenant_id != user.tenant_id:
            return False
        if scope is Scope.TENANT:
            return True
        if target.user_id is None:
            return partly   # a tenant-wide thing: only a tenant's whole view reaches it
        if scope is Scope.SUBTREE:
            return target.user_id in self.directory.subtree(user.user_id)
        return target.user_id == user.user_id

    def account_target(self, account_id: str) -> Target | None:
        account = self.directory.accounts.get(account_id)
        return None if account is None else Target(account.tenant_id, account.user_id)

    def account(self, user: User, action: Action, account_id: str) -> Rejection | None:
        """None when ``user`` may do ``action`` on the account. The refusal names the account only, never whose it
        is, and an unknown account is refused as another tenant's is, so an id tells a caller nothing about other
        tenants; only a caller whose scope is the whole platform hears that it is unknown (``unknown_account``)."""
        target = self.account_target(account_id)
        refusal = self.check(user, action, target or PLATFORM)
        if target is None and refusal is None:
            return Rejection("unknown_account", f"there is no account {account_id}")
        if refusal is None or refusal.code == "user_locked" or self.scope(user, action) is Scope.NONE:
            return refusal
        return Rejection("forbidden", f"account {account_id} is outside what {user.role.named} {user.user_id} "
                                      f"may {_verb(action)}")

    def accounts(self, user: User, action: Action) -> tuple[Account, ...]:
        """Every account ``user`` may do ``action`` on, in id order (the subtree is walked once, not per account)."""
        scope = self.scope(user, action)
        if user.locked or scope is Scope.NONE:
            return ()
        below = self.directory.subtree(user.user_id) if scope is Scope.SUBTREE else frozenset()

        def reached(account: Account) -> bool:
            if scope is Scope.SUBTREE:
                return account.tenant_id == user.tenant_id and account.user_id in below
            return self._reaches(user, scope, Target(account.tenant_id, account.user_id))
        return tuple(account for _, account in sorted(self.directory.accounts.items()) if reached(account))


def _verb(action: Action) -> str:
    resource, _, verb = action.value.partition(".")
    return {"read": f"read {resource}", "trade": f"trade on {resource}", "manage": f"manage {resource}",
            "run": f"run {resource}", "": resource.replace("_", " ")}[verb]


def _whose(target: Target) -> str:
    if target.tenant_id is None:
        return "the platform's configuration"
    if target.user_id is None:
        return f"tenant {target.tenant_id}"
    return f"user {target.user_id} of tenant {target.tenant_id}"
