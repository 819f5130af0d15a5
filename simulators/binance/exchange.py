"""The simulated Binance spot matching engine, sans-IO: one account's orders and trades against the synthetic
books (book.py), and the events Binance would stream. Prices, quantities and balances are Decimal."""
from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simulators.binance.book import (
    ORDER_TYPES,
    ZERO,
    ApiError,
    Book,
    SymbolSpec,
    default_symbols,
    floor_to,
    fmt,
    now_ms,
)
from simulators.state import Ids

CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
OPEN = ("NEW", "PARTIALLY_FILLED")


@dataclass
class SimOrder:
    order_id: int
    symbol: str
    client_order_id: str
    side: str
    type: str
    time_in_force: str | None
    quantity: Decimal
    price: Decimal
    stop_price: Decimal
    time: int
    executed: Decimal = ZERO
    quote_executed: Decimal = ZERO
    status: str = "NEW"
    update_time: int = 0
    triggered: bool = False
    account: str = "SPOT"            # or "MARGIN": the cross margin account's wallet and user data stream
    side_effect: str = "NO_SIDE_EFFECT"

    @property
    def is_stop(self) -> bool:
        return self.type in ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")

    @property
    def working(self) -> bool:
        return self.status in OPEN and (not self.is_stop or self.triggered)

    def as_json(self) -> dict[str, Any]:
        body = {"symbol": self.symbol, "orderId": self.order_id, "orderListId": -1,
                "clientOrderId": self.client_order_id, "price": fmt(self.price), "origQty": fmt(self.quantity),
                "executedQty": fmt(self.executed), "cummulativeQuoteQty": fmt(self.quote_executed),
                "status": self.status, "timeInForce": self.time_in_force or "GTC", "type": self.type,
                "side": self.side, "time": self.time, "updateTime": self.update_time or self.time,
                "isWorking": self.working, "workingTime": self.time if self.working else -1,
                "origQuoteOrderQty": fmt(ZERO), "selfTradePreventionMode": "NONE"}
        if self.is_stop:
            body["stopPrice"] = fmt(self.stop_price)
        return body


@dataclass(frozen=True)
class SimTrade:
    trade_id: int
    order_id: int
    symbol: str
    side: str
    price: Decimal
    quantity: Decimal
    time: int

    def as_json(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "id": self.trade_id, "orderId": self.order_id, "orderListId": -1,
                "price": fmt(self.price), "qty": fmt(self.quantity), "quoteQty": fmt(self.price * self.quantity),
                "commission": fmt(ZERO), "commissionAsset": self.symbol, "time": self.time,
                "isBuyer": self.side == "BUY", "isMaker": False, "isBestMatch": True}


MarketListener = Callable[[str, str, dict[str, Any]], None]   # (kind "depth"|"bookTicker", symbol, payload)
UserListener = Callable[[dict[str, Any]], None]


