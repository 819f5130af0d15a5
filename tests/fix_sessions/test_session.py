"""The session state machine driven by hand: frames and time in, actions out. No sockets, no clock."""
from __future__ import annotations

from dataclasses import replace

import pytest

from fix_sessions import actions as act
from fix_sessions.application import Application, RejectLogon
from fix_sessions.codec import Message, encode, parse
from fix_sessions.dictionary import load
from fix_sessions.session import Session
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_sessions.store import MemoryStore
from fix_sessions.utctime import format_timestamp
from fix_specs import path as spec_path

T0 = 1_790_000_000.0  # a fixed "now"; every test moves time by hand
HUB = SessionID("FIX.4.4", "HUB", "CLIENT")


def acceptor(**overrides: object) -> Session:
    config = replace(SessionConfig(session_id=HUB, connection_type="acceptor"), **overrides)
    return Session(config, MemoryStore(), load(str(spec_path("FIX44.xml"))))


def initiator(**overrides: object) -> Session:
    config = replace(SessionConfig(session_id=HUB, connection_type="initiator", heartbeat_interval=30), **overrides)
    return Session(config, MemoryStore(), load(str(spec_path("FIX44.xml"))))


def frame(msg_type: str, seq: int, now: float, *body: tuple[int, str], header: tuple[tuple[int, str], ...] = ()
          ) -> bytes:
    """A message from CLIENT to HUB."""
    fields = [(35, msg_type), (34, str(seq)), (49, "CLIENT"), (52, format_timestamp(now)), (56, "HUB"), *header,
              *body]
    return encode(b"FIX.4.4", fields)


def sent(actions: list[act.Action]) -> list[Message]:
    return [parse(a.data) for a in actions if isinstance(a, act.Send)]


def logged_on(session: Session, now: float = T0, heartbeat: int = 30) -> None:
    session.on_connect(now)
    out = session.receive(frame("A", 1, now, (98, "0"), (108, str(heartbeat))), now)
    assert any(isinstance(a, act.LoggedOn) for a in out)


def order(seq: int, now: float, cl_ord_id: str = "C1", header: tuple[tuple[int, str], ...] = ()) -> bytes:
    return frame("D", seq, now, (11, cl_ord_id), (38, "100"), (40, "1"), (54, "1"), (55, "EUR/USD"),
                 (60, format_timestamp(now, 0).decode()), header=header)


def test_acceptor_answers_a_logon_and_takes_the_counterpartys_heartbeat_interval() -> None:
    session = acceptor()
    session.on_connect(T0)
    out = session.receive(frame("A", 1, T0, (98, "0"), (108, "5")), T0)
    [logon] = sent(out)
    assert logon.msg_type == b"A" and logon.get(108) == b"5" and logon.get(34) == b"1"
    assert session.logged_on and session.heartbeat_interval == 5
    assert session.next_target_seq_num == 2 and session.next_sender_seq_num == 2


def test_first_message_that_is_not_a_logon_disconnects() -> None:
    session = acceptor()
    session.on_connect(T0)
    out = session.receive(frame("0", 1, T0), T0)
    assert any(isinstance(a, act.Disconnect) for a in out)
    assert not sent(out)


def test_silence_brings_a_heartbeat_then_a_test_request_then_a_disconnect() -> None:
    session = acceptor()
    logged_on(session, heartbeat=10)
    assert session.tick(T0 + 5) == []
    [heartbeat] = sent(session.tick(T0 + 10))
    assert heartbeat.msg_type == b"0"
    [test_request] = sent(session.tick(T0 + 12))
    assert test_request.msg_type == b"1" and test_request.get(112) == b"TEST"
    out = session.tick(T0 + 24)
    assert any(isinstance(a, act.Disconnect) for a in out)
    assert any(isinstance(a, act.LoggedOut) for a in out)


def test_deadline_tells_the_driver_when_the_next_heartbeat_is_due() -> None:
    session = acceptor()
    logged_on(session, heartbeat=10)
    assert session.deadline() == pytest.approx(T0 + 10)


def test_a_gap_brings_a_resend_request_and_queued_messages_are_processed_in_order() -> None:
    session = acceptor()
    logged_on(session)
    out = session.receive(order(4, T0, "C4"), T0)
    [resend] = sent(out)
    assert resend.msg_type == b"2" and resend.get(7) == b"2" and resend.get(16) == b"0"
    assert not any(isinstance(a, act.Deliver) for a in out)
    session.receive(order(2, T0, "C2"), T0)
    out = session.receive(order(3, T0, "C3"), T0)
    delivered = [a.message.get(11) for a in out if isinstance(a, act.Deliver)]
    assert delivered == [b"C3", b"C4"]
    assert session.next_target_seq_num == 5


def test_msg_seq_num_too_low_without_poss_dup_logs_out_and_disconnects() -> None:
    session = acceptor()
    logged_on(session)
    session.receive(frame("0", 2, T0), T0)
    out = session.receive(frame("0", 2, T0), T0)
    [logout] = sent(out)
    assert logout.get(58) == b"MsgSeqNum too low, expecting 3 but received 2"
    assert any(isinstance(a, act.Disconnect) for a in out)


def test_poss_dup_below_the_expected_number_is_ignored() -> None:
    session = acceptor()
    logged_on(session)
    session.receive(order(2, T0, "C2"), T0)
    stamp = format_timestamp(T0 - 1).decode()
    out = session.receive(order(2, T0, "C2", header=((43, "Y"), (122, stamp))), T0)
    assert out == []


