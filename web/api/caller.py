"""Who is calling, as the doors of the web app see them (the user, its own accounts, how it came in), and what the
one policy (``engine.domain.policy``) lets them reach: an account to read or trade on, whose prices they see."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from engine.domain.policy import Action, Policy, Target
from engine.domain.tenancy import Account, Directory, User
from web.api.errors import ApiError


@dataclass(frozen=True, slots=True)
class Caller:
    user: User
    accounts: tuple[Account, ...]   # its own
    via: str   # "session" or "api_key"


CALLER = web.RequestKey("caller", Caller)


class Permissions:
    """The policy as the web doors ask it. A refusal is a 403 with the policy's code and reason; an unknown account
    is a 404 only for a caller who sees the whole platform, a 403 like another tenant's account for everyone else."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.policy = Policy(directory)

    def account(self, caller: Caller, account_id: str, action: Action) -> Account:
        refusal = self.policy.account(caller.user, action, account_id)
        if refusal is not None:
            raise ApiError(404 if refusal.code == "unknown_account" else 403, refusal.code, refusal.reason)
        return self.directory.accounts[account_id]

    def accounts(self, caller: Caller, everything: bool) -> tuple[Account, ...]:
        """The caller's own accounts; with ``everything``, every account the caller may read."""
        return self.policy.accounts(caller.user, Action.ACCOUNTS_READ) if everything else caller.accounts

    def prices(self, caller: Caller, account_id: str | None = None) -> tuple[str, str]:
        """The (tenant, group) whose prices the caller sees: the named account's group (an account it may read),
        else its first own account's, else its tenant's first group, so a broker, an IB or an admin without an
        account of their own sees a working terminal. Platform people see the first tenant they reach."""
        if account_id:
            account = self.account(caller, account_id, Action.ACCOUNTS_READ)
            return account.tenant_id, account.group_id
        if caller.accounts:
            return caller.accounts[0].tenant_id, caller.accounts[0].group_id
        refusal = self.policy.check(caller.user, Action.ACCOUNTS_READ,
                                   Target(caller.user.tenant_id, caller.user.user_id))
        if refusal is not None and refusal.code == "user_locked":
            raise ApiError(403, refusal.code, refusal.reason)
        tenants = [caller.user.tenant_id] if caller.user.tenant_id in self.directory.tenants else \
            sorted(self.policy.tenants(caller.user, Action.ACCOUNTS_READ))
        for tenant in tenants:
            group = next((g for g in self.directory.groups.values() if g.tenant_id == tenant), None)
            if group is not None:
                return tenant, group.group_id
        raise ApiError(403, "no_prices", "there is no group whose prices this user may see")
