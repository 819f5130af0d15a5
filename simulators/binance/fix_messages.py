"""Binance's FIX order entry messages as the simulator writes and reads them (fix-api.md): the matching engine's
executionReport events as ExecutionReport <8>, NewOrderSingle fields as order parameters, and the Logon checks."""
from __future__ import annotations

import base64
import binascii
import re
import time
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fix_sessions.codec import Message
from fix_sessions.utctime import format_timestamp, parse_timestamp
from simulators.binance.book import ApiError

COMP_ID = re.compile(r"^[a-zA-Z0-9_-]{1,8}$")
ORD_TYPE = {"MARKET": "1", "LIMIT": "2", "LIMIT_MAKER": "2", "STOP_LOSS": "3", "TAKE_PROFIT": "3",
            "STOP_LOSS_LIMIT": "4", "TAKE_PROFIT_LIMIT": "4"}
PRICED = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
TRIGGERED = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
TIF = {"GTC": "1", "IOC": "3", "FOK": "4"}
TIF_NAMES = {v: k for k, v in TIF.items()}
SIDE = {"BUY": "1", "SELL": "2"}
SIDE_NAMES = {v: k for k, v in SIDE.items()}
EXEC_TYPE = {"NEW": "0", "CANCELED": "4", "REPLACED": "5", "REJECTED": "8", "TRADE": "F", "EXPIRED": "C",
             "TRADE_PREVENTION": "C"}
ORD_STATUS = {"NEW": "0", "PARTIALLY_FILLED": "1", "FILLED": "2", "CANCELED": "4", "PENDING_CANCEL": "6",
              "REJECTED": "8", "PENDING_NEW": "A", "EXPIRED": "C", "EXPIRED_IN_MATCH": "C"}
EXPIRY_REASON = {"REJECTED": "1", "EXCHANGE_CANCELED": "2", "OCO_TRIGGER": "3", "OTO_PHASE_ONE_EXPIRED": "4",
                 "UNFILLED_IOC_QUANTITY_EXPIRED": "5", "UNFILLED_FOK_ORDER_EXPIRED": "6",
                 "INSUFFICIENT_LIQUIDITY": "7", "EXECUTION_RULE_PRICE_RANGE_EXCEEDED": "8"}
MAX_RECV_WINDOW = 60000

Fields = list[tuple[int, Any]]


def timestamp(ms: int) -> bytes:
    return format_timestamp(ms / 1000, 6)


def execution_report(event: dict[str, Any]) -> Fields:
    """An executionReport event of the matching engine (the user data stream's JSON) as ExecutionReport <8>."""
    order_type, execution, status = event["o"], event["x"], event["X"]
    fields: Fields = [(17, event["I"]), (11, event["c"])]
    if event.get("C"):
        fields.append((41, event["C"]))
    fields += [(37, event["i"]), (38, event["q"]), (40, ORD_TYPE[order_type]), (54, SIDE[event["S"]]),
               (55, event["s"])]
    if order_type == "LIMIT_MAKER":
        fields.append((18, "6"))
    if order_type in PRICED:
        fields.append((44, event["p"]))
    if order_type in TRIGGERED:
        rising = order_type.startswith("STOP_LOSS") == (event["S"] == "BUY")
        fields += [(1100, "4"), (1101, "1"), (1102, event["P"]), (1107, "2"), (1109, "U" if rising else "D")]
    if order_type in PRICED and order_type != "LIMIT_MAKER":
        fields.append((59, TIF[event["f"]]))
    left = Decimal(event["q"]) - Decimal(event["z"]) if status in ("NEW", "PARTIALLY_FILLED") else Decimal(0)
    fields += [(60, timestamp(event["T"])), (25018, timestamp(event["O"])), (150, EXEC_TYPE[execution]),
               (14, event["z"]), (151, f"{left:f}"), (25017, event["Z"])]
    if execution == "TRADE":
        fields += [(1057, "Y"), (1003, event["t"]), (31, event["L"])]
    fields += [(32, event["l"]), (39, ORD_STATUS[status])]
    if event.get("w"):
        fields += [(636, "Y"), (25023, timestamp(event.get("W", event["O"])))]
    if event.get("eR") in EXPIRY_REASON:
        fields.append((25056, EXPIRY_REASON[event["eR"]]))
    return fields


