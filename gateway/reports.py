"""The OMS's order events in FIX 4.4 words: ExecType, OrdRejReason and CxlRejReason tables, and the fields of an
ExecutionReport (8) and an OrderCancelReject (9). Pure functions: the engine's names in, tag/value pairs out.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from fix_sessions.codec import Value
from fix_sessions.utctime import format_timestamp

Fields = list[tuple[int, Value]]

# FIX 4.4: a fill is ExecType=F (Trade) whatever is left; 1/2 (partial fill, fill) are FIX 4.2's.
EXEC_TYPE: dict[str, str] = {
    "new": "0", "held": "0", "fill": "F", "canceled": "4", "replaced": "5", "rejected": "8", "expired": "C",
    "pending_cancel": "6", "pending_replace": "E", "pending_new": "A", "triggered": "D", "trailed": "D",
}
# ExecRestatementReason(378) of the restatements: a trailing stop re-priced, anything else "other".
RESTATEMENT_REASON: dict[str, int] = {"trailed": 3}
# Events whose detail the client reads in Text; the others' name the LP ("accepted by lp-1"), which is the
# broker's business.
TEXT_EVENTS = frozenset({"rejected", "canceled", "expired", "triggered", "trailed"})

# Rejection codes (engine.domain.rejects: the hub's and the venues' catalogue) -> OrdRejReason(103); anything else
# is 99 (Other). Text(58) always carries the code and the sentence.
ORD_REJ_REASON: dict[str, int] = {
    "insufficient_margin": 0, "insufficient_funds": 0, "unknown_symbol": 1, "market_closed": 2, "halted": 2,
    "order_too_large": 3, "position_too_large": 3, "symbol_exposure": 3, "tenant_exposure": 3, "over_limit": 3,
    "duplicate_cl_ord_id": 6, "duplicate_order": 6, "unsupported": 11, "bad_quantity": 13, "quantity_off_step": 13,
    "quantity_out_of_range": 13, "invalid_quantity": 13, "unknown_account": 15,
}
# -> CxlRejReason(102).
CXL_REJ_REASON: dict[str, int] = {
    "too_late_to_cancel": 0, "unknown_order": 1, "insufficient_margin": 2, "cancel_pending": 3,
    "duplicate_cl_ord_id": 6,
}
CANCEL_REQUEST, REPLACE_REQUEST = "1", "2"   # CxlRejResponseTo(434)
NO_ORDER_ID = "NONE"                        # OrderID(37) of a report about an order the hub never created


def transact_time(at: dt.datetime) -> bytes:
    """TransactTime(60) in UTC to the millisecond, from the hub's clock."""
    return format_timestamp(at.timestamp(), 3)


def event_text(event: Mapping[str, Any]) -> str | None:
    """Text(58) of an order event: the rejection's code, then its sentence, so a FIX client sees both."""
    detail, code = event.get("detail"), event.get("code")
    return f"{code}: {detail}" if code and detail else detail or code


def execution_report(event: Mapping[str, Any], account: str, *, now: dt.datetime, exec_id: str, exec_type: str, cl_ord_id: str,
                     orig_cl_ord_id: str | None = None, expire_time: bytes | None = None,
                     extra: Sequence[tuple[int, Value]] = ()) -> Fields:
    """An ExecutionReport from an ``orders.<tenant>.<account>`` event (its fields as the OMS names them)."""
    fields: Fields = [(37, event["order_id"]), (11, cl_ord_id)]
    if orig_cl_ord_id is not None:
        fields.append((41, orig_cl_ord_id))
    fields += [(17, exec_id), (150, exec_type), (39, OrdStatus[event["status"]].value)]
    what = event["event"]
    if exec_type == "8":
        fields.append((103, ORD_REJ_REASON.get(event.get("code") or "", 99)))
    elif exec_type == "D":
        fields.append((378, RESTATEMENT_REASON.get(what, 99)))
    fields += [(1, account), (55, event["symbol"]), (54, Side[event["side"]].value), (38, event["quantity"]),
               (40, OrdType[event["ord_type"]].value)]
    if event.get("price") is not None:
        fields.append((44, event["price"]))
    if event.get("stop_price") is not None:
        fields.append((99, event["stop_price"]))
    fields.append((59, TimeInForce[event["time_in_force"]].value))
    if expire_time is not None:
        fields.append((126, expire_time))
    if what == "fill":
        fields += [(32, event["last_quantity"]), (31, event["last_price"])]
    fields += [(151, event["leaves"]), (14, event["filled"]), (6, event["average_price"]), (60, transact_time(now))]
    fields += list(extra)
    text = event_text(event) if what in TEXT_EVENTS else None
    if text:
        fields.append((58, text))
    return fields


# What a refused NewOrderSingle's report echoes of its terms, when the client sent them: OrdType, Price, StopPx,
# TimeInForce, ExpireTime. A client matches the reject to its order by them, as by ClOrdID.
ECHOED_TERMS = (40, 44, 99, 59, 126)


def rejected_new_order(*, now: dt.datetime, exec_id: str, cl_ord_id: str, account: str | None, symbol: str, side: bytes,
                       quantity: str, reason: int, text: str, terms: Sequence[tuple[int, Value]] = ()) -> Fields:
    """A NewOrderSingle the gateway refused before the OMS saw it: nothing was created, nothing is left. ``account``
    is the one the order was for (the session's default when it named none), ``terms`` the ECHOED_TERMS it had."""
    fields: Fields = [(37, NO_ORDER_ID), (11, cl_ord_id), (17, exec_id), (150, "8"), (39, "8"), (103, reason)]
    if account:
        fields.append((1, account))
    fields += [(55, symbol), (54, side), (38, quantity), *terms, (151, "0"), (14, "0"), (6, "0"),
               (60, transact_time(now)), (58, text)]
    return fields


def order_cancel_reject(*, now: dt.datetime, order_id: str, cl_ord_id: str, orig_cl_ord_id: str, status: str, account: str | None,
                        response_to: str, reason: int, text: str) -> Fields:
    fields: Fields = [(37, order_id), (11, cl_ord_id), (41, orig_cl_ord_id), (39, status)]
    if account:
        fields.append((1, account))
    fields += [(60, transact_time(now)), (434, response_to), (102, reason), (58, text)]
    return fields
