"""The FIX 4.2 values the simulated broker reads and writes for OrdStatus(39), OrdType(40) and TimeInForce(59), as
the FIX 4.2 specification defines them (only those it takes or sends). The broker keeps its orders in these
wire values, as a counterparty's engine would."""
from __future__ import annotations

from enum import StrEnum


class OrdStatus(StrEnum):
    NEW = "0"
    PARTIALLY_FILLED = "1"
    FILLED = "2"
    CANCELED = "4"
    REJECTED = "8"
    EXPIRED = "C"


class OrdType(StrEnum):
    MARKET = "1"
    LIMIT = "2"
    STOP = "3"
    STOP_LIMIT = "4"


class TimeInForce(StrEnum):
    DAY = "0"
    GTC = "1"
    IOC = "3"
    FOK = "4"
    GTD = "6"  # read so it can be refused by name: the broker does not take GTD orders


# An order in one of these states can no longer be canceled, replaced or filled.
TERMINAL = frozenset({OrdStatus.FILLED, OrdStatus.CANCELED, OrdStatus.REJECTED, OrdStatus.EXPIRED})
