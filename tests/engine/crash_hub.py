"""A hub process for the crash test: SQL journal and ledger, one LP behind a socket; orders come on stdin.

    python crash_hub.py DATABASE_URL VENUE_PORT
stdin: one ClOrdID a line (a market buy of 0.01 EUR/USD); stdout: "ready" once restored and reconciled, then
"accepted <ClOrdID>" for each order the hub has journaled and sent on.
"""
from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dynamictech.runtime import configure_logging  # noqa: E402
from engine.domain.order import OrdType, Side  # noqa: E402
from engine.ledger import Ledger  # noqa: E402
from engine.oms import NewOrder  # noqa: E402
from engine.ports import utc_now
from engine.storage.database import make_engine  # noqa: E402
from engine.storage.group_commit import GroupCommit  # noqa: E402
from engine.storage.journal import SqlOrderJournal  # noqa: E402
from engine.storage.ledger_store import SqlLedgerStore  # noqa: E402
from tests.engine.remote_venue import RemoteVenue  # noqa: E402
from tests.stubs import D, hub  # noqa: E402


async def main(url: str, port: int) -> None:
    configure_logging("warning")  # JSON on stderr; stdout is the test's channel
    unit = GroupCommit(make_engine(url))
    journal = SqlOrderJournal(unit, utc_now)
    venue = RemoteVenue("lp-1", port)
    await venue.connect()
    h = hub(venues={"lp-1": venue}, ledger=Ledger(utc_now, SqlLedgerStore(unit)), journal=journal, transactions=unit,
            throttle=10**6, deposit="100000000", order_id_prefix=f"O{time.time_ns()}-")
    await h.oms.restore()
    print("ready", flush=True)
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        cl_ord_id = line.decode().strip()
        await h.oms.submit(NewOrder(cl_ord_id, "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D("0.01")))
        print(f"accepted {cl_ord_id}", flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
