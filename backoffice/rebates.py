"""IB rebate plans as the broker manages them: create, change and delete a plan of its tenant (``rebates.manage``),
and release an IB's held rebates for payment (``jobs.run``). Each change is one audited transaction and reaches the
running hub's ``ib_rebate`` interceptor once committed, so the next fill earns by the new plan. The audit record's
event (``audit.change``) is the one log event of each change."""
from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

from backoffice.office import BackOffice, Conflict, Invalid, NotFound
from engine.domain.policy import Action, Scope, Target
from engine.domain.rebates import IB_ROLES, LevelRate, RebatePlan, Schedule
from engine.domain.tenancy import Role, User
from engine.storage.rebates import SqlRebates

RESOURCE = "rebate-plans"
SYMBOL_PATTERN = r"^[A-Za-z0-9/*?._-]{1,32}$"
DECIMAL = r"^[0-9]{1,12}(\.[0-9]{1,12})?$"
MAX_HOLD_SECONDS = 30 * 24 * 3600
FRACTIONS = ("per_notional", "markup_share", "commission_share")   # of the notional or of the broker's revenue
LEVEL_FIELDS = ("per_lot", *FRACTIONS)
FIELDS = frozenset({"name", "group_id", "symbol_pattern", "cap", "within_revenue", "min_hold_seconds", "schedule",
                    "hold_for_review", "levels"})
_SYMBOL, _DECIMAL = re.compile(SYMBOL_PATTERN), re.compile(DECIMAL)


class RebatePlans:
    def __init__(self, office: BackOffice) -> None:
        self.office = office
        self.store = SqlRebates(office.unit)

    def list(self, actor: User, tenant_id: str | None = None) -> list[RebatePlan]:
        tenants = self._readable(actor)
        if tenant_id is not None:
            self.office.require(actor, Action.REBATES_MANAGE, Target(tenant_id))
        return [plan for plan in self.store.plans()
                if (tenants is None or plan.tenant_id in tenants) and tenant_id in (None, plan.tenant_id)]

    def get(self, actor: User, plan_id: str) -> RebatePlan:
        plan = self.store.plan(plan_id)
        if plan is None or not self.office.policy.allows(actor, Action.REBATES_MANAGE, Target(plan.tenant_id)):
            self._readable(actor)   # a caller with no say over rebates hears that, not whether the plan exists
            raise NotFound("unknown_rebate_plan", f"there is no rebate plan {plan_id}")
        return plan

    def create(self, actor: User, body: dict[str, Any]) -> RebatePlan:
        plan_id, tenant_id = body.get("plan_id"), body.get("tenant_id", actor.tenant_id)
        assert isinstance(plan_id, str) and isinstance(tenant_id, str)   # the door checks the ids' form
        self.office.require(actor, Action.REBATES_MANAGE, Target(tenant_id))
        if tenant_id not in self.office.directory.tenants:
            raise Invalid("unknown_tenant", f"there is no tenant {tenant_id}")
        unknown = set(body) - FIELDS - {"plan_id", "tenant_id"}
        if unknown:
            raise Invalid("unknown_field", f"a rebate plan has no field {sorted(unknown)[0]}")
        with self.office.change(actor, Action.REBATES_MANAGE, Target(tenant_id), RESOURCE, plan_id,
                                "rebate-plans.create") as change:
            if self.store.plan(plan_id) is not None:
                raise Conflict("rebate_plan_exists", f"rebate plan {plan_id} exists already")
            plan = self._valid(_apply(RebatePlan(plan_id, tenant_id), body))
            self.store.save(plan)
            change.after = as_json(plan)
            change.on_commit(lambda: self._live(plan))
        return plan

    def patch(self, actor: User, plan_id: str, body: dict[str, Any]) -> RebatePlan:
        current = self.get(actor, plan_id)
        unknown = set(body) - FIELDS
        if unknown:
            raise Invalid("unknown_field", f"{sorted(unknown)[0]} of a rebate plan cannot be changed")
        with self.office.change(actor, Action.REBATES_MANAGE, Target(current.tenant_id), RESOURCE, plan_id,
                                "rebate-plans.update") as change:
            plan = self._valid(_apply(current, body))
            self.store.save(plan)
            change.before, change.after = as_json(current), as_json(plan)
            change.on_commit(lambda: self._live(plan))
        return plan

    def delete(self, actor: User, plan_id: str) -> None:
        current = self.get(actor, plan_id)
        with self.office.change(actor, Action.REBATES_MANAGE, Target(current.tenant_id), RESOURCE, plan_id,
                                "rebate-plans.delete") as change:
            self.store.delete(plan_id)
            change.before = as_json(current)
            change.on_commit(lambda: self.office.live.rebates.remove(plan_id))

    def release(self, actor: User, ib_id: str) -> int:
        """Let the payout job pay what ``ib_id`` accrued until now under plans that hold for review."""
        ib = self.office.directory.users.get(ib_id)
        target = Target(ib.tenant_id if ib else None, ib_id)
        self.office.require(actor, Action.JOBS_RUN, target if ib else Target(actor.tenant_id, ib_id))
        if ib is None or ib.role not in IB_ROLES:
            raise NotFound("unknown_ib", f"there is no IB {ib_id}")
        through = self.office.clock()
        with self.office.change(actor, Action.JOBS_RUN, target, RESOURCE, ib_id, "rebate-plans.release") as change:
            release_id = self.store.release(ib.tenant_id, ib_id, through, actor.user_id)
            change.after = {"release_id": release_id, "ib": ib_id, "released_through": through.isoformat()}
        return release_id

    def _readable(self, actor: User) -> frozenset[str] | None:
        """The tenants whose plans ``actor`` manages (None: all); refuses a caller who manages none."""
        policy = self.office.policy
        scope = policy.scope(actor, Action.REBATES_MANAGE)
        if scope is Scope.NONE or actor.locked:
            self.office.require(actor, Action.REBATES_MANAGE, Target(actor.tenant_id))
        return None if scope is Scope.PLATFORM else policy.tenants(actor, Action.REBATES_MANAGE)

    def _valid(self, plan: RebatePlan) -> RebatePlan:
        if plan.group_id is not None:
            group = self.office.directory.groups.get(plan.group_id)
            if group is None or group.tenant_id != plan.tenant_id:
                raise Invalid("unknown_group", f"tenant {plan.tenant_id} has no group {plan.group_id}")
        same = [other.plan_id for other in self.store.plans() if other.plan_id != plan.plan_id
                and (other.tenant_id, other.group_id, other.symbol_pattern)
                == (plan.tenant_id, plan.group_id, plan.symbol_pattern)]
        if same:
            raise Conflict("rebate_plan_overlaps", f"rebate plan {same[0]} already covers group "
                                                   f"{plan.group_id or '*'} and symbols {plan.symbol_pattern}")
        return plan

    def _live(self, plan: RebatePlan) -> None:
        self.office.live.rebates.put(plan)


