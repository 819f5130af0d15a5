"""The registry builds a venue from its TOML table, the environment and the hub's clock: secrets from the
environment (under a venue's own env_prefix), the table's fields over the defaults, and a clear refusal of a type
or a field nobody registered."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from adapters.memory import MemoryVenue
from adapters.primexm import PrimeXMVenue
from adapters.registry import VENUE_TYPES, UnknownVenueType, build
from engine.domain.order import OrdType, Side, TimeInForce
from engine.ports import ReportKind, VenueOrder
from tests.adapters.contract import Recorder

NOON = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def at_noon() -> dt.datetime:
    return NOON


def test_an_unknown_type_is_refused_naming_the_registered_ones() -> None:
    with pytest.raises(UnknownVenueType) as refused:
        build({"type": "lmax", "name": "lp"}, {}, at_noon)
    assert str(refused.value) == "type must be primexm, binance, equity_fix or memory, got 'lmax'"
    assert list(VENUE_TYPES) == ["primexm", "binance", "equity_fix", "memory"]


def test_two_venues_of_one_type_read_their_own_secrets_and_the_table_over_the_defaults() -> None:
    environ = {"LP1_USERNAME": "one", "LP1_PASSWORD": "first", "LP2_USERNAME": "two", "LP2_PASSWORD": "second"}
    first = build({"type": "primexm", "name": "lp1", "env_prefix": "LP1_", "quote_port": 9001,
                   "deviation": "0.0002"}, environ, at_noon)
    second = build({"type": "primexm", "name": "lp2", "env_prefix": "LP2_", "dialect": "fix44"}, environ, at_noon)
    assert isinstance(first, PrimeXMVenue) and isinstance(second, PrimeXMVenue)
    assert (first.name, first.config.password, first.config.quote_port, first.config.deviation) == (
        "lp1", "first", 9001, D("0.0002"))
    assert (second.name, second.config.password, second.config.dialect) == ("lp2", "second", "fix44")


def test_a_field_the_adapter_does_not_take_is_refused() -> None:
    with pytest.raises(ValueError, match="PrimeXMConfig has no field 'colour'"):
        build({"type": "primexm", "colour": "red"}, {}, at_noon)
    with pytest.raises(ValueError, match="environment variable BINANCE_API_KEY is not set"):
        build({"type": "binance"}, {}, at_noon)
    with pytest.raises(ValueError, match="MemoryConfig has no field 'colour'"):
        build({"type": "memory", "colour": "red"}, {}, at_noon)


async def test_a_memory_venue_quotes_from_its_table_and_reports_on_the_hubs_clock() -> None:
    venue = build({"type": "memory", "name": "mem", "quotes": {"EUR/USD": ["1.0834", "1.0835"]}}, {}, at_noon)
    assert isinstance(venue, MemoryVenue) and venue.instruments() == ["EUR/USD"]
    recorder = Recorder()
    venue.on_report(recorder.report)
    venue.on_quote(recorder.quote)
    await venue.subscribe(["EUR/USD"])
    await venue.place(VenueOrder("M1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1), TimeInForce.IOC))
    [fill] = recorder.of("M1", ReportKind.FILL)
    assert (fill.last_price, fill.at) == (D("1.0835"), NOON)
    assert [q.received_at for q in recorder.quotes] == [NOON]
