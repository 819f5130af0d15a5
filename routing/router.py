"""The A-Book route table: rules (tenant, group, asset class, symbol pattern, size band) to an ordered list of
venues. The first rule that matches decides; venues that are down are skipped; a rule may ask for the best price
across its venues instead of their order. Rules can be swapped while the hub runs; every decision is logged."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

import structlog

from engine.domain.instrument import Instrument
from engine.domain.order import Order, Side
from engine.domain.terms import RouteRule
from engine.ports import NoRoute, Quote, Venue

log = structlog.get_logger("routing.router")


class Router:
    def __init__(self, rules: list[RouteRule], venues: Mapping[str, Venue],
                 quotes: Callable[[str, str], Quote | None] | None = None) -> None:
        self._rules = list(rules)
        self.venues = venues
        # (venue, symbol) -> the venue's latest quote that is not stale; the price feed's view when the hub has one
        self.quotes = quotes or (lambda venue, symbol: self.venues[venue].quote(symbol))

    def replace_rules(self, rules: list[RouteRule]) -> None:
        """Swap the whole table at once (a dealer's edit); orders already routed keep their venue."""
        self._rules = list(rules)
        log.info("route.table_replaced", rules=len(rules))

    def candidates(self, order: Order, group_id: str, instrument: Instrument) -> tuple[RouteRule, list[str]]:
        """The venues to try, in order, and the rule that chose them."""
        for index, rule in enumerate(self._rules):
            if not rule.matches(order, group_id, instrument):
                continue
            up = [name for name in rule.venues if name in self.venues and self.venues[name].health().connected]
            skipped = [name for name in rule.venues if name not in up]
            if rule.best_price:
                up.sort(key=lambda name: self._price_key(name, order))
            if not up:
                log.warning("route.no_venue_up", order_id=order.order_id, rule=index, skipped=skipped)
                raise NoRoute(f"every venue for {order.symbol} is down")
            log.debug("route.decided", order_id=order.order_id, rule=index, venues=up, skipped_down=skipped,
                     reason="best price" if rule.best_price else "rule order")
            return rule, up
        log.warning("route.no_rule", order_id=order.order_id, symbol=order.symbol)
        raise NoRoute(f"no route for {order.symbol}")

    def _price_key(self, name: str, order: Order) -> Decimal:
        quote = self.quotes(name, order.symbol)
        price = None if quote is None else quote.ask if order.side is Side.BUY else quote.bid
        if price is None:
            return Decimal("Infinity")
        return price if order.side is Side.BUY else -price
