"""The A-Book route table: rules (tenant, group, asset class, symbol pattern, size band) to an ordered list of
venues. The first rule that matches decides; venues that are down are skipped; a rule may ask for the best price
across its venues instead of their order. Rules can be swapped while the hub runs; every decision is logged."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fnmatch import fnmatchcase

import structlog

from engine.domain.instrument import AssetClass, Instrument
from engine.domain.order import Order, Side
from routing.venue import Quote, Venue

log = structlog.get_logger("routing.router")


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


class NoRoute(Exception):
    """No rule matches, or every venue of the matching rule is down."""


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
            log.info("route.decided", order_id=order.order_id, rule=index, venues=up, skipped_down=skipped,
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
