"""IB rebates: on each fill, the introducing brokers above the trader accrue what the plan covering the fill gives
them (``engine.domain.rebates``), out of the broker's revenue, booked pending with the fill itself. Runs after the
markup and the commission, whose revenue a plan may share."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

import structlog

from engine.domain.position import netting_id
from engine.domain.rebates import FillTerms, Openings, RebatePlan, plan_for
from engine.domain.tenancy import Directory, PositionMode
from engine.ports import Clock, FillContext, Interceptor

Rate = Callable[[str, str], Decimal]            # (from currency, to currency) -> rate
NetPosition = Callable[[str, str], Decimal]     # (account, symbol) -> signed net quantity before the fill

log = structlog.get_logger("routing.ib_rebate")


class IbRebate(Interceptor):
    name = "ib_rebate"

    def __init__(self, directory: Directory, plans: Iterable[RebatePlan], rate: Rate, net: NetPosition,
                 clock: Clock) -> None:
        self.directory = directory
        self.plans = {plan.plan_id: plan for plan in plans}
        self.rate, self.net, self.clock = rate, net, clock
        self.openings = Openings()

    def put(self, plan: RebatePlan) -> None:
        self.plans[plan.plan_id] = plan

    def remove(self, plan_id: str) -> None:
        self.plans.pop(plan_id, None)

    def after_fill(self, fill: FillContext) -> None:
        order, account = fill.order, fill.account
        plan = plan_for(self.plans.values(), order.tenant_id, account.group_id, order.symbol)
        if plan is None:
            return
        now = self.clock()
        signed = order.side.sign * fill.quantity
        if account.position_mode is PositionMode.NETTING:
            position, before = netting_id(account.account_id, order.symbol), self.net(account.account_id,
                                                                                      order.symbol)
            closing = before != 0 and (before > 0) != (signed > 0)
        else:
            position, closing = order.position_id or order.order_id, order.position_id is not None
        if closing:
            back = self.openings.closed(position, now, fill.quantity, dt.timedelta(seconds=plan.min_hold_seconds))
            if back is not None:   # closed inside the minimum hold: nothing earned, the opening's rebate taken back
                fill.rebates.extend(back)
                return
        instrument = fill.instrument
        try:
            quote_rate = self.rate(instrument.quote_currency, account.base_currency)
        except LookupError:   # no price to convert: the plan's per-lot and commission parts still earn
            log.error("ib_rebate.no_rate", exec_id=fill.exec_id, quote=instrument.quote_currency,
                      account_currency=account.base_currency)
            quote_rate = Decimal(0)
        terms = FillTerms(lots=fill.quantity / instrument.board_lot if instrument.board_lot else fill.quantity,
                          notional=instrument.notional(fill.quantity, fill.client_price) * quote_rate,
                          markup=fill.markup_revenue * quote_rate, commission=fill.commission)
        shares = plan.split(self.directory.upline(account.user_id), terms)
        fill.rebates.extend(shares)
        if not closing and plan.min_hold_seconds:
            self.openings.opened(position, now, fill.quantity, shares)
