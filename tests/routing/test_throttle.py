"""The throttle: the platform's ceiling, and a tenant's own, tighter limit set in the back office, read at each
order so that a change applies to the next one."""
from __future__ import annotations

from routing.interceptors.throttle import Throttle
from tests.routing.test_order_flow import _code, buy
from tests.stubs import hub


async def test_a_tenant_limit_tightens_the_platform_throttle_and_a_change_applies_to_the_next_order() -> None:
    h = hub(throttle=3)
    throttle = next(i for i in h.oms.pipelines.for_group("broker-a", "standard").interceptors if isinstance(i, Throttle))
    limits: dict[str, int | None] = {"broker-a": 1}
    throttle.tenant_limit = limits.get
    assert [_code(await h.oms.submit(buy(f"a{n}", "1"))) for n in range(2)] == [None, "throttled"]
    limits["broker-a"] = None   # the broker cleared its own limit: the platform's 3 a second again
    assert [_code(await h.oms.submit(buy(f"b{n}", "1"))) for n in range(2)] == [None, None]
    assert _code(await h.oms.submit(buy("b2", "1"))) == "throttled", "the platform's ceiling still holds"


def test_a_tenant_cannot_loosen_the_platform_ceiling() -> None:
    assert Throttle(10, {"a": 50, "b": 0, "c": 5}.get).limit("a") == 10
    assert Throttle(10, {"a": 50, "b": 0, "c": 5}.get).limit("b") == 10
    assert Throttle(10, {"a": 50, "b": 0, "c": 5}.get).limit("c") == 5
    assert Throttle(0, {"c": 5}.get).limit("c") == 5
    assert Throttle(0, {}.get).limit("x") == 0
