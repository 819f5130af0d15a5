"""The OMS's side of two venue-contract calls: order_status after a restart gets the whole order (so a new adapter
instance can adopt it), and a refused cancel or replace (CANCEL_REJECTED) leaves the order live, as does a REJECTED
that arrives for an order the venue already took."""
from __future__ import annotations

from adapters.memory import MemoryVenue
from engine.domain.order import Order, OrdStatus, OrdType, Side, TimeInForce
from engine.journal import MemoryJournal
from engine.oms import OMS, NewOrder
from engine.ports import ReportKind, VenueOrder, VenueReport, utc_now
from tests.stubs import NOW, D, hub


def resting(cl_ord_id: str = "c1", quantity: str = "2") -> NewOrder:
    return NewOrder(cl_ord_id, "ACC-1", "EUR/USD", Side.BUY, OrdType.LIMIT, D(quantity), D("1.08000"))


def events(h: object, order_id: str) -> list[str]:
    return [e["event"] for topic, e in h.events  # type: ignore[attr-defined]
            if topic.startswith("orders.") and e["order_id"] == order_id]


async def test_after_a_restart_a_new_adapter_instance_is_asked_with_the_order_adopts_it_and_cancels_it() -> None:
    journal = MemoryJournal()
    before = hub(journal=journal)
    order = await before.oms.submit(resting())
    assert order.status is OrdStatus.NEW and order.venue == "lp-1"
    old = before.venues["lp-1"]
    old.forget_subscribers()  # the hub is gone; a new process makes a new adapter instance on the same venue
    new = old.restarted()
    asked: list[VenueOrder] = []
    answer = new.order_status

    async def recording(venue_order: VenueOrder) -> VenueReport | None:
        asked.append(venue_order)
        return await answer(venue_order)

    new.order_status = recording  # type: ignore[method-assign]
    after = hub(journal=journal, order_id_prefix="R", venues={"lp-1": new, "lp-2": before.venues["lp-2"]})
    await after.oms.restore()
    assert asked == [VenueOrder(order.order_id, "EUR/USD", Side.BUY, OrdType.LIMIT, D(2), TimeInForce.GTC,
                                D("1.08000"))]
    assert after.oms.orders[order.order_id].status is OrdStatus.NEW
    assert await after.oms.cancel("ACC-1", "c1") is None  # by its id alone: the new instance adopted the order
    assert after.oms.orders[order.order_id].status is OrdStatus.CANCELED


def test_a_triggered_conditional_order_is_asked_about_as_what_it_became_at_the_venue() -> None:
    order = Order("O1", "c1", "broker-a", "ACC-1", "EUR/USD", Side.SELL, OrdType.STOP_LIMIT, D(1),
                  price=D("1.08200"), stop_price=D("1.08300"), venue_price=D("1.08190"),
                  venue_stop_price=D("1.08290"), created_at=NOW)
    venue = MemoryVenue("lp-1", clock=utc_now)
    assert OMS._venue_order(order, venue) == VenueOrder("O1", "EUR/USD", Side.SELL, OrdType.LIMIT, D(1),
                                                        TimeInForce.GTC, D("1.08190"))
    stop = Order("O2", "c2", "broker-a", "ACC-1", "EUR/USD", Side.BUY, OrdType.STOP, D(1), stop_price=D("1.085"), created_at=NOW)
    assert OMS._venue_order(stop, venue) == VenueOrder("O2", "EUR/USD", Side.BUY, OrdType.MARKET, D(1),
                                                       TimeInForce.IOC), "at market: immediate"


async def test_a_refused_cancel_puts_the_order_back_and_a_later_cancel_works() -> None:
    h = hub()
    venue = h.venues["lp-1"]
    order = await h.oms.submit(resting())
    cancel_at_venue = venue.cancel

    async def refuse(order_id: str) -> None:
        h.oms.on_report(VenueReport("lp-1", ReportKind.CANCEL_REJECTED, order_id, status=OrdStatus.NEW,
                                    reason="desk is reviewing the order", at=NOW))

    venue.cancel = refuse  # type: ignore[method-assign]
    assert await h.oms.cancel("ACC-1", "c1") is None
    assert order.status is OrdStatus.NEW and events(h, order.order_id)[-2:] == ["pending_cancel",
                                                                                "cancel_replace_rejected"]
    venue.cancel = cancel_at_venue  # type: ignore[method-assign]
    assert await h.oms.cancel("ACC-1", "c1") is None
    assert order.status is OrdStatus.CANCELED


