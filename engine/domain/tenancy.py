"""Tenants (a broker's white label), their users and roles, the IB referral tree, groups and trading accounts."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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

    @property
    def named(self) -> str:
        """As a sentence names it: "an IB", "a super admin"."""
        return _NAMED[self]


_NAMED = {Role.SUPER_ADMIN: "a super admin", Role.ADMIN: "an admin", Role.BROKER: "a broker",
          Role.MASTER_IB: "a master IB", Role.IB: "an IB", Role.SUB_IB: "a sub-IB", Role.END_USER: "an end user"}
PLATFORM_TENANT = "platform"   # what the platform's own people (super admins, admins) have for a tenant id
PLATFORM_ROLES = frozenset({Role.SUPER_ADMIN, Role.ADMIN})

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
class Brand:
    """What a white-label tenant's traders see: its name on the page, logo, colours, language, and where they come
    in (a host name such as ``trade.broker-a.com``, or a path such as ``/t/broker-a``)."""

    logo_url: str = ""
    primary_colour: str = "#1f6feb"
    accent_colour: str = "#f0b429"
    language: str = "en"
    domain: str = ""
    path: str = ""


@dataclass(frozen=True, slots=True)
class TenantDefaults:
    """What a new account of the tenant starts with, and the tenant's own levels and limits; None: the platform's
    (the hub's TOML). A tenant's throttle can only be tighter than the platform's."""

    leverage: Decimal = Decimal(100)
    margin_call: Decimal | None = None         # margin level, percent
    stop_out: Decimal | None = None
    orders_per_second: int | None = None       # per account; 0: no throttle of the tenant's own
    allowed_instruments: tuple[str, ...] = ()  # symbol patterns; empty: every instrument


@dataclass(frozen=True, slots=True)
class Tenant:
    """A broker's white label. ``region`` is what assigns it to an admin (an admin sees the tenants of its
    region)."""

    tenant_id: str
    name: str
    region: str = ""
    brand: Brand = field(default_factory=Brand)
    defaults: TenantDefaults = field(default_factory=TenantDefaults)


@dataclass(frozen=True, slots=True)
class User:
    """``region`` is an admin's (the tenants it is assigned); ``trade_clients`` lets an IB trade on its clients'
    accounts, which only the broker grants; a ``locked`` user cannot log in at any door."""

    user_id: str
    tenant_id: str
    role: Role
    referrer_id: str | None = None
    name: str = ""
    email: str = ""
    region: str = ""
    locked: bool = False
    trade_clients: bool = False
    referral_code: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """Accounts sharing pricing and rules: the markup, commission plan and leverage cap a broker sets; leverage may
    be capped lower per asset class (its value names it: "fx", "crypto", ...), and the group may run its own
    pipeline order (empty: the tenant's)."""

    group_id: str
    tenant_id: str
    max_leverage: Decimal = Decimal(100)
    leverage: Mapping[str, Decimal] = field(default_factory=dict)
    pipeline: tuple[str, ...] = ()

    def leverage_cap(self, asset_class: str) -> Decimal:
        return min(self.max_leverage, self.leverage.get(asset_class, self.max_leverage))


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
        if (user.role in PLATFORM_ROLES) != (user.tenant_id == PLATFORM_TENANT):
            raise TenancyError(f"user {user.user_id}: {user.role.named} belongs "
                               + ("to the platform" if user.role in PLATFORM_ROLES else "to a broker's tenant"))
        if user.tenant_id not in self.tenants and user.role not in PLATFORM_ROLES:
            raise TenancyError(f"user {user.user_id}: unknown tenant {user.tenant_id}")
        if user.referrer_id is not None:
            referrer = self.users.get(user.referrer_id)
            if referrer is None or referrer.tenant_id != user.tenant_id:
                raise TenancyError(f"user {user.user_id}: referrer {user.referrer_id} is not in its tenant")
            if user.role not in REFERRALS.get(referrer.role, frozenset()):
                raise TenancyError(f"{referrer.role.named} cannot refer {user.role.named}")
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

    def subtree(self, user_id: str) -> frozenset[str]:
        """The user and everyone referred below it, at any depth (an IB's clients and sub-IBs)."""
        below: dict[str, list[str]] = {}
        for user in self.users.values():
            if user.referrer_id is not None:
                below.setdefault(user.referrer_id, []).append(user.user_id)
        found = {user_id}
        todo = [user_id]
        while todo:
            for child in below.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return frozenset(found)

    def accounts_of(self, user_id: str) -> tuple[Account, ...]:
        return tuple(a for a in self.accounts.values() if a.user_id == user_id)

    def upline(self, user_id: str) -> list[User]:
        """The IB chain above a user, nearest first (who earns on this user's trading)."""
        chain: list[User] = []
        current = self.users[user_id]
        while current.referrer_id is not None:
            current = self.users[current.referrer_id]
            chain.append(current)
        return chain
