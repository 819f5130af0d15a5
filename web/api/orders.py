"""Orders at the API's edge: the JSON a client sends becomes a ``NewOrder``; an ``Order`` goes back as JSON.

A body is checked strictly: unknown or missing fields, amounts that are not decimal strings (a JSON number would
arrive as a float), and values outside their enums are a 400 naming the field, before anything reaches the OMS.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.domain.instrument import Instrument
from engine.domain.order import Order, OrdStatus, OrdType, Side, TimeInForce
from engine.oms import NewOrder
from web.api import numbers
from web.api.errors import ApiError

SIDES = {"buy": Side.BUY, "sell": Side.SELL}
TYPES = {"market": OrdType.MARKET, "limit": OrdType.LIMIT, "stop": OrdType.STOP, "stop_limit": OrdType.STOP_LIMIT,
         "take_profit": OrdType.MARKET_IF_TOUCHED}
TIFS = {"gtc": TimeInForce.GTC, "ioc": TimeInForce.IOC, "fok": TimeInForce.FOK, "day": TimeInForce.DAY,
        "gtd": TimeInForce.GTD}
# The enums share wire values ("1" is Buy, Market and GTC), so each has its own table back.
SIDE_NAMES = {v: k for k, v in SIDES.items()}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
TIF_NAMES = {v: k for k, v in TIFS.items()}

REQUIRED = {"symbol", "side", "type", "quantity"}
AMOUNTS = {"quantity", "price", "stop_price", "trail", "take_profit", "stop_loss"}
OPTIONAL = {"cl_ord_id", "price", "stop_price", "time_in_force", "expire_at", "trail", "take_profit", "stop_loss",
            "position_id"}


# Amounts on the way in: plain decimals, at most 15 digits before the point and 12 after, so that every sum,
# product and quantize the OMS does stays inside Decimal's 28-digit context (1e27 used to fail after journaling).
# Python's Decimal() also takes "1_0", " 1 ", "1e5", "NaN" and non-ASCII digits; the pattern (the OpenAPI one) does not.
INTEGER_DIGITS = 15
FRACTION_DIGITS = 12
AMOUNT_PATTERN = rf"^-?[0-9]{{1,{INTEGER_DIGITS}}}(\.[0-9]{{1,{FRACTION_DIGITS}}})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN.removeprefix("^").removesuffix("$"))
# Free text that reaches FIX (cl_ord_id, symbol, position_id): printable ASCII without space, 1..64 characters.
# SOH or any other control character would let a client splice its own tags into ExecutionReports.
TEXT_MAX = 64
TEXT_PATTERN = rf"^[!-~]{{1,{TEXT_MAX}}}$"
_TEXT = re.compile(TEXT_PATTERN.removeprefix("^").removesuffix("$"))


def bad(reason: str, code: str = "bad_request") -> ApiError:
    return ApiError(400, code, reason)


def identifier(value: object, name: str) -> str:
    """A FIX-safe identifier or a 400 ``bad_<name>``: never let a byte outside 0x21-0x7E reach a FIX message."""
    if not isinstance(value, str) or _TEXT.fullmatch(value) is None:
        raise bad(f"{name} must be 1 to {TEXT_MAX} printable ASCII characters (0x21-0x7E, no spaces or control "
                  f"characters)", f"bad_{name}")
    return value


def amount(body: dict[str, Any], name: str) -> Decimal | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad(f"{name} must be a decimal string such as \"1.5\", not {type(value).__name__}")
    if _AMOUNT.fullmatch(value) is None:
        raise bad(f"{name} must be a plain decimal string with at most {INTEGER_DIGITS} digits before the point "
                  f"and {FRACTION_DIGITS} after (no exponent, spaces or underscores), got {value[:40]!r}",
                  "bad_amount")
    return Decimal(value)   # cannot fail: the pattern admits only plain decimals


def choice(body: dict[str, Any], name: str, table: dict[str, Any], default: str | None = None) -> Any:
    """One of the enum's names; a list or object (unhashable) is a 400 like any other wrong value, not a 500."""
    value = body.get(name, default)
    if not isinstance(value, str) or value not in table:
        shown = repr(value)[:40] if isinstance(value, str) else type(value).__name__
        raise bad(f"{name} must be one of {', '.join(table)}, got {shown}")
    return table[value]


