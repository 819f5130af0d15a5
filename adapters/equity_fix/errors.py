"""What the equity broker, or a market rule on its behalf, says when it refuses, as our reject codes
(``engine.domain.rejects.VENUE_CODES``), in one table: FIX 4.2's reason codes, and the codes of the refusals the
market profiles make before an order leaves the hub (profiles.py, also the simulated exchange's words).

Whether a code lets the router try another venue is the catalogue's to say (``engine.domain.rejects.retryable``).
"""
from __future__ import annotations

CODES: dict[str, str] = {
    # OrdRejReason(103) on an ExecutionReport (8)
    "103=0": "venue_rejected",          # broker option
    "103=1": "unknown_symbol",
    "103=2": "market_closed",           # exchange closed
    "103=3": "over_limit",              # order exceeds limit
    "103=4": "market_closed",           # too late to enter
    "103=5": "unknown_order",
    "103=6": "duplicate_order",
    "103=7": "duplicate_order",         # duplicate of a verbally communicated order
    "103=8": "venue_unavailable",       # stale order: it reached the exchange too late
    # CxlRejReason(102) on an OrderCancelReject (9)
    "102=0": "too_late",
    "102=1": "unknown_order",
    "102=2": "venue_rejected",          # broker option
    "102=3": "venue_rejected",          # already pending cancel or replace
    # BusinessRejectReason(380) on a BusinessMessageReject (j)
    "380=0": "venue_rejected",
    "380=1": "unknown_order",
    "380=2": "unknown_symbol",
    "380=3": "unsupported",
    "380=4": "venue_unavailable",
    "380=5": "venue_rejected",
    "380=6": "venue_rejected",
    # refusals before sending (profiles.Refusal codes)
    "market_closed": "market_closed",
    "bad_quantity": "invalid_quantity",
    "off_lot": "invalid_quantity",
    "below_filled": "invalid_quantity",
    "bad_price": "invalid_price",
    "missing_price": "invalid_price",
    "off_tick": "invalid_price",
    "outside_band": "invalid_price",
    "no_reference_price": "invalid_price",   # no previous close yet to check the tick or band against
    "unknown_symbol": "unknown_symbol",
    "unsupported_time_in_force": "unsupported",
    "duplicate_order": "duplicate_order",
    "unknown_order": "unknown_order",
    "order_closed": "too_late",
}


def reject_code(key: str) -> str:
    """Our code for a FIX reason (``"103=2"``) or a refusal's code (``"off_lot"``); venue_rejected if unknown."""
    return CODES.get(key, "venue_rejected")
