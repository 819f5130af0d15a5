"""At most N orders per second per account: a runaway algorithm stops here, not at the venue. The platform sets a
ceiling; a tenant may set a tighter limit of its own (``TenantDefaults.orders_per_second``). 0 is no throttle."""
from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable

from engine.domain.rejects import Rejection
from engine.ports import Interceptor, OrderContext


class Throttle(Interceptor):
    name = "throttle"

    def __init__(self, per_second: int, tenant_limit: Callable[[str], int | None] = lambda tenant: None) -> None:
        self.per_second = per_second
        self.tenant_limit = tenant_limit   # read at each order: a broker's change applies to the next one
        self._recent: dict[str, deque[float]] = defaultdict(deque)

    def limit(self, tenant_id: str) -> int:
        limits = [n for n in (self.per_second, self.tenant_limit(tenant_id)) if n]
        return min(limits) if limits else 0

    def before_route(self, context: OrderContext) -> Rejection | None:
        per_second = self.limit(context.account.tenant_id)
        if per_second <= 0:
            return None
        now = context.now.timestamp()
        recent = self._recent[context.account.account_id]
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= per_second:
            return Rejection("throttled", f"more than {per_second} orders a second from this account")
        recent.append(now)
        return None