def new_order(body: object, account_id: str) -> NewOrder:
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    missing = sorted(REQUIRED - body.keys())
    unknown = sorted(body.keys() - REQUIRED - OPTIONAL)
    if missing or unknown:
        raise bad("; ".join(filter(None, [missing and f"missing: {', '.join(missing)}",
                                          unknown and f"unknown: {', '.join(unknown)}"])))
    for name in ("symbol", "cl_ord_id", "position_id"):
        if name in body and (name == "symbol" or body[name] is not None):
            identifier(body[name], name)
    if body.get("expire_at") is not None and not (isinstance(body["expire_at"], str)
                                                   and 0 < len(body["expire_at"]) <= 64):
        raise bad("expire_at must be a string of 1 to 64 characters")
    expire_at = None
    if body.get("expire_at") is not None:
        try:
            expire_at = dt.datetime.fromisoformat(body["expire_at"])
        except ValueError:
            raise bad("expire_at must be an ISO-8601 time with its UTC offset") from None
        if expire_at.tzinfo is None:
            raise bad("expire_at must carry its UTC offset")
    quantity = amount(body, "quantity")
    assert quantity is not None
    return NewOrder(cl_ord_id=body.get("cl_ord_id") or uuid.uuid4().hex[:20], account_id=account_id,
                    symbol=body["symbol"], side=choice(body, "side", SIDES), ord_type=choice(body, "type", TYPES),
                    quantity=quantity, price=amount(body, "price"), stop_price=amount(body, "stop_price"),
                    time_in_force=choice(body, "time_in_force", TIFS, "gtc"), expire_at=expire_at,
                    trail=amount(body, "trail"), take_profit=amount(body, "take_profit"),
                    stop_loss=amount(body, "stop_loss"), position_id=body.get("position_id"))


def replacement(body: object) -> tuple[Decimal, Decimal | None, Decimal | None]:
    """Quantity, limit price and stop price of an amend; a stop price changes only an order not yet triggered."""
    if not isinstance(body, dict) or "quantity" not in body or body.keys() - {"quantity", "price", "stop_price"}:
        raise bad('send {"quantity": "...", "price": "...", "stop_price": "..."} (price and stop_price optional)')
    quantity = amount(body, "quantity")
    assert quantity is not None
    return quantity, amount(body, "price"), amount(body, "stop_price")


def order_json(order: Order, instruments: Mapping[str, Instrument]) -> dict[str, Any]:
    """Prices with the instrument's digits, quantities with its lot step's places; a rejected order keeps the
    values it was sent with (0.001 refused as below the lot step must not read "0.00")."""
    instrument = None if order.status is OrdStatus.REJECTED else instruments.get(order.symbol)

    def px(value: Decimal | None) -> str | None:
        if instrument is None:
            return None if value is None else str(value)
        return numbers.price(instrument, value)

    def qty(value: Decimal) -> str:
        return str(value) if instrument is None else numbers.quantity_text(instrument, value)

    return {"order_id": order.order_id, "cl_ord_id": order.cl_ord_id, "account_id": order.account_id,
            "symbol": order.symbol, "side": SIDE_NAMES[order.side], "type": TYPE_NAMES[order.ord_type],
            "quantity": qty(order.quantity), "price": px(order.price), "stop_price": px(order.stop_price),
            "time_in_force": TIF_NAMES[order.time_in_force],
            "expire_at": order.expire_at.isoformat() if order.expire_at else None,
            "status": order.status.name.lower(), "filled": qty(order.filled),
            "average_price": px(order.average_price),
            "reject_code": order.rejection.code if order.rejection else None,
            "reject_reason": order.rejection.reason if order.rejection else None,
            "created_at": order.created_at.isoformat(), "trail": px(order.trail),
            "take_profit": px(order.take_profit), "stop_loss": px(order.stop_loss),
            "parent_id": order.parent_id, "oco_id": order.oco_id, "position_id": order.position_id}
