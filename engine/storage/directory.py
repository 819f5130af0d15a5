"""The tenants' configuration in SQL: tenants, users, groups, accounts, the route table, markups and commission
plans. Loading goes through ``Directory``'s rules, so a row that breaks them (an account in another tenant's group,
a referral the IB tree forbids) fails the load loudly instead of trading."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, delete, select

from engine.domain.instrument import AssetClass
from engine.domain.tenancy import Account, Directory, Group, PositionMode, Role, Tenant, User
from engine.domain.terms import CommissionPlan, CommissionUnit, Markup, RouteRule
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
                session.merge(TenantRecord(tenant_id=tenant.tenant_id, name=tenant.name))
            for user in directory.users.values():
                session.merge(UserRecord(user_id=user.user_id, tenant_id=user.tenant_id, role=user.role.value,
                                         referrer_id=user.referrer_id))
            for group in directory.groups.values():
                session.merge(GroupRecord(group_id=group.group_id, tenant_id=group.tenant_id,
                                          max_leverage=group.max_leverage))
            for account in directory.accounts.values():
                session.merge(AccountRecord(account_id=account.account_id, tenant_id=account.tenant_id,
                                            user_id=account.user_id, group_id=account.group_id,
                                            base_currency=account.base_currency, leverage=account.leverage,
                                            position_mode=account.position_mode.value))

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
                session.merge(MarkupRecord(tenant_id=tenant_id, group_id=group_id, symbol=symbol,
                                           points=markup.points, percent=markup.percent))

    def save_commission_plans(self, directory: Directory, plans: Mapping[str, CommissionPlan]) -> None:
        with self.unit.session() as session:
            for group_id, plan in plans.items():
                session.merge(CommissionPlanRecord(group_id=group_id, tenant_id=directory.groups[group_id].tenant_id,
                                                   rate=plan.rate, unit=plan.unit.value, per_trade=plan.per_trade))

    def load(self) -> TenantConfig:
        directory = Directory()
        with Session(self.unit.engine) as session:
            for tenant in session.exec(select(TenantRecord)).all():
                directory.add_tenant(Tenant(tenant.tenant_id, tenant.name))
            users = {u.user_id: u for u in session.exec(select(UserRecord)).all()}
            for user_id in _referrers_first(users):
                row = users[user_id]
                directory.add_user(User(row.user_id, row.tenant_id, Role(row.role), row.referrer_id))
            for group in session.exec(select(GroupRecord)).all():
                directory.add_group(Group(group.group_id, group.tenant_id, group.max_leverage))
            for account in session.exec(select(AccountRecord)).all():
                directory.add_account(Account(account.account_id, account.tenant_id, account.user_id,
                                              account.group_id, account.base_currency, account.leverage,
                                              PositionMode(account.position_mode)))
            rules = [RouteRule(tuple(r.venues.split(",")), r.tenant_id, r.group_id,
                               AssetClass(r.asset_class) if r.asset_class else None, r.symbol_pattern,
                               r.min_quantity, r.max_quantity, r.best_price, r.reroute_on_reject)
                     for r in session.exec(select(RouteRuleRecord).order_by(RouteRuleRecord.rank)).all()]  # type: ignore[arg-type]
            markups = {(m.tenant_id, m.group_id, m.symbol): Markup(m.points, m.percent)
                       for m in session.exec(select(MarkupRecord)).all()}
            plans = {p.group_id: CommissionPlan(p.rate, _unit(p), p.per_trade)
                     for p in session.exec(select(CommissionPlanRecord)).all()}
        return TenantConfig(directory, rules, markups, plans)


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
