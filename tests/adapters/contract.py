"""The venue contract as behaviour: test_contract.py runs ``check_contract`` against every registered venue type
(pointed at its simulator), so the router and the OMS can treat every venue alike.

The caller hands over a connected venue, a symbol the venue quotes, a quantity it accepts, a limit price far
enough from the market to rest (a buy well below the bid), and ``fresh``: a factory for a new, connected instance
of the same adapter on the same venue, as a restarted hub would make it. Where the venue takes one connection at
a time (a FIX session), ``fresh`` closes the first instance before it connects the new one; the contract connects
the first one again once the new one is closed.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal

from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.ports import Quote, ReportKind, Venue, VenueOrder, VenueReport


@dataclass
class Recorder:
    reports: list[VenueReport] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def report(self, report: VenueReport) -> None:
        self.reports.append(report)
        self.changed.set()

    def quote(self, quote: Quote) -> None:
        self.quotes.append(quote)
        self.changed.set()

    def of(self, order_id: str, kind: ReportKind | None = None) -> list[VenueReport]:
        return [r for r in self.reports if r.order_id == order_id and (kind is None or r.kind is kind)]

    async def until(self, predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
        async def wait() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(wait(), timeout)


async def check_contract(venue: Venue, *, symbol: str, quantity: Decimal, resting_buy_price: Decimal,
                         fresh: Callable[[], Awaitable[Venue]], prefix: str = "CT") -> None:
    recorder = Recorder()
    venue.on_report(recorder.report)
    venue.on_quote(recorder.quote)
    assert venue.health().connected
    assert symbol in venue.instruments()

    await venue.subscribe([symbol])
    await recorder.until(lambda: any(q.symbol == symbol for q in recorder.quotes))
    top = venue.quote(symbol)
    assert top is not None and top.venue == venue.name
    assert top.bid is None or top.ask is None or top.bid <= top.ask

    # A marketable order fills; each fill carries an ExecID and the venue's price; the status agrees afterwards.
    market = f"{prefix}-MKT"
    market_order = VenueOrder(market, symbol, Side.BUY, OrdType.MARKET, quantity, TimeInForce.IOC)
    await venue.place(market_order)
    await recorder.until(lambda: sum(r.last_quantity for r in recorder.of(market, ReportKind.FILL)) == quantity)
    fills = recorder.of(market, ReportKind.FILL)
    assert all(f.exec_id and f.last_price > 0 for f in fills)
    assert len({f.exec_id for f in fills}) == len(fills)
    status = await venue.order_status(market_order)
    assert status is not None and status.status is OrdStatus.FILLED and status.last_quantity == quantity

    # A limit far from the market rests and is replaced (or the replace is refused: the order lives on).
    resting = f"{prefix}-LMT"
    resting_order = VenueOrder(resting, symbol, Side.BUY, OrdType.LIMIT, quantity, TimeInForce.GTC,
                               price=resting_buy_price)
    await venue.place(resting_order)
    await recorder.until(lambda: bool(recorder.of(resting, ReportKind.ACCEPTED)))
    assert not recorder.of(resting, ReportKind.FILL)
    await venue.replace(resting, quantity * 2, resting_buy_price)
    await recorder.until(lambda: bool(recorder.of(resting, ReportKind.REPLACED) or
                                      recorder.of(resting, ReportKind.CANCEL_REJECTED)))
    assert not recorder.of(resting, ReportKind.REJECTED), "a refused replace is CANCEL_REJECTED, not REJECTED"
    if recorder.of(resting, ReportKind.REPLACED):
        resting_order = VenueOrder(resting, symbol, Side.BUY, OrdType.LIMIT, quantity * 2, TimeInForce.GTC,
                                   price=resting_buy_price)

    # A new instance (a restarted hub) has not seen the order: told it, it asks the venue, adopts it and cancels
    # it by its id alone; the venue confirms the cancel to the first instance too.
    other = await fresh()
    assert other is not venue and other.name == venue.name
    other_recorder = Recorder()
    other.on_report(other_recorder.report)
    try:
        status = await other.order_status(resting_order)
        assert status is not None and status.kind is ReportKind.STATUS and status.order_id == resting
        assert status.status is OrdStatus.NEW and status.last_quantity == 0
        assert not other_recorder.of(resting, ReportKind.FILL)
        await other.cancel(resting)
        await other_recorder.until(lambda: bool(other_recorder.of(resting, ReportKind.CANCELED) or
                                                other_recorder.of(resting, ReportKind.CANCEL_REJECTED)))
        assert not other_recorder.of(resting, ReportKind.CANCEL_REJECTED), other_recorder.of(resting)
        assert other_recorder.of(resting, ReportKind.CANCELED)[0].status is OrdStatus.CANCELED
    finally:
        await other.close()
    if not venue.health().connected:
        await venue.connect()
    status = await venue.order_status(resting_order)
    assert status is not None and status.status is OrdStatus.CANCELED and status.last_quantity == 0
    assert not recorder.of(resting, ReportKind.FILL)

    # An order the venue never saw has no status, and canceling it is refused, not raised.
    never = f"{prefix}-NEVER"
    assert await venue.order_status(VenueOrder(never, symbol, Side.BUY, OrdType.LIMIT, quantity, TimeInForce.GTC,
                                               price=resting_buy_price)) is None
    await venue.cancel(never)
    await recorder.until(lambda: bool(recorder.of(never, ReportKind.CANCEL_REJECTED)))
    assert not recorder.of(never, ReportKind.REJECTED)

