"""What every venue adapter does when its venue misbehaves, as behaviour: test_contract.py runs ``check_resilience``
against every registered type that has a connection to lose, each through its simulator's scenario API.

- The venue cuts every connection and refuses new ones for a while; a resting order fills meanwhile, its report
  lost. The adapter comes back by itself, asks the venue for the order's status, and reports the fill before it
  says it can take orders again (``health().connected``); then orders flow.
- The venue sends one report that cannot be read: it is logged and passed over, the session stays up (no new
  connection is made) and the next report is applied.
- A subscriber fails on a report (a hub that cannot book it): the others still hear it and the session goes on.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from engine.domain.order import OrdType, Side, TimeInForce
from engine.ports import ReportKind, Venue, VenueOrder, VenueReport
from tests.adapters.contract import Recorder


@dataclass
class Faults:
    """How a case's simulator troubles its adapter."""

    outage: Callable[[float], Awaitable[None]]         # every connection cut, new ones refused for that many seconds
    trade_through: Callable[[Decimal], Awaitable[None]]  # the market moves so that a resting buy at this price fills
    malformed: Callable[[str], Awaitable[None]]         # one report about this order that cannot be read
    status_asked: Callable[[str], int]                   # how often the venue was asked for this order's status
    sessions: Callable[[], int]                          # connections the venue has taken so far


class FailingOnce:
    """A subscriber that raises on the first report it is handed."""

    def __init__(self) -> None:
        self.failed: VenueReport | None = None

    def __call__(self, report: VenueReport) -> None:
        if self.failed is None:
            self.failed = report
            raise RuntimeError("the hub could not book this report")


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def check_resilience(venue: Venue, faults: Faults, *, symbol: str, quantity: Decimal,
                           resting_buy_price: Decimal, prefix: str = "RS") -> None:
    recorder = Recorder()
    venue.on_report(recorder.report)
    connected_when: dict[str, bool] = {}   # order id -> health().connected as its first fill was reported

    def note_fill(report: VenueReport) -> None:
        if report.kind is ReportKind.FILL:
            connected_when.setdefault(report.order_id, venue.health().connected)

    venue.on_report(note_fill)

    async def filled(order_id: str) -> None:
        await venue.place(VenueOrder(order_id, symbol, Side.BUY, OrdType.MARKET, quantity, TimeInForce.IOC))
        await recorder.until(lambda: sum(r.last_quantity for r in recorder.of(order_id, ReportKind.FILL)) == quantity)

    resting = f"{prefix}-REST"
    await venue.place(VenueOrder(resting, symbol, Side.BUY, OrdType.LIMIT, quantity, TimeInForce.GTC,
                                 price=resting_buy_price))
    await recorder.until(lambda: bool(recorder.of(resting, ReportKind.ACCEPTED)))
    asked = faults.status_asked(resting)

    await faults.outage(0.5)
    await until(lambda: not venue.health().connected)
    await faults.trade_through(resting_buy_price)   # nobody hears of this fill
    await until(lambda: venue.health().connected)
    assert faults.status_asked(resting) > asked, "reconciled by asking the venue"
    assert sum(r.last_quantity for r in recorder.of(resting, ReportKind.FILL)) == quantity
    assert connected_when[resting] is False, "the missed fill is reported before new orders are taken"
    await filled(f"{prefix}-AFTER")

    sessions = faults.sessions()
    await faults.malformed(f"{prefix}-AFTER")
    await filled(f"{prefix}-NEXT")
    assert faults.sessions() == sessions and venue.health().connected, "the same session, still up"

    failing = FailingOnce()
    venue.on_report(failing)
    await filled(f"{prefix}-UNBOOKED")
    await filled(f"{prefix}-BOOKED")
    assert failing.failed is not None and failing.failed.order_id == f"{prefix}-UNBOOKED"
    assert faults.sessions() == sessions and venue.health().connected
