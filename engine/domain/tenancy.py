"""Tenants (a broker's white label), their users and roles, the IB referral tree, groups and trading accounts."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum


class Role(str, Enum):
    SUPER_ADMIN = "super_admin"
    ADMIN = "admin"
    BROKER = "broker"
    MASTER_IB = "master_ib"
    IB = "ib"
    SUB_IB = "sub_ib"
    END_USER = "end_user"


# Who may refer whom in the IB tree: a referrer's role, the roles it may bring in.
REFERRALS: dict[Role, frozenset[Role]] = {
    Role.BROKER: frozenset({Role.MASTER_IB, Role.IB, Role.END_USER}),
    Role.MASTER_IB: frozenset({Role.IB, Role.END_USER}),
    Role.IB: frozenset({Role.SUB_IB, Role.END_USER}),
    Role.SUB_IB: frozenset({Role.END_USER}),
}


class PositionMode(str, Enum):
    NETTING = "netting"
    HEDGING = "hedging"


@dataclass(frozen=True, slots=True)
class Tenant:
    tenant_id: str
    name: str


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    tenant_id: str
    role: Role
    referrer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """Accounts sharing pricing and rules: the markup, commission plan and leverage cap a broker sets."""

    group_id: str
    tenant_id: str
    max_leverage: Decimal = Decimal(100)


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    tenant_id: str
    user_id: str
    group_id: str
    base_currency: str = "USD"
    leverage: Decimal = Decimal(100)
    position_mode: PositionMode = PositionMode.NETTING


class TenancyError(ValueError):
    pass


class Directory:
    """Tenants, users and accounts, with the rules that keep one tenant's data away from another's."""

    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.accounts: dict[str, Account] = {}

    def add_tenant(self, tenant: Tenant) -> Tenant:
        self.tenants[tenant.tenant_id] = tenant
        return tenant

    def add_user(self, user: User) -> User:
        if user.tenant_id not in self.tenants and user.role not in (Role.SUPER_ADMIN, Role.ADMIN):
            raise TenancyError(f"user {user.user_id}: unknown tenant {user.tenant_id}")
        if user.referrer_id is not None:
            referrer = self.users.get(user.referrer_id)
            if referrer is None or referrer.tenant_id != user.tenant_id:
                raise TenancyError(f"user {user.user_id}: referrer {user.referrer_id} is not in its tenant")
            if user.role not in REFERRALS.get(referrer.role, frozenset()):
                raise TenancyError(f"a {referrer.role.value} cannot refer a {user.role.value}")
        self.users[user.user_id] = user
        return user

    def add_group(self, group: Group) -> Group:
        self.groups[group.group_id] = group
        return group

    def add_account(self, account: Account) -> Account:
        user = self.users.get(account.user_id)
        group = self.groups.get(account.group_id)
        if user is None or group is None or user.tenant_id != account.tenant_id or group.tenant_id != account.tenant_id:
            raise TenancyError(f"account {account.account_id}: user and group must belong to tenant "
                               f"{account.tenant_id}")
        if account.leverage > group.max_leverage:
            raise TenancyError(f"account {account.account_id}: leverage {account.leverage} is above the group's "
                               f"{group.max_leverage}")
        self.accounts[account.account_id] = account
        return account

    def upline(self, user_id: str) -> list[User]:
        """The IB chain above a user, nearest first (who earns on this user's trading)."""
        chain: list[User] = []
        current = self.users[user_id]
        while current.referrer_id is not None:
            current = self.users[current.referrer_id]
            chain.append(current)
        return chain
