"""Why a message was rejected: SessionRejectReason(373) and BusinessRejectReason(380), worded as QuickFIX words them.

Counterparties match on these texts (QuickFIX's acceptance tests compare them byte for byte), so keep them exact.
"""
from __future__ import annotations

from enum import IntEnum


class SessionRejectReason(IntEnum):
    INVALID_TAG_NUMBER = 0
    REQUIRED_TAG_MISSING = 1
    TAG_NOT_DEFINED_FOR_THIS_MESSAGE_TYPE = 2
    UNDEFINED_TAG = 3
    TAG_SPECIFIED_WITHOUT_A_VALUE = 4
    VALUE_IS_INCORRECT = 5
    INCORRECT_DATA_FORMAT_FOR_VALUE = 6
    DECRYPTION_PROBLEM = 7
    SIGNATURE_PROBLEM = 8
    COMPID_PROBLEM = 9
    SENDINGTIME_ACCURACY_PROBLEM = 10
    INVALID_MSGTYPE = 11
    XML_VALIDATION_ERROR = 12
    TAG_APPEARS_MORE_THAN_ONCE = 13
    TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER = 14
    REPEATING_GROUP_FIELDS_OUT_OF_ORDER = 15
    INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP = 16
    NON_DATA_VALUE_INCLUDES_FIELD_DELIMITER = 17
    OTHER = 99

    @property
    def text(self) -> str:
        return SESSION_REJECT_TEXT[self]


SESSION_REJECT_TEXT: dict[SessionRejectReason, str] = {
    SessionRejectReason.INVALID_TAG_NUMBER: "Invalid tag number",
    SessionRejectReason.REQUIRED_TAG_MISSING: "Required tag missing",
    SessionRejectReason.TAG_NOT_DEFINED_FOR_THIS_MESSAGE_TYPE: "Tag not defined for this message type",
    SessionRejectReason.UNDEFINED_TAG: "Undefined Tag",
    SessionRejectReason.TAG_SPECIFIED_WITHOUT_A_VALUE: "Tag specified without a value",
    SessionRejectReason.VALUE_IS_INCORRECT: "Value is incorrect (out of range) for this tag",
    SessionRejectReason.INCORRECT_DATA_FORMAT_FOR_VALUE: "Incorrect data format for value",
    SessionRejectReason.DECRYPTION_PROBLEM: "Decryption problem",
    SessionRejectReason.SIGNATURE_PROBLEM: "Signature problem",
    SessionRejectReason.COMPID_PROBLEM: "CompID problem",
    SessionRejectReason.SENDINGTIME_ACCURACY_PROBLEM: "SendingTime accuracy problem",
    SessionRejectReason.INVALID_MSGTYPE: "Invalid MsgType",
    SessionRejectReason.XML_VALIDATION_ERROR: "XML Validation Error",
    SessionRejectReason.TAG_APPEARS_MORE_THAN_ONCE: "Tag appears more than once",
    SessionRejectReason.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER: "Tag specified out of required order",
    SessionRejectReason.REPEATING_GROUP_FIELDS_OUT_OF_ORDER: "Repeating group fields out of order",
    SessionRejectReason.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP:
        "Incorrect NumInGroup count for repeating group",
    SessionRejectReason.NON_DATA_VALUE_INCLUDES_FIELD_DELIMITER: "Non Data Value includes Field Delimiter",
    SessionRejectReason.OTHER: "Other",
}


class BusinessRejectReason(IntEnum):
    OTHER = 0
    UNKNOWN_ID = 1
    UNKNOWN_SECURITY = 2
    UNSUPPORTED_MESSAGE_TYPE = 3
    APPLICATION_NOT_AVAILABLE = 4
    CONDITIONALLY_REQUIRED_FIELD_MISSING = 5
    NOT_AUTHORIZED = 6
    DELIVERTO_FIRM_NOT_AVAILABLE_AT_THIS_TIME = 7

    @property
    def text(self) -> str:
        return BUSINESS_REJECT_TEXT[self]


BUSINESS_REJECT_TEXT: dict[BusinessRejectReason, str] = {
    BusinessRejectReason.OTHER: "Other",
    BusinessRejectReason.UNKNOWN_ID: "Unknown ID",
    BusinessRejectReason.UNKNOWN_SECURITY: "Unknown Security",
    BusinessRejectReason.UNSUPPORTED_MESSAGE_TYPE: "Unsupported Message Type",
    BusinessRejectReason.APPLICATION_NOT_AVAILABLE: "Application not available",
    BusinessRejectReason.CONDITIONALLY_REQUIRED_FIELD_MISSING: "Conditionally required field missing",
    BusinessRejectReason.NOT_AUTHORIZED: "Not authorized",
    BusinessRejectReason.DELIVERTO_FIRM_NOT_AVAILABLE_AT_THIS_TIME: "DeliverTo firm not available at this time",
}


class FieldReject(Exception):
    """A message breaks the dictionary; the session answers with a Reject(35=3) naming ``reason`` and ``tag``."""

    def __init__(self, reason: SessionRejectReason, tag: int = 0) -> None:
        super().__init__(f"{reason.text} ({tag})" if tag else reason.text)
        self.reason = reason
        self.tag = tag


class BusinessReject(Exception):
    """Raised by an application to answer a message with a BusinessMessageReject(35=j)."""

    def __init__(self, reason: BusinessRejectReason, tag: int = 0, text: str | None = None) -> None:
        super().__init__(text or reason.text)
        self.reason = reason
        self.tag = tag
        self.text = text or reason.text


class UnsupportedMessageType(BusinessReject):
    """The application does not handle this message type."""

    def __init__(self) -> None:
        super().__init__(BusinessRejectReason.UNSUPPORTED_MESSAGE_TYPE)
