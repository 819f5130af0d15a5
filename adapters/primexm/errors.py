"""What a PrimeXM LP says when it refuses, as our reject codes (``engine.domain.rejects.VENUE_CODES``), in one table
in ccxt's manner: the FIX reason codes exactly, then the LP's Text exactly, then the first pattern the Text holds.

Whether a code lets the router try the next LP is the catalogue's to say (``engine.domain.rejects.retryable``).
Last-look refusals (off quotes, requote, price moved, slippage) map to ``venue_unavailable`` so that they re-route:
the catalogue has no code of their own yet.
"""
from __future__ import annotations

CODES: dict[str, str] = {
    # OrdRejReason(103) on an ExecutionReport; 99 ("other") is left to the Text
    "103=0": "venue_rejected",          # broker / exchange option
    "103=1": "unknown_symbol",
    "103=2": "market_closed",
    "103=3": "over_limit",
    "103=4": "market_closed",           # too late to enter
    "103=5": "unknown_order",
    "103=6": "duplicate_order",
    "103=11": "unsupported",            # unsupported order characteristic
    "103=13": "invalid_quantity",
    # CxlRejReason(102) on an OrderCancelReject; 99 is left to the Text
    "102=0": "too_late",
    "102=1": "unknown_order",
    "102=2": "venue_rejected",          # broker / exchange option
    "102=3": "venue_rejected",          # already pending cancel or replace
    # BusinessRejectReason(380) on a BusinessMessageReject of our message
    "380=0": "venue_rejected",
    "380=1": "unknown_order",
    "380=2": "unknown_symbol",
    "380=3": "unsupported",             # the LP does not take this message type
    "380=4": "venue_unavailable",       # application not available
    "380=5": "venue_rejected",
    "380=6": "venue_rejected",          # not authorised
    # the LP's Text(58), lower case: the whole Text, else the first of these it contains, in this order
    "off quotes": "venue_unavailable",
    "no liquidity": "venue_unavailable",
    "price changed": "venue_unavailable",
    "requote": "venue_unavailable",
    "trading disabled": "venue_unavailable",
    "insufficient": "insufficient_funds",
    "credit": "insufficient_funds",
    "margin": "insufficient_funds",
    "unknown symbol": "unknown_symbol",
    "unknown order": "unknown_order",
    "currency": "venue_rejected",
    "quantity": "invalid_quantity",
    "duplicate": "duplicate_order",
    "too late": "too_late",
    "last look": "venue_unavailable",
    "deviation": "venue_unavailable",
    "slippage": "venue_unavailable",
    "stale": "venue_unavailable",
    "price": "venue_unavailable",
    "liquidity": "venue_unavailable",
    "timeout": "venue_unavailable",
    "closed": "market_closed",
}


def reject_code(tag: int | None, value: str | None, text: str | None) -> str:
    """Our code for a refusal carrying reason ``value`` in FIX field ``tag`` (103, 102 or 380) and ``text``."""
    if tag is not None and f"{tag}={value}" in CODES:
        return CODES[f"{tag}={value}"]
    said = (text or "").strip().lower()
    if said in CODES:
        return CODES[said]
    return next((code for pattern, code in CODES.items() if "=" not in pattern and pattern in said),
                "venue_rejected")
