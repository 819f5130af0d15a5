"""IB commission: on each fill, the introducing brokers above the trader earn a rebate per lot by their place in
the referral tree (master IB, IB, sub-IB), paid out of the broker's commission revenue."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from engine.domain.tenancy import Directory, Role
from engine.domain.terms import RebatePlan
from engine.ports import FillContext, Interceptor

IB_ROLES = frozenset({Role.MASTER_IB, Role.IB, Role.SUB_IB})


class IbRebate(Interceptor):
    name = "ib_rebate"

    def __init__(self, directory: Directory, plans: Mapping[str, RebatePlan]) -> None:
        self.directory = directory
        self.plans = plans   # tenant id -> plan

    def after_fill(self, fill: FillContext) -> None:
        plan = self.plans.get(fill.order.tenant_id)
        if plan is None:
            return
        for referrer in self.directory.upline(fill.account.user_id):
            rate = plan.per_lot.get(referrer.role) if referrer.role in IB_ROLES else None
            if rate:
                fill.rebates.append((referrer.user_id, (rate * fill.quantity).quantize(Decimal("0.01"))))
