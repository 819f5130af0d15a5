"""A rejection is a value: a code from one catalogue and a sentence, carried unchanged from the interceptor or
venue that refused to every door (REST JSON, FIX OrdRejReason/Text, the terminal).

``VENUE_CODES`` is the catalogue every adapter maps its venue's own codes to (each in one tested table, in its
``errors.py``); ``retryable`` says whether another venue of the route, or the same one a little later, may take
the order, which is what lets the OMS re-route on a reject. The hub's own codes (the pipeline's, the OMS's
refused cancels and replaces) are listed in ``HUB_CODES``; a test checks that every code raised is in one of the two.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rejection:
    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RejectCode:
    code: str
    retryable: bool
    meaning: str


VENUE_CODES: dict[str, RejectCode] = {c.code: c for c in (
    RejectCode("unknown_symbol", True, "the venue does not list the instrument"),
    RejectCode("market_closed", False, "the market is closed, or the instrument halted, at the venue"),
    RejectCode("insufficient_funds", True, "the hub's account at the venue lacks the balance or credit"),
    RejectCode("over_limit", True, "the order exceeds a limit the venue sets on the hub's account"),
    RejectCode("unsupported", True, "the venue does not offer this order type, time in force or instruction"),
    RejectCode("invalid_quantity", False, "the quantity is off the venue's lot, step or size limits"),
    RejectCode("invalid_price", False, "the price is off the venue's tick, price band or price filter"),
    RejectCode("duplicate_order", False, "the venue already has an order with this id"),
    RejectCode("unknown_order", False, "the venue has no record of the order"),
    RejectCode("too_late", False, "the order is already done at the venue: filled, canceled or expired"),
    RejectCode("rate_limited", True, "the venue is throttling the hub's requests"),
    RejectCode("venue_unavailable", True, "the venue is down or busy, or did not answer in time"),
    RejectCode("venue_rejected", False, "the venue refused for a reason of its own (its words are in the text)"),
)}

HUB_CODES = frozenset({
    "bad_expire_time", "bad_price", "bad_quantity", "bad_stop_loss", "bad_stop_price", "bad_take_profit", "bad_trail",
    "cannot_replace", "canceled", "missing_price", "missing_stop_price",
    "close_only", "below_min_notional",
    "expired", "venue_lost_order",
    "duplicate_cl_ord_id", "forbidden", "user_locked", "unknown_account", "send_time_missed",
    "halted", "insufficient_margin", "market_closed", "no_price", "no_route", "no_venue", "not_hedging", "not_sent", "order_too_large", "position_too_large", "price_off_tick", "quantity_off_step",
    "quantity_out_of_range", "request_pending", "stop_off_tick", "symbol_exposure", "tenant_exposure", "throttled",
    "too_late_to_cancel", "unknown_order", "unknown_position", "unknown_symbol", "venue_down", "wrong_side",
})


def retryable(code: str | None) -> bool:
    """Whether a venue's refusal with this code lets the OMS try the next venue of the route."""
    entry = VENUE_CODES.get(code or "")
    return entry is not None and entry.retryable
