"""Positions in netting mode: one signed quantity per account and symbol, realised P&L when it shrinks."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(slots=True)
class Position:
    account_id: str
    symbol: str
    quantity: Decimal = Decimal(0)        # positive long, negative short
    average_price: Decimal = Decimal(0)

    def apply(self, signed_quantity: Decimal, price: Decimal, contract_size: Decimal) -> Decimal:
        """Add a fill; returns the P&L it realises, in the quote currency."""
        realised = Decimal(0)
        if self.quantity == 0 or (self.quantity > 0) == (signed_quantity > 0):
            total = self.quantity + signed_quantity
            self.average_price = (self.average_price * abs(self.quantity) + price * abs(signed_quantity)) / abs(total)
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
