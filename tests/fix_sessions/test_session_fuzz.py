"""Hostile input to the session: nothing escapes, and each kind of damage gets the answer the FIX spec names."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fix_sessions import actions as act
from fix_sessions.codec import GarbledMessage, encode, parse
from fix_sessions.utctime import format_timestamp
from tests.fix_sessions.test_session import T0, acceptor, frame, logged_on, order, sent

TEMPLATES = [
    lambda seq, now: frame("0", seq, now),
    lambda seq, now: frame("1", seq, now, (112, "PING")),
    lambda seq, now: order(seq, now),
    lambda seq, now: frame("2", seq, now, (7, "1"), (16, "0")),
    lambda seq, now: frame("4", seq, now, (36, str(seq + 3)), (123, "Y")),
    lambda seq, now: frame("3", seq, now, (45, "1")),
    lambda seq, now: frame("V", seq, now, (262, "R1"), (263, "1"), (264, "1"), (267, "1"), (269, "0"), (146, "1"),
                           (55, "EUR/USD")),
]


@st.composite
def damaged(draw: st.DrawFn, seq: int, now: float) -> bytes:
    raw = bytearray(draw(st.sampled_from(TEMPLATES))(seq, now))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "dup"]))
        where = draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[where] = draw(st.integers(0, 255))
        elif kind == "cut":
            del raw[where:]
        elif kind == "insert":
            raw[where:where] = draw(st.sampled_from([b"\x01", b"=", b"34=9\x01", b"5000=X\x01", b"\x01\x01"]))
        elif kind == "delete" and raw:
            del raw[where:where + draw(st.integers(1, 8))]
        elif kind == "dup":
            raw += raw[where:]
    return bytes(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_traffic_never_raises_and_every_reply_is_well_formed(data: st.DataObject) -> None:
    session = acceptor()
    logged_on(session)
    now = T0
    for step in range(data.draw(st.integers(1, 12))):
        now += data.draw(st.floats(0, 40))
        seq = data.draw(st.integers(0, 30))
        raw = data.draw(damaged(seq, now)) if data.draw(st.booleans()) else TEMPLATES[step % len(TEMPLATES)](seq, now)
        actions = session.receive(raw, now) + session.tick(now)
        for action in actions:
            if isinstance(action, act.Send):
                reply = parse(action.data)  # raises GarbledMessage if we ever framed badly
                assert (reply.get(49), reply.get(56)) == (b"HUB", b"CLIENT")
        if any(isinstance(a, act.Disconnect) for a in actions):
            assert not session.connected
            break


def test_a_wrong_checksum_is_ignored_as_garbled() -> None:
    session = acceptor()
    logged_on(session)
    good = frame("0", 2, T0)
    bad = good[:-4] + (b"000" if not good.endswith(b"000\x01") else b"001") + b"\x01"
    with pytest.raises(GarbledMessage, match="CheckSum"):
        parse(bad)
    assert session.receive(bad, T0) == []


def test_wrong_comp_id_gets_reject_compid_problem_and_logout() -> None:
    session = acceptor()
    logged_on(session)
    raw = encode(b"FIX.4.4", [(35, "0"), (34, "2"), (49, "INTRUDER"), (52, format_timestamp(T0)), (56, "HUB")])
    reject, logout = sent(session.receive(raw, T0))
    assert reject.get(373) == b"9" and reject.get(58) == b"CompID problem"
    assert logout.msg_type == b"5"


def test_unknown_begin_string_gets_logout() -> None:
    session = acceptor()
    logged_on(session)
    raw = encode(b"FIX.4.1", [(35, "0"), (34, "2"), (49, "CLIENT"), (52, format_timestamp(T0)), (56, "HUB")])
    [logout] = sent(session.receive(raw, T0))
    assert logout.get(58) == b"Incorrect BeginString"
