"""Binance orders: place, cancel, replace and status over REST (or, with ``order_transport="fix"``, the FIX order
entry session of fix_orders.py for the first three), the answers and user data stream events they bring, and
reconciliation from Binance's own record: after a -1006/-1007 or a lost answer (never taken for a reject), after a
reconnect, and to adopt an order placed before a restart."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

import structlog

from adapters.binance.config import BinanceConfig
from adapters.binance.errors import REJECT_REASONS, BinanceError, StatusUnknown, brief, describe, reject_code
from adapters.binance.fix_orders import FixOrderFlow
from adapters.binance.instruments import MARKET_TYPES, Instruments, SymbolRules
from adapters.binance.market_data import MarketData
from adapters.binance.order_params import Refusal, choose_type, order_params
from adapters.binance.orders import (
    MARGIN,
    ORDER_STATUS,
    SPOT,
    TIME_IN_FORCE,
    ZERO,
    AtBinance,
    Tracked,
    client_id,
    current_id,
    report_replaced,
    report_trade,
)
from adapters.binance.records import Chain, adopted, query_chain, trades_of
from adapters.binance.rest import RestClient
from adapters.tracked import Reporter, TrackedOrder
from engine.domain.offers import Offers
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.ports import ReportKind, VenueDown, VenueOrder, VenueReport

# What Binance spot and margin take (adapters/README.md, "Times in force"): a LIMIT is GTC, IOC or FOK; a MARKET
# carries no timeInForce and fills what it can at once (IOC), never FOK. DAY and GTD go as GTC, the hub expiring them.
OFFERS = Offers(market=frozenset({TimeInForce.IOC}), resting=frozenset(TIME_IN_FORCE))

log = structlog.get_logger("adapters.binance")


class OrderFlow:
    """One account's orders at Binance, found by any client order ID they went by; every report goes out through
    ``reports``. ``fix`` is the FIX transport when the config asks for it."""

    def __init__(self, config: BinanceConfig, rest: RestClient, market: MarketData,
                 instruments: Callable[[], Instruments], reports: Reporter) -> None:
        self.config = config
        self.name = config.name
        self.rest = rest
        self.market = market
        self.instruments = instruments
        self.reports = reports
        self.orders: dict[str, Tracked] = {}
        self.by_client: dict[str, tuple[Tracked, int]] = {}   # every client order ID -> (order, its generation)
        self._tasks: set[asyncio.Task[None]] = set()
        self._reconciling = 0            # reconciliations after a reconnect still running: no new flow meanwhile
        self._margin = config.account_type == "margin"
        self._endpoints = MARGIN if self._margin else SPOT
        self.fix = FixOrderFlow(self) if config.order_transport == "fix" else None

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._reconciling = 0   # a reconciliation canceled before it began never counted itself out

    # ---- the contract's order calls
    async def place(self, order: VenueOrder, post_only: bool) -> None:
        live = self.orders.get(order.order_id)
        if live is not None and live.is_open:
            raise ValueError(f"order {order.order_id} is already live at {self.name}")
        rules = self.instruments().rules(order.symbol)
        try:
            if rules is None:
                raise Refusal(-1121, "Invalid symbol.")
            reference = await self._reference_price(rules) if order.ord_type is not OrdType.LIMIT else None
            venue_type = choose_type(order, rules, post_only, reference)
            params = order_params(rules, order.side, venue_type, order.time_in_force, order.quantity, order.price,
                                  order.stop_price, order.order_id, reference)
        except Refusal as refusal:
            log.info("binance_order_refused", venue=self.name, order_id=order.order_id, reason=refusal.reason)
            self.reports.rejected(order.order_id, refusal.reason, refusal.reject_code)
            return
        assert rules is not None
        t: Tracked = TrackedOrder(order, AtBinance(rules.venue_symbol, venue_type))
        self.orders[order.order_id] = t
        self.by_client[order.order_id] = (t, 0)
        try:
            if self.fix is not None:
                await self.fix.place(t, params)
                return
            if self._margin:
                params += [*self._endpoints.params,
                           ("sideEffectType", self.config.side_effect[0 if order.side is Side.BUY else 1])]
            answer = await self.rest.signed("POST", self._endpoints.order, params, weight=self._endpoints.place_weight)
        except StatusUnknown as unknown:
            log.warning("binance_order_status_unknown", venue=self.name, order_id=order.order_id, why=str(unknown))
            self.status_unknown(t, str(unknown))
        except BinanceError as error:
            self.reports.ended(t, ReportKind.REJECTED, error.reason, error.reject_code)
        except VenueDown:
            del self.orders[order.order_id], self.by_client[order.order_id]
            raise
        else:
            self._on_order_answer(t, answer, 0)

    async def cancel(self, order_id: str) -> None:
        t = self.orders.get(order_id) or await self._find(order_id)
        if t is None:
            self.reports.refused_unknown(order_id, describe(-2013, "Order does not exist."))
            return
        if not t.is_open:
            self.refuse(t, -2011, f"Unknown order sent. (the order is {t.status.name})")
            return
        if self.fix is not None:
            await self.fix.cancel(t)
            return
        try:
            await self.rest.signed("DELETE", self._endpoints.order, [
                ("symbol", t.at_venue.venue_symbol), ("origClientOrderId", current_id(t)), *self._endpoints.params],
                weight=self._endpoints.cancel_weight)
        except StatusUnknown as unknown:
            log.warning("binance_cancel_status_unknown", venue=self.name, order_id=order_id, why=str(unknown))
            self.status_unknown(t, str(unknown))
        except BinanceError as error:
            self.reports.refused(t, error.reason, error.reject_code)
            self.spawn(self.sync(t))          # it may have filled or expired meanwhile: learn how it ended
        else:
            self.finished(t, ReportKind.CANCELED)

    async def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> None:
        """Binance's cancelReplace (STOP_ON_FAILURE): the new order carries what is left to fill."""
        t = self.orders.get(order_id) or await self._find(order_id)
        if t is None:
            self.reports.refused_unknown(order_id, describe(-2013, "Order does not exist."))
            return
        venue = t.at_venue
        rules = self.instruments().by_venue(venue.venue_symbol)
        generation = venue.generation + 1
        new_id = client_id(order_id, generation)
        new_price = price if price is not None else t.order.price
        try:
            if not t.is_open:
                raise Refusal(-2011, f"Unknown order sent. (the order is {t.status.name})")
            if venue.pending is not None:
                raise Refusal(None, f"a replace of {order_id} is already in flight")
            if self._margin:
                raise Refusal(-1020, "This operation is not supported. (Binance margin has no cancelReplace: "
                                     "cancel the order and place a new one)")
            if rules is None or not rules.cancel_replace:
                raise Refusal(-2010, "Order cancel-replace is not supported for this symbol.")
            if quantity <= t.filled:
                raise Refusal(None, f"new quantity {quantity} is not above the {t.filled} already filled",
                              "invalid_quantity")
            if len(new_id) > 36:
                raise Refusal(None, f"order ID {order_id} is too long to carry a replace number within 36 "
                                    "characters", "unsupported")
            reference = await self._reference_price(rules) if venue.venue_type in MARKET_TYPES else None
            params = order_params(rules, t.order.side, venue.venue_type, t.order.time_in_force, quantity - t.filled,
                                  new_price, t.order.stop_price, new_id, reference)
        except Refusal as refusal:
            self.reports.refused(t, refusal.reason, refusal.reject_code)
            return
        venue.pending = (generation, quantity, new_price)
        self.by_client[new_id] = (t, generation)
        if self.fix is not None:
            try:
                await self.fix.replace(t, params)
            except VenueDown:
                venue.pending = None
                raise
            return
        params[:0] = [("cancelReplaceMode", "STOP_ON_FAILURE"), ("cancelOrigClientOrderId", current_id(t))]
        try:
            answer = await self.rest.signed("POST", "/api/v3/order/cancelReplace", params, weight=1)
        except StatusUnknown as unknown:
            log.warning("binance_replace_status_unknown", venue=self.name, order_id=order_id, why=str(unknown))
            self.status_unknown(t, str(unknown))
        except BinanceError as error:
            self._replace_failed(t, error)
        except VenueDown:
            venue.pending = None
            raise
        else:
            self._on_order_answer(t, answer["newOrderResponse"], generation)

    async def order_status(self, order: VenueOrder) -> VenueReport | None:
        """Binance's record of the order, found by its client order ID chain on the order's symbol. An order this
        adapter did not place (before a restart) is adopted from that record: followed from now on, and the fills
        it had are not reported again."""
        order_id = order.order_id
        t = self.orders.get(order_id)
        rules = self.instruments().rules(order.symbol) if t is None else None
        venue_symbol = t.at_venue.venue_symbol if t is not None else rules.venue_symbol if rules is not None else None
        if venue_symbol is None:
            return None
        chain = await query_chain(self.rest, self._endpoints, venue_symbol, order_id)
        if not chain:
            return None
        last = chain[-1]
        if t is None:
            t = await self._adopt(order_id, venue_symbol, chain)
            executed, average, status = t.filled, t.average_price, t.status   # trades seen since the query too
        else:
            executed = sum((Decimal(a["executedQty"]) for a in chain), ZERO)
            spent = sum((Decimal(a["cummulativeQuoteQty"]) for a in chain), ZERO)
            average, status = spent / executed if executed else ZERO, ORDER_STATUS.get(last["status"], OrdStatus.NEW)
        return self.reports.make(ReportKind.STATUS, order_id, venue_order_id=str(last["orderId"]),
                                 last_quantity=executed, last_price=average, status=status)

    # ---- answers and events, from either transport
    def finished(self, t: Tracked, kind: ReportKind, reason: str | None = None, code: str | None = None) -> None:
        """The order ended without (more) fills; Binance acknowledged it first unless it refused it."""
        if kind is not ReportKind.REJECTED and t.is_open:
            self.reports.accepted(t)
        self.reports.ended(t, kind, reason, code)

    def refuse(self, t: Tracked, code: int, msg: str) -> None:
        """A cancel or replace refused with Binance's ``code`` and message."""
        self.reports.refused(t, describe(code, msg), reject_code(code, msg))

    def on_final_status(self, t: Tracked, status: str, reason: str | None = None) -> None:
        if status in ("EXPIRED", "EXPIRED_IN_MATCH"):
            self.finished(t, ReportKind.EXPIRED, reason)
        elif status == "CANCELED" and t.at_venue.pending is None:
            self.finished(t, ReportKind.CANCELED)
        elif status == "REJECTED":
            self.finished(t, ReportKind.REJECTED, reason, "venue_rejected")

    def on_execution_report(self, event: dict[str, Any]) -> None:
        """A user data stream executionReport."""
        execution = event["x"]
        key = str(event.get("C") if execution == "CANCELED" and event.get("C") else event["c"])
        entry = self.by_client.get(key)
        if entry is None:
            return                  # an order this adapter did not place
        t, generation = entry
        if generation >= t.at_venue.generation:
            t.venue_order_id = str(event["i"])
        if execution == "NEW":
            if generation:
                report_replaced(self.reports, t, generation)
            else:
                self.reports.accepted(t)
        elif execution == "TRADE":
            report_trade(self.reports, t, int(event["t"]), Decimal(event["l"]), Decimal(event["L"]))
        elif execution == "REPLACED":
            self.reports.replaced(t, t.order)
        elif generation == t.at_venue.generation and execution in ("CANCELED", "EXPIRED", "TRADE_PREVENTION"):
            self.on_final_status(t, "CANCELED" if execution == "CANCELED" else "EXPIRED", event.get("eR"))
        elif generation == 0 and execution == "REJECTED" and not t.acknowledged:
            words = REJECT_REASONS.get(event.get("r", ""), event.get("r", ""))
            self.reports.ended(t, ReportKind.REJECTED, describe(-2010, words), reject_code(-2010, words))

    def replace_lost(self, t: Tracked, why: str) -> None:
        t.at_venue.pending = None
        self.reports.refused(t, f"{why}; Binance shows no replacement", "venue_unavailable")

    def status_unknown(self, t: Tracked, why: str) -> None:
        """The request may or may not have been executed (never a reject): Binance's record settles it."""
        venue = t.at_venue
        if not t.acknowledged and venue.generation == 0 and venue.pending is None:
            self.spawn(self._reconcile(t, settled=lambda chain: bool(chain), give_up=lambda: self.reports.ended(
                t, ReportKind.REJECTED, f"{why}; Binance has no such order afterwards", "venue_unavailable")))
        elif venue.pending is not None:
            generation = venue.pending[0]
            self.spawn(self._reconcile(t, settled=lambda chain: len(chain) > generation or not t.is_open,
                                       give_up=lambda: self.replace_lost(t, why)))
        else:
            self.spawn(self._reconcile(t, settled=lambda chain: not t.is_open, give_up=lambda: self.reports.refused(
                t, f"{why}; the order is still open at Binance", "venue_unavailable")))

    def _on_order_answer(self, t: Tracked, answer: dict[str, Any], generation: int) -> None:
        t.venue_order_id = str(answer["orderId"])
        if generation:
            report_replaced(self.reports, t, generation)
        else:
            self.reports.accepted(t)
        for fill in answer.get("fills", []):
            report_trade(self.reports, t, int(fill["tradeId"]), Decimal(fill["qty"]), Decimal(fill["price"]))
        self.on_final_status(t, answer.get("status", "NEW"), answer.get("expiryReason"))

    def _replace_failed(self, t: Tracked, error: BinanceError) -> None:
        t.at_venue.pending = None
        data = error.data if isinstance(error.data, dict) else {}
        canceled = data.get("cancelResult") == "SUCCESS"
        part = data.get("newOrderResponse") if canceled else data.get("cancelResponse")
        code, msg = (int(part["code"]), str(part["msg"])) if isinstance(part, dict) and "code" in part \
            else (error.code, error.msg)
        if canceled:
            self.reports.refused(t, f"{describe(code, msg)}; the original order was canceled", reject_code(code, msg))
            self.finished(t, ReportKind.CANCELED, "canceled by a replace whose new order Binance refused")
        else:
            self.refuse(t, code, msg)

    # ---- Binance's record
    async def _apply_chain(self, t: Tracked, chain: Chain) -> None:
        """Report whatever Binance's own record shows that we have not reported yet."""
        if not chain:
            return
        for generation in range(len(chain)):
            self.by_client.setdefault(client_id(t.order.order_id, generation), (t, generation))
        last = chain[-1]
        t.venue_order_id = str(last["orderId"])
        self.reports.accepted(t)
        if len(chain) - 1 > t.at_venue.generation:
            before = sum((Decimal(a["executedQty"]) for a in chain[:-1]), ZERO)
            report_replaced(self.reports, t, len(chain) - 1, before + Decimal(last["origQty"]), Decimal(last["price"]))
        executed = sum((Decimal(a["executedQty"]) for a in chain), ZERO)
        if executed > t.filled:
            for answer in chain:
                if Decimal(answer["executedQty"]):
                    for trade in await trades_of(self.rest, self._endpoints, t.at_venue.venue_symbol, answer):
                        report_trade(self.reports, t, int(trade["id"]), Decimal(trade["qty"]),
                                     Decimal(trade["price"]))
        self.on_final_status(t, last["status"], last.get("expiryReason"))

    async def sync(self, t: Tracked) -> None:
        await self._apply_chain(t, await self._chain_of(t))

    async def _chain_of(self, t: Tracked) -> Chain:
        return await query_chain(self.rest, self._endpoints, t.at_venue.venue_symbol, t.order.order_id)

    async def _reconcile(self, t: Tracked, settled: Callable[[Chain], bool], give_up: Callable[[], None]) -> None:
        """Query until Binance's record settles the question; errors do not count as answers."""
        delay, answers = self.config.reconcile_delay, 0
        while answers < self.config.unknown_order_attempts:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
            try:
                chain = await self._chain_of(t)
                await self._apply_chain(t, chain)
            except (VenueDown, StatusUnknown, BinanceError) as error:
                log.warning("binance_reconcile_failed", venue=self.name, order_id=t.order.order_id, error=str(error))
                continue
            if settled(chain):
                return
            answers += 1
        give_up()

    @property
    def reconciling(self) -> bool:
        return self._reconciling > 0

    def reconcile_open(self) -> None:
        """After a reconnect: every order still open here is checked against Binance's record, and ``reconciling``
        holds new flow back until it has been."""
        self._reconciling += 1
        self.spawn(self._reconcile_open())

    async def _reconcile_open(self) -> None:
        try:
            for t in [t for t in self.orders.values() if t.is_open]:
                try:
                    await self.sync(t)
                except (VenueDown, StatusUnknown, BinanceError) as error:
                    log.warning("binance_reconcile_failed", venue=self.name, order_id=t.order.order_id,
                                error=str(error))
        finally:
            self._reconciling -= 1
        log.info("binance_reconciled", venue=self.name, open=sum(t.is_open for t in self.orders.values()))

    async def _find(self, order_id: str) -> Tracked | None:
        """An order placed before this process started, looked for by its client order ID where it may be."""
        for venue_symbol in self._search_symbols():
            chain = await query_chain(self.rest, self._endpoints, venue_symbol, order_id)
            if chain:
                return await self._adopt(order_id, venue_symbol, chain)
        return None

    async def _adopt(self, order_id: str, venue_symbol: str, chain: Chain) -> Tracked:
        """Follow an order this adapter did not place, from Binance's record of it."""
        rules = self.instruments().by_venue(venue_symbol)
        assert rules is not None
        t = self.orders[order_id] = await adopted(self.rest, self._endpoints, rules, order_id, chain)
        for generation in range(len(chain)):
            self.by_client[client_id(order_id, generation)] = (t, generation)
        log.info("binance_order_adopted", venue=self.name, order_id=order_id, status=t.status.name)
        return t

    def _search_symbols(self) -> list[str]:
        """Where to look for an order we did not place: the configured symbols and the subscribed ones."""
        engine = [self.instruments().rules(s) for s in self.config.search_symbols]
        return list(dict.fromkeys([r.venue_symbol for r in engine if r is not None] + list(self.market.books)))

    async def _reference_price(self, rules: SymbolRules) -> Decimal | None:
        """The mid of the last quote, else of the top of a small depth snapshot."""
        quote = self.market.quote(rules.symbol)
        if quote is not None and quote.bid and quote.ask:
            return (quote.bid + quote.ask) / 2
        try:
            top = await self.rest.public("GET", "/api/v3/depth", [("symbol", rules.venue_symbol), ("limit", "5")],
                                         weight=5)
        except (VenueDown, StatusUnknown, BinanceError):
            return None
        if not top["bids"] or not top["asks"]:
            return None
        return (Decimal(top["bids"][0][0]) + Decimal(top["asks"][0][0])) / 2

    # ---- tasks
    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("binance_task_failed", venue=self.name, error=brief(task.exception()))
