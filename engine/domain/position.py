"""Positions, in netting mode (one signed quantity per account and symbol) or hedging mode (one ticket per opening
order, closed by naming it), with the P&L each fill realises."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.domain.order import average
from engine.domain.tenancy import PositionMode


@dataclass(slots=True)
class Position:
    account_id: str
    symbol: str
    quantity: Decimal = Decimal(0)        # positive long, negative short
    average_price: Decimal = Decimal(0)
    position_id: str = ""                 # netting: "<account>|<symbol>"; hedging: the opening order's id

    def apply(self, signed_quantity: Decimal, price: Decimal, contract_size: Decimal) -> Decimal:
        """Add a fill; returns the P&L it realises, in the quote currency."""
        realised = Decimal(0)
        if self.quantity == 0 or (self.quantity > 0) == (signed_quantity > 0):
            total = self.quantity + signed_quantity
            self.average_price = average(self.average_price, abs(self.quantity), price, abs(signed_quantity))
            self.quantity = total
            return realised
        closing = min(abs(signed_quantity), abs(self.quantity))
        direction = 1 if self.quantity > 0 else -1
        realised = (price - self.average_price) * closing * direction * contract_size
        remainder = self.quantity + signed_quantity
        if remainder == 0:
            self.average_price = Decimal(0)
        elif (remainder > 0) != (self.quantity > 0):  # flipped: the rest opens at the fill price
            self.average_price = price
        self.quantity = remainder
        return realised

    def unrealised(self, mark: Decimal, contract_size: Decimal) -> Decimal:
        return (mark - self.average_price) * self.quantity * contract_size


def netting_id(account_id: str, symbol: str) -> str:
    return f"{account_id}|{symbol}"


class PositionBook:
    """Every position by its id. A hedging account's fill opens a ticket unless its order names one to close;
    a close larger than its ticket closes the ticket and opens the rest as a new one, never flipping a ticket.

    ``positions`` holds every position the book has had, open or flat, for a lookup by id; what the hot path reads
    (an account's positions for its margin, its net quantity in a symbol, the open positions for exposure) comes
    from an index of the open ones by account, so it costs what is open, not every ticket ever opened. Change the
    book through its methods only: they keep the index."""

    def __init__(self) -> None:
        self.positions: dict[str, Position] = {}
        self._open: dict[str, dict[str, Position]] = {}   # account -> position id -> its open positions

    def load(self, positions: list[Position]) -> None:
        for position in positions:
            self._put(position)

    def apply(self, mode: PositionMode, account_id: str, symbol: str, order_id: str, close_id: str | None,
              signed_quantity: Decimal, price: Decimal, contract_size: Decimal) -> tuple[list[Position], Decimal]:
        """Book a fill; returns the positions it changed and the P&L it realised (quote currency)."""
        if mode is PositionMode.NETTING:
            position = self.get(account_id, symbol)
            realised = position.apply(signed_quantity, price, contract_size)
            self._index(position)
            return [position], realised
        changed: list[Position] = []
        realised = Decimal(0)
        ticket = self.positions.get(close_id or "")
        if ticket is not None and ticket.quantity and (ticket.quantity > 0) != (signed_quantity > 0):
            closing = min(abs(signed_quantity), abs(ticket.quantity)) * (1 if signed_quantity > 0 else -1)
            realised = ticket.apply(closing, price, contract_size)
            self._index(ticket)
            changed.append(ticket)
            signed_quantity -= closing
        if signed_quantity:
            opened = self.positions.setdefault(order_id, Position(account_id, symbol, position_id=order_id))
            opened.apply(signed_quantity, price, contract_size)
            self._index(opened)
            changed.append(opened)
        return changed, realised

    def snapshot(self, keys: tuple[str, ...]) -> dict[str, Position | None]:
        """Copies of the positions ``keys`` name (None: not open), for ``restore`` if a fill's transaction fails."""
        return {key: None if (p := self.positions.get(key)) is None
                else Position(p.account_id, p.symbol, p.quantity, p.average_price, p.position_id) for key in keys}

    def restore(self, snapshot: dict[str, Position | None]) -> None:
        for key, saved in snapshot.items():
            if saved is None:
                removed = self.positions.pop(key, None)
                if removed is not None:
                    self._unindex(removed)
            else:
                self._put(saved)

    @staticmethod
    def touched(mode: PositionMode, account_id: str, symbol: str, order_id: str, close_id: str | None
                ) -> tuple[str, ...]:
        """The positions ``apply`` may change for this fill: the netting one, or the ticket closed and the one opened."""
        if mode is PositionMode.NETTING:
            return (netting_id(account_id, symbol),)
        return (order_id,) if close_id is None else (close_id, order_id)

    def get(self, account_id: str, symbol: str) -> Position:
        """The netting position (created flat on first use)."""
        key = netting_id(account_id, symbol)
        position = self.positions.get(key)
        if position is None:
            position = self.positions[key] = Position(account_id, symbol, position_id=key)
        return position

    def of_account(self, account_id: str) -> list[Position]:
        """The account's open positions, in the order they opened."""
        return list(self._open.get(account_id, {}).values())

    def net(self, account_id: str, symbol: str) -> Decimal:
        """Signed quantity across all of an account's tickets in a symbol (what exposure limits look at)."""
        return sum((p.quantity for p in self._open.get(account_id, {}).values() if p.symbol == symbol), Decimal(0))

    def open_positions(self) -> list[Position]:
        """Every open position, account by account."""
        return [position for held in self._open.values() for position in held.values()]

    def open_accounts(self) -> list[str]:
        """The accounts with an open position."""
        return list(self._open)

    # ---- the index of open positions
    def _put(self, position: Position) -> None:
        """Hold ``position`` under its id, in place of any position held there."""
        previous = self.positions.get(position.position_id)
        self.positions[position.position_id] = position
        if previous is not None and previous is not position and (
                not position.quantity or previous.account_id != position.account_id):
            self._unindex(previous)
        self._index(position)   # an open one takes the place of the one it replaces, keeping its order

    def _index(self, position: Position) -> None:
        """File the position under its account while it is open; take it out once it is flat."""
        held = self._open.get(position.account_id)
        if position.quantity:
            if held is None:
                held = self._open[position.account_id] = {}
            held[position.position_id] = position
        elif held is not None:
            self._unindex(position)

    def _unindex(self, position: Position) -> None:
        held = self._open.get(position.account_id)
        if held is not None and held.get(position.position_id) is position:
            del held[position.position_id]
            if not held:
                del self._open[position.account_id]
