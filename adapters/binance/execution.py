"""BinanceVenue: the venue contract (routing/venue.py) over Binance spot's REST API, market data streams and
WebSocket API user data stream; with ``order_transport="fix"`` orders and their reports go over the FIX order entry
session instead (fix_orders.py)."""
from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

import structlog

from adapters.binance.config import BinanceConfig
from adapters.binance.errors import (
    REJECT_REASONS,
    BinanceError,
    StatusUnknown,
    brief,
    describe,
)
from adapters.binance.fix_orders import FixOrderFlow
from adapters.binance.instruments import MARKET_TYPES, Instruments, SymbolRules
from adapters.binance.margin import MarginLevel, borrow_repay, margin_level
from adapters.binance.market_data import DepthBook, MarketData
from adapters.binance.order_params import Refusal, choose_type, order_params
from adapters.binance.orders import (
    MARGIN,
    ORD_TYPES,
    ORDER_STATUS,
    SPOT,
    TIME_IN_FORCE,
    ZERO,
    Reporter,
    TrackedOrder,
    client_id,
)
from adapters.binance.rest import RestClient
from adapters.binance.user_stream import UserStream
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from routing.venue import Health, Quote, ReportKind, VenueDown, VenueOrder, VenueReport

log = structlog.get_logger("adapters.binance")

