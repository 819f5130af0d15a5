"""The tenants' configuration in SQL: tenants, users, groups, accounts, the route table, markups and commission
plans. Loading goes through ``Directory``'s rules, so a row that breaks them (an account in another tenant's group,
a referral the IB tree forbids) fails the load loudly instead of trading."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import orjson
from sqlmodel import Session, delete, select

from engine.domain.instrument import AssetClass
from engine.domain.tenancy import (
    Account,
    Brand,
    Directory,
    Group,
    PositionMode,
    Role,
    Tenant,
    TenantDefaults,
    User,
)
from engine.domain.terms import CommissionPlan, CommissionUnit, Markup, MarkupUnit, RouteRule
from engine.storage.tables import (
    AccountRecord,
    CommissionPlanRecord,
    GroupRecord,
    MarkupRecord,
    RouteRuleRecord,
    TenantRecord,
    UserRecord,
)
from engine.storage.unit_of_work import UnitOfWork


@dataclass
class TenantConfig:
    directory: Directory
    route_rules: list[RouteRule] = field(default_factory=list)
    markups: dict[tuple[str, str, str], Markup] = field(default_factory=dict)
    commission_plans: dict[str, CommissionPlan] = field(default_factory=dict)


class SqlDirectory:
    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    def save_directory(self, directory: Directory) -> None:
        """Upsert every tenant, user (referrers first), group and account."""
        with self.unit.session() as session:
            for tenant in directory.tenants.values():
                session.merge(tenant_row(tenant))
            for user in directory.users.values():
                session.merge(user_row(user))
            for group in directory.groups.values():
                session.merge(group_row(group))
            for account in directory.accounts.values():
                session.merge(account_row(account))

    def save(self, *things: Tenant | User | Group | Account) -> None:
        """Upsert each, in one transaction (the back office's one change)."""
        rows = {Tenant: tenant_row, User: user_row, Group: group_row, Account: account_row}
        with self.unit.session() as session:
            for thing in things:
                session.merge(rows[type(thing)](thing))  # type: ignore[operator]

    def save_route_rules(self, rules: list[RouteRule]) -> None:
        """Replace the route table (the running hub swaps its rules the same way: all at once)."""
        with self.unit.session() as session:
            session.exec(delete(RouteRuleRecord))
            for rank, rule in enumerate(rules):
                session.add(RouteRuleRecord(
                    rank=rank, venues=",".join(rule.venues), tenant_id=rule.tenant_id, group_id=rule.group_id,
                    asset_class=rule.asset_class.value if rule.asset_class else None,
                    symbol_pattern=rule.symbol_pattern, min_quantity=rule.min_quantity,
                    max_quantity=rule.max_quantity, best_price=rule.best_price,
                    reroute_on_reject=rule.reroute_on_reject))

    def save_markups(self, markups: Mapping[tuple[str, str, str], Markup]) -> None:
        with self.unit.session() as session:
            for (tenant_id, group_id, symbol), markup in markups.items():
                session.merge(markup_row((tenant_id, group_id, symbol), markup))

    def save_commission_plans(self, directory: Directory, plans: Mapping[str, CommissionPlan]) -> None:
        with self.unit.session() as session:
            for group_id, plan in plans.items():
                session.merge(CommissionPlanRecord(group_id=group_id, tenant_id=directory.groups[group_id].tenant_id,
                                                   rate=plan.rate, unit=plan.unit.value, per_trade=plan.per_trade))

    def load(self) -> TenantConfig:
        directory = Directory()
        with Session(self.unit.engine) as session:
            for tenant in session.exec(select(TenantRecord)).all():
                directory.add_tenant(tenant_of(tenant))
            users = {u.user_id: u for u in session.exec(select(UserRecord)).all()}
            for user_id in _referrers_first(users):
                directory.add_user(user_of(users[user_id]))
            for group in session.exec(select(GroupRecord)).all():
                directory.add_group(group_of(group))
            for account in session.exec(select(AccountRecord)).all():
                directory.add_account(Account(account.account_id, account.tenant_id, account.user_id,
                                              account.group_id, account.base_currency, account.leverage,
                                              PositionMode(account.position_mode)))
            rules = [RouteRule(tuple(r.venues.split(",")), r.tenant_id, r.group_id,
                               AssetClass(r.asset_class) if r.asset_class else None, r.symbol_pattern,
                               r.min_quantity, r.max_quantity, r.best_price, r.reroute_on_reject)
                     for r in session.exec(select(RouteRuleRecord).order_by(RouteRuleRecord.rank)).all()]  # type: ignore[arg-type]
            markups = {(m.tenant_id, m.group_id, m.symbol): Markup(m.bid, m.ask, MarkupUnit(m.unit))
                       for m in session.exec(select(MarkupRecord)).all()}
            plans = {p.group_id: CommissionPlan(p.rate, _unit(p), p.per_trade)
                     for p in session.exec(select(CommissionPlanRecord)).all()}
        return TenantConfig(directory, rules, markups, plans)


def markup_row(key: tuple[str, str, str], markup: Markup) -> MarkupRecord:
    tenant_id, group_id, symbol = key
    return MarkupRecord(tenant_id=tenant_id, group_id=group_id, symbol=symbol, bid=markup.bid, ask=markup.ask,
                        unit=markup.unit.value)


def tenant_row(tenant: Tenant) -> TenantRecord:
    brand, defaults = tenant.brand, tenant.defaults
    return TenantRecord(tenant_id=tenant.tenant_id, name=tenant.name, region=tenant.region, logo_url=brand.logo_url,
                        primary_colour=brand.primary_colour, accent_colour=brand.accent_colour,
                        language=brand.language, domain=brand.domain, path=brand.path,
                        default_leverage=defaults.leverage, margin_call=defaults.margin_call,
                        stop_out=defaults.stop_out, orders_per_second=defaults.orders_per_second,
                        allowed_instruments=",".join(defaults.allowed_instruments))


def tenant_of(row: TenantRecord) -> Tenant:
    return Tenant(row.tenant_id, row.name, row.region,
                  Brand(row.logo_url, row.primary_colour, row.accent_colour, row.language, row.domain, row.path),
                  TenantDefaults(row.default_leverage, row.margin_call, row.stop_out, row.orders_per_second,
                                 tuple(p for p in row.allowed_instruments.split(",") if p)))


def user_row(user: User) -> UserRecord:
    return UserRecord(user_id=user.user_id, tenant_id=user.tenant_id, role=user.role.value,
                      referrer_id=user.referrer_id, name=user.name, email=user.email, region=user.region,
                      locked=user.locked, trade_clients=user.trade_clients, referral_code=user.referral_code)


def user_of(row: UserRecord) -> User:
    return User(row.user_id, row.tenant_id, Role(row.role), row.referrer_id, row.name, row.email, row.region,
                row.locked, row.trade_clients, row.referral_code)


def group_row(group: Group) -> GroupRecord:
    leverage = orjson.dumps({k: str(v) for k, v in group.leverage.items()}).decode() if group.leverage else ""
    return GroupRecord(group_id=group.group_id, tenant_id=group.tenant_id, max_leverage=group.max_leverage,
                       leverage=leverage, pipeline=",".join(group.pipeline))


def group_of(row: GroupRecord) -> Group:
    leverage = {k: Decimal(v) for k, v in orjson.loads(row.leverage).items()} if row.leverage else {}
    return Group(row.group_id, row.tenant_id, row.max_leverage, leverage,
                 tuple(p for p in row.pipeline.split(",") if p))


def account_row(account: Account) -> AccountRecord:
    return AccountRecord(account_id=account.account_id, tenant_id=account.tenant_id, user_id=account.user_id,
                         group_id=account.group_id, base_currency=account.base_currency, leverage=account.leverage,
                         position_mode=account.position_mode.value)


def _unit(plan: CommissionPlanRecord) -> CommissionUnit:
    """A stored plan's unit; one the hub does not know stops the load, naming the group."""
    try:
        return CommissionUnit.named(plan.unit)
    except ValueError as error:
        raise ValueError(f"commission plan of group {plan.group_id}: {error}") from None


def _referrers_first(users: Mapping[str, UserRecord]) -> list[str]:
    """Users ordered so each comes after its referrer; an unknown referrer is left for add_user to refuse."""
    ordered: list[str] = []
    placed: set[str] = set()

    def place(user_id: str, path: frozenset[str]) -> None:
        if user_id in placed or user_id in path:
            return
        referrer = users[user_id].referrer_id
        if referrer is not None and referrer in users:
            place(referrer, path | {user_id})
        placed.add(user_id)
        ordered.append(user_id)

    for user_id in sorted(users):
        place(user_id, frozenset())
    return ordered
