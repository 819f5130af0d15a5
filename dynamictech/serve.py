"""``dynamictech hub --config hub.toml``: the hub as a broker runs it - its database, bus, pipeline, risk limits,
instruments and venues from one TOML file, secrets from the environment, the web app in front.

    [database]            url = "postgresql://hub@db/hub"        (default: DATABASE_URL, else SQLite under var/)
    [bus]                 url = "redis://127.0.0.1:6379/0"       (default: BUS_URL, else in-process)
    [web]                 host = "0.0.0.0", port = 8080
    [hub]                 tick_seconds, rollover = "22:00", stop_out = "50", margin_call = "100" (a tenant's own
                          levels, set in the back office, replace these), orders_per_second = 50 (per account; a
                          tenant may set a tighter limit; 0: none)
    [hub.reference_rates] "USDT/USD" = "1"
    [risk.<tenant>]       max_tenant_exposure = "5000000"; [risk.<tenant>.max_order_quantity] "EUR/USD" = "50";
                          likewise max_position_quantity, max_symbol_exposure (notional)
    [financing."<symbol>"] long_rate = "-2.5", short_rate = "0.8" (percent a year), days_per_year = 360
    [pipeline]            default = [...]; [pipeline.tenants] broker-a = [...]
    [[instruments]]       symbol, asset_class, base_currency, quote_currency, tick_size, lot_step, min_quantity,
                          max_quantity, margin_rate, contract_size?, market?, board_lot?
    [[venues]]            name, type = "primexm" | "binance" | "equity_fix", env_prefix?, and any field of that
                          adapter's config except secrets (passwords and keys come only from the environment)
    [fix]                 sessions = "gateway.cfg"   (the client FIX doors' sessions, QuickFIX-style, beside this file)
    [gateway.order_entry.<CompID>]  accounts = [...], password_hash, default_account?, username?, sources?
    [gateway.drop_copy.<CompID>]    tenant = "...", password_hash, username?, sources?
                                    (python -m gateway.logon_check makes a password_hash)

Tenants, users, groups, accounts, route rules, markups, commission and rebate plans and listed instruments live in
the database, changed through the back office (/admin, /api/admin/...), which applies each change to the running
hub.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import structlog

from adapters.registry import build as build_venue
from dynamictech.hub import DEFAULT_PIPELINE, BusUnreachable, Hub, HubSettings
from dynamictech.runtime import settle_heap, stop_signal
from engine.accounting import Financing
from engine.domain.instrument import AssetClass, Instrument, Market
from engine.margin import MarginLevels
from engine.ports import Clock, Venue, utc_now
from engine.storage.access import SqlAccess, load_fernet
from engine.storage.cli import upgrade
from engine.storage.database import database_url
from fix_sessions.settings import SettingsError, load_settings
from gateway.config import BindingError, parse_bindings
from gateway.service import Gateway
from routing.interceptors.risk_gate import RiskLimits
from web.app import create_app, serve

log = structlog.get_logger("dynamictech.serve")

RISK_KEYS = frozenset({"max_order_quantity", "max_position_quantity", "max_symbol_exposure", "max_tenant_exposure"})
SECRET_FIELDS = frozenset({"password", "quote_password", "api_secret", "api_key", "private_key", "secret"})


class ConfigError(ValueError):
    """The hub's TOML file asks for something that cannot be; the message names the place."""


def load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None


def settings(config: Mapping[str, Any]) -> HubSettings:
    hub = config.get("hub", {})
    pipeline = config.get("pipeline", {})
    levels = MarginLevels(Decimal(str(hub.get("margin_call", "100"))), Decimal(str(hub.get("stop_out", "50"))))
    rollover = dt.time.fromisoformat(hub.get("rollover", "22:00"))
    try:
        orders_per_second = int(hub.get("orders_per_second", 50))
    except (TypeError, ValueError):
        raise ConfigError("[hub] orders_per_second must be a whole number (0: no throttle)") from None
    if orders_per_second < 0:
        raise ConfigError("[hub] orders_per_second must be 0 (no throttle) or more")
    return HubSettings(
        database_url=config.get("database", {}).get("url") or database_url(),
        orders_per_second=orders_per_second, risk_limits=risk_limits(config), financing=financing(config),
        bus_url=config.get("bus", {}).get("url") or os.environ.get("BUS_URL"),
        pipeline=list(pipeline.get("default", DEFAULT_PIPELINE)),
        pipeline_by_tenant={tenant: list(names) for tenant, names in pipeline.get("tenants", {}).items()},
        rollover=rollover, tick_seconds=float(hub.get("tick_seconds", 1.0)), margin_levels=levels,
        reference_rates={pair: Decimal(str(rate)) for pair, rate in hub.get("reference_rates", {}).items()})


