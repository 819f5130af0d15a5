"""FIX tag=value codec: framing by BodyLength, CheckSum verification, parse and encode.

No session state lives here (simplefix and h11 keep codec and protocol apart the same way): ``Framer`` cuts a byte
stream into whole frames, ``parse`` turns one frame into a ``Message``, ``encode`` turns header and body fields
back into bytes. Repeating groups are kept flat in wire order; the dictionary gives them structure.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import repeat
from zlib import adler32

SOH = b"\x01"

BEGIN_STRING = 8
BODY_LENGTH = 9
CHECK_SUM = 10
MSG_TYPE = 35

# Length tag -> data tag, for the standard's length-prefixed fields (whose values may hold SOH).
DATA_FIELDS: dict[int, int] = {
    90: 91, 93: 89, 95: 96, 212: 213, 348: 349, 350: 351, 352: 353, 354: 355, 356: 357, 358: 359,
    360: 361, 362: 363, 364: 365, 445: 446, 618: 619, 621: 622,
}
_DATA_LENGTH_TAGS = frozenset(DATA_FIELDS)

_TAG_BYTES: dict[bytes, int] = {str(tag).encode(): tag for tag in range(1, 10000)}
_SOH_TAG_PREFIX: dict[int, bytes] = {tag: b"\x01%d=" % tag for tag in range(1, 10000)}
_EQUALS = repeat(b"=")

MAX_MESSAGE_SIZE = 1 << 20

Value = bytes | str | int | Decimal


class GarbledMessage(ValueError):
    """The bytes are not a well-formed FIX message; the spec says to ignore them (no Reject)."""


class Message:
    """One FIX message: fields in wire order (tag, raw value), repeating groups flat, lookups by first occurrence."""

    __slots__ = ("fields", "_index")

    def __init__(self, fields: list[tuple[int, bytes]] | None = None) -> None:
        self.fields: list[tuple[int, bytes]] = fields if fields is not None else []
        self._index: dict[int, bytes] | None = None

    def _lookup(self) -> dict[int, bytes]:
        index = self._index
        if index is None:
            index = self._index = dict(reversed(self.fields))
        return index

    def get(self, tag: int, default: bytes | None = None) -> bytes | None:
        return self._lookup().get(tag, default)

    def get_str(self, tag: int, default: str | None = None) -> str | None:
        value = self._lookup().get(tag)
        return default if value is None else value.decode("latin-1")

    def get_int(self, tag: int, default: int | None = None) -> int | None:
        value = self._lookup().get(tag)
        return default if value is None else int(value)

    def __contains__(self, tag: int) -> bool:
        return tag in self._lookup()

    @property
    def msg_type(self) -> bytes:
        return self._lookup().get(MSG_TYPE, b"")

    def append(self, tag: int, value: Value) -> None:
        self.fields.append((tag, to_bytes(value)))
        self._index = None

    def set(self, tag: int, value: Value) -> None:
        """Replace the first occurrence of ``tag``, or append it."""
        raw = to_bytes(value)
        for position, (existing, _) in enumerate(self.fields):
            if existing == tag:
                self.fields[position] = (tag, raw)
                break
        else:
            self.fields.append((tag, raw))
        self._index = None

    def remove(self, tag: int) -> None:
        self.fields = [field for field in self.fields if field[0] != tag]
        self._index = None

    def __repr__(self) -> str:
        return "Message(" + "|".join(f"{tag}={value.decode('latin-1')}" for tag, value in self.fields) + ")"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and other.fields == self.fields


def to_bytes(value: Value) -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        return value.encode("latin-1")
    if isinstance(value, bool):
        return b"Y" if value else b"N"
    return str(value).encode("ascii")


def byte_sum(data: bytes | memoryview) -> int:
    """The sum of the bytes, modulo 256, as CheckSum(10) wants it.

    adler32's low half is 1 + the byte sum modulo 65521, which is the exact sum for chunks of at most 256 bytes
    (255 * 256 < 65521): C speed instead of a Python-level ``sum``.
    """
    if len(data) <= 256:
        return ((adler32(data) & 0xFFFF) - 1) & 255
    view = memoryview(data)
    return sum((adler32(view[i:i + 256]) & 0xFFFF) - 1 for i in range(0, len(view), 256)) & 255


def encode(begin_string: bytes, fields: Sequence[tuple[int, Value]]) -> bytes:
    """Frame ``fields`` (MsgType first, then the rest of header, body, without 8/9/10) as one wire message."""
    prefix = _SOH_TAG_PREFIX
    parts: list[bytes] = []
    append = parts.append
    try:
        for tag, value in fields:
            append(prefix[tag])
            append(value)  # type: ignore[arg-type]
    except KeyError:  # a tag outside 1..9999
        body = b"".join([b"\x01%d=%s" % (tag, to_bytes(value)) for tag, value in fields])
    else:
        try:
            body = b"".join(parts)
        except TypeError:  # a value that is not bytes yet: convert the values only, the tags are done
            parts[1::2] = [v if type(v) is bytes else to_bytes(v) for v in parts[1::2]]
            body = b"".join(parts)
    # body is "<SOH>35=D<SOH>...<SOH>last=x": as long as BodyLength's span, shifted one byte left.
    total = b"8=%s\x019=%d%s\x01" % (begin_string, len(body), body)
    return total + b"10=%03d\x01" % byte_sum(total)


def parse(frame: bytes, validate: bool = True) -> Message:
    """Parse one whole frame; with ``validate`` check the first three tags, BodyLength and CheckSum."""
    parts = frame.split(SOH)
    if parts.pop() != b"":
        raise GarbledMessage("message does not end with SOH")
    tags = _TAG_BYTES
    index: dict[int, bytes] | None = None
    try:
        fields = [(tags[tag], value) for tag, _, value in map(bytes.partition, parts, _EQUALS)]
    except KeyError:
        fields = _parse_slow(frame)
    else:
        index = dict(reversed(fields))  # the message's lookup table, built once here where it is cheapest
        if not _DATA_LENGTH_TAGS.isdisjoint(index):
            fields, index = _parse_slow(frame), None
    message = Message(fields)
    message._index = index
    if validate:
        _check_frame(frame, fields)
    return message


def _parse_slow(frame: bytes) -> list[tuple[int, bytes]]:
    """Field by field, honouring length-prefixed data fields and odd tags (negative or out of range)."""
    fields: list[tuple[int, bytes]] = []
    position, end = 0, len(frame)
    data_length: int | None = None
    data_tag = 0
    while position < end:
        equals = frame.find(b"=", position)
        if equals < 0:
            raise GarbledMessage(f"field without '=' at byte {position}")
        try:
            tag = int(frame[position:equals])
        except ValueError:
            raise GarbledMessage(f"tag is not a number at byte {position}") from None
        start = equals + 1
        if data_length is not None and tag == data_tag:
            stop = start + data_length
            if frame[stop:stop + 1] != SOH:
                raise GarbledMessage(f"data field {tag} is not {data_length} bytes long")
        else:
            stop = frame.find(SOH, start)
            if stop < 0:
                raise GarbledMessage("message does not end with SOH")
        value = frame[start:stop]
        fields.append((tag, value))
        data_length = None
        if tag in DATA_FIELDS:
            data_tag = DATA_FIELDS[tag]
            data_length = int(value) if value.isdigit() else None
        position = stop + 1
    return fields


def _check_frame(frame: bytes, fields: list[tuple[int, bytes]]) -> None:
    if len(fields) < 4 or fields[0][0] != BEGIN_STRING or fields[1][0] != BODY_LENGTH or fields[2][0] != MSG_TYPE:
        raise GarbledMessage("header fields out of order: expected 8, 9, 35 first")
    if fields[-1][0] != CHECK_SUM:
        raise GarbledMessage("CheckSum(10) is not the last field")
    checksum_at = len(frame) - len(fields[-1][1]) - 4
    body_at = len(fields[0][1]) + len(fields[1][1]) + 6
    declared = fields[1][1]
    if not declared.isdigit() or int(declared) != checksum_at - body_at:
        raise GarbledMessage(f"BodyLength {declared.decode('latin-1')} does not match {checksum_at - body_at}")
    if fields[-1][1] != b"%03d" % byte_sum(memoryview(frame)[:checksum_at]):
        raise GarbledMessage(f"CheckSum {fields[-1][1].decode('latin-1')} is wrong")


class FrameTooLarge(ValueError):
    """A frame, or the partial frame buffered so far, is larger than the framer's bound: the peer is refused (its
    connection closed) rather than buffered without limit."""


# The bytes a frame may hold beyond its body: "8=FIXT.1.1|9=nnnnnnn|" before it, "10=nnn|" after.
_FRAME_OVERHEAD = 64


class Framer:
    """Cuts a byte stream into frames by BodyLength, finding the CheckSum as QuickFIX's parser does.

    A BodyLength that is too long swallows the next message and both are then ignored as garbled: that is the
    behaviour counterparties expect (QuickFIX acceptance test 2m). A partial frame that grows past ``max_size``
    (plus header and trailer) without completing raises ``FrameTooLarge``: memory per peer stays bounded. The
    search for the trailer resumes where the last read left it, so a frame arriving in many reads is scanned once.
    """

    __slots__ = ("_buffer", "max_size", "_scan", "_trailer")

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE) -> None:
        self._buffer = bytearray()
        self.max_size = max_size
        self._scan = 0       # where the search for the front frame's trailer (or its final SOH) resumes
        self._trailer = -1   # the front frame's "<SOH>10=" once found

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def __len__(self) -> int:
        return len(self._buffer)

    def _drop(self, count: int) -> None:
        """Drop ``count`` bytes from the front; what was learnt about the front frame no longer holds."""
        del self._buffer[:count]
        self._scan, self._trailer = 0, -1

    def _check_partial(self) -> None:
        if len(self._buffer) > self.max_size + _FRAME_OVERHEAD:
            raise FrameTooLarge(f"a message is larger than {self.max_size} bytes")

    def next_frame(self) -> bytes | None:
        """The next whole frame, or None when more bytes are needed. Junk before a frame is dropped.

        Raises ``FrameTooLarge`` when the frame being buffered outgrows ``max_size``."""
        buffer = self._buffer
        while True:
            start = buffer.find(b"8=FIX")
            if start < 0:
                # keep a possible partial "8=FIX" at the very end
                self._drop(max(0, len(buffer) - 4))
                return None
            if start:
                self._drop(start)
            length_at = buffer.find(b"\x019=", 0, 64)
            if length_at < 0:
                if len(buffer) >= 64:
                    self._drop(2)
                    continue
                return None
            length_end = buffer.find(SOH, length_at + 3, length_at + 16)
            if length_end < 0:
                if len(buffer) >= length_at + 16:
                    self._drop(2)
                    continue
                return None
            declared = bytes(buffer[length_at + 3:length_end])
            if not declared.isdigit() or int(declared) > self.max_size:
                self._drop(2)
                continue
            body_end = length_end + 1 + int(declared)
            if len(buffer) < body_end:
                return None
            trailer = self._trailer
            if trailer < 0:
                trailer = buffer.find(b"\x0110=", max(body_end - 1, self._scan))
                if trailer < 0:
                    self._check_partial()
                    self._scan = max(body_end - 1, len(buffer) - 4)   # a "<SOH>10=" may straddle the next read
                    return None
                self._trailer, self._scan = trailer, trailer + 4
            end = buffer.find(SOH, self._scan)
            if end < 0:
                self._check_partial()
                self._scan = len(buffer)
                return None
            frame = bytes(buffer[: end + 1])
            self._drop(end + 1)
            return frame
