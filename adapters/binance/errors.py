"""Binance's error codes (errors.md) as our reject codes (``engine.domain.rejects.VENUE_CODES``), in one table in
ccxt's manner: a key is a code, or a code and words its message holds (the longest such match wins, so the
matching engine's many -2010 messages each get their own code). A report's reason is Binance's code, name and
sentence (``describe``); whether a code lets the router try the next venue is the catalogue's to say.
"""
from __future__ import annotations

from typing import Any

CODES: dict[str, str] = {
    "-1000": "venue_unavailable",        # UNKNOWN
    "-1001": "venue_unavailable",        # DISCONNECTED
    "-1002": "venue_rejected",           # UNAUTHORIZED
    "-1003": "rate_limited",             # TOO_MANY_REQUESTS
    "-1006": "venue_unavailable",        # UNEXPECTED_RESP (status unknown: reconciled, never a reject by itself)
    "-1007": "venue_unavailable",        # TIMEOUT (likewise)
    "-1008": "venue_unavailable",        # SERVER_BUSY
    "-1013": "venue_rejected",           # INVALID_MESSAGE, and the filter failures below
    "-1013 Filter failure: PRICE_FILTER": "invalid_price",
    "-1013 Filter failure: LOT_SIZE": "invalid_quantity",
    "-1013 Filter failure: MARKET_LOT_SIZE": "invalid_quantity",
    "-1013 Filter failure: NOTIONAL": "invalid_quantity",
    "-1013 Filter failure: MIN_NOTIONAL": "invalid_quantity",
    "-1014": "unsupported",              # UNKNOWN_ORDER_COMPOSITION
    "-1015": "rate_limited",             # TOO_MANY_ORDERS
    "-1016": "venue_unavailable",        # SERVICE_SHUTTING_DOWN
    "-1020": "unsupported",              # UNSUPPORTED_OPERATION
    "-1021": "venue_unavailable",        # INVALID_TIMESTAMP (our clock is off Binance's)
    "-1022": "venue_rejected",           # INVALID_SIGNATURE
    "-1100": "venue_rejected",           # ILLEGAL_CHARS
    "-1101": "venue_rejected",           # TOO_MANY_PARAMETERS
    "-1102": "venue_rejected",           # MANDATORY_PARAM_EMPTY_OR_MALFORMED
    "-1102 Mandatory parameter 'price'": "invalid_price",
    "-1102 Mandatory parameter 'stopPrice'": "invalid_price",
    "-1106": "venue_rejected",           # PARAM_NOT_REQUIRED
    "-1111": "venue_rejected",           # BAD_PRECISION
    "-1115": "unsupported",              # INVALID_TIF
    "-1116": "unsupported",              # INVALID_ORDER_TYPE
    "-1117": "venue_rejected",           # INVALID_SIDE
    "-1121": "unknown_symbol",           # BAD_SYMBOL
    "-2010": "venue_rejected",           # NEW_ORDER_REJECTED, and the matching engine's messages below
    "-2010 Market is closed.": "market_closed",
    "-2010 Account has insufficient balance": "insufficient_funds",
    "-2010 This action is disabled on this account.": "venue_unavailable",
    "-2010 Order would immediately match and take.": "venue_rejected",
    "-2010 Order would trigger immediately.": "invalid_price",
    "-2010 The relationship of the prices for the orders is not correct.": "invalid_price",
    "-2010 orders are not supported for this symbol.": "unsupported",
    "-2010 cancel-replace is not supported for this symbol.": "unsupported",
    "-2011": "venue_rejected",           # CANCEL_REJECTED
    "-2011 Unknown order sent.": "unknown_order",
    "-2011 Unknown order sent. (the order is": "too_late",   # ours, for an order already done
    "-2013": "unknown_order",            # NO_SUCH_ORDER
    "-2014": "venue_rejected",           # BAD_API_KEY_FMT
    "-2015": "venue_rejected",           # REJECTED_MBX_KEY
    "-2021": "venue_rejected",           # ORDER_CANCEL_REPLACE_PARTIALLY_FAILED
    "-2022": "venue_rejected",           # ORDER_CANCEL_REPLACE_FAILED
    "-2026": "too_late",                 # ORDER_ARCHIVED
    "-3006": "over_limit",               # EXCEED_MAX_BORROWABLE
    "-3015": "invalid_quantity",         # REPAY_EXCEED_LIABILITY
    "-3041": "venue_rejected",           # BALANCE_NOT_CLEARED
    "-3045": "insufficient_funds",       # INSUFFICIENT_INVENTORY: Binance's pool cannot lend now
}

