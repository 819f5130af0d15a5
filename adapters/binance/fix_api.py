"""Binance's FIX dialect (fix-api.md, fix_specs/BINANCE-FIX44-OE.xml): the Ed25519 Logon signature, the REST order
parameters as NewOrderSingle fields, and ExecutionReport fields read back. No sockets here."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from adapters.binance.rest import Params
from fix_sessions.codec import Message

TARGET_COMP_ID = "SPOT"
SOH = "\x01"

# Tags Binance adds to FIX 4.4 (the dictionary names them all).
RAW_DATA_LENGTH, RAW_DATA, USERNAME = 95, 96, 553
RECV_WINDOW, ERROR_CODE, MESSAGE_HANDLING, RESPONSE_MODE = 25000, 25016, 25035, 25036
CANCEL_CL_ORD_ID, XCN_MODE = 25034, 25033

ORD_TYPE = {"MARKET": "1", "LIMIT": "2", "LIMIT_MAKER": "2", "STOP_LOSS": "3", "TAKE_PROFIT": "3",
            "STOP_LOSS_LIMIT": "4", "TAKE_PROFIT_LIMIT": "4"}
TIME_IN_FORCE = {"GTC": "1", "IOC": "3", "FOK": "4"}
SIDE = {"BUY": "1", "SELL": "2"}
ORD_STATUS = {"0": "NEW", "1": "PARTIALLY_FILLED", "2": "FILLED", "4": "CANCELED", "6": "PENDING_CANCEL",
              "8": "REJECTED", "A": "PENDING_NEW", "C": "EXPIRED"}
EXEC_TYPE = {"0": "NEW", "4": "CANCELED", "5": "REPLACED", "8": "REJECTED", "F": "TRADE", "C": "EXPIRED"}
EXPIRY_REASON = {"1": "REJECTED", "2": "EXCHANGE_CANCELED", "3": "OCO_TRIGGER", "4": "OTO_PHASE_ONE_EXPIRED",
                 "5": "UNFILLED_IOC_QUANTITY_EXPIRED", "6": "UNFILLED_FOK_ORDER_EXPIRED",
                 "7": "INSUFFICIENT_LIQUIDITY", "8": "EXECUTION_RULE_PRICE_RANGE_EXCEEDED"}
TRIGGERED = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})

Fields = list[tuple[int, str]]


def load_private_key(pem: str) -> Ed25519PrivateKey:
    """The Ed25519 key of a FIX API key; FIX sessions take no other kind (fix-api.md)."""
    key = load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("Binance FIX sessions need an Ed25519 private key")
    return key


def logon_raw_data(private_key: Ed25519PrivateKey, sender_comp_id: str, target_comp_id: str, msg_seq_num: str,
                   sending_time: str) -> str:
    """RawData(96) of Logon <A>: base64 Ed25519 signature of MsgType, SenderCompID, TargetCompID, MsgSeqNum and
    SendingTime joined by SOH ("How to sign Logon <A> request")."""
    payload = SOH.join(["A", sender_comp_id, target_comp_id, msg_seq_num, sending_time])
    return base64.b64encode(private_key.sign(payload.encode("ascii"))).decode("ascii")


def logon_payload(message: Message) -> bytes:
    """What the signature covers, read from a Logon as it goes on (or came off) the wire."""
    return SOH.join(message.get_str(tag) or "" for tag in (35, 49, 56, 34, 52)).encode("ascii")


def sign_logon(message: Message, private_key: Ed25519PrivateKey, api_key: str, message_handling: int,
               response_mode: int | None = None) -> None:
    """Complete an outgoing Logon the way Binance asks: signature, API key, MessageHandling."""
    signature = base64.b64encode(private_key.sign(logon_payload(message))).decode("ascii")
    message.append(RAW_DATA_LENGTH, len(signature))
    message.append(RAW_DATA, signature)
    message.set(141, "Y")
    message.append(USERNAME, api_key)
    message.append(MESSAGE_HANDLING, message_handling)
    if response_mode is not None:
        message.append(RESPONSE_MODE, response_mode)


def new_order_fields(params: Params) -> Fields:
    """POST /api/v3/order parameters (order_params.py) as the NewOrder component of <D> and <XCN>, in the
    dictionary's field order; stops carry the trigger instruction of "Supported Order Types"."""
    p = dict(params)
    venue_type, side = p["type"], p["side"]
    fields: Fields = [(11, p["newClientOrderId"]), (38, p["quantity"]), (40, ORD_TYPE[venue_type])]
    if venue_type == "LIMIT_MAKER":
        fields.append((18, "6"))
    if "price" in p:
        fields.append((44, p["price"]))
    if venue_type in TRIGGERED:
        rising = venue_type.startswith("STOP_LOSS") == (side == "BUY")
        fields += [(1100, "4"), (1101, "1"), (1102, p["stopPrice"]), (1107, "2"), (1109, "U" if rising else "D")]
    fields += [(54, SIDE[side]), (55, p["symbol"])]
    if "timeInForce" in p:
        fields.append((59, TIME_IN_FORCE[p["timeInForce"]]))
    return fields


def cancel_fields(cl_ord_id: str, orig_cl_ord_id: str, venue_symbol: str) -> Fields:
    """OrderCancelRequest <F> by OrigClOrdID."""
    return [(11, cl_ord_id), (41, orig_cl_ord_id), (55, venue_symbol)]


def cancel_replace_fields(orig_cl_ord_id: str, cancel_cl_ord_id: str, params: Params) -> Fields:
    """OrderCancelRequestAndNewOrderSingle <XCN> with STOP_ON_FAILURE: no new order unless the cancel succeeds."""
    return [(XCN_MODE, "1"), (CANCEL_CL_ORD_ID, cancel_cl_ord_id), (41, orig_cl_ord_id), *new_order_fields(params)]


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """An ExecutionReport <8>, in the words the REST user data stream uses (executionReport "x", "X", ...)."""

    exec_type: str
    status: str
    cl_ord_id: str
    orig_cl_ord_id: str | None
    order_id: str | None
    trade_id: int | None
    last_qty: Decimal
    last_px: Decimal
    cum_qty: Decimal
    error_code: int | None
    text: str | None
    expiry_reason: str | None

    @property
    def order_key(self) -> str:
        """The client order ID of the order this is about: a cancel's own ClOrdID is the cancel request's."""
        return self.orig_cl_ord_id if self.exec_type == "CANCELED" and self.orig_cl_ord_id else self.cl_ord_id


def read_execution_report(message: Message) -> ExecutionReport:
    def number(tag: int) -> Decimal:
        raw = message.get_str(tag)
        return Decimal(raw) if raw else Decimal(0)

    code = message.get_str(ERROR_CODE)
    reason = message.get_str(25056)
    exec_type = message.get_str(150) or ""
    return ExecutionReport(
        exec_type=EXEC_TYPE.get(exec_type, exec_type),
        status=ORD_STATUS.get(message.get_str(39) or "", "NEW"),
        cl_ord_id=message.get_str(11) or "", orig_cl_ord_id=message.get_str(41), order_id=message.get_str(37),
        trade_id=message.get_int(1003), last_qty=number(32), last_px=number(31), cum_qty=number(14),
        error_code=int(code) if code else None, text=message.get_str(58),
        expiry_reason=EXPIRY_REASON.get(reason, reason) if reason else None)
