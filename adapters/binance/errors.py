"""Binance's error codes in one table (errors.md), turned into the reasons our reports carry: code, name, and
Binance's own sentence, plus whether another venue or a later try may succeed."""
from __future__ import annotations

from typing import Any

# code -> (Binance's name, retryable elsewhere or later)
ERRORS: dict[int, tuple[str, bool]] = {
    -1000: ("UNKNOWN", True),
    -1001: ("DISCONNECTED", True),
    -1002: ("UNAUTHORIZED", False),
    -1003: ("TOO_MANY_REQUESTS", True),
    -1006: ("UNEXPECTED_RESP", True),
    -1007: ("TIMEOUT", True),
    -1008: ("SERVER_BUSY", True),
    -1013: ("INVALID_MESSAGE", False),
    -1014: ("UNKNOWN_ORDER_COMPOSITION", False),
    -1015: ("TOO_MANY_ORDERS", True),
    -1016: ("SERVICE_SHUTTING_DOWN", True),
    -1020: ("UNSUPPORTED_OPERATION", False),
    -1021: ("INVALID_TIMESTAMP", True),
    -1022: ("INVALID_SIGNATURE", False),
    -1100: ("ILLEGAL_CHARS", False),
    -1101: ("TOO_MANY_PARAMETERS", False),
    -1102: ("MANDATORY_PARAM_EMPTY_OR_MALFORMED", False),
    -1106: ("PARAM_NOT_REQUIRED", False),
    -1111: ("BAD_PRECISION", False),
    -1115: ("INVALID_TIF", False),
    -1116: ("INVALID_ORDER_TYPE", False),
    -1117: ("INVALID_SIDE", False),
    -1121: ("BAD_SYMBOL", False),
    -2010: ("NEW_ORDER_REJECTED", False),
    -2011: ("CANCEL_REJECTED", False),
    -2013: ("NO_SUCH_ORDER", False),
    -2014: ("BAD_API_KEY_FMT", False),
    -2015: ("REJECTED_MBX_KEY", False),
    -2021: ("ORDER_CANCEL_REPLACE_PARTIALLY_FAILED", False),
    -2022: ("ORDER_CANCEL_REPLACE_FAILED", False),
    -2026: ("ORDER_ARCHIVED", False),
    # Margin (developers.binance.com, Margin Trading error codes)
    -3006: ("EXCEED_MAX_BORROWABLE", False),
    -3015: ("REPAY_EXCEED_LIABILITY", False),
    -3041: ("BALANCE_NOT_CLEARED", False),
    -3045: ("INSUFFICIENT_INVENTORY", True),
}

# Matching-engine messages under -2010 that another venue, or the same one later, may well accept.
RETRYABLE_MESSAGES = frozenset({
    "Market is closed.",
    "Account has insufficient balance for requested action.",
    "This action is disabled on this account.",
})

# The request may have been executed: never a reject, always a status query (rest-api.md, "HTTP Return Codes").
STATUS_UNKNOWN = frozenset({-1006, -1007})

# executionReport "r" values (user-data-stream.md, "Order Reject Reason") -> Binance's sentence.
REJECT_REASONS = {
    "INSUFFICIENT_BALANCES": "Account has insufficient balance for requested action.",
    "STOP_PRICE_WOULD_TRIGGER_IMMEDIATELY": "Order would trigger immediately.",
    "WOULD_MATCH_IMMEDIATELY": "Order would immediately match and take.",
    "OCO_BAD_PRICES": "The relationship of the prices for the orders is not correct.",
}


class BinanceError(Exception):
    """Binance answered with an error body; the request was not executed."""

    def __init__(self, code: int, msg: str, http_status: int = 400, data: Any = None) -> None:
        super().__init__(describe(code, msg))
        self.code, self.msg, self.http_status, self.data = code, msg, http_status, data

    @property
    def reason(self) -> str:
        return describe(self.code, self.msg)

    @property
    def retryable(self) -> bool:
        return retryable(self.code, self.msg)


class StatusUnknown(Exception):
    """The request may or may not have been executed (-1006, -1007, HTTP 5xx, or the answer was lost)."""


def brief(error: BaseException) -> str:
    """An exception in a few words, without the request headers (and so the API key) some reprs carry."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def describe(code: int, msg: str) -> str:
    name = ERRORS.get(code, ("ERROR", False))[0]
    return f"{code} {name}: {msg}"


def retryable(code: int, msg: str) -> bool:
    return ERRORS.get(code, ("", False))[1] or msg in RETRYABLE_MESSAGES
