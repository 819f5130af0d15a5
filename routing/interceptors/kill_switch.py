"""The dealer's and risk manager's stop: halt a tenant, an account or a symbol, and nothing new goes out."""
from __future__ import annotations

import structlog

from engine.domain.rejects import Rejection
from engine.ports import Interceptor, OrderContext

log = structlog.get_logger("routing.kill_switch")


class KillSwitch(Interceptor):
    name = "kill_switch"

    def __init__(self) -> None:
        self.tenants: set[str] = set()
        self.accounts: set[str] = set()
        self.symbols: set[str] = set()

    def halt(self, *, tenant: str | None = None, account: str | None = None, symbol: str | None = None) -> None:
        for target, value in ((self.tenants, tenant), (self.accounts, account), (self.symbols, symbol)):
            if value is not None:
                target.add(value)
        log.warning("route.halted", tenant=tenant, account=account, symbol=symbol)

    def resume(self, *, tenant: str | None = None, account: str | None = None, symbol: str | None = None) -> None:
        for target, value in ((self.tenants, tenant), (self.accounts, account), (self.symbols, symbol)):
            target.discard(value)
        log.info("route.resumed", tenant=tenant, account=account, symbol=symbol)

    def before_route(self, context: OrderContext) -> Rejection | None:
        order = context.order
        if order.tenant_id in self.tenants:
            return Rejection("halted", "trading is halted for this broker")
        if order.account_id in self.accounts:
            return Rejection("halted", "trading is halted for this account")
        if order.symbol in self.symbols:
            return Rejection("halted", f"trading in {order.symbol} is halted")
        return None