def rejected_report(message: Message, error: ApiError) -> Fields:
    """The ExecutionReport <8> of a NewOrderSingle (or the new half of an XCN) that Binance refused."""
    fields: Fields = [(11, message.get_str(11, ""))]
    fields += [(tag, message.get(tag)) for tag in (38, 40, 54, 55, 44, 59) if message.get(tag)]
    fields += [(60, timestamp(int(time.time() * 1000))), (150, "8"), (14, "0"), (32, "0"), (39, "8"), (103, "99"),
               (25016, error.code), (58, error.msg)]
    return fields


def order_params(message: Message) -> dict[str, str]:
    """The NewOrder component as the REST parameters the matching engine takes."""
    side = SIDE_NAMES.get(message.get_str(54, "") or "", "")
    ord_type, direction = message.get_str(40, ""), message.get_str(1109)
    if ord_type == "1":
        venue_type = "MARKET"
    elif ord_type == "2":
        venue_type = "LIMIT_MAKER" if message.get_str(18) == "6" else "LIMIT"
    elif ord_type in ("3", "4"):
        if direction not in ("U", "D"):
            raise ApiError(-1102, "Mandatory parameter 'TriggerPriceDirection' was not sent, was empty/null, "
                                  "or malformed.")
        loss = (direction == "U") == (side == "BUY")
        venue_type = ("STOP_LOSS" if loss else "TAKE_PROFIT") + ("_LIMIT" if ord_type == "4" else "")
    else:
        raise ApiError(-1116, "Invalid orderType.")
    params = {"symbol": message.get_str(55, "") or "", "side": side, "type": venue_type,
              "newClientOrderId": message.get_str(11, "") or ""}
    for tag, name in ((38, "quantity"), (44, "price"), (1102, "stopPrice")):
        if message.get(tag):
            params[name] = message.get_str(tag) or ""
    if message.get(59):
        params["timeInForce"] = TIF_NAMES.get(message.get_str(59) or "", "?")
    return params


def check_logon(message: Message, keys: dict[str, Ed25519PublicKey], now: float) -> str:
    """Binance's checks of a Logon <A>; returns the API key, or raises ApiError with Binance's code and text."""
    if message.msg_type != b"A":
        raise ApiError(-1180, "Logon<A> must be the first message in the session.")
    if not COMP_ID.match(message.get_str(49, "") or ""):
        raise ApiError(-1178, "SenderCompId(49) contains an incorrect value.")
    api_key = message.get_str(553, "") or ""
    if api_key not in keys:
        raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.")
    payload = "\x01".join(message.get_str(tag) or "" for tag in (35, 49, 56, 34, 52)).encode("ascii")
    try:
        keys[api_key].verify(base64.b64decode(message.get(96) or b"", validate=True), payload)
    except (InvalidSignature, binascii.Error, ValueError):
        raise ApiError(-1022, "Signature for this request is not valid.") from None
    window = float(message.get_str(25000) or 5000)
    if window > MAX_RECV_WINDOW:
        raise ApiError(-1102, "Mandatory parameter 'RecvWindow' was not sent, was empty/null, or malformed.")
    sent = parse_timestamp(message.get(52) or b"")
    if sent >= now + 1:
        raise ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if (now - sent) * 1000 > window:
        raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")
    if message.get(141) != b"Y":
        raise ApiError(-1175, "Continuation of sequence numbers to new session is currently unsupported. Sequence "
                              "numbers must be reset for each new session.")
    if message.get_str(25035) not in ("1", "2"):
        raise ApiError(-1102, "Mandatory parameter 'MessageHandling' was not sent, was empty/null, or malformed.")
    if not 5 <= (message.get_int(108) or 0) <= 60:
        raise ApiError(-1102, "Mandatory parameter 'HeartBtInt' was not sent, was empty/null, or malformed.")
    return api_key
