"""Listing instruments from the back office: a new crypto token or pair (or a forex pair, a metal, an index, a
stock) with its filters and precision, the venue that carries it and its symbol there, deposits, withdrawals and
confirmations; its filters changed; delisted to close-only (positions may be closed, none opened).

A broker lists for its own tenant; the platform's catalogue, which every tenant trades, is the platform staff's. A
listing is checked (the venue exists and carries the symbol, a route reaches it, the filters make sense), written
with its audit record, and once committed goes live: into the OMS's instrument table, the price feed, the venue's
subscriptions, and onto the bus (topic ``instruments``, ``{"type": "instrument", "change": "listed" | "changed" |
"delisted", ...the instrument}``) so terminals add it to their watch lists at once."""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import structlog
from sqlmodel import Session, select

from backoffice.office import BackOffice, Conflict, Invalid, NotFound
from backoffice.routes import covers, stored_rules
from backoffice.terms import tenants_for
from engine.domain.instrument import AssetClass, Instrument
from engine.domain.policy import PLATFORM, Action, Scope, Target
from engine.domain.tenancy import Tenant, User
from engine.storage.instrument_tables import ListedInstrumentRecord
from engine.storage.types import as_utc
from engine.storage.unit_of_work import UnitOfWork

log = structlog.get_logger("backoffice.instruments")

TOPIC = "instruments"
FILTERS = ("tick_size", "lot_step", "min_quantity", "max_quantity", "min_notional", "price_precision",
           "quantity_precision", "margin_rate", "pip_size")
FUNDING = ("deposit_enabled", "withdraw_enabled", "confirmations")


@dataclass(frozen=True, slots=True)
class Listing:
    """An instrument as the back office listed it: the instrument, and what only the listing knows."""

    instrument: Instrument
    venue: str
    venue_symbol: str
    deposit_enabled: bool = False
    withdraw_enabled: bool = False
    confirmations: int | None = None
    listed_at: dt.datetime | None = None


def visible(instruments: Iterable[Instrument], tenant: Tenant | None) -> list[Instrument]:
    """What a tenant's traders may see and trade: the platform's catalogue and the tenant's own listings, narrowed
    to the tenant's ``allowed_instruments`` patterns when it has any. No tenant (platform staff): everything."""
    if tenant is None:
        return list(instruments)
    return [i for i in instruments if i.offered_to(tenant.tenant_id, tenant.defaults.allowed_instruments)]


def listed(unit: UnitOfWork) -> dict[str, Listing]:
    """Every instrument the back office listed, as stored (the hub adds them to its configured ones at start)."""
    with Session(unit.engine) as session:
        return {row.symbol: _listing(row) for row in session.exec(select(ListedInstrumentRecord)).all()}


def instrument_json(instrument: Instrument, listing: Listing | None = None) -> dict[str, Any]:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    out: dict[str, Any] = {
        "symbol": instrument.symbol, "asset_class": instrument.asset_class.value,
        "base_currency": instrument.base_currency, "quote_currency": instrument.quote_currency,
        "tick_size": str(instrument.tick_size), "lot_step": str(instrument.lot_step),
        "min_quantity": str(instrument.min_quantity), "max_quantity": str(instrument.max_quantity),
        "min_notional": text(instrument.min_notional), "margin_rate": str(instrument.margin_rate),
        "contract_size": str(instrument.contract_size), "pip_size": str(instrument.pip),
        "price_precision": instrument.price_precision, "quantity_precision": instrument.quantity_precision,
        "tenant_id": instrument.tenant_id, "close_only": instrument.close_only,
        "listed_here": listing is not None, "venue": None, "venue_symbol": None, "deposit_enabled": None,
        "withdraw_enabled": None, "confirmations": None, "listed_at": None}
    if listing is not None:
        out.update(venue=listing.venue, venue_symbol=listing.venue_symbol, deposit_enabled=listing.deposit_enabled,
                   withdraw_enabled=listing.withdraw_enabled, confirmations=listing.confirmations,
                   listed_at=listing.listed_at.isoformat() if listing.listed_at else None)
    return out


