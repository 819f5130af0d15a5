"""Commission by plan: per lot, per notional (a rate) or per trade, charged on every fill."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from routing.pipeline import FillContext, Interceptor


@dataclass(frozen=True, slots=True)
class CommissionPlan:
    per_lot: Decimal = Decimal(0)
    per_notional: Decimal = Decimal(0)   # a fraction: 0.0001 is one basis point
    per_trade: Decimal = Decimal(0)

    def charge(self, quantity: Decimal, notional: Decimal) -> Decimal:
        return self.per_lot * quantity + self.per_notional * notional + self.per_trade


class Commission(Interceptor):
    name = "commission"

    def __init__(self, plans: Mapping[str, CommissionPlan]) -> None:
        self.plans = plans  # group id -> plan

    def after_fill(self, fill: FillContext) -> None:
        plan = self.plans.get(fill.account.group_id)
        if plan is not None:
            notional = fill.instrument.notional(fill.quantity, fill.client_price)
            fill.commission = plan.charge(fill.quantity, notional).quantize(Decimal("0.01"))
