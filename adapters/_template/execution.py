"""Order flow, sans-IO where the protocol allows: VenueOrders in, the venue's requests out; its answers and
execution reports in, VenueReports out through the shared ``Reporter`` (adapters/tracked.py), which moves the
shared ``TrackedOrder`` along OrdStatus's transitions and stamps each report with the hub's clock.

What every adapter must get right (tests/adapters/contract.py checks it against the venue's simulator):
- a refused new order is a REJECTED report with the venue's words as ``reason`` and a catalogue ``code``
  (errors.py); a refused cancel or replace is CANCEL_REJECTED, never REJECTED and never an exception;
- each fill is reported once, with the venue's ExecID (or trade ID), however often the venue repeats it;
- after a reconnect every open order is reconciled with the venue's record, and fills missed meanwhile reported;
- an order placed before a restart is adopted from the venue's answer to a status request: its fills so far are
  the STATUS answer's to tell, only later ones are reported.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from adapters._template.instruments import Instruments, VenueInstrument
from adapters.tracked import Reporter, TrackedOrder
from engine.domain.offers import Offers
from engine.domain.order import TimeInForce
from engine.ports import Clock, VenueOrder, VenueReport

# What the venue takes, from its document: the hub fits every order to it before place() (engine/domain/offers.py),
# and new_order refuses anything else. List only what the venue offers; no GTD (a VenueOrder carries no ExpireTime:
# the hub sends GTD, and DAY where the venue lacks it, as GTC and expires them itself). Add the row to the table in
# adapters/README.md.
OFFERS = Offers(market=frozenset({TimeInForce.IOC, TimeInForce.FOK}),
                resting=frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}))


@dataclass(slots=True)
class AtTemplate:
    """How the venue knows an order beyond the shared record: the instrument in its terms, the client order id it
    goes by now (a replace may give it a new one), replaces in flight."""

    instrument: VenueInstrument
    client_order_id: str


Tracked = TrackedOrder[AtTemplate]
Request = tuple[str, dict[str, str]]   # what to send: the venue's message type or endpoint, and its fields


class OrderFlow:
    def __init__(self, instruments: Instruments, reports: Reporter, clock: Clock) -> None:
        self.instruments = instruments
        self.reports = reports
        self.clock = clock
        self.orders: dict[str, Tracked] = {}

    def new_order(self, order: VenueOrder) -> Request | None:
        """The request that places ``order``, and the order tracked; None, with a REJECTED report (reason and
        code), when the venue would refuse it: unknown symbol, order type or time in force it lacks (not in
        OFFERS), quantity off its step, price off its tick. Refusing here is better than a round trip to be told
        the same."""
        raise NotImplementedError

    def cancel(self, order_id: str) -> Request | None:
        """The cancel request; None, with a CANCEL_REJECTED report, for an order not tracked here (unknown_order)
        or already done (too_late)."""
        raise NotImplementedError

    def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> Request | None:
        """The replace (quantity is the new total, price the new limit); None, with a CANCEL_REJECTED report, when
        it cannot be asked (unknown, done, below what has filled, a type the venue cannot amend)."""
        raise NotImplementedError

    def on_report(self, message: object) -> None:
        """Apply one of the venue's execution reports through ``self.reports``: accepted, filled (by cumulative
        quantity or trade id, so a repeat is not reported twice), ended (canceled, expired, rejected), replaced,
        refused (a cancel or replace the venue would not do)."""
        raise NotImplementedError

    def status(self, order: VenueOrder, answer: object) -> VenueReport | None:
        """The venue's answer to a status request as a STATUS report (last_quantity: cumulative filled,
        last_price: average price); None when the venue has no such order. An order not tracked here is adopted
        (``TrackedOrder.adopt``) with the terms the venue holds."""
        raise NotImplementedError
