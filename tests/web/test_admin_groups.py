"""A group's own pipeline order, set in the back office, runs from the next order on: a broker waives its commission
for a group without a restart, and can never take the platform's protections out of it."""
from __future__ import annotations

from decimal import Decimal

from tests.web.conftest import Terminal, until

ORDER = ["validation", "throttle", "kill_switch", "risk_gate", "spread_markup", "ib_rebate"]   # no commission


async def test_a_group_without_commission_in_its_pipeline_charges_none_from_the_next_fill(
        terminal: Terminal) -> None:
    broker, alice = await terminal.session("broker"), await terminal.session("alice")
    async with broker, alice:
        async def buy(cl_ord_id: str) -> dict[str, str]:
            order = {"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": "1", "cl_ord_id": cl_ord_id}
            async with alice.post("/api/accounts/ALICE-USD/orders", json=order) as answer:
                assert answer.status == 201, await answer.text()

            async def filled() -> bool:
                async with alice.get("/api/accounts/ALICE-USD/fills") as answer:
                    return any(f["exec_id"] not in seen for f in await answer.json())
            await until(filled)
            async with alice.get("/api/accounts/ALICE-USD/fills") as answer:
                fill = next(f for f in await answer.json() if f["exec_id"] not in seen)
            seen.add(fill["exec_id"])
            return fill
        seen: set[str] = set()
        assert Decimal((await buy("g1"))["commission"]) == 3, "the standard group's plan: 3 per lot"
        async with broker.patch("/api/admin/groups/standard", json={"pipeline": ORDER}) as answer:
            assert answer.status == 200, await answer.text()
        assert Decimal((await buy("g2"))["commission"]) == 0, "commission is out of the group's pipeline"
        unsafe = [name for name in ORDER if name != "risk_gate"]
        async with broker.patch("/api/admin/groups/standard", json={"pipeline": unsafe}) as answer:
            refused = await answer.json()
        assert (answer.status, refused["code"]) == (422, "bad_pipeline") and "risk_gate" in refused["reason"]
        async with broker.patch("/api/admin/groups/standard", json={"pipeline": []}) as answer:
            assert answer.status == 200, "an empty order: the tenant's pipeline again"
        assert Decimal((await buy("g3"))["commission"]) == 3
