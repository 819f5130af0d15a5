"""Commission by the account group's plan, charged on every fill in the account's currency: a rate per lot (a
stock's board lot, a forex or crypto instrument's order quantity), per unit (share, base currency unit or coin) or
on the notional, plus a fixed amount per trade. A notional is in the instrument's quote currency, so a charge on
it is converted to the account's."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from engine.domain.terms import CommissionPlan, CommissionUnit
from engine.ports import FillContext, Interceptor

# (from currency, to currency) -> the rate that converts an amount from one to the other
Rate = Callable[[str, str], Decimal]


class Commission(Interceptor):
    name = "commission"

    def __init__(self, plans: Mapping[str, CommissionPlan], rate: Rate) -> None:
        self.plans = plans  # group id -> plan
        self.rate = rate

    def after_fill(self, fill: FillContext) -> None:
        plan = self.plans.get(fill.account.group_id)
        if plan is None:
            return
        quote_rate = (self.rate(fill.instrument.quote_currency, fill.account.base_currency)
                      if plan.unit is CommissionUnit.NOTIONAL else Decimal(1))
        charge = plan.charge(fill.instrument, fill.quantity, fill.client_price, quote_rate)
        fill.commission = charge.quantize(Decimal("0.01"))