class Exchange:
    """One account trading against synthetic books; every change is announced to the listeners."""

    def __init__(self, symbols: list[SymbolSpec] | None = None, seed: int | None = None,
                 balances: dict[str, Decimal] | None = None) -> None:
        self.specs = {spec.symbol: spec for spec in (symbols or default_symbols())}
        self.books = {name: Book(spec, spec.price) for name, spec in self.specs.items()}
        self.balances: dict[str, Decimal] = balances if balances is not None else {
            asset: Decimal(1000000000) for spec in self.specs.values() for asset in (spec.base, spec.quote)}
        self.orders: dict[int, SimOrder] = {}
        self.trades: list[SimTrade] = []
        self.market_listeners: list[MarketListener] = []
        self.user_listeners: list[UserListener] = []       # the spot account's events
        self.margin_listeners: list[UserListener] = []     # the cross margin account's events
        self.trade_listeners: list[Callable[[SimOrder, Decimal, Decimal], None]] = []   # (order, price, qty)
        self.wallets: dict[str, dict[str, Decimal]] = {"SPOT": self.balances}
        self.balances_time = now_ms()               # when a trade last moved the spot wallet (the account's updateTime)
        self.silent_orders: set[int] = set()        # their events are lost (see timeout_next_order)
        self.partial_fill_next: Decimal | None = None
        self.skip_depth: dict[str, int] = {}
        self._rng = random.Random(seed)
        # orderId and tradeId are never given twice (Binance: unique per symbol), nor are execution ids
        self.order_ids, self.trade_ids, self.exec_ids = Ids(), Ids(), Ids()
        self._silence_next = False
        for book in self.books.values():
            book.bids, book.asks = book.target()

    # ---- market
    def spec(self, symbol: str) -> SymbolSpec:
        if symbol not in self.specs:
            raise ApiError(-1121, "Invalid symbol.")
        return self.specs[symbol]

    def set_price(self, symbol: str, price: Decimal) -> None:
        book = self.books[self.spec(symbol).symbol]
        book.mid = floor_to(price, book.spec.tick_size)
        self._refresh(book)

    def walk(self, volatility: Decimal = Decimal("0.0002")) -> None:
        for book in self.books.values():
            move = Decimal(str(round(self._rng.gauss(0, 1), 6))) * volatility
            book.mid = max(floor_to(book.mid * (1 + move), book.spec.tick_size), book.spec.tick_size * 100)
            self._refresh(book)

    def depth(self, symbol: str, limit: int) -> dict[str, Any]:
        book = self.books[self.spec(symbol).symbol]
        return {"lastUpdateId": book.update_id,
                "bids": [[fmt(p), fmt(book.bids[p])] for p in sorted(book.bids, reverse=True)[:limit]],
                "asks": [[fmt(p), fmt(book.asks[p])] for p in sorted(book.asks)[:limit]]}

    def book_ticker(self, symbol: str) -> dict[str, Any]:
        """GET /api/v3/ticker/bookTicker for one symbol: the touch, as the bookTicker stream last announced it."""
        book = self.books[self.spec(symbol).symbol]
        bid, ask = book.best_bid(), book.best_ask()
        return {"symbol": book.spec.symbol,
                "bidPrice": fmt(bid or ZERO), "bidQty": fmt(book.bids[bid] if bid is not None else ZERO),
                "askPrice": fmt(ask or ZERO), "askQty": fmt(book.asks[ask] if ask is not None else ZERO)}

    def _refresh(self, book: Book) -> None:
        """Rebuild the book around its mid, announce the difference, then let resting orders trade."""
        old_bids, old_asks = dict(book.bids), dict(book.asks)
        book.bids, book.asks = book.target()
        self._announce(book, old_bids, old_asks)
        self._match_resting(book.spec.symbol)

    def _announce(self, book: Book, old_bids: dict[Decimal, Decimal], old_asks: dict[Decimal, Decimal]) -> None:
        def diff(old: dict[Decimal, Decimal], new: dict[Decimal, Decimal]) -> dict[Decimal, Decimal]:
            changes = {p: q for p, q in new.items() if old.get(p) != q}
            changes.update({p: ZERO for p in old if p not in new})
            return changes

        bids, asks = diff(old_bids, book.bids), diff(old_asks, book.asks)
        if not bids and not asks:
            return
        first = book.update_id + 1
        book.update_id += len(bids) + len(asks)
        symbol = book.spec.symbol
        if self.skip_depth.get(symbol):
            self.skip_depth[symbol] -= 1
        else:
            self._market("depth", symbol, {
                "e": "depthUpdate", "E": now_ms(), "s": symbol, "U": first, "u": book.update_id,
                "b": [[fmt(p), fmt(q)] for p, q in sorted(bids.items(), reverse=True)],
                "a": [[fmt(p), fmt(q)] for p, q in sorted(asks.items())]})
        bid, ask = book.best_bid(), book.best_ask()
        if bid is not None and ask is not None:
            self._market("bookTicker", symbol, {"u": book.update_id, "s": symbol, "b": fmt(bid),
                                                "B": fmt(book.bids[bid]), "a": fmt(ask), "A": fmt(book.asks[ask])})

    def _market(self, kind: str, symbol: str, payload: dict[str, Any]) -> None:
        for listener in list(self.market_listeners):
            listener(kind, symbol, payload)

    # ---- orders
    def silence_next_order(self) -> None:
        """The next order's events never reach the user data stream (its REST answer is lost too)."""
        self._silence_next = True

    def place(self, params: dict[str, str], client_order_id: str | None = None, account: str = "SPOT",
              side_effect: str = "NO_SIDE_EFFECT") -> SimOrder:
        spec = self.spec(params.get("symbol", ""))
        side, order_type = params.get("side", ""), params.get("type", "")
        if side not in ("BUY", "SELL"):
            raise ApiError(-1117, "Invalid side.")
        if order_type not in ORDER_TYPES:
            raise ApiError(-1116, "Invalid orderType.")
        needs_price = order_type in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT", "LIMIT_MAKER")
        needs_tif = order_type in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
        needs_stop = order_type in ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
        quantity = _decimal(params, "quantity", required=True)
        price = _decimal(params, "price", required=needs_price)
        stop_price = _decimal(params, "stopPrice", required=needs_stop)
        tif = params.get("timeInForce")
        if needs_tif and tif is None:
            raise ApiError(-1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.")
        if not needs_tif and tif is not None:
            raise ApiError(-1106, "Parameter 'timeInForce' sent when not required.")
        if tif is not None and tif not in ("GTC", "IOC", "FOK"):
            raise ApiError(-1115, "Invalid timeInForce.")
        client_order_id = client_order_id or params.get("newClientOrderId") or f"sim{next(self.exec_ids)}"
        if not CLIENT_ID.match(client_order_id):
            raise ApiError(-1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is "
                                  "'^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.")
        book = self.books[spec.symbol]
        reference = book.mid
        spec.check_filters(order_type, quantity, price, stop_price, reference)
        if any(o.client_order_id == client_order_id and o.status in OPEN and o.account == account
               for o in self.orders.values()):
            raise ApiError(-2010, "Duplicate order sent.")
        touch = book.best_ask() if side == "BUY" else book.best_bid()
        if order_type == "LIMIT_MAKER" and touch is not None and price is not None and (
                touch <= price if side == "BUY" else touch >= price):
            raise ApiError(-2010, "Order would immediately match and take.")
        if needs_stop and stop_price is not None and _triggered(order_type, side, stop_price, reference):
            raise ApiError(-2010, "Order would trigger immediately.")
        wallet = self.wallets[account]
        if (side == "BUY" and wallet.get(spec.quote, ZERO) < self.cost(spec.symbol, side, quantity, price)) or (
                side == "SELL" and wallet.get(spec.base, ZERO) < quantity):
            raise ApiError(-2010, "Account has insufficient balance for requested action.")
        now = now_ms()
        order = SimOrder(next(self.order_ids), spec.symbol, client_order_id, side, order_type, tif, quantity,
                         price or ZERO, stop_price or ZERO, now, update_time=now, account=account,
                         side_effect=side_effect)
        self.orders[order.order_id] = order
        if self._silence_next:
            self._silence_next = False
            self.silent_orders.add(order.order_id)
        self._report(order, "NEW")
        if order.working:
            self._execute(order)
        return order

    def cost(self, symbol: str, side: str, quantity: Decimal, price: Decimal | None) -> Decimal:
        """What an order of the quote asset will need: at its price, else at the touch (for a market order)."""
        book = self.books[symbol]
        touch = book.best_ask() if side == "BUY" else book.best_bid()
        return quantity * (price or touch or book.mid)

    def find(self, symbol: str, order_id: str | None, client_order_id: str | None,
             account: str = "SPOT") -> SimOrder | None:
        """By orderId, else the newest order with that client order ID (as a query by origClientOrderId does)."""
        if order_id is not None:
            order = self.orders.get(int(order_id))
            return order if order is not None and order.symbol == symbol and order.account == account else None
        matches = [o for o in self.orders.values()
                   if o.symbol == symbol and o.client_order_id == client_order_id and o.account == account]
        return matches[-1] if matches else None

    def cancel(self, symbol: str, order_id: str | None, client_order_id: str | None,
               cancel_client_id: str | None = None, account: str = "SPOT") -> tuple[SimOrder, str]:
        self.spec(symbol)
        if order_id is None and client_order_id is None:
            raise ApiError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        order = self.find(symbol, order_id, client_order_id, account)
        if order is None or order.status not in OPEN:
            raise ApiError(-2011, "Unknown order sent.")
        order.status, order.update_time = "CANCELED", now_ms()
        cancel_id = cancel_client_id or f"cancel{next(self.exec_ids)}"
        self._report(order, "CANCELED", client_id=cancel_id, original_client_id=order.client_order_id)
        return order, cancel_id

    def cancel_replace(self, params: dict[str, str]) -> dict[str, Any]:
        """POST /api/v3/order/cancelReplace: filters first, then the cancel, then the new order."""
        mode = params.get("cancelReplaceMode")
        if mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise ApiError(-1102, "Mandatory parameter 'cancelReplaceMode' was not sent, was empty/null, "
                                  "or malformed.")
        spec = self.spec(params.get("symbol", ""))
        quantity = _decimal(params, "quantity", required=True)
        assert quantity is not None
        spec.check_filters(params.get("type", ""), quantity, _decimal(params, "price", required=False),
                           _decimal(params, "stopPrice", required=False), self.books[spec.symbol].mid)
        result: dict[str, Any] = {"cancelResult": "SUCCESS", "newOrderResult": "NOT_ATTEMPTED",
                                  "cancelResponse": None, "newOrderResponse": None}
        try:
            canceled, cancel_id = self.cancel(spec.symbol, params.get("cancelOrderId"),
                                              params.get("cancelOrigClientOrderId"),
                                              params.get("cancelNewClientOrderId"))
            result["cancelResponse"] = cancel_response(canceled, cancel_id)
        except ApiError as error:
            result["cancelResult"], result["cancelResponse"] = "FAILURE", {"code": error.code, "msg": error.msg}
            if mode == "STOP_ON_FAILURE":
                raise ApiError(-2022, "Order cancel-replace failed.", 400, result) from None
        new_params = {k: v for k, v in params.items() if not k.startswith("cancel")}
        try:
            placed = self.place(new_params)
        except ApiError as error:
            result["newOrderResult"], result["newOrderResponse"] = "FAILURE", {"code": error.code, "msg": error.msg}
            if result["cancelResult"] == "SUCCESS":
                raise ApiError(-2021, "Order cancel-replace partially failed.", 409, result) from None
            raise ApiError(-2022, "Order cancel-replace failed.", 400, result) from None
        result["newOrderResult"], result["newOrderResponse"] = "SUCCESS", self.full_response(placed)
        if result["cancelResult"] == "FAILURE":
            raise ApiError(-2021, "Order cancel-replace partially failed.", 409, result)
        return result

    def full_response(self, order: SimOrder) -> dict[str, Any]:
        """The FULL answer to a new order: the order as it stands plus the trades it made."""
        body = order.as_json()
        for key in ("time", "updateTime", "isWorking"):
            body.pop(key)
        body["transactTime"] = order.time
        body["fills"] = [{"price": fmt(t.price), "qty": fmt(t.quantity), "commission": fmt(ZERO),
                          "commissionAsset": self.specs[order.symbol].quote, "tradeId": t.trade_id}
                         for t in self.trades if t.order_id == order.order_id]
        return body

    def query(self, symbol: str, order_id: str | None, client_order_id: str | None,
              account: str = "SPOT") -> SimOrder:
        self.spec(symbol)
        order = self.find(symbol, order_id, client_order_id, account)
        if order is None:
            raise ApiError(-2013, "Order does not exist.")
        return order

    def open_orders(self, symbol: str | None, account: str = "SPOT") -> list[SimOrder]:
        return [o for o in self.orders.values()
                if o.status in OPEN and symbol in (None, o.symbol) and o.account == account]

    def my_trades(self, symbol: str, order_id: int | None, account: str = "SPOT") -> list[SimTrade]:
        self.spec(symbol)
        return [t for t in self.trades if t.symbol == symbol and order_id in (None, t.order_id)
                and self.orders[t.order_id].account == account]

    # ---- matching
    def _execute(self, order: SimOrder) -> None:
        """Trade a working order against the book; the rest rests, or expires for MARKET, IOC and FOK."""
        book = self.books[order.symbol]
        limit = None if order.type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT") else order.price
        left = order.quantity - order.executed
        if order.time_in_force == "FOK" and book.available(order.side, limit) < left:
            self._expire(order, "UNFILLED_FOK_ORDER_EXPIRED")
            return
        if self.partial_fill_next is not None:
            left = max(floor_to(left * self.partial_fill_next, self.specs[order.symbol].step_size),
                       self.specs[order.symbol].step_size)
            self.partial_fill_next = None
        old_bids, old_asks = dict(book.bids), dict(book.asks)
        for price, qty in book.take(order.side, left, limit):
            self._trade(order, price, qty)
        self._announce(book, old_bids, old_asks)
        if order.status in OPEN and (limit is None or order.time_in_force == "IOC"):
            self._expire(order, "INSUFFICIENT_LIQUIDITY" if limit is None else "UNFILLED_IOC_QUANTITY_EXPIRED")

    def _trade(self, order: SimOrder, price: Decimal, qty: Decimal) -> None:
        spec = self.specs[order.symbol]
        sign = 1 if order.side == "BUY" else -1
        wallet = self.wallets[order.account]
        wallet[spec.base] = wallet.get(spec.base, ZERO) + sign * qty
        wallet[spec.quote] = wallet.get(spec.quote, ZERO) - sign * qty * price
        if order.account == "SPOT":
            self.balances_time = now_ms()
        order.executed += qty
        order.quote_executed += qty * price
        order.status = "FILLED" if order.executed == order.quantity else "PARTIALLY_FILLED"
        order.update_time = now_ms()
        trade = SimTrade(next(self.trade_ids), order.order_id, order.symbol, order.side, price, qty, now_ms())
        self.trades.append(trade)
        for listener in list(self.trade_listeners):
            listener(order, price, qty)
        self._report(order, "TRADE", last_qty=qty, last_price=price, trade_id=trade.trade_id)

    def _expire(self, order: SimOrder, reason: str) -> None:
        order.status, order.update_time = "EXPIRED", now_ms()
        self._report(order, "EXPIRED", expiry_reason=reason)

    def _match_resting(self, symbol: str) -> None:
        book = self.books[symbol]
        for order in [o for o in self.orders.values() if o.symbol == symbol and o.status in OPEN]:
            if order.is_stop and not order.triggered:
                if not _triggered(order.type, order.side, order.stop_price, book.mid):
                    continue
                order.triggered = True
            touch = book.best_ask() if order.side == "BUY" else book.best_bid()
            marketable = order.type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT") or (
                touch is not None and (touch <= order.price if order.side == "BUY" else touch >= order.price))
            if marketable:
                self._execute(order)

    def _report(self, order: SimOrder, execution: str, *, last_qty: Decimal = ZERO, last_price: Decimal = ZERO,
                trade_id: int = -1, client_id: str | None = None, original_client_id: str = "",
                expiry_reason: str | None = None) -> None:
        if order.order_id in self.silent_orders:
            return
        now = now_ms()
        event: dict[str, Any] = {
            "e": "executionReport", "E": now, "s": order.symbol, "c": client_id or order.client_order_id,
            "S": order.side, "o": order.type, "f": order.time_in_force or "GTC", "q": fmt(order.quantity),
            "p": fmt(order.price), "P": fmt(order.stop_price), "F": fmt(ZERO), "g": -1, "C": original_client_id,
            "x": execution, "X": order.status, "r": "NONE", "i": order.order_id, "l": fmt(last_qty),
            "z": fmt(order.executed), "L": fmt(last_price), "n": "0", "N": None, "T": now, "t": trade_id,
            "I": next(self.exec_ids), "w": order.working, "m": False, "M": False, "O": order.time,
            "Z": fmt(order.quote_executed), "Y": fmt(last_qty * last_price), "Q": fmt(ZERO), "V": "NONE"}
        if order.working:
            event["W"] = order.time
        if expiry_reason:
            event["eR"] = expiry_reason
        for listener in list(self.margin_listeners if order.account == "MARGIN" else self.user_listeners):
            listener(event)


def _decimal(params: dict[str, str], name: str, required: bool) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise ApiError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
        return None
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise ApiError(-1100, f"Illegal characters found in parameter '{name}'; legal range is "
                              "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.") from None
    if not value.is_finite() or value < 0:
        raise ApiError(-1100, f"Illegal characters found in parameter '{name}'.")
    return value


def _triggered(order_type: str, side: str, stop_price: Decimal, last: Decimal) -> bool:
    """Binance's trigger rules: STOP_LOSS BUY and TAKE_PROFIT SELL trigger at or above the stop price."""
    rising = (order_type.startswith("STOP_LOSS")) == (side == "BUY")
    return last >= stop_price if rising else last <= stop_price


def cancel_response(order: SimOrder, cancel_client_id: str) -> dict[str, Any]:
    body = order.as_json()
    for key in ("time", "updateTime", "isWorking", "workingTime"):
        body.pop(key)
    body.update({"origClientOrderId": order.client_order_id, "clientOrderId": cancel_client_id,
                 "transactTime": order.update_time})
    return body
