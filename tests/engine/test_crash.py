"""A hub killed with SIGKILL in the middle of a burst restarts, reconciles with its LP, and every accepted order is
accounted for exactly once: journaled once, at the LP once, filled, and booked once in the ledger."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

from adapters.memory import MemoryVenue
from engine.domain.order import OrdStatus
from engine.ledger import EntryKind, Ledger
from engine.ports import utc_now
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.group_commit import GroupCommit
from engine.storage.journal import SqlOrderJournal
from engine.storage.ledger_store import SqlLedgerStore
from tests.engine.remote_venue import serve_venue

HUB = Path(__file__).with_name("crash_hub.py")
BURST = 300
KILL_AFTER = 60


async def start_hub(url: str, port: int) -> asyncio.subprocess.Process:
    hub = await asyncio.create_subprocess_exec(sys.executable, str(HUB), url, str(port),
                                               stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert hub.stdout is not None
    async with asyncio.timeout(30):
        assert (await hub.stdout.readline()).strip() == b"ready", "the hub did not come up"
    return hub


async def test_sigkill_mid_burst_then_restart_accounts_for_every_order_once(database: str) -> None:
    upgrade(database)
    venue = MemoryVenue("lp-1", {"EUR/USD": (Decimal("1.08340"), Decimal("1.08350"))}, clock=utc_now)
    server = await serve_venue(venue)
    port = server.sockets[0].getsockname()[1]
    hub = await start_hub(database, port)
    assert hub.stdin is not None and hub.stdout is not None
    for number in range(BURST):
        hub.stdin.write(f"burst-{number}\n".encode())
    accepted: list[str] = []
    async with asyncio.timeout(30):
        while len(accepted) < KILL_AFTER:
            accepted.append((await hub.stdout.readline()).decode().split()[1])
    os.kill(hub.pid, signal.SIGKILL)  # mid-burst: orders in every state, from read-not-journaled to filled
    await hub.wait()

    restarted = await start_hub(database, port)  # restores and reconciles before it says ready
    unit = GroupCommit(make_engine(database))
    journal = SqlOrderJournal(unit, utc_now)
    try:
        async with asyncio.timeout(30):
            while journal.open_orders():
                await asyncio.sleep(0.05)
    finally:
        restarted.kill()
        await restarted.wait()
        server.close()
        await server.wait_closed()

    orders = journal.all_orders()
    journaled = Counter(order.cl_ord_id for order in orders)
    assert set(accepted) <= set(journaled), "an order the hub accepted is missing from its journal"
    assert max(journaled.values()) == 1, "an order was journaled twice"
    at_venue = Counter(order.order_id for order in venue.received)
    assert max(at_venue.values()) == 1, "an order reached the LP twice"
    assert {order.order_id for order in orders} == set(at_venue), "journal and LP disagree on which orders exist"
    assert all(order.status is OrdStatus.FILLED and order.filled == order.quantity for order in orders)
    fills = [entry for entry in Ledger(utc_now, SqlLedgerStore(unit)).entries if entry.kind is EntryKind.REALIZED_PNL
             or entry.kind is EntryKind.MARKUP or entry.kind is EntryKind.COMMISSION]
    assert len({entry.reference for entry in fills}) == len(fills), "a fill was booked twice"