# Binance's names for its codes, for the reasons our reports carry.
NAMES: dict[int, str] = {
    -1000: "UNKNOWN", -1001: "DISCONNECTED", -1002: "UNAUTHORIZED", -1003: "TOO_MANY_REQUESTS",
    -1006: "UNEXPECTED_RESP", -1007: "TIMEOUT", -1008: "SERVER_BUSY", -1013: "INVALID_MESSAGE",
    -1014: "UNKNOWN_ORDER_COMPOSITION", -1015: "TOO_MANY_ORDERS", -1016: "SERVICE_SHUTTING_DOWN",
    -1020: "UNSUPPORTED_OPERATION", -1021: "INVALID_TIMESTAMP", -1022: "INVALID_SIGNATURE", -1100: "ILLEGAL_CHARS",
    -1101: "TOO_MANY_PARAMETERS", -1102: "MANDATORY_PARAM_EMPTY_OR_MALFORMED", -1106: "PARAM_NOT_REQUIRED",
    -1111: "BAD_PRECISION", -1115: "INVALID_TIF", -1116: "INVALID_ORDER_TYPE", -1117: "INVALID_SIDE",
    -1121: "BAD_SYMBOL", -2010: "NEW_ORDER_REJECTED", -2011: "CANCEL_REJECTED", -2013: "NO_SUCH_ORDER",
    -2014: "BAD_API_KEY_FMT", -2015: "REJECTED_MBX_KEY", -2021: "ORDER_CANCEL_REPLACE_PARTIALLY_FAILED",
    -2022: "ORDER_CANCEL_REPLACE_FAILED", -2026: "ORDER_ARCHIVED",
    # Margin (developers.binance.com, Margin Trading error codes)
    -3006: "EXCEED_MAX_BORROWABLE", -3015: "REPAY_EXCEED_LIABILITY", -3041: "BALANCE_NOT_CLEARED",
    -3045: "INSUFFICIENT_INVENTORY",
}

# The request may have been executed: never a reject, always a status query (rest-api.md, "HTTP Return Codes").
STATUS_UNKNOWN = frozenset({-1006, -1007})

# executionReport "r" values (user-data-stream.md, "Order Reject Reason") -> Binance's sentence.
REJECT_REASONS = {
    "INSUFFICIENT_BALANCES": "Account has insufficient balance for requested action.",
    "STOP_PRICE_WOULD_TRIGGER_IMMEDIATELY": "Order would trigger immediately.",
    "WOULD_MATCH_IMMEDIATELY": "Order would immediately match and take.",
    "OCO_BAD_PRICES": "The relationship of the prices for the orders is not correct.",
}


def reject_code(code: int, msg: str) -> str:
    """Our code for Binance's ``code`` and message: the longest key naming the code and words the message holds,
    else the code's own key, else venue_rejected."""
    prefix = f"{code} "
    worded = [key for key in CODES if key.startswith(prefix) and key[len(prefix):] in msg]
    if worded:
        return CODES[max(worded, key=len)]
    return CODES.get(str(code), "venue_rejected")


class BinanceError(Exception):
    """Binance answered with an error body; the request was not executed."""

    def __init__(self, code: int, msg: str, http_status: int = 400, data: Any = None) -> None:
        super().__init__(describe(code, msg))
        self.code, self.msg, self.http_status, self.data = code, msg, http_status, data

    @property
    def reason(self) -> str:
        return describe(self.code, self.msg)

    @property
    def reject_code(self) -> str:
        return reject_code(self.code, self.msg)


class StatusUnknown(Exception):
    """The request may or may not have been executed (-1006, -1007, HTTP 5xx, or the answer was lost)."""


def brief(error: BaseException | None) -> str:
    """An exception in a few words, without the request headers (and so the API key) some reprs carry."""
    if error is None:
        return "no error"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def describe(code: int, msg: str) -> str:
    return f"{code} {NAMES.get(code, 'ERROR')}: {msg}"