def test_resend_request_is_answered_with_poss_dup_copies_and_a_gap_fill_over_admin_messages() -> None:
    session = acceptor()
    logged_on(session)  # our 1 is the Logon
    session.send(b"8", [(6, "0"), (11, "C1"), (14, "0"), (17, "E1"), (37, "O1"), (39, "0"), (54, "1"), (55, "X"),
                        (150, "0"), (151, "100")], T0 + 1)  # our 2
    session.receive(frame("1", 2, T0 + 2, (112, "PING")), T0 + 2)  # our 3: Heartbeat
    out = session.receive(frame("2", 3, T0 + 3, (7, "1"), (16, "0")), T0 + 3)
    replies = sent(out)
    assert [m.msg_type for m in replies] == [b"4", b"8", b"4"]
    first_fill, resent, last_fill = replies
    assert (first_fill.get(34), first_fill.get(36), first_fill.get(123)) == (b"1", b"2", b"Y")
    assert resent.get(34) == b"2" and resent.get(43) == b"Y"
    assert resent.get(122) == format_timestamp(T0 + 1) and resent.get(52) == format_timestamp(T0 + 3)
    assert (last_fill.get(34), last_fill.get(36)) == (b"3", b"4")
    assert session.next_sender_seq_num == 4


def test_sequence_reset_gap_fill_moves_the_expected_number_forward() -> None:
    session = acceptor()
    logged_on(session)
    session.receive(frame("4", 2, T0, (36, "10"), (123, "Y")), T0)
    assert session.next_target_seq_num == 10


def test_sequence_reset_to_a_lower_number_is_rejected() -> None:
    session = acceptor()
    logged_on(session)
    [reject] = sent(session.receive(frame("4", 0, T0, (36, "1")), T0))
    assert reject.msg_type == b"3" and reject.get(373) == b"5"
    assert session.next_target_seq_num == 2


def test_sending_time_far_from_now_is_rejected_and_logged_out() -> None:
    session = acceptor()
    logged_on(session)
    out = session.receive(frame("0", 2, T0 - 200), T0)
    reject, logout = sent(out)
    assert reject.get(373) == b"10" and reject.get(58) == b"SendingTime accuracy problem"
    assert logout.msg_type == b"5"


def test_a_field_rule_broken_gets_a_session_reject_and_the_sequence_moves_on() -> None:
    session = acceptor()
    logged_on(session)
    bad = frame("D", 2, T0, (11, "C1"), (38, "+1"), (40, "1"), (54, "1"), (55, "X"), (60, "20240101-00:00:00"))
    [reject] = sent(session.receive(bad, T0))
    assert (reject.get(45), reject.get(371), reject.get(373)) == (b"2", b"38", b"6")
    assert reject.get(58) == b"Incorrect data format for value"
    assert session.next_target_seq_num == 3


def test_garbled_message_after_logon_is_ignored() -> None:
    session = acceptor()
    logged_on(session)
    good = frame("0", 2, T0)
    assert session.receive(good[:-4] + b"999\x01", T0) == []
    assert session.next_target_seq_num == 2


def test_initiator_sends_logon_with_reset_when_configured_and_credentials() -> None:
    session = initiator(reset_on_logon=True, username="dealer", password="s3cret")
    [logon] = sent(session.on_connect(T0))
    assert logon.get(141) == b"Y" and logon.get(553) == b"dealer" and logon.get(554) == b"s3cret"
    reply = encode(b"FIX.4.4", [(35, "A"), (34, "1"), (49, "CLIENT"), (52, format_timestamp(T0)), (56, "HUB"),
                                (98, "0"), (108, "30"), (141, "Y")])
    out = session.receive(reply, T0)
    assert any(isinstance(a, act.LoggedOn) for a in out)


def test_application_can_refuse_a_logon() -> None:
    class Refuser(Application):
        def accept_logon(self, message: Message, session_id: SessionID) -> None:
            raise RejectLogon("unknown account")

    config = SessionConfig(session_id=HUB, connection_type="acceptor")
    session = Session(config, MemoryStore(), load(str(spec_path("FIX44.xml"))), Refuser())
    session.on_connect(T0)
    out = session.receive(frame("A", 1, T0, (98, "0"), (108, "30")), T0)
    [logout] = sent(out)
    assert logout.msg_type == b"5" and logout.get(58) == b"unknown account"
    assert any(isinstance(a, act.Disconnect) for a in out) and not session.logged_on


def test_sequence_numbers_survive_a_new_connection_on_the_same_store() -> None:
    session = acceptor()
    logged_on(session)
    session.receive(frame("0", 2, T0), T0)
    session.on_disconnect(T0 + 1)
    session.on_connect(T0 + 2)
    out = session.receive(frame("A", 3, T0 + 2, (98, "0"), (108, "30")), T0 + 2)
    [logon] = sent(out)
    assert logon.get(34) == b"2" and session.next_target_seq_num == 4


def test_a_new_session_period_resets_sequence_numbers_and_refuses_logon_outside_hours() -> None:
    import datetime as dt

    midnight = dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc).timestamp()
    session = acceptor(start_time=dt.time(8, 0), end_time=dt.time(17, 0))
    logged_on(session, now=midnight + 9 * 3600)
    session.receive(frame("0", 2, midnight + 9 * 3600), midnight + 9 * 3600)
    out = session.tick(midnight + 17 * 3600 + 5)  # past EndTime: logout and disconnect
    assert [m.msg_type for m in sent(out)] == [b"5"] and not session.connected
    assert isinstance(session.on_connect(midnight + 20 * 3600)[0], act.Disconnect)  # outside hours
    tomorrow = midnight + 86_400 + 9 * 3600
    session.on_connect(tomorrow)
    [logon] = sent(session.receive(frame("A", 1, tomorrow, (98, "0"), (108, "30")), tomorrow))
    assert logon.get(34) == b"1" and session.logged_on
