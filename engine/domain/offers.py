"""What a venue takes, and how the hub fits a client's order onto it.

Each adapter declares its ``Offers`` once (``offers`` on its Venue); the OMS fits every order to the venue it is
sent to, there and nowhere else. A client asks in FIX's terms, where an order without TimeInForce(59) is a DAY
order, and few LPs offer DAY; so:

- a market order is for now, whatever its TimeInForce: it goes as IOC, or FOK when the client asked FOK or the
  venue offers only FOK;
- a DAY order at a venue without DAY, and every GTD order (a venue order carries no ExpireTime), goes as GTC; the
  hub's clock cancels it at the instrument's day end or its ExpireTime, as it does for the orders it holds, and the
  client sees it EXPIRED;
- anything else the venue lacks goes as asked, and the venue's refusal names what it lacks.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.domain.order import OrdType, TimeInForce

_HUB_EXPIRES = frozenset({TimeInForce.DAY, TimeInForce.GTD})


@dataclass(frozen=True, slots=True)
class Offers:
    market: frozenset[TimeInForce]    # the times in force a market order may carry at the venue
    resting: frozenset[TimeInForce]   # those of every other order type the venue takes

    def fit(self, ord_type: OrdType, time_in_force: TimeInForce) -> TimeInForce:
        """The time in force to send for the one the client asked."""
        if ord_type is OrdType.MARKET:
            wanted = (TimeInForce.FOK,) if time_in_force is TimeInForce.FOK else (TimeInForce.IOC, TimeInForce.FOK)
            return next((tif for tif in wanted if tif in self.market), time_in_force)
        if time_in_force in self.resting and time_in_force is not TimeInForce.GTD:
            return time_in_force
        if time_in_force in _HUB_EXPIRES and TimeInForce.GTC in self.resting:
            return TimeInForce.GTC
        return time_in_force