class BinanceVenue:
    def __init__(self, config: BinanceConfig) -> None:
        self.config = config
        self.name = config.name
        self._rest = RestClient(config)
        self._instruments = Instruments([])
        self._market = MarketData(config, self._rest, lambda: self._instruments, self._publish_quote)
        self._user = UserStream(config, self._rest, self._on_execution_report, self._on_subscribed)
        self._report_callbacks: list[Callable[[VenueReport], None]] = []
        self._quote_callbacks: list[Callable[[Quote], None]] = []
        self._reports = Reporter(self.name, self._publish_report)
        self._orders: dict[str, TrackedOrder] = {}
        self._by_client: dict[str, tuple[TrackedOrder, int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._open = False
        self._fix = FixOrderFlow(self) if config.order_transport == "fix" else None
        self._margin = config.account_type == "margin"
        self._endpoints = MARGIN if self._margin else SPOT

    # ---- the contract: life and market data
    def on_report(self, callback: Callable[[VenueReport], None]) -> None:
        self._report_callbacks.append(callback)

    def on_quote(self, callback: Callable[[Quote], None]) -> None:
        self._quote_callbacks.append(callback)

    async def connect(self) -> None:
        """Clock sync, exchangeInfo, then the user data stream; returns once orders can be placed and followed."""
        try:
            await self._rest.sync_time()
            info = await self._rest.public("GET", "/api/v3/exchangeInfo", weight=20)
        except (StatusUnknown, BinanceError) as error:
            raise VenueDown(f"{self.name}: {error}") from error
        self._instruments = Instruments.from_exchange_info(info)
        self._rest.weight_limit = next((int(limit["limit"]) for limit in info.get("rateLimits", [])
                                        if limit.get("rateLimitType") == "REQUEST_WEIGHT"
                                        and limit.get("interval") == "MINUTE" and limit.get("intervalNum") == 1),
                                       None)
        if self._fix is not None:
            await self._fix.session.start()
        else:
            await self._user.start()
        self._open = True
        log.info("binance_connected", venue=self.name, symbols=len(self._instruments.tradable()),
                 weight_limit=self._rest.weight_limit)

    async def close(self) -> None:
        self._open = False
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._fix is not None:
            await self._fix.session.stop()
        await self._user.close()
        await self._market.close()
        await self._rest.close()
        log.info("binance_closed", venue=self.name)

    def instruments(self) -> list[str]:
        return self._instruments.tradable()

    async def subscribe(self, symbols: list[str]) -> None:
        known = [rules.venue_symbol for rules in map(self._instruments.rules, symbols) if rules is not None]
        unknown = sorted(set(symbols) - {self._instruments.to_engine(s) for s in known})
        if unknown:
            log.warning("binance_unknown_symbols", venue=self.name, symbols=unknown)
        await self._market.subscribe(known)

    def quote(self, symbol: str) -> Quote | None:
        return self._market.quote(symbol)

    def depth(self, symbol: str) -> DepthBook | None:
        """The local order book of a subscribed symbol (beyond the contract: for the dealer console)."""
        rules = self._instruments.rules(symbol)
        return self._market.books.get(rules.venue_symbol) if rules is not None else None

    def health(self) -> Health:
        moments = [m for m in (self._user.last_message_at, self._market.last_message_at) if m is not None]
        orders_flow = self._fix.session.logged_on if self._fix is not None else self._user.connected
        return Health(connected=self._open and orders_flow and not self._rest.banned,
                      latency_ms=self._rest.latency_ms, last_message_at=max(moments, default=None))

    # ---- the contract: orders
    async def place(self, order: VenueOrder, *, post_only: bool = False) -> None:
        """``post_only`` sends a LIMIT as Binance's LIMIT_MAKER (our VenueOrder has no field for it)."""
        self._require_up()
        live = self._orders.get(order.order_id)
        if live is not None and not live.done:
            raise ValueError(f"order {order.order_id} is already live at {self.name}")
        rules = self._instruments.rules(order.symbol)
        try:
            if rules is None:
                raise Refusal(describe(-1121, "Invalid symbol."))
            reference = await self._reference_price(rules) if order.ord_type is not OrdType.LIMIT else None
            venue_type = choose_type(order, rules, post_only, reference)
            params = order_params(rules, order.side, venue_type, order.time_in_force, order.quantity, order.price,
                                  order.stop_price, order.order_id, reference)
        except Refusal as refusal:
            log.info("binance_order_refused", venue=self.name, order_id=order.order_id, reason=str(refusal))
            self._reports.emit(ReportKind.REJECTED, order.order_id, status=OrdStatus.REJECTED, reason=str(refusal))
            return
        assert rules is not None
        t = TrackedOrder(order, rules.venue_symbol, venue_type, order.quantity, order.price)
        self._orders[order.order_id] = t
        self._by_client[t.client_id] = (t, 0)
        try:
            if self._fix is not None:
                await self._fix.place(t, params)
                return
            if self._margin:
                params += [*self._endpoints.params,
                           ("sideEffectType", self.config.side_effect[0 if order.side is Side.BUY else 1])]
            answer = await self._rest.signed("POST", self._endpoints.order, params,
                                             weight=self._endpoints.place_weight)
        except StatusUnknown as unknown:
            why = str(unknown)
            log.warning("binance_order_status_unknown", venue=self.name, order_id=order.order_id, why=why)
            self._spawn(self._reconcile(t, settled=lambda chain: bool(chain), give_up=lambda: self._reports.finished(
                t, ReportKind.REJECTED, OrdStatus.REJECTED, f"{why}; Binance has no such order afterwards",
                retryable=True)))
        except BinanceError as error:
            self._reports.finished(t, ReportKind.REJECTED, OrdStatus.REJECTED, error.reason, error.retryable)
        except VenueDown:
            del self._orders[order.order_id], self._by_client[t.client_id]
            raise
        else:
            self._on_order_answer(t, answer, 0)

    async def cancel(self, order_id: str) -> None:
        self._require_up()
        t = self._orders.get(order_id) or await self._adopt(order_id, self._search_symbols())
        if t is None:
            self._reports.emit(ReportKind.CANCEL_REJECTED, order_id, reason=describe(-2013, "Order does not exist."))
            return
        if t.done:
            self._reports.refused(t, describe(-2011, f"Unknown order sent. (the order is {t.status.name})"))
            return
        if self._fix is not None:
            await self._fix.cancel(t)
            return
        try:
            await self._rest.signed("DELETE", self._endpoints.order, [
                ("symbol", t.venue_symbol), ("origClientOrderId", t.client_id), *self._endpoints.params],
                weight=self._endpoints.cancel_weight)
        except StatusUnknown as unknown:
            why = str(unknown)
            log.warning("binance_cancel_status_unknown", venue=self.name, order_id=order_id, why=why)
            self._spawn(self._reconcile(t, settled=lambda chain: t.done, give_up=lambda: self._reports.refused(
                t, f"{why}; the order is still open at Binance")))
        except BinanceError as error:
            self._reports.refused(t, error.reason)
            self._spawn(self._sync(t))          # it may have filled or expired meanwhile: learn how it ended
        else:
            self._reports.finished(t, ReportKind.CANCELED, OrdStatus.CANCELED)

    async def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> None:
        """Binance's cancelReplace (STOP_ON_FAILURE): the new order carries what is left to fill."""
        self._require_up()
        t = self._orders.get(order_id) or await self._adopt(order_id, self._search_symbols())
        if t is None:
            self._reports.emit(ReportKind.CANCEL_REJECTED, order_id, reason=describe(-2013, "Order does not exist."))
            return
        rules = self._instruments.by_venue(t.venue_symbol)
        generation = t.generation + 1
        new_id = client_id(order_id, generation)
        new_price = price if price is not None else t.price
        try:
            if t.done:
                raise Refusal(describe(-2011, f"Unknown order sent. (the order is {t.status.name})"))
            if t.pending is not None:
                raise Refusal(f"a replace of {order_id} is already in flight")
            if self._margin:
                raise Refusal(describe(-1020, "This operation is not supported. (Binance margin has no "
                                              "cancelReplace: cancel the order and place a new one)"))
            if rules is None or not rules.cancel_replace:
                raise Refusal(describe(-2010, "Order cancel-replace is not supported for this symbol."))
            if quantity <= t.filled:
                raise Refusal(f"new quantity {quantity} is not above the {t.filled} already filled")
            if len(new_id) > 36:
                raise Refusal(f"order ID {order_id} is too long to carry a replace number within 36 characters")
            reference = await self._reference_price(rules) if t.venue_type in MARKET_TYPES else None
            params = order_params(rules, t.order.side, t.venue_type, t.order.time_in_force, quantity - t.filled,
                                  new_price, t.order.stop_price, new_id, reference)
        except Refusal as refusal:
            self._reports.refused(t, str(refusal))
            return
        t.pending = (generation, quantity, new_price)
        self._by_client[new_id] = (t, generation)
        if self._fix is not None:
            try:
                await self._fix.replace(t, params)
            except VenueDown:
                t.pending = None
                raise
            return
        params[:0] = [("cancelReplaceMode", "STOP_ON_FAILURE"), ("cancelOrigClientOrderId", t.client_id)]
        try:
            answer = await self._rest.signed("POST", "/api/v3/order/cancelReplace", params, weight=1)
        except StatusUnknown as unknown:
            why = str(unknown)
            log.warning("binance_replace_status_unknown", venue=self.name, order_id=order_id, why=why)
            self._spawn(self._reconcile(t, settled=lambda chain: len(chain) > generation or t.done,
                                        give_up=lambda: self._replace_lost(t, why)))
        except BinanceError as error:
            self._replace_failed(t, error)
        except VenueDown:
            t.pending = None
            raise
        else:
            self._on_order_answer(t, answer["newOrderResponse"], generation)

    async def order_status(self, order: VenueOrder) -> VenueReport | None:
        """Binance's record of the order, found by its client order ID chain on the order's symbol. An order this
        adapter did not place (before a restart) is adopted from that record: followed from now on, and the fills
        it had are not reported again."""
        order_id = order.order_id
        t = self._orders.get(order_id)
        rules = self._instruments.rules(order.symbol) if t is None else None
        venue_symbol = t.venue_symbol if t is not None else rules.venue_symbol if rules is not None else None
        if venue_symbol is None:
            return None
        chain = await self._query_chain(venue_symbol, order_id)
        if not chain:
            return None
        executed = sum((Decimal(a["executedQty"]) for a in chain), ZERO)
        spent = sum((Decimal(a["cummulativeQuoteQty"]) for a in chain), ZERO)
        last = chain[-1]
        status = ORDER_STATUS.get(last["status"], OrdStatus.NEW)
        if t is None:
            t, spent = await self._adopt_chain(order_id, venue_symbol, chain)
            executed, status = t.filled, t.status   # what it counts as reported, trades seen since the query too
        return VenueReport(self.name, ReportKind.STATUS, order_id, venue_order_id=str(last["orderId"]),
                           last_quantity=executed, last_price=spent / executed if executed else ZERO, status=status)

    # ---- beyond the contract: the cross margin account
    async def borrow(self, asset: str, amount: Decimal) -> str:
        """Borrow on the cross margin account; the transaction ID, or BinanceError with Binance's code."""
        return await borrow_repay(self._rest, self.name, "BORROW", asset, amount)

    async def repay(self, asset: str, amount: Decimal) -> str:
        return await borrow_repay(self._rest, self.name, "REPAY", asset, amount)

    async def margin_level(self) -> MarginLevel:
        return await margin_level(self._rest)

    async def _reference_price(self, rules: SymbolRules) -> Decimal | None:
        """The mid of the last quote, else of the top of a small depth snapshot."""
        quote = self._market.quote(rules.symbol)
        if quote is not None and quote.bid and quote.ask:
            return (quote.bid + quote.ask) / 2
        try:
            top = await self._rest.public("GET", "/api/v3/depth", [("symbol", rules.venue_symbol), ("limit", "5")],
                                          weight=5)
        except (VenueDown, StatusUnknown, BinanceError):
            return None
        if not top["bids"] or not top["asks"]:
            return None
        return (Decimal(top["bids"][0][0]) + Decimal(top["asks"][0][0])) / 2

    # ---- answers, events and reconciliation
    def _on_order_answer(self, t: TrackedOrder, answer: dict[str, Any], generation: int) -> None:
        t.venue_order_id = str(answer["orderId"])
        if generation:
            self._reports.replaced(t, generation)
        else:
            self._reports.accepted(t)
        for fill in answer.get("fills", []):
            self._reports.fill(t, int(fill["tradeId"]), Decimal(fill["qty"]), Decimal(fill["price"]))
        self._on_final_status(t, answer.get("status", "NEW"), answer.get("expiryReason"))

    def _on_final_status(self, t: TrackedOrder, status: str, reason: str | None = None) -> None:
        if status in ("EXPIRED", "EXPIRED_IN_MATCH"):
            self._reports.finished(t, ReportKind.EXPIRED, OrdStatus.EXPIRED, reason)
        elif status == "CANCELED" and t.pending is None:
            self._reports.finished(t, ReportKind.CANCELED, OrdStatus.CANCELED)
        elif status == "REJECTED":
            self._reports.finished(t, ReportKind.REJECTED, OrdStatus.REJECTED, reason)

    def _on_execution_report(self, event: dict[str, Any]) -> None:
        execution = event["x"]
        key = event.get("C") if execution == "CANCELED" and event.get("C") else event["c"]
        entry = self._by_client.get(key)
        if entry is None:
            return                  # an order this adapter did not place
        t, generation = entry
        if generation >= t.generation:
            t.venue_order_id = str(event["i"])
        if execution == "NEW":
            if generation:
                self._reports.replaced(t, generation)
            else:
                self._reports.accepted(t)
        elif execution == "TRADE":
            self._reports.fill(t, int(event["t"]), Decimal(event["l"]), Decimal(event["L"]))
        elif execution == "REPLACED":
            self._reports.emit(ReportKind.REPLACED, t.order.order_id, venue_order_id=t.venue_order_id,
                               status=t.status)
        elif generation == t.generation and execution in ("CANCELED", "EXPIRED", "TRADE_PREVENTION"):
            self._on_final_status(t, "CANCELED" if execution == "CANCELED" else "EXPIRED", event.get("eR"))
        elif generation == 0 and execution == "REJECTED" and not t.accepted:
            self._reports.finished(t, ReportKind.REJECTED, OrdStatus.REJECTED,
                                   describe(-2010, REJECT_REASONS.get(event.get("r", ""), event.get("r", ""))))

    def _replace_failed(self, t: TrackedOrder, error: BinanceError) -> None:
        t.pending = None
        data = error.data if isinstance(error.data, dict) else {}
        canceled = data.get("cancelResult") == "SUCCESS"
        part = data.get("newOrderResponse") if canceled else data.get("cancelResponse")
        reason = describe(int(part["code"]), str(part["msg"])) if isinstance(part, dict) and "code" in part \
            else error.reason
        if canceled:
            self._reports.refused(t, f"{reason}; the original order was canceled")
            self._reports.finished(t, ReportKind.CANCELED, OrdStatus.CANCELED,
                                   "canceled by a replace whose new order Binance refused")
        else:
            self._reports.refused(t, reason)

    def _replace_lost(self, t: TrackedOrder, why: str) -> None:
        t.pending = None
        self._reports.refused(t, f"{why}; Binance shows no replacement")

    async def _query_chain(self, venue_symbol: str, order_id: str) -> list[dict[str, Any]]:
        """Every generation of an order, oldest first: only a canceled one can have been replaced by the next."""
        chain: list[dict[str, Any]] = []
        for generation in itertools.count():
            try:
                answer = await self._rest.signed("GET", self._endpoints.order, [
                    ("symbol", venue_symbol), ("origClientOrderId", client_id(order_id, generation)),
                    *self._endpoints.params], weight=self._endpoints.query_weight)
            except BinanceError as error:
                if error.code == -2013:
                    break
                raise VenueDown(f"{self.name}: {error}") from error
            except StatusUnknown as unknown:
                raise VenueDown(f"{self.name}: {unknown}") from unknown
            chain.append(answer)
            if answer["status"] != "CANCELED":
                break
        return chain

    async def _apply_chain(self, t: TrackedOrder, chain: list[dict[str, Any]]) -> None:
        """Report whatever Binance's own record shows that we have not reported yet."""
        if not chain:
            return
        for generation in range(len(chain)):
            self._by_client.setdefault(client_id(t.order.order_id, generation), (t, generation))
        last = chain[-1]
        t.venue_order_id = str(last["orderId"])
        self._reports.accepted(t)
        if len(chain) - 1 > t.generation:
            before = sum((Decimal(a["executedQty"]) for a in chain[:-1]), ZERO)
            self._reports.replaced(t, len(chain) - 1, before + Decimal(last["origQty"]), Decimal(last["price"]))
        executed = sum((Decimal(a["executedQty"]) for a in chain), ZERO)
        if executed > t.filled:
            for answer in chain:
                if Decimal(answer["executedQty"]):
                    trades = await self._rest.signed("GET", self._endpoints.trades, [
                        ("symbol", t.venue_symbol), ("orderId", str(answer["orderId"])), *self._endpoints.params],
                        weight=self._endpoints.trades_weight)
                    for trade in sorted(trades, key=lambda trade: trade["id"]):
                        self._reports.fill(t, int(trade["id"]), Decimal(trade["qty"]), Decimal(trade["price"]))
        self._on_final_status(t, last["status"], last.get("expiryReason"))

    async def _sync(self, t: TrackedOrder) -> None:
        await self._apply_chain(t, await self._query_chain(t.venue_symbol, t.order.order_id))

    async def _reconcile(self, t: TrackedOrder, settled: Callable[[list[dict[str, Any]]], bool],
                         give_up: Callable[[], None]) -> None:
        """Query until Binance's record settles the question; errors do not count as answers."""
        delay, answers = self.config.reconcile_delay, 0
        while answers < self.config.unknown_order_attempts:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
            try:
                chain = await self._query_chain(t.venue_symbol, t.order.order_id)
                await self._apply_chain(t, chain)
            except (VenueDown, StatusUnknown, BinanceError) as error:
                log.warning("binance_reconcile_failed", venue=self.name, order_id=t.order.order_id, error=str(error))
                continue
            if settled(chain):
                return
            answers += 1
        give_up()

    async def _on_subscribed(self, reconnected: bool) -> None:
        if reconnected:
            self._spawn(self._reconcile_open())

    async def _reconcile_open(self) -> None:
        """After a reconnect: every order still open here is checked against Binance's record."""
        for t in [t for t in self._orders.values() if not t.done]:
            try:
                await self._sync(t)
            except (VenueDown, StatusUnknown, BinanceError) as error:
                log.warning("binance_reconcile_failed", venue=self.name, order_id=t.order.order_id, error=str(error))
        log.info("binance_reconciled", venue=self.name, open=sum(not t.done for t in self._orders.values()))

    async def _adopt(self, order_id: str, venue_symbols: list[str]) -> TrackedOrder | None:
        """An order placed before this process started, looked for on these symbols by its client order ID."""
        for venue_symbol in venue_symbols:
            chain = await self._query_chain(venue_symbol, order_id)
            if chain:
                return (await self._adopt_chain(order_id, venue_symbol, chain))[0]
        return None

    async def _adopt_chain(self, order_id: str, venue_symbol: str, chain: list[dict[str, Any]]
                           ) -> tuple[TrackedOrder, Decimal]:
        """Follow an order this adapter did not place from Binance's record of it (``chain``, oldest first): the
        trades it has now count as reported (the caller tells the OMS their total), later ones and its stream
        events are reported as for our own orders. Returns it and the quote quantity its trades came to."""
        first, last = chain[0], chain[-1]
        rules = self._instruments.by_venue(venue_symbol)
        assert rules is not None
        executed = sum((Decimal(a["executedQty"]) for a in chain), ZERO)
        total = executed - Decimal(last["executedQty"]) + Decimal(last["origQty"])
        price = Decimal(last["price"]) or None
        order = VenueOrder(order_id, rules.symbol, Side.BUY if first["side"] == "BUY" else Side.SELL,
                           ORD_TYPES.get(first["type"], OrdType.LIMIT), total,
                           TimeInForce[first.get("timeInForce", "GTC")] if first.get("timeInForce") in
                           TIME_IN_FORCE.values() else TimeInForce.GTC, price,
                           Decimal(first["stopPrice"]) if first.get("stopPrice") else None)
        t = TrackedOrder(order, venue_symbol, first["type"], total, price, generation=len(chain) - 1,
                         venue_order_id=str(last["orderId"]), filled=executed, accepted=True,
                         status=ORDER_STATUS.get(last["status"], OrdStatus.NEW))
        spent = sum((Decimal(a["cummulativeQuoteQty"]) for a in chain), ZERO)
        traded, traded_spent = ZERO, ZERO
        for answer in chain:
            if Decimal(answer["executedQty"]):
                trades = await self._rest.signed("GET", self._endpoints.trades, [
                    ("symbol", venue_symbol), ("orderId", str(answer["orderId"])), *self._endpoints.params],
                    weight=self._endpoints.trades_weight)
                t.trade_ids.update(int(trade["id"]) for trade in trades)   # the OMS has these already
                traded += sum((Decimal(trade["qty"]) for trade in trades), ZERO)
                traded_spent += sum((Decimal(trade["qty"]) * Decimal(trade["price"]) for trade in trades), ZERO)
        if traded > t.filled:  # it traded again between the two queries: those trades count as reported too
            t.filled, spent = traded, traded_spent
            if t.filled >= t.quantity:
                t.status = OrdStatus.FILLED
        t.done = t.status in (OrdStatus.FILLED, OrdStatus.CANCELED, OrdStatus.REJECTED, OrdStatus.EXPIRED)
        self._orders[order_id] = t
        for generation in range(len(chain)):
            self._by_client[client_id(order_id, generation)] = (t, generation)
        log.info("binance_order_adopted", venue=self.name, order_id=order_id, status=t.status.name)
        return t, spent

    def _search_symbols(self) -> list[str]:
        """Where to look for an order we did not place: the configured symbols and the subscribed ones."""
        engine = [self._instruments.rules(s) for s in self.config.search_symbols]
        return list(dict.fromkeys([r.venue_symbol for r in engine if r is not None] + list(self._market.books)))

    # ---- plumbing
    def _require_up(self) -> None:
        if not self._open:
            raise VenueDown(f"{self.name} is not connected")
        if self._rest.banned:
            raise VenueDown(f"{self.name}: IP banned by Binance")

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("binance_task_failed", venue=self.name, error=brief(task.exception()))

    def _publish_report(self, report: VenueReport) -> None:
        for callback in self._report_callbacks:
            callback(report)

    def _publish_quote(self, quote: Quote) -> None:
        for callback in self._quote_callbacks:
            callback(quote)