def _apply(plan: RebatePlan, body: dict[str, Any]) -> RebatePlan:
    """``plan`` with the fields ``body`` gives, each checked; a bad one is refused with its name."""
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = _text(body["name"], "name", 128)
    if "group_id" in body:
        group = body["group_id"]
        if group is not None and not isinstance(group, str):
            raise Invalid("bad_group_id", "group_id is a group's id, or null for every group")
        changes["group_id"] = group
    if "symbol_pattern" in body:
        pattern = body["symbol_pattern"]
        if not isinstance(pattern, str) or not _SYMBOL.fullmatch(pattern):
            raise Invalid("bad_symbol_pattern", "symbol_pattern is a symbol or a pattern (* and ?), 1-32 characters")
        changes["symbol_pattern"] = pattern
    if "cap" in body:
        changes["cap"] = None if body["cap"] is None else _amount(body["cap"], "cap")
    for flag in ("within_revenue", "hold_for_review"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise Invalid(f"bad_{flag}", f"{flag} is true or false")
            changes[flag] = body[flag]
    if "min_hold_seconds" in body:
        hold = body["min_hold_seconds"]   # JSON's 60.0 is a whole number too
        whole = isinstance(hold, int) and not isinstance(hold, bool) or isinstance(hold, float) and hold.is_integer()
        if not whole or not 0 <= hold <= MAX_HOLD_SECONDS:
            raise Invalid("bad_min_hold_seconds", f"min_hold_seconds is a whole number from 0 to {MAX_HOLD_SECONDS}")
        changes["min_hold_seconds"] = int(hold)
    if "schedule" in body:
        try:
            changes["schedule"] = Schedule(body["schedule"])
        except ValueError:
            raise Invalid("bad_schedule", "schedule is one of " + ", ".join(s.value for s in Schedule)) from None
    if "levels" in body:
        changes["levels"] = _levels(body["levels"])
    return dataclasses.replace(plan, **changes)


def _levels(value: Any) -> dict[Role, LevelRate]:
    names = [role.value for role in IB_ROLES]
    if not isinstance(value, dict):
        raise Invalid("bad_levels", f"levels is an object keyed by IB level: {', '.join(names)}")
    levels: dict[Role, LevelRate] = {}
    for name, rate in value.items():
        if name not in names:
            raise Invalid("bad_levels", f"{name} is not an IB level: one of {', '.join(names)}")
        if not isinstance(rate, dict) or set(rate) - set(LEVEL_FIELDS):
            raise Invalid("bad_levels", f"the {name} level has only {', '.join(LEVEL_FIELDS)}")
        amounts = {field: _amount(rate.get(field, "0"), f"levels.{name}.{field}") for field in LEVEL_FIELDS}
        for field in FRACTIONS:
            if amounts[field] > 1:
                raise Invalid("bad_levels", f"levels.{name}.{field} is a fraction, at most 1")
        levels[Role(name)] = LevelRate(**amounts)
    return levels


def _amount(value: Any, field: str) -> Decimal:
    """Money and rates come as decimal strings ("2.5"), never as JSON numbers, which are floating point."""
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise Invalid(f"bad_{field.split('.')[-1]}", f"{field} is a decimal string such as \"2.5\"")
    return Decimal(value)


def _text(value: Any, field: str, longest: int) -> str:
    if not isinstance(value, str) or len(value) > longest:
        raise Invalid(f"bad_{field}", f"{field} is text of at most {longest} characters")
    return value


def as_json(plan: RebatePlan) -> dict[str, Any]:
    return {"plan_id": plan.plan_id, "tenant_id": plan.tenant_id, "name": plan.name, "group_id": plan.group_id,
            "symbol_pattern": plan.symbol_pattern, "cap": None if plan.cap is None else str(plan.cap),
            "within_revenue": plan.within_revenue, "min_hold_seconds": plan.min_hold_seconds,
            "schedule": plan.schedule.value, "hold_for_review": plan.hold_for_review,
            "levels": {role.value: {field: str(getattr(rate, field)) for field in LEVEL_FIELDS}
                       for role, rate in plan.levels.items()}}
