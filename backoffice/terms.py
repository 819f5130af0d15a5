"""A group's terms from the back office: its spread markups (per tenant, group or ``*``, symbol or ``*``; points,
pips or percent, bid and ask apart) and its commission plan. Each change is written with its audit record and,
once committed, handed to the running hub's interceptors, so the next quote carries a new markup and the next
fill a new commission, without a restart."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import structlog
from sqlmodel import col, delete

from backoffice.office import BackOffice, Invalid, NotFound
from engine.domain.policy import Action, Scope, Target
from engine.domain.tenancy import User
from engine.domain.terms import CommissionPlan, Markup, MarkupUnit
from engine.storage.directory import markup_row
from engine.storage.tables import CommissionPlanRecord, MarkupRecord

log = structlog.get_logger("backoffice.terms")

ANY = "*"
MarkupKey = tuple[str, str, str]   # tenant, group (or *), symbol (or *)

@dataclass(frozen=True, slots=True)
class MarkupEntry:
    tenant_id: str
    group_id: str
    symbol: str
    markup: Markup


def markup_json(entry: MarkupEntry) -> dict[str, Any]:
    m = entry.markup
    return {"tenant_id": entry.tenant_id, "group_id": entry.group_id, "symbol": entry.symbol, "bid": str(m.bid),
            "ask": str(m.ask), "unit": m.unit.value}


def plan_json(group_id: str, tenant_id: str, plan: CommissionPlan) -> dict[str, Any]:
    return {"group_id": group_id, "tenant_id": tenant_id, "rate": str(plan.rate), "unit": plan.unit.value,
            "per_trade": str(plan.per_trade)}


class Terms:
    """Markups and commission plans, as the running hub holds them (the interceptors' own tables)."""

    def __init__(self, office: BackOffice) -> None:
        self.office = office

    # ---------------------------------------------------------------- markups
    def markups(self, actor: User) -> list[MarkupEntry]:
        """Every markup of the tenants whose groups ``actor`` manages."""
        tenants = self._tenants(actor)
        return [MarkupEntry(*key, markup) for key, markup in sorted(self.office.live.markup.markups.items())
                if key[0] in tenants]

    def put_markup(self, actor: User, key: MarkupKey, markup: Markup) -> MarkupEntry:
        """Create or replace one markup; live once committed."""
        tenant_id, group_id, symbol = key
        entry = MarkupEntry(tenant_id, group_id, symbol, markup)
        live = self.office.live.markup
        with self.office.change(actor, Action.GROUPS_MANAGE, Target(tenant_id), "markups", "/".join(key),
                                "markups.put") as change:
            self._check_markup(key, markup)
            old = live.markups.get(key)
            change.before = None if old is None else markup_json(MarkupEntry(*key, old))
            change.after = markup_json(entry)
            with self.office.unit.session() as session:
                session.merge(markup_row(key, markup))
            change.on_commit(lambda: self._apply_markup(actor, key, markup))
        return entry

    def delete_markup(self, actor: User, key: MarkupKey) -> None:
        live = self.office.live.markup
        with self.office.change(actor, Action.GROUPS_MANAGE, Target(key[0]), "markups", "/".join(key),
                                "markups.delete") as change:
            old = live.markups.get(key)
            if old is None:
                raise NotFound("unknown_markup", f"tenant {key[0]} has no markup for group {key[1]}, symbol {key[2]}")
            change.before = markup_json(MarkupEntry(*key, old))
            with self.office.unit.session() as session:
                row = session.get(MarkupRecord, key)
                if row is not None:
                    session.delete(row)
            change.on_commit(lambda: self._apply_markup(actor, key, None))

    def _apply_markup(self, actor: User, key: MarkupKey, markup: Markup | None) -> None:
        self.office.live.markup.set(key, markup)
        log.info("markup.applied", actor=actor.user_id, tenant=key[0], group=key[1], symbol=key[2],
                 markup=None if markup is None else markup_json(MarkupEntry(*key, markup)))

    def _check_markup(self, key: MarkupKey, markup: Markup) -> None:
        tenant_id, group_id, symbol = key
        if tenant_id not in self.office.directory.tenants:
            raise NotFound("unknown_tenant", f"there is no tenant {tenant_id}")
        group = self.office.directory.groups.get(group_id)
        if group_id != ANY and (group is None or group.tenant_id != tenant_id):
            raise Invalid("unknown_group", f"tenant {tenant_id} has no group {group_id}")
        if symbol != ANY and symbol not in self.office.live.instruments:
            raise Invalid("unknown_symbol", f"{symbol} is not an instrument of this hub")
        for name in ("bid", "ask"):
            value: Decimal = getattr(markup, name)
            if not value.is_finite() or value < 0:
                raise Invalid("bad_markup", f"{name} must be a number of at least zero, got {value}")
        if markup.unit is MarkupUnit.PERCENT and max(markup.bid, markup.ask) >= 100:
            raise Invalid("bad_markup", "a percent markup must be below 100")

    # ---------------------------------------------------------------- commission plans
    def plans(self, actor: User) -> list[dict[str, Any]]:
        tenants = self._tenants(actor)
        groups = self.office.directory.groups
        return [plan_json(group_id, groups[group_id].tenant_id, plan)
                for group_id, plan in sorted(self.office.live.commission.plans.items())
                if group_id in groups and groups[group_id].tenant_id in tenants]

    def put_plan(self, actor: User, group_id: str, plan: CommissionPlan) -> dict[str, Any]:
        tenant_id = self._group_tenant(group_id)
        after = plan_json(group_id, tenant_id, plan)
        with self.office.change(actor, Action.GROUPS_MANAGE, Target(tenant_id), "commission-plans", group_id,
                                "commission_plans.put") as change:   # who may, before what is wrong with it
            for name in ("rate", "per_trade"):
                value: Decimal = getattr(plan, name)
                if not value.is_finite() or value < 0:
                    raise Invalid("bad_commission", f"{name} must be a number of at least zero, got {value}")
            old = self.office.live.commission.plans.get(group_id)
            change.before = None if old is None else plan_json(group_id, tenant_id, old)
            change.after = after
            with self.office.unit.session() as session:
                session.merge(CommissionPlanRecord(group_id=group_id, tenant_id=tenant_id, rate=plan.rate,
                                                   unit=plan.unit.value, per_trade=plan.per_trade))
            change.on_commit(lambda: self._apply_plan(actor, group_id, plan))
        return after

    def delete_plan(self, actor: User, group_id: str) -> None:
        tenant_id = self._group_tenant(group_id)
        with self.office.change(actor, Action.GROUPS_MANAGE, Target(tenant_id), "commission-plans", group_id,
                                "commission_plans.delete") as change:
            old = self.office.live.commission.plans.get(group_id)
            if old is None:
                raise NotFound("unknown_commission_plan", f"group {group_id} has no commission plan")
            change.before = plan_json(group_id, tenant_id, old)
            with self.office.unit.session() as session:
                session.exec(delete(CommissionPlanRecord).where(
                    col(CommissionPlanRecord.group_id) == group_id))
            change.on_commit(lambda: self._apply_plan(actor, group_id, None))

    def _apply_plan(self, actor: User, group_id: str, plan: CommissionPlan | None) -> None:
        plans = self.office.live.commission.plans
        assert isinstance(plans, dict)   # the hub hands the interceptor its own dict
        if plan is None:
            plans.pop(group_id, None)
        else:
            plans[group_id] = plan
        log.info("commission_plan.applied", actor=actor.user_id, group=group_id,
                 plan=None if plan is None else {"rate": str(plan.rate), "unit": plan.unit.value,
                                                 "per_trade": str(plan.per_trade)})

    def _group_tenant(self, group_id: str) -> str:
        group = self.office.directory.groups.get(group_id)
        if group is None:
            raise NotFound("unknown_group", f"there is no group {group_id}")
        return group.tenant_id

    def _tenants(self, actor: User) -> frozenset[str]:
        return tenants_for(self.office, actor, Action.GROUPS_MANAGE)


def tenants_for(office: BackOffice, actor: User, action: Action) -> frozenset[str]:
    """The tenants in which ``actor`` may do ``action``; a caller who may not do it anywhere (an end user, a locked
    user) is refused, naming why."""
    if actor.locked or office.policy.scope(actor, action) is Scope.NONE:
        office.require(actor, action, Target(actor.tenant_id))
    return office.policy.tenants(actor, action)
