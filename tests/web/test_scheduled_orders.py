"""Scheduled orders through the running demo: a trader places an order now for a time a few seconds ahead; at that
time the scheduler sends it through the whole pipeline, once, and the trader sees it among its orders; one the
pipeline refuses is marked rejected with the pipeline's reason; a pending one can be cancelled; nobody reaches
another's."""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import aiohttp

from tests.web.conftest import Terminal

SCHEDULED = "/api/accounts/ALICE-USD/scheduled-orders"


def soon(seconds: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)).isoformat()


async def settled(client: aiohttp.ClientSession, scheduled_id: str) -> dict[str, Any]:
    """The scheduled order once it is no longer waiting (the hub's clock ticks every second)."""
    async with asyncio.timeout(30):
        while True:
            async with client.get(SCHEDULED) as answer:
                mine = {s["scheduled_id"]: s for s in await answer.json()}[scheduled_id]
            if mine["status"] not in ("pending", "sending"):
                return mine
            await asyncio.sleep(0.2)


async def test_a_scheduled_order_is_sent_at_its_time_through_the_pipeline_once(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    send_at = soon(2)
    async with alice.post(SCHEDULED, json={"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": "0.01",
                                           "cl_ord_id": "at-the-open", "send_at": send_at}) as answer:
        assert answer.status == 201, await answer.text()
        placed = await answer.json()
    assert placed["status"] == "pending" and placed["order_id"] is None
    assert placed["send_at"] == dt.datetime.fromisoformat(send_at).replace(microsecond=0).isoformat()
    async with alice.get("/api/accounts/ALICE-USD/orders", params={"state": "all"}) as answer:
        assert "at-the-open" not in [o["cl_ord_id"] for o in await answer.json()], "not sent before its time"

    sent = await settled(alice, placed["scheduled_id"])
    assert sent["status"] == "sent" and sent["reject_code"] is None
    async with alice.get("/api/accounts/ALICE-USD/orders", params={"state": "all"}) as answer:
        orders = [o for o in await answer.json() if o["cl_ord_id"] == "at-the-open"]
    assert [o["order_id"] for o in orders] == [sent["order_id"]], "sent once"
    assert orders[0]["status"] == "filled"
    await alice.close()

    admin = await terminal.session("superadmin")
    async with admin.get("/api/admin/jobs/scheduled_orders/runs") as answer:
        [run] = await answer.json()
    assert run["status"] == "done" and run["result"] == "1 sent"
    await admin.close()


async def test_an_order_the_pipeline_refuses_is_marked_rejected_with_its_reason(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    async with alice.post(SCHEDULED, json={"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": "500",
                                           "send_at": soon(1)}) as answer:
        assert answer.status == 201, await answer.text()
        placed = await answer.json()
    refused = await settled(alice, placed["scheduled_id"])
    assert refused["status"] == "rejected" and refused["reject_code"] == "quantity_out_of_range"
    assert refused["reject_reason"] == "quantity 500 is outside 0.01..100"
    async with alice.get("/api/accounts/ALICE-USD/orders", params={"state": "all"}) as answer:
        [order] = [o for o in await answer.json() if o["order_id"] == refused["order_id"]]
    assert order["status"] == "rejected" and order["reject_code"] == "quantity_out_of_range"
    await alice.close()


async def test_a_pending_order_is_cancelled_and_a_bad_one_refused_with_a_reason(terminal: Terminal) -> None:
    alice = await terminal.session("alice")
    order = {"symbol": "EUR/USD", "side": "sell", "type": "limit", "quantity": "0.01", "price": "1.5"}
    async with alice.post(SCHEDULED, json={**order, "send_at": soon(3600)}) as answer:
        placed = await answer.json()
    async with alice.delete(f"{SCHEDULED}/{placed['scheduled_id']}") as answer:
        assert answer.status == 200
        assert (await answer.json())["status"] == "cancelled"
    async with alice.delete(f"{SCHEDULED}/{placed['scheduled_id']}") as answer:
        assert answer.status == 409
        assert (await answer.json())["code"] == "not_pending"
    async with alice.delete(f"{SCHEDULED}/S-nothing") as answer:
        assert answer.status == 404

    for body, status, code in (({**order, "send_at": soon(-60)}, 409, "send_at_passed"),
                               ({**order, "send_at": soon(200 * 86400)}, 409, "send_at_too_far"),
                               ({**order, "symbol": "NOPE/USD", "send_at": soon(60)}, 409, "unknown_symbol"),
                               ({**order, "send_at": "tomorrow"}, 400, "bad_send_at"),
                               (order, 400, "bad_send_at"),
                               ({**order, "quantity": 1, "send_at": soon(60)}, 400, "bad_request")):
        async with alice.post(SCHEDULED, json=body) as answer:
            assert answer.status == status, body
            assert (await answer.json())["code"] == code
    async with alice.get(SCHEDULED) as answer:
        assert [s["status"] for s in await answer.json()] == ["cancelled"], "nothing refused was kept"
    await alice.close()

    bob = await terminal.session("bob")
    async with bob.get(SCHEDULED) as answer:
        assert answer.status == 403
    async with bob.post(SCHEDULED, json={**order, "send_at": soon(60)}) as answer:
        assert answer.status == 403
        assert (await answer.json())["code"] == "forbidden"
    async with bob.delete(f"{SCHEDULED}/{placed['scheduled_id']}") as answer:
        assert answer.status == 403
    await bob.close()
