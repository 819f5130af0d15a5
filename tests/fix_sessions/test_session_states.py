"""The session's state moves only as ``states.TRANSITIONS`` allows, and each move is one log event."""
from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from fix_sessions import actions as act
from fix_sessions.codec import encode
from fix_sessions.states import TRANSITIONS, InvalidTransition, SessionEvent, SessionState, next_state
from fix_sessions.utctime import format_timestamp
from tests.fix_sessions.test_session import T0, acceptor, frame, initiator, logged_on, sent

S = SessionState


def test_every_state_can_be_reached_and_every_connected_one_can_disconnect() -> None:
    reached = {S.DISCONNECTED} | set(TRANSITIONS.values())
    assert reached == set(SessionState)
    assert all((state, SessionEvent.DISCONNECT) in TRANSITIONS for state in SessionState if state is not S.DISCONNECTED)


def test_a_move_the_table_does_not_allow_is_a_named_error() -> None:
    with pytest.raises(InvalidTransition, match="CONNECT is not allowed in state LOGGED_ON"):
        next_state(S.LOGGED_ON, SessionEvent.CONNECT)
    session = acceptor()
    session.on_connect(T0)
    with pytest.raises(InvalidTransition):
        session.on_connect(T0)


def test_an_acceptor_walks_from_logon_to_logout_and_logs_each_move_once() -> None:
    session = acceptor()
    with capture_logs() as logs:
        logged_on(session)
        assert session.state is S.LOGGED_ON
        session.logout(T0 + 1, "done")
        assert session.state is S.LOGOUT_SENT and session.logged_on
        session.receive(frame("5", 2, T0 + 1), T0 + 1)
    assert session.state is S.DISCONNECTED and not session.connected
    moves = [(e["event"], e["previous"], e["state"]) for e in logs if "previous" in e]
    assert moves == [
        ("fix.session.connected", "disconnected", "awaiting_logon"),
        ("fix.session.logon", "awaiting_logon", "logged_on"),
        ("fix.session.logout_sent", "logged_on", "logout_sent"),
        ("fix.session.disconnected", "logout_sent", "disconnected"),
    ]


def test_an_initiator_is_logon_sent_until_the_answer_arrives() -> None:
    session = initiator()
    session.on_connect(T0)
    assert session.state is S.LOGON_SENT and not session.logged_on
    session.receive(frame("A", 1, T0, (98, "0"), (108, "30")), T0)
    assert session.state is S.LOGGED_ON


def test_a_wrong_begin_string_before_logon_is_answered_with_logout_and_the_logon_may_still_follow() -> None:
    session = initiator()
    session.on_connect(T0)
    wrong = encode(b"FIX.4.1", [(35, "0"), (34, "1"), (49, "CLIENT"), (52, format_timestamp(T0)), (56, "HUB")])
    [logout] = sent(session.receive(wrong, T0))
    assert logout.get(58) == b"Incorrect BeginString" and session.state is S.LOGON_SENT_LOGOUT_SENT
    out = session.receive(frame("A", 2, T0, (98, "0"), (108, "30")), T0)
    assert any(isinstance(a, act.LoggedOn) for a in out) and session.state is S.LOGOUT_SENT


def test_a_logon_refused_for_its_comp_ids_leaves_nothing_behind_for_the_next_connection() -> None:
    session = acceptor()
    session.on_connect(T0)
    intruder = encode(b"FIX.4.4", [(35, "A"), (34, "1"), (49, "INTRUDER"), (52, format_timestamp(T0)), (56, "HUB"),
                                   (98, "0"), (108, "30")])
    assert any(isinstance(a, act.Disconnect) for a in session.receive(intruder, T0))
    assert session.state is S.DISCONNECTED
    logged_on(session, now=T0 + 1)
    assert session.state is S.LOGGED_ON
    assert session.tick(T0 + 5) == []  # not "timed out waiting for logout response": no Logout of ours is pending


@pytest.mark.parametrize("reset_on_disconnect", [True, False])
@pytest.mark.parametrize(("problem", "logon"), [
    ("SendingTime", encode(b"FIX.4.4", [(35, "A"), (34, "1"), (49, "CLIENT"), (52, format_timestamp(T0 - 1000)),
                                        (56, "HUB"), (98, "0"), (108, "30")])),
    ("CompID", encode(b"FIX.4.4", [(35, "A"), (34, "1"), (49, "INTRUDER"), (52, format_timestamp(T0)), (56, "HUB"),
                                   (98, "0"), (108, "30")])),
])
def test_a_logon_refused_for_its_sending_time_or_comp_ids_sends_nothing_and_uses_no_number(
        problem: str, logon: bytes, reset_on_disconnect: bool) -> None:
    """As QuickFIX: its Reject before logon throws "Tried to send a reject while not logged on", so neither the
    Reject nor the Logout after it goes out, and the next connection's Logon is answered with MsgSeqNum 1."""
    session = acceptor(reset_on_disconnect=reset_on_disconnect)
    session.on_connect(T0)
    out = session.receive(logon, T0)
    assert sent(out) == [] and any(isinstance(a, act.Disconnect) for a in out)
    assert any(isinstance(a, act.LogonFailed) for a in out) and not any(isinstance(a, act.LoggedOut) for a in out)
    assert session.next_sender_seq_num == 1
    session.on_connect(T0 + 1)
    [answer] = sent(session.receive(frame("A", 1, T0 + 1, (98, "0"), (108, "30")), T0 + 1))
    assert answer.msg_type == b"A" and answer.get(34) == b"1"


def test_a_logout_before_logon_ends_the_connection_with_the_counterpartys_text_as_the_reason() -> None:
    session = initiator(reset_on_disconnect=True)
    session.on_connect(T0)
    out = session.receive(frame("5", 1, T0, (58, "Invalid username or password")), T0)
    assert act.LogonFailed("Invalid username or password") in out
    assert not any(isinstance(a, act.LoggedOut) for a in out) and session.state is S.DISCONNECTED


def test_a_connection_closed_before_logon_is_a_failed_logon_and_one_closed_after_is_a_logout() -> None:
    session = initiator()
    session.on_connect(T0)
    assert session.on_disconnect(T0) == [act.LogonFailed("connection closed")]
    session.on_connect(T0 + 1)
    session.receive(frame("A", 1, T0 + 1, (98, "0"), (108, "30")), T0 + 1)
    assert session.on_disconnect(T0 + 2) == [act.LoggedOut("connection closed")]
