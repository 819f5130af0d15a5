"""The venue types a hub can run, by the name its TOML gives them (``[[venues]] type = "primexm"``): each a
factory from the venue's table in that file, the environment (where its secrets are) and the hub's clock to a
Venue. A new venue type is a copy of adapters/_template/ and one entry in ``VENUE_TYPES`` (adapters/README.md).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Protocol, Self, TypeVar

from adapters.binance import BinanceConfig, BinanceVenue
from adapters.equity_fix import EquityFixConfig, EquityFixVenue
from adapters.memory import MemoryConfig, MemoryVenue
from adapters.primexm import PrimeXMConfig, PrimeXMVenue
from engine.ports import Clock, Venue

# (the venue's TOML table without its type, the environment, the hub's clock) -> the venue, not yet connected
Factory = Callable[[Mapping[str, Any], Mapping[str, str], Clock], Venue]


class UnknownVenueType(ValueError):
    """The TOML names a venue type no entry of ``VENUE_TYPES`` has."""


class EnvConfig(Protocol):
    """An adapter's settings: a dataclass whose secrets and defaults come from the environment."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Self: ...


C = TypeVar("C", bound=EnvConfig)


def settings(config_class: type[C], table: Mapping[str, Any], environ: Mapping[str, str], standard_prefix: str) -> C:
    """``config_class`` from the environment, then the table's fields over it. A table with ``env_prefix = "LP2_"``
    reads LP2_PASSWORD as the adapter's own PRIMEXM_PASSWORD (say), so two venues of one type have two secrets."""
    fields = dict(table)
    prefix = fields.pop("env_prefix", None)
    env = _renamed(environ, str(prefix), standard_prefix) if prefix else environ
    base = config_class.from_env(env)
    return dataclasses.replace(base, **{key: _as_field_type(config_class, key, value) for key, value in fields.items()})


def _primexm(table: Mapping[str, Any], environ: Mapping[str, str], clock: Clock) -> Venue:
    return PrimeXMVenue(settings(PrimeXMConfig, table, environ, "PRIMEXM_"), clock=clock)


def _binance(table: Mapping[str, Any], environ: Mapping[str, str], clock: Clock) -> Venue:
    return BinanceVenue(settings(BinanceConfig, table, environ, "BINANCE_"), clock=clock)


def _equity_fix(table: Mapping[str, Any], environ: Mapping[str, str], clock: Clock) -> Venue:
    return EquityFixVenue(settings(EquityFixConfig, table, environ, "EQUITY_FIX_"), clock=clock)


def _memory(table: Mapping[str, Any], environ: Mapping[str, str], clock: Clock) -> Venue:
    config = MemoryConfig.from_table(table)
    return MemoryVenue(config.name, config.quotes, clock=clock)


VENUE_TYPES: dict[str, Factory] = {
    "primexm": _primexm,
    "binance": _binance,
    "equity_fix": _equity_fix,
    "memory": _memory,
}


def build(table: Mapping[str, Any], environ: Mapping[str, str], clock: Clock) -> Venue:
    """The venue one [[venues]] table describes. UnknownVenueType for a type not registered; ValueError or
    TypeError, naming the field, for settings its adapter does not take."""
    fields = dict(table)
    kind = fields.pop("type", None)
    factory = VENUE_TYPES.get(str(kind))
    if factory is None:
        known = list(VENUE_TYPES)
        raise UnknownVenueType(f"type must be {', '.join(known[:-1])} or {known[-1]}, got {kind!r}")
    return factory(fields, environ, clock)


def _renamed(environ: Mapping[str, str], prefix: str, standard: str) -> dict[str, str]:
    return {standard + key.removeprefix(prefix): value for key, value in environ.items() if key.startswith(prefix)}


def _as_field_type(config_class: type, key: str, value: Any) -> Any:
    """A TOML value as the config field takes it: decimals from strings or numbers, tuples from arrays."""
    known = {f.name: f for f in dataclasses.fields(config_class)}
    if key not in known:
        raise ValueError(f"{config_class.__name__} has no field {key!r}")
    kind = str(known[key].type)
    if "Decimal" in kind and value is not None:
        return Decimal(str(value))
    if kind.startswith("tuple") and isinstance(value, list):
        return tuple(value)
    return value