class Catalogue:
    def __init__(self, office: BackOffice) -> None:
        self.office = office
        self._subscribing: set[asyncio.Task[None]] = set()

    def instruments(self, actor: User) -> list[dict[str, Any]]:
        """Every instrument the caller manages or trades through its tenants: all of them for the platform's
        staff, the platform's catalogue and its own listings for a broker."""
        tenants = tenants_for(self.office, actor, Action.INSTRUMENTS_MANAGE)
        everything = self.office.policy.scope(actor, Action.INSTRUMENTS_MANAGE) is Scope.PLATFORM
        listings = listed(self.office.unit)
        return [instrument_json(i, listings.get(i.symbol))
                for i in sorted(self.office.live.instruments.values(), key=lambda i: i.symbol)
                if everything or i.tenant_id is None or i.tenant_id in tenants]

    def list(self, actor: User, listing: Listing) -> dict[str, Any]:
        instrument = listing.instrument
        with self.office.change(actor, Action.INSTRUMENTS_MANAGE, _target(instrument), "instruments",
                                instrument.symbol, "instruments.list") as change:
            self._check_new(listing)
            listing = dataclasses.replace(listing, listed_at=self.office.clock())
            change.after = instrument_json(instrument, listing)
            with self.office.unit.session() as session:
                session.add(_row(listing))
            change.on_commit(lambda: self._apply(actor, listing, "listed"))
        return instrument_json(instrument, listing)

    def change_filters(self, actor: User, symbol: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """``changes``: some of FILTERS and FUNDING, already of their types."""
        old = self._listing(symbol)
        fields = {k: v for k, v in changes.items() if k in FILTERS}
        new = dataclasses.replace(old, instrument=dataclasses.replace(old.instrument, **fields),
                                  **{k: v for k, v in changes.items() if k in FUNDING})
        return self._update(actor, old, new, "instruments.change")

    def delist(self, actor: User, symbol: str) -> dict[str, Any]:
        old = self._listing(symbol)
        if old.instrument.close_only:
            raise Conflict("already_delisted", f"{symbol} is already close-only")
        new = dataclasses.replace(old, instrument=dataclasses.replace(old.instrument, close_only=True),
                                  deposit_enabled=False)
        return self._update(actor, old, new, "instruments.delist")

    def _update(self, actor: User, old: Listing, new: Listing, verb: str) -> dict[str, Any]:
        with self.office.change(actor, Action.INSTRUMENTS_MANAGE, _target(old.instrument), "instruments",
                                old.instrument.symbol, verb) as change:
            check_filters(new.instrument)
            check_funding(new)
            change.before = instrument_json(old.instrument, old)
            change.after = instrument_json(new.instrument, new)
            with self.office.unit.session() as session:
                session.merge(_row(new))
            change.on_commit(lambda: self._apply(actor, new, "delisted" if verb == "instruments.delist"
                                                 else "changed"))
        return instrument_json(new.instrument, new)

    def _listing(self, symbol: str) -> Listing:
        if symbol not in self.office.live.instruments:
            raise NotFound("unknown_symbol", f"{symbol} is not an instrument of this hub")
        listing = listed(self.office.unit).get(symbol)
        if listing is None:
            raise Conflict("configured_instrument", f"{symbol} comes from the hub's configuration; change it there")
        return listing

    def _check_new(self, listing: Listing) -> None:
        instrument = listing.instrument
        if instrument.symbol in self.office.live.instruments:
            raise Conflict("already_listed", f"{instrument.symbol} is already listed")
        if instrument.tenant_id is not None and instrument.tenant_id not in self.office.directory.tenants:
            raise NotFound("unknown_tenant", f"there is no tenant {instrument.tenant_id}")
        check_filters(instrument)
        check_funding(listing)
        venue = self.office.live.router.venues.get(listing.venue)
        if venue is None:
            raise Invalid("unknown_venue", f"there is no venue {listing.venue} (there are "
                                           f"{', '.join(sorted(self.office.live.router.venues))})")
        if instrument.symbol not in venue.instruments():
            raise Invalid("not_at_venue", f"{listing.venue} does not list {instrument.symbol} "
                                          f"({listing.venue_symbol} there)")
        if not any(covers(rule, instrument) and listing.venue in rule.venues
                   for rule in stored_rules(self.office.unit)):
            raise Invalid("no_route", f"no rule of the route table sends {instrument.symbol} to {listing.venue}: "
                                      "the platform adds one first")

    def _apply(self, actor: User, listing: Listing, what: str) -> None:
        instrument = listing.instrument
        live = self.office.live
        live.instruments[instrument.symbol] = instrument
        live.feed.list_instrument(instrument)
        if what == "listed":
            venue = live.router.venues[listing.venue]
            task = asyncio.get_running_loop().create_task(self._subscribe(listing.venue, venue.subscribe,
                                                                          instrument.symbol))
            self._subscribing.add(task)
            task.add_done_callback(self._subscribing.discard)
        # the frame a terminal's price stream forwards as it is (web/terminal/static/streams.js)
        live.bus.publish(TOPIC, {"type": "instrument", "change": what, **instrument_json(instrument)})
        log.info(f"instrument.{what}", actor=actor.user_id, symbol=instrument.symbol, tenant=instrument.tenant_id,
                 venue=listing.venue, close_only=instrument.close_only)

    @staticmethod
    async def _subscribe(venue: str, subscribe: Any, symbol: str) -> None:
        try:
            await subscribe([symbol])
        except Exception as error:   # the venue may be down: its next (re)connect subscribes all it lists
            log.error("instrument.subscribe_failed", venue=venue, symbol=symbol, reason=str(error))


def check_filters(instrument: Instrument) -> None:
    """Filters an order could be checked against: positive steps, a size range that holds a step, a margin rate
    that is a fraction."""
    for name in ("tick_size", "lot_step", "contract_size", "min_quantity"):
        value: Decimal = getattr(instrument, name)
        if not value.is_finite() or value <= 0:
            raise Invalid("bad_filter", f"{name} must be above zero, got {value}")
    if instrument.min_quantity > instrument.max_quantity:
        raise Invalid("bad_filter", f"min_quantity {instrument.min_quantity} is above max_quantity "
                                    f"{instrument.max_quantity}")
    if instrument.min_quantity % instrument.lot_step:
        raise Invalid("bad_filter", f"min_quantity {instrument.min_quantity} is not a multiple of the lot step "
                                    f"{instrument.lot_step}")
    if not 0 < instrument.margin_rate <= 1:
        raise Invalid("bad_filter", f"margin_rate is a fraction above 0 and at most 1, got {instrument.margin_rate}")
    for name in ("min_notional", "pip_size"):
        optional: Decimal | None = getattr(instrument, name)
        if optional is not None and optional <= 0:
            raise Invalid("bad_filter", f"{name} must be above zero, got {optional}")
    for name in ("price_precision", "quantity_precision"):
        places: int | None = getattr(instrument, name)
        if places is not None and not 0 <= places <= 12:
            raise Invalid("bad_filter", f"{name} is a number of decimals, 0 to 12, got {places}")
    if instrument.price_precision is not None and _decimals(instrument.tick_size) > instrument.price_precision:
        raise Invalid("bad_filter", f"a tick of {instrument.tick_size} needs more than {instrument.price_precision} "
                                    "decimals")


def check_funding(listing: Listing) -> None:
    if listing.confirmations is not None and not 0 <= listing.confirmations <= 10_000:
        raise Invalid("bad_confirmations", f"confirmations must be 0 to 10000, got {listing.confirmations}")
    if listing.instrument.asset_class is not AssetClass.CRYPTO and (
            listing.deposit_enabled or listing.withdraw_enabled or listing.confirmations is not None):
        raise Invalid("not_crypto", "deposits, withdrawals and confirmations are for crypto only")


def _decimals(value: Decimal) -> int:
    return max(0, -int(value.normalize().as_tuple().exponent))


def _target(instrument: Instrument) -> Target:
    return PLATFORM if instrument.tenant_id is None else Target(instrument.tenant_id)


def _row(listing: Listing) -> ListedInstrumentRecord:
    i = listing.instrument
    assert listing.listed_at is not None
    return ListedInstrumentRecord(
        symbol=i.symbol, asset_class=i.asset_class.value, base_currency=i.base_currency,
        quote_currency=i.quote_currency, tick_size=i.tick_size, lot_step=i.lot_step, min_quantity=i.min_quantity,
        max_quantity=i.max_quantity, min_notional=i.min_notional, margin_rate=i.margin_rate,
        contract_size=i.contract_size, pip_size=i.pip_size, price_precision=i.price_precision,
        quantity_precision=i.quantity_precision, venue=listing.venue, venue_symbol=listing.venue_symbol,
        deposit_enabled=listing.deposit_enabled, withdraw_enabled=listing.withdraw_enabled,
        confirmations=listing.confirmations, tenant_id=i.tenant_id, close_only=i.close_only,
        listed_at=listing.listed_at)


def _listing(row: ListedInstrumentRecord) -> Listing:
    instrument = Instrument(
        row.symbol, AssetClass(row.asset_class), row.base_currency, row.quote_currency, row.tick_size,
        row.lot_step, row.min_quantity, row.max_quantity, row.margin_rate, row.contract_size,
        pip_size=row.pip_size, min_notional=row.min_notional, price_precision=row.price_precision,
        quantity_precision=row.quantity_precision, tenant_id=row.tenant_id, close_only=row.close_only)
    return Listing(instrument, row.venue, row.venue_symbol, row.deposit_enabled, row.withdraw_enabled,
                   row.confirmations, as_utc(row.listed_at))
