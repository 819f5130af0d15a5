"""Each adapter's one table from its venue's codes to our reject codes, walked entry by entry: every code is in the
catalogue and the lookup gives it back; then the cases a dealer meets, where the catalogue decides who re-routes.
And every adapter package has the template's shape."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import adapters
from adapters.binance import errors as binance
from adapters.equity_fix import errors as equity
from adapters.memory import errors as memory
from adapters.primexm import errors as primexm
from engine.domain.rejects import VENUE_CODES, retryable

SHAPE = ("config", "instruments", "market_data", "execution", "errors", "venue")
PACKAGES = sorted(p.name for p in Path(adapters.__file__).parent.iterdir() if (p / "__init__.py").exists())


def test_primexm_table() -> None:
    for key, code in primexm.CODES.items():
        assert code in VENUE_CODES, key
        tag, _, value = key.partition("=")
        assert (primexm.reject_code(int(tag), value, None) if value else primexm.reject_code(None, None, key)) == code
    assert primexm.reject_code(None, None, "Off quotes") == "venue_unavailable"          # last look: re-routed
    assert retryable(primexm.reject_code(None, None, "Off quotes"))
    assert primexm.reject_code(None, None, "Insufficient margin on account") == "insufficient_funds"
    assert primexm.reject_code(103, "99", "Currency must be EUR") == "venue_rejected"    # 99 is left to the Text
    assert primexm.reject_code(102, "99", "Cannot reduce below the filled quantity") == "invalid_quantity"
    assert primexm.reject_code(None, None, "Market closed") == "market_closed" and not retryable("market_closed")
    assert primexm.reject_code(None, None, "no idea") == "venue_rejected"


def test_binance_table() -> None:
    for key, code in binance.CODES.items():
        assert code in VENUE_CODES, key
        number, _, words = key.partition(" ")
        assert binance.reject_code(int(number), words) == code, key
        assert int(number) in binance.NAMES, key
    assert binance.reject_code(-2010, "Account has insufficient balance for requested action.") == \
        "insufficient_funds"
    assert binance.reject_code(-2010, "Market is closed.") == "market_closed"
    assert binance.reject_code(-1013, "Filter failure: MARKET_LOT_SIZE (quantity 150 is above ...); not sent") == \
        "invalid_quantity"
    assert binance.reject_code(-2011, "Unknown order sent. (the order is FILLED)") == "too_late"
    assert binance.reject_code(-2010, "Something new.") == "venue_rejected"
    assert binance.reject_code(-9999, "") == "venue_rejected"


def test_equity_fix_table() -> None:
    for key, code in equity.CODES.items():
        assert code in VENUE_CODES, key
        assert equity.reject_code(key) == code
    assert equity.reject_code("103=2") == "market_closed" and not retryable("market_closed")
    assert equity.reject_code("103=1") == "unknown_symbol" and retryable("unknown_symbol")
    assert equity.reject_code("off_tick") == equity.reject_code("outside_band") == "invalid_price"


def test_memory_table() -> None:
    for key, code in memory.CODES.items():
        assert code in VENUE_CODES, key
        assert memory.reject_code(key) == code
    assert memory.reject_code("too late: the order is filled") == "too_late"


def test_the_same_case_gets_the_same_code_at_every_venue() -> None:
    assert primexm.reject_code(103, "2", None) == equity.reject_code("103=2") == \
        binance.reject_code(-2010, "Market is closed.") == "market_closed"
    assert primexm.reject_code(103, "1", None) == equity.reject_code("103=1") == binance.reject_code(-1121, "") == \
        "unknown_symbol"
    assert primexm.reject_code(102, "1", None) == equity.reject_code("102=1") == binance.reject_code(-2013, "") == \
        memory.reject_code("unknown order") == "unknown_order"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_adapter_has_the_template_shape(package: str) -> None:
    for module in SHAPE:
        importlib.import_module(f"adapters.{package}.{module}")
    assert all(code in VENUE_CODES for code in importlib.import_module(f"adapters.{package}.errors").CODES.values())
