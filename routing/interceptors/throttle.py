"""At most N orders per second per account: a runaway algorithm stops here, not at the venue. 0 is no throttle."""
from __future__ import annotations

from collections import defaultdict, deque

from engine.domain.rejects import Rejection
from engine.ports import Interceptor, OrderContext


class Throttle(Interceptor):
    name = "throttle"

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._recent: dict[str, deque[float]] = defaultdict(deque)

    def before_route(self, context: OrderContext) -> Rejection | None:
        if self.per_second <= 0:
            return None
        now = context.now.timestamp()
        recent = self._recent[context.account.account_id]
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self.per_second:
            return Rejection("throttled", f"more than {self.per_second} orders a second from this account")
        recent.append(now)
        return None
