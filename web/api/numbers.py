"""Numbers as a trader reads them, the same at every door of the API: a price with the instrument's digits (its
tick's places, or its ``price_precision``), a quantity with its lot step's places, money in its currency's minor
units. The engine keeps exact values; only what leaves the API is rounded, half-even so that sums of rounded fills
do not drift one way."""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from engine.domain.instrument import Instrument

# ISO 4217 minor units where they are not 2, and coins quoted to the satoshi (8) unless a stable coin (2)
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "HUF": 2, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3,
                "BTC": 8, "ETH": 8, "SOL": 8, "BNB": 8, "XRP": 8, "DOGE": 8, "LTC": 8, "ADA": 8}


def places(step: Decimal) -> int:
    """How many decimals a step has: 0.00001 -> 5, 0.5 -> 1, 100 -> 0."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _fixed(value: Decimal, decimals: int) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN):f}"   # never "2E-8"


def price_places(instrument: Instrument) -> int:
    return instrument.price_precision if instrument.price_precision is not None else places(instrument.tick_size)


def quantity_places(instrument: Instrument) -> int:
    if instrument.quantity_precision is not None:
        return instrument.quantity_precision
    return places(instrument.lot_step)


def price(instrument: Instrument, value: Decimal | str | None) -> str | None:
    """``value`` may be the bus's decimal string: events carry exact values, the door rounds them."""
    return None if value is None else _fixed(Decimal(value), price_places(instrument))


def quantity(instrument: Instrument, value: Decimal | str | None) -> str | None:
    return None if value is None else quantity_text(instrument, value)


def quantity_text(instrument: Instrument, value: Decimal | str) -> str:
    """A quantity that is always there (an order's, a fill's)."""
    return _fixed(Decimal(value), quantity_places(instrument))


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def money(value: Decimal | str, currency: str) -> str:
    return _fixed(Decimal(value), minor_units(currency))


QUOTE_FIELDS = ("symbol", "bid", "ask", "bid_size", "ask_size", "time", "stale", "seq")


def quote_json(instrument: Instrument, quote: dict[str, Any]) -> dict[str, Any]:
    """A quote from the bus with the instrument's price digits and size places."""
    out = {key: quote.get(key) for key in QUOTE_FIELDS}
    for side in ("bid", "ask"):
        out[side] = price(instrument, out[side])
        out[f"{side}_size"] = quantity(instrument, out[f"{side}_size"])
    return out
