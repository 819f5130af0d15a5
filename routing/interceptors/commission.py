"""Commission by plan: per lot, per notional (a rate) or per trade, charged on every fill."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from engine.domain.terms import CommissionPlan
from engine.ports import FillContext, Interceptor


class Commission(Interceptor):
    name = "commission"

    def __init__(self, plans: Mapping[str, CommissionPlan]) -> None:
        self.plans = plans  # group id -> plan

    def after_fill(self, fill: FillContext) -> None:
        plan = self.plans.get(fill.account.group_id)
        if plan is not None:
            notional = fill.instrument.notional(fill.quantity, fill.client_price)
            fill.commission = plan.charge(fill.quantity, notional).quantize(Decimal("0.01"))
