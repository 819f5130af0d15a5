"""Orders that come in pairs: one-cancels-other, and the take-profit and stop-loss bracket attached to an order
(placed as its fills open the position, and grown with each later fill) or to a position already open.

Bracket legs are held by the hub (``engine.conditional``) and close exactly what they protect; in hedging mode they
name the ticket they close.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from engine.domain.order import Order, OrdStatus, OrdType, Side
from engine.domain.tenancy import PositionMode

if TYPE_CHECKING:
    from engine.oms import OMS, NewOrder


class Brackets:
    def __init__(self, oms: OMS) -> None:
        self.oms = oms

    async def submit_oco(self, first: NewOrder, second: NewOrder, parent_id: str | None = None) -> tuple[Order, Order]:
        """Two orders of which the first to trigger or fill cancels the other. If either is refused, neither
        stands."""
        oms = self.oms
        oco_id = oms.new_id("OCO")
        one = await oms.submit(first, oco_id=oco_id, parent_id=parent_id)
        other = await oms.submit(second, oco_id=oco_id, parent_id=parent_id)
        for refused, standing in ((one, other), (other, one)):
            if refused.status is OrdStatus.REJECTED and standing.is_open:
                await oms.cancel_order(standing, "its OCO partner was rejected")
        return one, other

    async def protect(self, account_id: str, symbol: str, *, take_profit: Decimal | None,
                      stop_loss: Decimal | None, position_id: str | None = None) -> list[Order]:
        """Attach a take-profit and a stop-loss (an OCO pair, held by the hub) to an open position."""
        accounting = self.oms.accounting
        if self.oms.directory.accounts[account_id].position_mode is PositionMode.HEDGING:
            position = accounting.positions.positions.get(position_id or "")
            if position is None or position.account_id != account_id:
                raise KeyError(f"no position {position_id} on account {account_id}")
            quantity = position.quantity
        else:
            quantity = accounting.net(account_id, symbol)
        if not quantity:
            raise ValueError(f"account {account_id} has no open position in {symbol}")
        tag = f"protect-{position_id or symbol}-{self.oms.new_id('')}"
        return await self._place(account_id, symbol, tag, quantity, take_profit, stop_loss, position_id, None)

    async def on_fill(self, parent: Order, quantity: Decimal) -> None:
        """Protect what a parent order's fill opened: the first fill places the bracket, later fills grow it."""
        oms = self.oms
        children = [o for o in oms.children.get(parent.order_id, ()) if o.is_open]
        if children:
            for child in children:
                child.quantity += quantity
                oms.event(child, "resized", f"bracket now covers {child.quantity}")
            return
        ticket = oms.accounting.positions.positions.get(parent.order_id)  # hedging: the ticket this order opened
        await self._place(parent.account_id, parent.symbol, parent.cl_ord_id, parent.side.sign * quantity,
                          parent.take_profit, parent.stop_loss, ticket.position_id if ticket else None,
                          parent.order_id)

    async def on_execution(self, order: Order) -> None:
        """One leg of an OCO triggered or filled: cancel the others."""
        if order.oco_id is None:
            return
        oms = self.oms
        for other in [o for o in oms.oco_groups[order.oco_id] if o is not order and o.is_open]:
            await oms.cancel_order(other, f"its OCO partner {order.cl_ord_id} executed")

    async def _place(self, account_id: str, symbol: str, tag: str, quantity: Decimal, take_profit: Decimal | None,
                     stop_loss: Decimal | None, position_id: str | None, parent_id: str | None) -> list[Order]:
        """A take-profit and a stop-loss closing ``quantity`` (signed as the position), as an OCO pair."""
        from engine.oms import NewOrder

        side = Side.SELL if quantity > 0 else Side.BUY
        legs = []
        if take_profit is not None:
            legs.append(NewOrder(f"{tag}-TP", account_id, symbol, side, OrdType.MARKET_IF_TOUCHED, abs(quantity),
                                 stop_price=take_profit, position_id=position_id))
        if stop_loss is not None:
            legs.append(NewOrder(f"{tag}-SL", account_id, symbol, side, OrdType.STOP, abs(quantity),
                                 stop_price=stop_loss, position_id=position_id))
        if len(legs) == 2:
            return list(await self.submit_oco(legs[0], legs[1], parent_id))
        return [await self.oms.submit(leg, parent_id=parent_id) for leg in legs]
