"""The shared record of an order (adapters/tracked.py) where venues' numbers are odd."""
from __future__ import annotations

from decimal import Decimal as D

from adapters.tracked import TrackedOrder
from engine.domain.order import OrdType, Side, TimeInForce
from engine.ports import VenueOrder


def test_a_fill_missed_is_priced_from_an_average_with_more_digits_than_decimals_default_context() -> None:
    """A .NET venue prints its average as a decimal of 29 digits; the fill it implies must still be told."""
    tracked = TrackedOrder(VenueOrder("O1", "EUR/USD", Side.BUY, OrdType.LIMIT, D(3), TimeInForce.GTC,
                                      price=D("1.1")), None)
    assert tracked.fill(D(1), D("1.08345"))
    average = D("1.0834566666666666666666666667")   # (1.08345 + 1.08346 + 1.08346) / 3
    missing = tracked.missing_fill(D(3), average, None, None)
    assert missing is not None and missing[0] == D(2) and abs(missing[1] - D("1.08346")) < D("1E-20")