def _amount(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise ConfigError(f"{where}: {value!r} is not a number") from None


def risk_limits(config: Mapping[str, Any]) -> dict[str, RiskLimits]:
    """[risk.<tenant>]: the risk gate's limits per tenant."""
    out = {}
    for tenant, entry in config.get("risk", {}).items():
        unknown = entry.keys() - RISK_KEYS
        if unknown:
            raise ConfigError(f"[risk.{tenant}]: unknown {', '.join(sorted(unknown))}; known: "
                              f"{', '.join(sorted(RISK_KEYS))}")
        per_symbol = {name: {symbol: _amount(value, f"[risk.{tenant}.{name}] {symbol}")
                             for symbol, value in entry.get(name, {}).items()}
                      for name in ("max_order_quantity", "max_position_quantity", "max_symbol_exposure")}
        exposure = entry.get("max_tenant_exposure")
        out[tenant] = RiskLimits(**per_symbol, max_tenant_exposure=None if exposure is None else _amount(
            exposure, f"[risk.{tenant}] max_tenant_exposure"))
    return out


def financing(config: Mapping[str, Any]) -> dict[str, Financing]:
    """[financing."<symbol>"]: the overnight swap rates, percent a year of the notional."""
    out = {}
    for symbol, entry in config.get("financing", {}).items():
        where = f'[financing."{symbol}"]'
        if not {"long_rate", "short_rate"} <= entry.keys():
            raise ConfigError(f"{where}: give long_rate and short_rate (percent a year; negative: the position earns)")
        try:
            days = int(entry.get("days_per_year", 365))
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: days_per_year must be 360 or 365") from None
        if days not in (360, 365):
            raise ConfigError(f"{where}: days_per_year must be 360 or 365")
        out[symbol] = Financing(_amount(entry["long_rate"], where), _amount(entry["short_rate"], where), days)
    return out


def instruments(config: Mapping[str, Any]) -> dict[str, Instrument]:
    out = {}
    for number, entry in enumerate(config.get("instruments", []), 1):
        try:
            instrument = Instrument(
                entry["symbol"], AssetClass(entry["asset_class"]), entry["base_currency"], entry["quote_currency"],
                *(Decimal(str(entry[name])) for name in ("tick_size", "lot_step", "min_quantity", "max_quantity",
                                                         "margin_rate")),
                contract_size=Decimal(str(entry.get("contract_size", "1"))),
                market=Market(entry["market"]) if "market" in entry else None,
                board_lot=Decimal(str(entry["board_lot"])) if "board_lot" in entry else None)
        except (KeyError, ValueError, ArithmeticError) as error:
            raise ConfigError(f"[[instruments]] number {number}: {error!r}") from None
        out[instrument.symbol] = instrument
    return out


def venues(config: Mapping[str, Any], environ: Mapping[str, str] = os.environ,
           clock: Clock = utc_now) -> dict[str, Venue]:
    """Each [[venues]] entry through the adapter registry (adapters/registry.py): its secrets from the environment
    only, the entry's fields over the adapter's defaults, and the hub's clock."""
    out: dict[str, Venue] = {}
    for number, entry in enumerate(config.get("venues", []), 1):
        name = entry.get("name")
        secrets = SECRET_FIELDS & entry.keys()
        if secrets:
            raise ConfigError(f"[[venues]] {name or number}: {', '.join(sorted(secrets))} must come from the "
                              "environment, never from the file")
        try:
            venue = build_venue(entry, environ, clock)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"[[venues]] {name or number}: {error}") from None
        out[venue.name] = venue
    return out


def doors(config: Mapping[str, Any], base: Path, hub: Hub) -> Gateway | None:
    """The client FIX doors: sessions from the QuickFIX-style file [fix] sessions names, bindings from [gateway]."""
    sessions = config.get("fix", {}).get("sessions")
    if sessions is None:
        return None
    try:
        return Gateway(hub.services, load_settings(base / sessions).acceptors(), parse_bindings(config.get("gateway", {})))
    except (SettingsError, BindingError) as error:
        raise ConfigError(str(error)) from None


async def run(config_path: Path) -> None:
    stop = stop_signal()
    config = load(config_path)
    hub_settings = settings(config)
    upgrade(hub_settings.database_url)
    clock = utc_now   # the one clock of this hub: every part that stamps a time is given it
    hub = Hub(hub_settings, instruments(config), venues(config, clock=clock), clock=clock)
    access = SqlAccess(hub.unit, load_fernet(Path("var/secret.key")), hub.clock)
    gateway = doors(config, config_path.parent, hub)   # before the hub starts: the drop copy hears the restart's fills
    await hub.start()
    if gateway is not None:
        await gateway.start()
    host = config.get("web", {}).get("host", "127.0.0.1")
    runner, port = await serve(create_app(hub.services, hub.feed, hub.markup, hub.bars, access, hub.office), host, int(config.get("web", {}).get("port", 8080)))
    settle_heap()
    log.info("hub.serving", web=f"{host}:{port}", venues=sorted(hub.router.venues))
    await stop.wait()
    await runner.cleanup()
    if gateway is not None:
        await gateway.stop()
    await hub.stop()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("hub", help="run the hub from its TOML configuration")
    parser.add_argument("--config", required=True, type=Path)

    def start(args: argparse.Namespace) -> int:
        from dynamictech.runtime import run as run_main
        try:
            config = load(args.config)
            settings(config), instruments(config), venues(config)   # fail before anything starts
        except ConfigError as error:
            print(f"dynamictech hub: {error}")
            return 2
        try:
            run_main(run(args.config))
        except BusUnreachable as error:
            print(f"dynamictech hub: {error}")
            return 1
        return 0

    parser.set_defaults(func=start)
