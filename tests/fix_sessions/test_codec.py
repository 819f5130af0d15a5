"""The codec: framing, BodyLength and CheckSum, data fields, and agreement with simplefix, an independent codec."""
from __future__ import annotations

from decimal import Decimal

import pytest
import simplefix
from hypothesis import given, settings
from hypothesis import strategies as st

from fix_sessions.codec import DATA_FIELDS, Framer, GarbledMessage, Message, encode, parse

ORDER = [(35, "D"), (34, "7"), (49, "CLIENT"), (52, "20261125-10:00:00.000"), (56, "HUB"), (11, "ORD-1"),
         (38, "100000"), (40, "2"), (44, "1.08345"), (54, "1"), (55, "EUR/USD"), (60, "20261125-10:00:00")]


def wire() -> bytes:
    return encode(b"FIX.4.4", ORDER)


def with_body_length(raw: bytes, change: int) -> bytes:
    head, length, rest = raw.split(b"\x01", 2)
    return b"%s\x019=%d\x01%s" % (head, int(length[2:]) + change, rest)


def test_encode_writes_begin_string_body_length_and_a_three_digit_checksum() -> None:
    raw = wire()
    assert raw.startswith(b"8=FIX.4.4\x019=")
    body = raw[raw.index(b"\x0135=") + 1:raw.rindex(b"10=")]
    assert raw.split(b"\x01")[1] == b"9=%d" % len(body)
    assert raw.endswith(b"10=%03d\x01" % (sum(raw[:raw.rindex(b"10=")]) % 256))


def test_values_of_any_type_mixed_with_bytes_encode_as_their_text() -> None:
    mixed = [(35, b"8"), (17, "E-1"), (38, Decimal("0.01")), (31, b"1.08345"), (151, 0), (43, True)]
    assert parse(encode(b"FIX.4.4", mixed)).fields[2:-1] == [(35, b"8"), (17, b"E-1"), (38, b"0.01"), (31, b"1.08345"),
                                                           (151, b"0"), (43, b"Y")]


def test_parse_gives_every_field_in_wire_order() -> None:
    message = parse(wire())
    assert [t for t, _ in message.fields] == [8, 9] + [t for t, _ in ORDER] + [10]
    assert message.msg_type == b"D" and message.get(55) == b"EUR/USD"
    assert message.get_int(34) == 7 and message.get_str(11) == "ORD-1" and 44 in message and 99 not in message


@pytest.mark.parametrize("damage", [
    lambda raw: raw.replace(b"10=", b"10=9")[:-4] + b"\x01",   # checksum digits
    lambda raw: raw[:-5] + b"000\x01" if not raw.endswith(b"000\x01") else raw[:-5] + b"001\x01",
    lambda raw: raw.replace(b"9=", b"9=1", 1),                   # BodyLength off
    lambda raw: raw.replace(b"\x0135=D", b"\x0111=X\x0135=D", 1),  # MsgType not third
    lambda raw: raw.replace(b"\x0155=", b"\x01x5=", 1),          # tag not a number
    lambda raw: raw.replace(b"\x0155=EUR/USD", b"\x0155EUR/USD", 1),  # no '='
])
def test_damaged_frames_are_garbled(damage) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GarbledMessage):
        parse(damage(wire()))


def test_length_prefixed_data_may_hold_soh_and_equals() -> None:
    for length_tag, data_tag in ((95, 96), (212, 213), (354, 355)):
        data = b"a\x01b=c\x01"
        raw = encode(b"FIX.4.4", [(35, "A"), (length_tag, len(data)), (data_tag, data), (98, "0")])
        assert parse(raw).get(data_tag) == data
        assert DATA_FIELDS[length_tag] == data_tag


def test_zero_and_negative_tags_parse_so_the_session_can_reject_them() -> None:
    raw = encode(b"FIX.4.4", [(35, "0"), (0, "HI"), (-1, "HI")])
    assert [t for t, _ in parse(raw).fields][3:5] == [0, -1]


def test_framer_cuts_a_stream_fed_byte_by_byte_and_drops_junk() -> None:
    framer = Framer()
    stream = b"junk\x01" + wire() + wire()
    frames = []
    for byte in stream:
        framer.feed(bytes([byte]))
        while (frame := framer.next_frame()) is not None:
            frames.append(frame)
    assert frames == [wire(), wire()]


def test_framer_waits_for_a_partial_frame() -> None:
    framer = Framer()
    framer.feed(wire()[:40])
    assert framer.next_frame() is None
    framer.feed(wire()[40:])
    assert framer.next_frame() == wire()


def test_a_body_length_too_long_swallows_the_next_message_as_quickfix_does() -> None:
    first = with_body_length(wire(), +20)
    framer = Framer()
    framer.feed(first + wire())
    swallowed = framer.next_frame()
    assert swallowed == first + wire()
    with pytest.raises(GarbledMessage):
        parse(swallowed)


def test_a_body_length_too_short_is_still_cut_at_the_checksum() -> None:
    short = with_body_length(wire(), -90)
    framer = Framer()
    framer.feed(short + wire())
    assert framer.next_frame() == short
    assert framer.next_frame() == wire()


def test_message_editing() -> None:
    message = Message([(35, b"D"), (11, b"A")])
    message.set(11, "B")
    message.append(58, 12)
    message.set(43, True)
    assert message.fields == [(35, b"D"), (11, b"B"), (58, b"12"), (43, b"Y")]
    message.remove(58)
    assert 58 not in message and message.get(11) == b"B"


# Data fields (length-prefixed, FIX 4.x's and the FIX 5.0 ones simplefix also knows) are tested above.
_DATA_TAGS = {*DATA_FIELDS, *DATA_FIELDS.values(), *simplefix.FixParser().raw_len_tags,
              *simplefix.FixParser().raw_data_tags}
_TAGS = st.integers(1, 9999).filter(lambda t: t not in (8, 9, 10, 35) and t not in _DATA_TAGS)
# Non-data FIX values are printable ASCII; data fields (with their lengths) are tested above.
_VALUES = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=30).map(
    str.encode)
_FIELDS = st.lists(st.tuples(_TAGS, _VALUES), min_size=1, max_size=25)


@settings(max_examples=300, deadline=None)
@given(msg_type=st.sampled_from([b"D", b"8", b"0", b"AE", b"V"]), fields=_FIELDS)
def test_what_we_encode_simplefix_parses_to_the_same_fields(msg_type: bytes, fields: list[tuple[int, bytes]]
                                                             ) -> None:
    parser = simplefix.FixParser()
    parser.append_buffer(encode(b"FIX.4.4", [(35, msg_type), *fields]))
    theirs = parser.get_message()
    assert theirs is not None
    assert [(int(t), v) for t, v in theirs.pairs] == [(8, b"FIX.4.4"), (9, theirs.get(9)), (35, msg_type),
                                                       *fields, (10, theirs.get(10))]


@settings(max_examples=300, deadline=None)
@given(msg_type=st.sampled_from([b"D", b"8", b"0", b"AE", b"V"]), fields=_FIELDS)
def test_what_simplefix_encodes_we_parse_to_the_same_fields(msg_type: bytes, fields: list[tuple[int, bytes]]
                                                             ) -> None:
    theirs = simplefix.FixMessage()
    theirs.append_pair(8, b"FIX.4.4", header=True)
    theirs.append_pair(35, msg_type, header=True)
    for tag, value in fields:
        theirs.append_pair(tag, value)
    raw = theirs.encode()
    ours = parse(raw)
    assert ours.fields[2:-1] == [(35, msg_type), *fields]
    assert raw == encode(b"FIX.4.4", [(35, msg_type), *fields])