async def test_a_cancel_of_an_order_the_venue_instance_does_not_know_comes_back_cancel_rejected() -> None:
    h = hub()
    order = await h.oms.submit(resting())
    other = MemoryVenue("lp-1", clock=utc_now)          # a venue instance that never placed nor adopted it
    reports: list[VenueReport] = []
    other.on_report(reports.append)
    await other.cancel(order.order_id)
    assert [(r.kind, r.reason) for r in reports] == [(ReportKind.CANCEL_REJECTED, "unknown order")]
    h.oms.on_report(reports[0])
    assert order.status is OrdStatus.NEW and events(h, order.order_id)[-1] == "cancel_replace_rejected"


async def test_a_rejected_report_for_a_live_order_does_not_reject_it() -> None:
    h = hub()
    h.venues["lp-1"].partial_fill_ratio = D("0.5")
    order = await h.oms.submit(NewOrder("c1", "ACC-1", "EUR/USD", Side.BUY, OrdType.LIMIT, D(4), D("1.08360")))
    assert order.status is OrdStatus.PARTIALLY_FILLED
    h.oms.on_report(VenueReport("lp-1", ReportKind.REJECTED, order.order_id, reason="confused venue", at=NOW))
    assert order.status is OrdStatus.PARTIALLY_FILLED and order.rejection is None
    assert events(h, order.order_id)[-1] == "cancel_replace_rejected"


async def test_a_venue_that_starts_its_exec_ids_again_never_collides_with_history_and_a_replay_is_booked_once() -> None:
    h = hub()
    first = await h.oms.submit(resting("c1", "1"))
    second = await h.oms.submit(resting("c2", "1"))
    assert first.venue == second.venue == "lp-1"
    fill = {"last_quantity": D(1), "last_price": D("1.08000"), "at": NOW}
    h.oms.on_report(VenueReport("lp-1", ReportKind.FILL, first.order_id, exec_id="1", **fill))   # type: ignore[arg-type]
    # the LP restarted (or a new trading day began) and numbers its ExecIDs from 1 again
    h.oms.on_report(VenueReport("lp-1", ReportKind.FILL, second.order_id, exec_id="1", **fill))  # type: ignore[arg-type]
    h.oms.on_report(VenueReport("lp-1", ReportKind.FILL, second.order_id, exec_id="1", **fill))  # type: ignore[arg-type]
    assert first.status is second.status is OrdStatus.FILLED
    assert h.oms.accounting.net("ACC-1", "EUR/USD") == D(2), "both fills booked, the replay not"
    assert len({f.exec_id for f in h.oms.fills("ACC-1")}) == len(h.oms.fills("ACC-1")) == 2


async def test_an_order_journaled_but_never_passed_to_a_venue_is_rejected_at_restart_never_sent() -> None:
    """A crash between the journal write and the pipeline: the order may never have been checked (here: 1E+400
    lots), so the restarted hub must not send it; the client learns why."""
    journal = MemoryJournal()
    before = hub(journal=journal)
    journal.record(Order("O-crash", "huge", "broker-a", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D("1E+400"),
                         created_at=NOW))
    after = hub(journal=journal, order_id_prefix="R", venues=before.venues)
    await after.oms.restore()
    order = after.oms.orders["O-crash"]
    assert order.status is OrdStatus.REJECTED and order.rejection is not None
    assert order.rejection.code == "not_sent" and "nothing was sent" in order.rejection.reason
    assert all(v.received == [] for v in after.venues.values()), "no venue saw it"
    assert events(after, "O-crash") == ["rejected"]


async def test_after_a_restart_the_days_ended_orders_answer_status_history_and_duplicate_checks() -> None:
    journal = MemoryJournal()
    before = hub(journal=journal)
    filled = await before.oms.submit(NewOrder("f1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    live = await before.oms.submit(resting("r1"))
    assert filled.status is OrdStatus.FILLED and live.status is OrdStatus.NEW
    after = hub(journal=journal, order_id_prefix="R", venues=before.venues)
    await after.oms.restore()
    assert after.oms.find("ACC-1", "f1") is not None and after.oms.find("ACC-1", "f1").status is OrdStatus.FILLED
    assert {o.cl_ord_id: o.status for o in after.oms.history("ACC-1", 10)} == {"r1": OrdStatus.NEW,
                                                                              "f1": OrdStatus.FILLED}
    again = await after.oms.submit(NewOrder("f1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    assert again.rejection is not None and again.rejection.code == "duplicate_cl_ord_id"
