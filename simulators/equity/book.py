"""One stock's simulated order book: synthetic resting liquidity around a reference price, and the client's
orders matched against it (sans-IO; the simulator turns what happens here into ExecutionReports).

The synthetic book has ``depth`` levels a side, one tick apart, ``level_size`` shares each, rebuilt whenever the
reference price moves. Client orders take liquidity but never meet each other; stop orders wait untriggered
until the reference price reaches their stop.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from simulators.equity.fields import TERMINAL, OrdStatus, OrdType, TimeInForce
from simulators.equity.stocks import Stock


@dataclass(slots=True)
class Level:
    price: Decimal
    size: Decimal


@dataclass(slots=True)
class SimOrder:
    """A client order as the exchange holds it; ``side`` is the FIX value (1 buy, 2 sell, 5 sell short), and a
    short sale's LocateReqd(114) and LocateBroker(5700) as they came."""

    cl_ord_id: str
    ticker: str
    mic: str
    side: str
    ord_type: OrdType
    time_in_force: TimeInForce
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    stock: Stock | None = None
    order_id: str = ""       # the broker's OrderID, given when the order is taken
    status: OrdStatus = OrdStatus.NEW
    cum_qty: Decimal = Decimal(0)
    avg_px: Decimal = Decimal(0)
    triggered: bool = True
    locate_reqd: str | None = None
    locate_broker: str | None = None

    @property
    def buying(self) -> bool:
        return self.side == "1"

    @property
    def leaves(self) -> Decimal:
        return Decimal(0) if self.status in TERMINAL else self.quantity - self.cum_qty

    @property
    def limit(self) -> Decimal | None:
        """The price the order may not trade through; None for market (and triggered stop) orders."""
        return self.price if self.ord_type in (OrdType.LIMIT, OrdType.STOP_LIMIT) else None

    def book_fill(self, quantity: Decimal, price: Decimal) -> None:
        total = self.cum_qty + quantity
        self.avg_px = (self.avg_px * self.cum_qty + price * quantity) / total
        self.cum_qty = total
        self.status = OrdStatus.FILLED if total == self.quantity else OrdStatus.PARTIALLY_FILLED


@dataclass(frozen=True, slots=True)
class Execution:
    order: SimOrder
    quantity: Decimal
    price: Decimal


class StockBook:
    def __init__(self, stock: Stock, reference: Decimal, level_size: Decimal, depth: int = 5) -> None:
        self.stock = stock
        self.reference = reference
        self.previous_close = reference
        self.level_size = level_size
        self.depth = depth
        self.bids: list[Level] = []
        self.asks: list[Level] = []
        self.resting: dict[str, SimOrder] = {}
        self.rebuild()

    def tick(self, price: Decimal) -> Decimal:
        """The exchange's increment at ``price``; outside its table, where no price is valid, a cent keeps the book
        stepping."""
        return self.stock.market.tick(price, self.previous_close) or Decimal("0.01")

    def step(self, price: Decimal, up: bool) -> Decimal:
        """The next valid price above (or below) ``price``, landing on the tick of the band it lands in."""
        moved = price + self.tick(price) if up else price - self.tick(price)
        tick = self.tick(moved)
        return (moved / tick).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR) * tick

    def rebuild(self) -> None:
        """Fresh synthetic levels around the reference price, one tick outside it on each side."""
        self.bids, self.asks = [], []
        bid = ask = self.reference
        for _ in range(self.depth):
            bid, ask = self.step(bid, up=False), self.step(ask, up=True)
            if bid > 0:
                self.bids.append(Level(bid, self.level_size))
            self.asks.append(Level(ask, self.level_size))

    def top(self) -> tuple[Level | None, Level | None]:
        return (self.bids[0] if self.bids else None), (self.asks[0] if self.asks else None)

    def available(self, order: SimOrder) -> Decimal:
        """Shares the order could take now without passing its limit."""
        return sum((level.size for level in self._opposite(order) if self._marketable(order, level.price)),
                   Decimal(0))

    def match(self, order: SimOrder) -> list[Execution]:
        """Take liquidity level by level while the order is marketable; thin levels give several fills."""
        executions: list[Execution] = []
        levels = self._opposite(order)
        while order.leaves > 0 and levels and self._marketable(order, levels[0].price):
            level = levels[0]
            quantity = min(level.size, order.leaves)
            level.size -= quantity
            if level.size == 0:
                levels.pop(0)
            order.book_fill(quantity, level.price)
            executions.append(Execution(order, quantity, level.price))
        return executions

    def move(self, reference: Decimal) -> list[Execution]:
        """The market moved: new liquidity, stops that the move reached trigger, resting orders may now fill."""
        self.reference = reference
        self.rebuild()
        executions: list[Execution] = []
        for order in list(self.resting.values()):
            if not order.triggered:
                order.triggered = (reference >= order.stop_price if order.buying
                                   else reference <= order.stop_price)  # type: ignore[operator]
            if order.triggered:
                executions += self.match(order)
            if order.leaves == 0:
                del self.resting[order.order_id]
        return executions

    def _opposite(self, order: SimOrder) -> list[Level]:
        return self.asks if order.buying else self.bids

    @staticmethod
    def _marketable(order: SimOrder, price: Decimal) -> bool:
        limit = order.limit
        if limit is None:
            return True
        return price <= limit if order.buying else price >= limit
