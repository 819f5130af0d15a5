"""The cross margin account of the simulated Binance (developers.binance.com, Margin Trading): borrow and repay
(POST /sapi/v1/margin/borrow-repay) and the account with its margin level (GET /sapi/v1/margin/account), valued at
the books' mid prices. Its ``free`` balances are the wallet margin orders (margin_orders.py) trade from."""
from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from aiohttp import web

from simulators.binance.book import ZERO, ApiError, fmt, now_ms
from simulators.binance.exchange import Exchange, SimOrder
from simulators.binance.rest_api import SIM, json_response, signed

routes = web.RouteTableDef()
NO_LIABILITY_LEVEL = Decimal(999)    # what Binance shows as the margin level of an account that owes nothing


class MarginAccount:
    """Collateral and loans per asset; ``inventory`` is what Binance's margin pool can still lend."""

    def __init__(self, exchange: Exchange, max_leverage: Decimal = Decimal(3),
                 inventory: dict[str, Decimal] | None = None) -> None:
        self.exchange = exchange
        self.max_leverage = max_leverage
        self.inventory = inventory if inventory is not None else {
            asset: Decimal(1000000) for spec in exchange.specs.values() for asset in (spec.base, spec.quote)}
        self.free: dict[str, Decimal] = {}
        self.borrowed: dict[str, Decimal] = {}
        self.interest: dict[str, Decimal] = {}
        self._tran_ids = itertools.count(100000001)
        exchange.wallets["MARGIN"] = self.free
        exchange.trade_listeners.append(self._on_trade)

    def deposit(self, asset: str, amount: Decimal) -> None:
        """Collateral moved in from the spot wallet (a scenario call)."""
        self.free[asset] = self.free.get(asset, ZERO) + amount

    def price_usdt(self, asset: str) -> Decimal:
        if asset == "USDT":
            return Decimal(1)
        book = self.exchange.books.get(f"{asset}USDT")
        if book is None:
            raise ApiError(-1121, "Invalid symbol.")
        return book.mid

    def assets_usdt(self) -> Decimal:
        return sum((amount * self.price_usdt(a) for a, amount in self.free.items()), ZERO)

    def liabilities_usdt(self) -> Decimal:
        owed = {a: self.borrowed.get(a, ZERO) + self.interest.get(a, ZERO) for a in self.borrowed}
        return sum((amount * self.price_usdt(a) for a, amount in owed.items()), ZERO)

    def max_borrowable(self, asset: str) -> Decimal:
        net = self.assets_usdt() - self.liabilities_usdt()
        room = net * (self.max_leverage - 1) - self.liabilities_usdt()
        return max(room, ZERO) / self.price_usdt(asset)

    def borrow(self, asset: str, amount: Decimal) -> int:
        if amount <= 0:
            raise ApiError(-1102, "Mandatory parameter 'amount' was not sent, was empty/null, or malformed.")
        if amount > self.max_borrowable(asset):
            raise ApiError(-3006, "Your borrow amount has exceed maximum borrow amount.")
        if self.inventory.get(asset, ZERO) < amount:
            raise ApiError(-3045, "The system does not have enough asset now.")
        self.inventory[asset] -= amount
        self.free[asset] = self.free.get(asset, ZERO) + amount
        self.borrowed[asset] = self.borrowed.get(asset, ZERO) + amount
        self.interest.setdefault(asset, ZERO)
        return next(self._tran_ids)

    def repay(self, asset: str, amount: Decimal) -> int:
        """Interest first, then the principal (as Binance repays)."""
        owed = self.borrowed.get(asset, ZERO) + self.interest.get(asset, ZERO)
        if amount <= 0:
            raise ApiError(-1102, "Mandatory parameter 'amount' was not sent, was empty/null, or malformed.")
        if amount > owed:
            raise ApiError(-3015, "Repayment amount exceeds borrowed amount.")
        if self.free.get(asset, ZERO) < amount:
            raise ApiError(-3041, "Balance is not enough")
        on_interest = min(amount, self.interest.get(asset, ZERO))
        self.interest[asset] -= on_interest
        self.borrowed[asset] -= amount - on_interest
        self.free[asset] -= amount
        self.inventory[asset] = self.inventory.get(asset, ZERO) + amount - on_interest
        return next(self._tran_ids)

    def owed(self, asset: str) -> Decimal:
        return self.borrowed.get(asset, ZERO) + self.interest.get(asset, ZERO)

    def borrow_shortfall(self, asset: str, needed: Decimal) -> Decimal:
        """MARGIN_BUY: borrow what the free balance lacks for an order; what was borrowed. Binance answers an order
        whose loan it cannot make with -3045, whichever limit (the pool or the collateral) stops it."""
        shortfall = needed - self.free.get(asset, ZERO)
        if shortfall <= 0:
            return ZERO
        try:
            self.borrow(asset, shortfall)
        except ApiError as error:
            if error.code in (-3006, -3045):
                raise ApiError(-3045, "The system does not have enough asset now.") from None
            raise
        return shortfall

    def _on_trade(self, order: SimOrder, price: Decimal, qty: Decimal) -> None:
        """AUTO_REPAY: what a trade brings in repays the liability in that asset, as far as it goes."""
        if order.account != "MARGIN" or order.side_effect not in ("AUTO_REPAY", "AUTO_BORROW_REPAY"):
            return
        spec = self.exchange.specs[order.symbol]
        asset, received = (spec.base, qty) if order.side == "BUY" else (spec.quote, qty * price)
        amount = min(received, self.owed(asset), self.free.get(asset, ZERO))
        if amount > 0:
            self.repay(asset, amount)

    def as_json(self) -> dict[str, Any]:
        assets, liabilities = self.assets_usdt(), self.liabilities_usdt()
        btc = self.price_usdt("BTC")
        level = assets / liabilities if liabilities else NO_LIABILITY_LEVEL
        names = sorted(set(self.free) | set(self.borrowed))
        return {
            "created": True, "borrowEnabled": True, "marginLevel": fmt(level),
            "collateralMarginLevel": fmt(level), "totalAssetOfBtc": fmt(assets / btc),
            "totalLiabilityOfBtc": fmt(liabilities / btc), "totalNetAssetOfBtc": fmt((assets - liabilities) / btc),
            "TotalCollateralValueInUSDT": fmt(assets), "totalOpenOrderLossInUSDT": fmt(ZERO),
            "tradeEnabled": True, "transferInEnabled": True, "transferOutEnabled": True, "accountType": "MARGIN_1",
            "updateTime": now_ms(),
            "userAssets": [{"asset": a, "borrowed": fmt(self.borrowed.get(a, ZERO)), "free": fmt(self.free.get(a, ZERO)),
                            "interest": fmt(self.interest.get(a, ZERO)), "locked": fmt(ZERO),
                            "netAsset": fmt(self.free.get(a, ZERO) - self.borrowed.get(a, ZERO)
                                            - self.interest.get(a, ZERO))} for a in names]}


def amount_of(params: dict[str, str]) -> Decimal:
    try:
        return Decimal(params.get("amount", ""))
    except ArithmeticError:
        raise ApiError(-1102, "Mandatory parameter 'amount' was not sent, was empty/null, or malformed.") from None


@routes.post("/sapi/v1/margin/borrow-repay")
async def borrow_repay(request: web.Request) -> web.Response:
    params = await signed(request)
    sim = request.app[SIM]
    if params.get("isIsolated", "FALSE") != "FALSE":
        raise ApiError(-1020, "This operation is not supported.")     # isolated margin is not simulated
    kind, asset = params.get("type"), params.get("asset", "")
    if kind not in ("BORROW", "REPAY"):
        raise ApiError(-1102, "Mandatory parameter 'type' was not sent, was empty/null, or malformed.")
    account = sim.margin
    tran_id = account.borrow(asset, amount_of(params)) if kind == "BORROW" else account.repay(asset, amount_of(params))
    return json_response({"tranId": tran_id})


@routes.get("/sapi/v1/margin/account")
async def margin_account(request: web.Request) -> web.Response:
    await signed(request)
    return json_response(request.app[SIM].margin.as_json())
