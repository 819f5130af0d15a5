"""Account groups: the leverage cap (overall and per asset class) and the pipeline order a broker gives a set of
accounts. A group created while the hub runs is priced at once (the price feed gains its audience); a group is not
deleted while an account is in it, nor its cap lowered below an account's leverage (the directory would refuse
that account at the next start)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import structlog
from sqlmodel import delete

from backoffice.office import BackOffice, Conflict, Invalid, NotFound
from backoffice.tenants import require_any
from engine.domain.instrument import AssetClass
from engine.domain.policy import PLATFORM, Action, Scope, Target
from engine.domain.tenancy import Group, User
from engine.storage.tables import GroupRecord

# What a group's own pipeline order may move but never leave out: a broker may waive its commission or markup for
# a group, not the checks that keep the platform and its venues safe.
PROTECTIONS = ("validation", "throttle", "kill_switch", "risk_gate")
log = structlog.get_logger("backoffice.groups")

ASSET_CLASSES = tuple(asset_class.value for asset_class in AssetClass)
MAX_LEVERAGE = Decimal(1000)


def group_json(group: Group) -> dict[str, Any]:
    return {"group_id": group.group_id, "tenant_id": group.tenant_id, "max_leverage": str(group.max_leverage),
            "leverage": {asset_class: str(cap) for asset_class, cap in sorted(group.leverage.items())},
            "pipeline": list(group.pipeline)}


class Groups:
    """Reading and changing groups both need ``groups.manage`` on the group's tenant: a group is the broker's
    pricing and risk configuration, which its IBs and traders do not see."""

    def __init__(self, office: BackOffice) -> None:
        self.office = office

    def visible(self, actor: User, tenant_id: str | None = None) -> list[Group]:
        require_any(self.office, actor, Action.GROUPS_MANAGE)
        if tenant_id is not None:
            self.office.require(actor, Action.GROUPS_MANAGE, Target(tenant_id))
        reach = self.office.policy.tenants(actor, Action.GROUPS_MANAGE)
        return [group for group_id, group in sorted(self.office.directory.groups.items())
                if group.tenant_id in reach and tenant_id in (None, group.tenant_id)]

    def get(self, actor: User, group_id: str) -> Group:
        group = self.office.directory.groups.get(group_id)
        if group is None:
            if self.office.policy.scope(actor, Action.GROUPS_MANAGE) is not Scope.PLATFORM:
                self.office.require(actor, Action.GROUPS_MANAGE, PLATFORM)   # no hint of other tenants' ids
            raise NotFound("unknown_group", f"there is no group {group_id}")
        self.office.require(actor, Action.GROUPS_MANAGE, Target(group.tenant_id))
        return group

    def create(self, actor: User, group: Group) -> Group:
        self.office.require(actor, Action.GROUPS_MANAGE, Target(group.tenant_id))
        if group.tenant_id not in self.office.directory.tenants:
            raise Invalid("unknown_tenant", f"there is no tenant {group.tenant_id}")
        if group.group_id in self.office.directory.groups:
            raise Conflict("group_exists", f"group id {group.group_id} is taken: group ids are unique across "
                                           "tenants")
        self._check(group)
        with self.office.change(actor, Action.GROUPS_MANAGE, Target(group.tenant_id), "groups", group.group_id,
                                "groups.create") as change:
            self.office.store.save(group)
            change.after = group_json(group)

            def apply() -> None:
                self.office.directory.add_group(group)
                self.office.live.feed.add_audience(group.tenant_id, group.group_id)
                log.info("groups.created", group=group.group_id, tenant=group.tenant_id, by=actor.user_id)
            change.on_commit(apply)
        return group

    def update(self, actor: User, group: Group) -> Group:
        before = self.get(actor, group.group_id)
        if group.tenant_id != before.tenant_id:
            raise Invalid("tenant_fixed", "a group stays in its tenant: create one in the other tenant instead")
        self._check(group)
        above = sorted(a.account_id for a in self.office.directory.accounts.values()
                       if a.group_id == group.group_id and a.leverage > group.max_leverage)
        if above:
            raise Conflict("accounts_above_cap", f"accounts {', '.join(above[:10])} have a leverage above "
                                                 f"{group.max_leverage}: lower theirs first")
        if group == before:
            return before   # nothing to change, nothing to record
        with self.office.change(actor, Action.GROUPS_MANAGE, Target(group.tenant_id), "groups", group.group_id,
                                "groups.update") as change:
            self.office.store.save(group)
            change.before, change.after = group_json(before), group_json(group)

            def apply() -> None:
                self.office.directory.add_group(group)
                log.info("groups.updated", group=group.group_id, tenant=group.tenant_id, by=actor.user_id)
            change.on_commit(apply)
        return group

    def delete(self, actor: User, group_id: str) -> None:
        group = self.get(actor, group_id)
        used = sorted(a.account_id for a in self.office.directory.accounts.values() if a.group_id == group_id)
        if used:
            raise Conflict("group_in_use", f"accounts {', '.join(used[:10])} are in group {group_id}: move them "
                                           "to another group first")
        with self.office.change(actor, Action.GROUPS_MANAGE, Target(group.tenant_id), "groups", group_id,
                                "groups.delete") as change:
            with self.office.unit.session() as session:
                session.exec(delete(GroupRecord).where(GroupRecord.group_id == group_id))  # type: ignore[arg-type]
            change.before = group_json(group)

            def apply() -> None:
                self.office.directory.groups.pop(group_id, None)
                log.info("groups.deleted", group=group_id, tenant=group.tenant_id, by=actor.user_id)
            change.on_commit(apply)

    def _check(self, group: Group) -> None:
        if not 1 <= group.max_leverage <= MAX_LEVERAGE:
            raise Invalid("bad_leverage", f"max_leverage is between 1 and {MAX_LEVERAGE}")
        for asset_class, cap in group.leverage.items():
            if asset_class not in ASSET_CLASSES:
                raise Invalid("bad_asset_class", f"{asset_class[:40]!r} is not an asset class: one of "
                                                 f"{', '.join(ASSET_CLASSES)}")
            if not 1 <= cap <= group.max_leverage:
                raise Invalid("bad_leverage", f"the {asset_class} leverage is between 1 and the group's "
                                              f"max_leverage {group.max_leverage}")
        known = self.office.live.pipelines.names()
        unknown = [name for name in group.pipeline if name not in known]
        if unknown:
            raise Invalid("unknown_interceptor", f"the hub has no interceptor {', '.join(unknown)}; it has "
                                                 f"{', '.join(sorted(known))}")
        if len(set(group.pipeline)) != len(group.pipeline):
            raise Invalid("bad_pipeline", "a pipeline names each interceptor once")
        missing = [name for name in PROTECTIONS if group.pipeline and name in known and name not in group.pipeline]
        if missing:
            raise Invalid("bad_pipeline", f"a group's pipeline keeps the platform's protections: add "
                                          f"{', '.join(missing)}")
