"""The A-Book route table from the back office: replaced whole (rule order is meaning: the first rule that matches
decides), checked before anything is written - every venue exists, every instrument of the hub has a rule that can
route it, every pattern and size band makes sense - then written with its audit record and swapped into the
running router once committed. The table is the platform's: it decides where every tenant's flow goes."""
from __future__ import annotations

import re
from fnmatch import fnmatchcase, translate
from typing import Any

import structlog
from sqlmodel import Session, col, select

from backoffice.office import BackOffice, Invalid
from engine.domain.instrument import AssetClass, Instrument
from engine.domain.policy import PLATFORM, Action
from engine.domain.tenancy import User
from engine.domain.terms import RouteRule
from engine.storage.tables import RouteRuleRecord
from engine.storage.unit_of_work import UnitOfWork

log = structlog.get_logger("backoffice.routes")


def rule_json(rule: RouteRule) -> dict[str, Any]:
    return {"venues": list(rule.venues), "tenant_id": rule.tenant_id, "group_id": rule.group_id,
            "asset_class": rule.asset_class.value if rule.asset_class else None,
            "symbol_pattern": rule.symbol_pattern,
            "min_quantity": None if rule.min_quantity is None else str(rule.min_quantity),
            "max_quantity": None if rule.max_quantity is None else str(rule.max_quantity),
            "best_price": rule.best_price, "reroute_on_reject": rule.reroute_on_reject}


def covers(rule: RouteRule, instrument: Instrument) -> bool:
    """Whether ``rule`` can route some order in ``instrument`` (for some tenant, group or size)."""
    return ((rule.asset_class is None or rule.asset_class is instrument.asset_class)
            and fnmatchcase(instrument.symbol, rule.symbol_pattern))


def stored_rules(unit: UnitOfWork) -> list[RouteRule]:
    with Session(unit.engine) as session:
        rows = session.exec(select(RouteRuleRecord).order_by(col(RouteRuleRecord.rank))).all()
    return [RouteRule(tuple(r.venues.split(",")), r.tenant_id, r.group_id,
                      AssetClass(r.asset_class) if r.asset_class else None, r.symbol_pattern, r.min_quantity,
                      r.max_quantity, r.best_price, r.reroute_on_reject) for r in rows]


class RouteTable:
    def __init__(self, office: BackOffice) -> None:
        self.office = office

    def rules(self, actor: User) -> list[RouteRule]:
        """The table as stored, which is the table the router runs (it is only ever replaced from here or
        reloaded from the database)."""
        self.office.require(actor, Action.ROUTES_MANAGE, PLATFORM)
        return stored_rules(self.office.unit)

    def replace(self, actor: User, rules: list[RouteRule]) -> list[RouteRule]:
        before = [rule_json(rule) for rule in self.rules(actor)]
        with self.office.change(actor, Action.ROUTES_MANAGE, PLATFORM, "routes", "table", "routes.replace") as change:
            self.check(rules)
            change.before = before
            change.after = [rule_json(rule) for rule in rules]
            self.office.store.save_route_rules(rules)
            change.on_commit(lambda: self._apply(actor, rules))
        return rules

    def _apply(self, actor: User, rules: list[RouteRule]) -> None:
        self.office.live.router.replace_rules(rules)
        log.info("routes.applied", actor=actor.user_id, rules=[rule_json(rule) for rule in rules])

    def check(self, rules: list[RouteRule]) -> None:
        """Refuse a table the router could not run as meant, naming the first thing wrong."""
        venues = self.office.live.router.venues
        directory = self.office.directory
        for index, rule in enumerate(rules, start=1):
            where = f"rule {index}"
            if not rule.venues:
                raise Invalid("no_venue", f"{where} names no venue")
            unknown = [venue for venue in rule.venues if venue not in venues]
            if unknown:
                raise Invalid("unknown_venue", f"{where}: no venue {', '.join(unknown)} (there are "
                                               f"{', '.join(sorted(venues))})")
            if len(set(rule.venues)) != len(rule.venues):
                raise Invalid("duplicate_venue", f"{where} names a venue twice")
            if rule.tenant_id is not None and rule.tenant_id not in directory.tenants:
                raise Invalid("unknown_tenant", f"{where}: there is no tenant {rule.tenant_id}")
            group = directory.groups.get(rule.group_id or "")
            if rule.group_id is not None and (group is None or rule.tenant_id not in (None, group.tenant_id)):
                raise Invalid("unknown_group", f"{where}: there is no group {rule.group_id}"
                                               + (f" in tenant {rule.tenant_id}" if rule.tenant_id else ""))
            if not rule.symbol_pattern:
                raise Invalid("bad_pattern", f"{where}: the symbol pattern is empty (\"*\" matches every symbol)")
            try:
                re.compile(translate(rule.symbol_pattern))
            except re.error as error:
                raise Invalid("bad_pattern", f"{where}: symbol pattern {rule.symbol_pattern!r}: {error}") from None
            for name, bound in (("min_quantity", rule.min_quantity), ("max_quantity", rule.max_quantity)):
                if bound is not None and (not bound.is_finite() or bound < 0):
                    raise Invalid("bad_quantity", f"{where}: {name} must be at least zero, got {bound}")
            if rule.min_quantity is not None and rule.max_quantity is not None \
                    and rule.min_quantity > rule.max_quantity:
                raise Invalid("bad_quantity", f"{where}: min_quantity {rule.min_quantity} is above max_quantity "
                                              f"{rule.max_quantity}")
        unrouted = sorted(symbol for symbol, instrument in self.office.live.instruments.items()
                          if not any(covers(rule, instrument) for rule in rules))
        if unrouted:
            shown = ", ".join(unrouted[:20]) + (f" and {len(unrouted) - 20} more" if len(unrouted) > 20 else "")
            raise Invalid("unrouted_instruments", f"no rule routes {shown}")

