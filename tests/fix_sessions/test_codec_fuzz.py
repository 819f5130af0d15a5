"""Truncated, mutated, duplicated and oversized bytes: the parser only ever says 'garbled', the framer never hangs."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fix_sessions.codec import Framer, GarbledMessage, encode, parse

SEED = encode(b"FIX.4.4", [(35, "D"), (34, "7"), (49, "C"), (52, "20261125-10:00:00.000"), (56, "H"), (11, "O1"),
                           (38, "100"), (40, "2"), (44, "1.1"), (54, "1"), (55, "EUR/USD"), (95, "3"), (96, "a\x01b")])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from([SEED, SEED * 2, SEED[:30], b""])))
    for _ in range(draw(st.integers(0, 6))):
        where = draw(st.integers(0, len(raw)))
        choice = draw(st.integers(0, 4))
        if choice == 0 and raw:
            raw[min(where, len(raw) - 1)] = draw(st.integers(0, 255))
        elif choice == 1:
            raw[where:where] = draw(st.sampled_from([b"\x01", b"=", b"8=FIX", b"\x0110=", b"9=99999999\x01"]))
        elif choice == 2:
            del raw[where:where + draw(st.integers(1, 20))]
        elif choice == 3:
            raw = raw[:where]
        else:
            raw += draw(st.binary(max_size=40))
    return bytes(raw)


@settings(max_examples=1500, deadline=None)
@given(mutated())
def test_parse_raises_nothing_but_garbled(raw: bytes) -> None:
    try:
        parse(raw)
    except GarbledMessage:
        pass


@settings(max_examples=800, deadline=None)
@given(st.lists(mutated(), max_size=6), st.integers(1, 64))
def test_framer_never_raises_never_hangs_and_yields_only_framed_bytes(chunks: list[bytes], step: int) -> None:
    framer = Framer(max_size=4096)
    stream = b"".join(chunks)
    for start in range(0, len(stream), step):
        framer.feed(stream[start:start + step])
        for _ in range(len(stream) + 2):
            frame = framer.next_frame()
            if frame is None:
                break
            assert frame.startswith(b"8=FIX") and frame.endswith(b"\x01")
        else:
            raise AssertionError("the framer kept returning frames from a finite stream")


def test_junk_without_a_frame_does_not_pile_up() -> None:
    framer = Framer(max_size=4096)
    for _ in range(1000):
        framer.feed(b"x" * 1000)
        assert framer.next_frame() is None
    assert len(framer) < 10


def test_an_oversized_body_length_is_skipped() -> None:
    framer = Framer(max_size=4096)
    framer.feed(b"8=FIX.4.4\x019=99999999\x0135=D\x01" + SEED)
    assert framer.next_frame() == SEED
