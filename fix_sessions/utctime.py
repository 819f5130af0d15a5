"""UTC timestamps in FIX's text form (YYYYMMDD-HH:MM:SS[.fff]), from and to epoch seconds.

Formatting is on every outbound message, so the date-and-second prefix is cached per second.
"""
from __future__ import annotations

import calendar
import time

_prefix_second = -1
_prefix = b""


def format_timestamp(now: float, precision: int = 3) -> bytes:
    """``now`` (epoch seconds, UTC) as a FIX UTCTimestamp with ``precision`` fractional digits (0, 3, 6 or 9)."""
    global _prefix_second, _prefix
    second = int(now)
    if second != _prefix_second:
        _prefix = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(second)).encode("ascii")
        _prefix_second = second
    if precision <= 0:
        return _prefix
    fraction = int((now - second) * 10**precision)
    return b"%s.%0*d" % (_prefix, precision, min(fraction, 10**precision - 1))


_parsed_prefix = b""
_parsed_seconds = 0


def parse_timestamp(value: bytes) -> float:
    """Epoch seconds of a FIX UTCTimestamp; ValueError if it is not one."""
    global _parsed_prefix, _parsed_seconds
    if len(value) < 17 or value[8:9] != b"-" or value[11:12] != b":" or value[14:15] != b":":
        raise ValueError(f"not a UTCTimestamp: {value!r}")
    prefix = value[:17]
    if prefix == _parsed_prefix:
        seconds = _parsed_seconds
    else:
        seconds = _parsed_seconds = _seconds(prefix)
        _parsed_prefix = prefix
    if len(value) > 18 and value[17:18] == b".":
        digits = value[18:]
        scale: int = 10 ** len(digits)  # typeshed types int ** int as Any: a negative exponent would make a float
        return seconds + int(digits) / scale
    return float(seconds)


def _seconds(value: bytes) -> int:
    return calendar.timegm((
        int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[9:11]), int(value[12:14]), int(value[15:17]),
    ))
