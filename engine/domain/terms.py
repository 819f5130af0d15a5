"""What a tenant sets for its traders: spread markups, commission plans and the A-Book route rules (IB rebate plans
are ``engine.domain.rebates``). The directory stores them; routing's interceptors and router apply them."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from fnmatch import fnmatchcase

from engine.domain.instrument import AssetClass, Instrument
from engine.domain.order import Order


class MarkupUnit(str, Enum):
    """What a per-side markup is counted in."""

    POINTS = "points"     # price units: 0.5 on BTC/USDT is fifty cents
    PIPS = "pips"         # the instrument's pip (Instrument.pip: 0.0001 for most forex, 0.01 for yen pairs)
    PERCENT = "percent"   # of the price


@dataclass(frozen=True, slots=True)
class Markup:
    """How far a trader's price is from the venue's: ``bid`` below the bid, ``ask`` above the ask, in ``unit``, so a
    broker can widen one side more than the other."""

    bid: Decimal = Decimal(0)
    ask: Decimal = Decimal(0)
    unit: MarkupUnit = MarkupUnit.POINTS

    @classmethod
    def both(cls, value: Decimal, unit: MarkupUnit = MarkupUnit.POINTS) -> Markup:
        """The same on both sides."""
        return cls(value, value, unit)

    def on_bid(self, price: Decimal, pip: Decimal) -> Decimal:
        """How much below ``price`` (a bid, or what a sell fills at) the trader's price is."""
        return self._side(self.bid, price, pip)

    def on_ask(self, price: Decimal, pip: Decimal) -> Decimal:
        """How much above ``price`` (an ask, or what a buy fills at) the trader's price is."""
        return self._side(self.ask, price, pip)

    def _side(self, value: Decimal, price: Decimal, pip: Decimal) -> Decimal:
        if self.unit is MarkupUnit.PIPS:
            return value * pip
        if self.unit is MarkupUnit.PERCENT:
            return price * value / 100
        return value


class CommissionUnit(str, Enum):
    """What a commission plan's ``rate`` is charged per."""

    LOT = "lot"            # a stock's board lot; for forex, metals, indices and crypto, the quantity itself
    UNIT = "unit"          # one share of a stock, one unit of the base currency or coin
    NOTIONAL = "notional"  # the fill's value: the rate is a fraction, 0.0001 is one basis point

    @classmethod
    def named(cls, name: str) -> CommissionUnit:
        """The unit a plan's configuration names; an unknown name is refused with the names there are."""
        try:
            return cls(name)
        except ValueError:
            known = ", ".join(unit.value for unit in cls)
            raise ValueError(f"unknown commission unit {name!r}: one of {known}") from None


@dataclass(frozen=True, slots=True)
class CommissionPlan:
    """``rate`` per ``unit`` of each fill, plus ``per_trade`` on each fill, in the account's currency."""

    rate: Decimal = Decimal(0)
    unit: CommissionUnit = CommissionUnit.LOT
    per_trade: Decimal = Decimal(0)

    def charge(self, instrument: Instrument, quantity: Decimal, price: Decimal,
               quote_rate: Decimal = Decimal(1)) -> Decimal:
        """For a fill of ``quantity`` at ``price``; ``quote_rate`` converts the instrument's quote currency, which a
        notional is in, to the account's."""
        if self.unit is CommissionUnit.LOT:
            amount = quantity / instrument.board_lot if instrument.board_lot else quantity
        elif self.unit is CommissionUnit.UNIT:
            amount = quantity * instrument.contract_size
        else:
            amount = instrument.notional(quantity, price) * quote_rate
        return self.rate * amount + self.per_trade


@dataclass(frozen=True, slots=True)
class RouteRule:
    venues: tuple[str, ...]
    tenant_id: str | None = None
    group_id: str | None = None
    asset_class: AssetClass | None = None
    symbol_pattern: str = "*"
    min_quantity: Decimal | None = None
    max_quantity: Decimal | None = None
    best_price: bool = False
    reroute_on_reject: bool = True

    def matches(self, order: Order, group_id: str, instrument: Instrument) -> bool:
        return ((self.tenant_id is None or self.tenant_id == order.tenant_id)
                and (self.group_id is None or self.group_id == group_id)
                and (self.asset_class is None or self.asset_class is instrument.asset_class)
                and fnmatchcase(order.symbol, self.symbol_pattern)
                and (self.min_quantity is None or order.quantity >= self.min_quantity)
                and (self.max_quantity is None or order.quantity <= self.max_quantity))
