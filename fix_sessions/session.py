"""The FIX session state machine, sans-IO: frames and the time come in, actions (``fix_sessions.actions``) go out.

It knows no sockets and reads no clock: every call takes ``now`` (epoch seconds, UTC), so every test is
deterministic. The rules follow the FIX session protocol as QuickFIX implements it (its acceptance tests are our
conformance suite): logon and logout handshakes, heartbeats and TestRequest, gap detection with ResendRequest and
in-order processing of what was queued, resend with PossDup and GapFill, SequenceReset in both modes, and the
SendingTime, CompID and BeginString checks, each failure answered with the Reject, Logout or disconnect QuickFIX
sends. Where the session stands in its handshakes is one ``SessionState``, moved only by ``states.TRANSITIONS``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone

import structlog

from fix_sessions import actions as act
from fix_sessions.application import Application, DoNotSend, RejectLogon
from fix_sessions.codec import GarbledMessage, Message, Value, encode, parse, to_bytes
from fix_sessions.dictionary import DataDictionary, ValidationOptions
from fix_sessions.reject import (
    BusinessReject,
    FieldReject,
    SessionRejectReason as R,
)
from fix_sessions.schedule import SessionSchedule
from fix_sessions.settings import SessionConfig
from fix_sessions.states import SessionEvent, SessionState, next_state
from fix_sessions.store import MessageStore
from fix_sessions.utctime import format_timestamp, parse_timestamp

log = structlog.get_logger("fix.session")

LOGON, HEARTBEAT, TEST_REQUEST, RESEND_REQUEST, REJECT, SEQUENCE_RESET, LOGOUT = (
    b"A", b"0", b"1", b"2", b"3", b"4", b"5")
BUSINESS_MESSAGE_REJECT = b"j"
ADMIN_TYPES = frozenset({LOGON, HEARTBEAT, TEST_REQUEST, RESEND_REQUEST, REJECT, SEQUENCE_RESET, LOGOUT})

# The standard header of FIX 4.x, for telling header from body when a session runs without a dictionary.
STANDARD_HEADER = frozenset({
    8, 9, 35, 49, 56, 115, 128, 90, 91, 34, 50, 142, 57, 143, 116, 144, 129, 145, 43, 97, 52, 122, 212, 213, 347,
    369, 627, 628, 629, 630,
})
# OnBehalfOf* <-> DeliverTo*: a reply goes back the way the request came (QuickFIX's reverseRoute).
_REVERSE_ROUTE = ((115, 128), (128, 115), (116, 129), (129, 116), (144, 145), (145, 144))


class Session:
    """One FIX session (a SessionID) with its sequence numbers in ``store``; one connection at a time."""

    def __init__(
        self,
        config: SessionConfig,
        store: MessageStore,
        dictionary: DataDictionary | None = None,
        application: Application | None = None,
        app_dictionary: DataDictionary | None = None,
    ) -> None:
        """``dictionary`` validates admin messages, and application ones too unless ``app_dictionary`` is given
        (QuickFIX's TransportDataDictionary/DataDictionary and AppDataDictionary)."""
        self.config = config
        self.session_id = config.session_id
        self.store = store
        self.dictionary = dictionary
        self.app_dictionary = app_dictionary or dictionary
        self.application = application or Application()
        # Building a Message for a hook that does nothing is most of the cost of a send: skip it then.
        self._hooks_admin = type(self.application).to_admin is not Application.to_admin
        self._hooks_app = type(self.application).to_app is not Application.to_app
        self.initiator = config.connection_type == "initiator"
        self._begin = config.session_id.begin_string.encode("latin-1")
        self._sender = config.session_id.sender_comp_id.encode("latin-1")
        self._target = config.session_id.target_comp_id.encode("latin-1")
        self._fix42_or_later = self._begin >= b"FIX.4.2" or self._begin.startswith(b"FIXT")
        self._header_tags = dictionary.header_tags if dictionary is not None else STANDARD_HEADER
        self._validation = ValidationOptions(
            fields_have_values=config.validate_fields_have_values,
            fields_out_of_order=config.validate_fields_out_of_order,
            user_defined_fields=config.validate_user_defined_fields,
            allow_unknown_msg_fields=config.allow_unknown_msg_fields,
        )
        self._log = log.bind(session=str(self.session_id))
        self._out: list[act.Action] = []
        self._state = SessionState.DISCONNECTED
        # Whether our last Logon asked for ResetSeqNumFlag. Not a state: it says how to read their Logon (an answer
        # to our reset, not a new one), in LOGON_SENT or, when the application sends a reset Logon, in LOGGED_ON.
        self._sent_reset = False
        self.heartbeat_interval = config.heartbeat_interval
        self._resend_range: tuple[int, int] | None = None
        self._queue: dict[int, Message] = {}
        self._queue_full_logged = False   # one warning per filling of the queue, not one per dropped message
        self._queued_bytes = 0            # field bytes of the messages in _queue, an estimate to bound memory
        self._logon_refusal: RejectLogon | None = None   # Application.authenticate's verdict on this connection
        self._test_requests = 0
        self._last_sent = self._last_received = self._connected_at = 0.0
        self._schedule = (
            SessionSchedule(config.start_time, config.end_time, config.start_day, config.end_day, config.time_zone)
            if config.start_time is not None and config.end_time is not None else None
        )
        self._period: tuple[float, float] | None = None

    # ------------------------------------------------------------------ state the driver may read
    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def connected(self) -> bool:
        return self._state is not SessionState.DISCONNECTED

    @property
    def logged_on(self) -> bool:
        return self._state.logged_on

    @property
    def next_sender_seq_num(self) -> int:
        return self.store.next_sender_seq_num()

    @property
    def next_target_seq_num(self) -> int:
        return self.store.next_target_seq_num()

    def in_session_time(self, now: float) -> bool:
        """Whether ``now`` falls in a period of StartTime..EndTime (always, for a session without a schedule)."""
        return self._schedule is None or self._schedule.period(now) is not None

    # ------------------------------------------------------------------ inputs
    def on_connect(self, now: float) -> list[act.Action]:
        """A connection is up; an initiator sends its Logon now."""
        self._out = []
        if not self._check_schedule(now):  # a new period resets here, before the first message
            self._out.append(act.Disconnect("outside the session's period"))
            return self._out
        self._move(SessionEvent.CONNECT)
        self._connected_at = self._last_received = self._last_sent = now
        if self.initiator:
            self._generate_logon(now)
        return self._out

    def refuse_logon(self, refusal: RejectLogon | None) -> None:
        """The next Logon on this connection is refused with ``refusal`` (None: it may pass)."""
        self._logon_refusal = refusal

    def terminate(self, now: float, reason: str) -> list[act.Action]:
        """End the connection at once for ``reason`` (a peer breaking a limit): when logged on a Logout carrying
        the reason goes out first, without waiting for its answer."""
        self._out = []
        if self._state is SessionState.LOGGED_ON:
            self._generate_logout(now, reason)
        self._disconnect(reason, now)
        return self._out

    def on_disconnect(self, now: float) -> list[act.Action]:
        """The connection went away (or the driver closed it)."""
        self._out = []
        if self.connected:
            self._disconnect("connection closed", now, emit=False)
        return self._out

    def receive(self, frame: bytes, now: float) -> list[act.Action]:
        """One whole frame from ``Framer``."""
        self._out = []
        if not self.connected:
            return self._out
        try:
            message = parse(frame)
        except GarbledMessage as error:
            self._log.warning("fix.message.garbled", reason=str(error))
            if not self.logged_on or b"\x0135=A\x01" in frame[:40]:
                self._disconnect(f"garbled message before logon: {error}", now)
            return self._out
        self._next(message, now, queued=False)
        return self._out

    def tick(self, now: float) -> list[act.Action]:
        """Timers: heartbeat, TestRequest, logon and logout timeouts."""
        self._out = []
        if self.connected and self._check_schedule(now):
            self._timers(now)
        return self._out

    def deadline(self) -> float | None:
        """The latest time ``tick`` must next be called, or None when no timer runs."""
        if not self.connected:
            return None
        if not self.logged_on:
            waiting = self._state.logon_sent or not self.initiator
            return self._connected_at + self.config.logon_timeout if waiting else None
        interval = self.heartbeat_interval
        candidates = []
        if interval > 0:
            candidates += [
                self._last_sent + interval,
                self._last_received + 1.2 * (self._test_requests + 1) * interval,
                self._last_received + 2.4 * interval,
            ]
        if self._state.logout_sent:
            candidates.append(self._last_sent + self.config.logout_timeout)
        return min(candidates) if candidates else None

    def send(
        self, msg_type: bytes, body: Iterable[tuple[int, Value]], now: float,
        header: Iterable[tuple[int, Value]] = (),
    ) -> list[act.Action]:
        """Send an application (or admin) message; it is stored for resend even while logged out."""
        self._out = []
        body = list(body)
        if msg_type == LOGON and any(t == 141 and v in (b"Y", "Y", True) for t, v in body):
            self._reset_for_our_logon(now)  # the application resets the sequence numbers in session
        self._send_raw(msg_type, body, now, header=list(header))
        return self._out

    def logout(self, now: float, text: str | None = None) -> list[act.Action]:
        """Begin the logout handshake; the connection closes on the answer or after LogoutTimeout."""
        self._out = []
        if self._state is SessionState.LOGGED_ON:
            self._generate_logout(now, text)
        elif self.connected and not self.logged_on:
            self._disconnect(text or "logout before logon completed", now)
        return self._out

    def reject_app_message(self, message: Message, error: FieldReject | BusinessReject, now: float) -> list[act.Action]:
        """The application refused a delivered message: answer with a Reject or BusinessMessageReject."""
        self._out = []
        if isinstance(error, FieldReject):
            self._generate_reject(message, error.reason, error.tag, now, consume=False)
        else:
            self._generate_business_reject(message, error, now)
        return self._out

    def reset(self, now: float) -> None:
        """Both sequence numbers back to 1 and the stored messages dropped (what ResetSeqNumFlag asks for)."""
        self.store.reset(self._utc(now))
        self._queue.clear()
        self._queued_bytes = 0
        self._queue_full_logged = False
        self._log.info("fix.session.reset")

    # ------------------------------------------------------------------ inbound processing
    def _next(self, message: Message, now: float, queued: bool) -> None:
        msg_type = message.msg_type
        if not self._check_schedule(now):
            return
        try:
            if 49 not in message:
                raise FieldReject(R.REQUIRED_TAG_MISSING, 49)
            if 56 not in message:
                raise FieldReject(R.REQUIRED_TAG_MISSING, 56)
            if message.get(8) != self._begin:
                raise _UnsupportedVersion
            dictionary = self.dictionary if msg_type in ADMIN_TYPES else self.app_dictionary
            if dictionary is not None:
                dictionary.validate(message, self._validation)
            handler = self._ADMIN_HANDLERS.get(msg_type)
            if handler is not None:
                handler(self, message, now)
            elif self._verify(message, now, True, True):
                self.store.incr_next_target_seq_num()
        except FieldReject as error:
            self._generate_reject(message, error.reason, error.tag, now)
            if msg_type == LOGON and error.reason == R.REQUIRED_TAG_MISSING:
                self._disconnect("required field missing from logon", now)
        except _UnsupportedVersion:
            if msg_type == LOGOUT:
                self._next_logout(message, now)
            else:
                self._generate_logout(now, "Incorrect BeginString")
                self.store.incr_next_target_seq_num()
        except ValueError as error:  # a header value the checks could not read (no dictionary to reject it)
            self._log.warning("fix.message.unreadable", reason=str(error))
            self._disconnect(f"unreadable message: {error}", now)
        if not queued:
            self._next_queued(now)
        if self.logged_on:
            self._timers(now)

    def _verify(self, message: Message, now: float, check_too_high: bool, check_too_low: bool) -> bool:
        """The checks every message passes before it counts (QuickFIX's verify); False if it was answered."""
        msg_type = message.msg_type
        sending_time = message.get(52)
        if sending_time is None:
            self._disconnect("SendingTime(52) missing", now)
            return False
        seq = _seq_num(message) if check_too_high or check_too_low else 0
        if not self._valid_logon_state(message):
            self._disconnect(f"logon state is not valid for message type {msg_type.decode('latin-1')}", now)
            return False
        if self.config.check_latency and abs(now - parse_timestamp(sending_time)) > self.config.max_latency:
            self._reject_and_log_out(message, R.SENDINGTIME_ACCURACY_PROBLEM, now)
            return False
        if self.config.check_comp_id and (message.get(49) != self._target or message.get(56) != self._sender):
            self._reject_and_log_out(message, R.COMPID_PROBLEM, now)
            return False
        expected = self.store.next_target_seq_num()
        if check_too_high and seq > expected:
            self._target_too_high(message, seq, now)
            return False
        if check_too_low and seq < expected:
            self._target_too_low(message, seq, now)
            return False
        if (check_too_high or check_too_low) and self._resend_range is not None and seq >= self._resend_range[1]:
            self._log.info("fix.resend.satisfied", begin=self._resend_range[0], end=self._resend_range[1])
            self._resend_range = None
        self._last_received = now
        self._test_requests = 0
        self._out.append(act.AdminReceived(message) if msg_type in ADMIN_TYPES else act.Deliver(message))
        return True

    def _valid_logon_state(self, message: Message) -> bool:
        """QuickFIX's validLogonState: a Logon comes before logon or to reset the sequence numbers, a Logout once
        our Logon is out, anything else once theirs is in or our Logout is out (and SequenceReset, Reject always)."""
        msg_type, state = message.msg_type, self._state
        if msg_type == LOGON:
            return state is not SessionState.LOGGED_ON or self._sent_reset or message.get(141) == b"Y"
        if msg_type == LOGOUT:
            return state.logon_sent
        return state.logged_on or state.logout_sent or msg_type in (SEQUENCE_RESET, REJECT)

    def _target_too_high(self, message: Message, seq: int, now: float) -> None:
        expected = self.store.next_target_seq_num()
        self._log.info("fix.seq.too_high", expected=expected, received=seq)
        size, held = _size(message), self._queue.get(seq)
        if held is not None or (len(self._queue) < self.config.max_queued_messages
                                and self._queued_bytes + size <= self.config.max_queued_bytes):
            self._queued_bytes += size - (_size(held) if held is not None else 0)
            self._queue[seq] = message
        elif not self._queue_full_logged:
            # Not queued: the ResendRequest (this one or the next gap's) brings it again, so nothing is lost.
            self._queue_full_logged = True
            self._log.warning("fix.seq.queue_full", messages=len(self._queue), bytes=self._queued_bytes, dropped=seq)
        if (self._resend_range is not None and not self.config.send_redundant_resend_requests
                and seq >= self._resend_range[0]):
            return
        self._resend_range = (expected, seq - 1)
        self._send_raw(RESEND_REQUEST, [(7, expected), (16, 0 if self._fix42_or_later else 999999)], now)
        self._log.info("fix.resend.requested", begin=expected, end=seq - 1)

    def _target_too_low(self, message: Message, seq: int, now: float) -> None:
        if message.get(43) != b"Y":
            text = f"MsgSeqNum too low, expecting {self.store.next_target_seq_num()} but received {seq}"
            self._generate_logout(now, text)
            self._disconnect(text, now)
            return
        if message.msg_type == SEQUENCE_RESET:
            return
        original = message.get(122)
        if original is None:
            self._generate_reject(message, R.REQUIRED_TAG_MISSING, 122, now)
        elif parse_timestamp(original) > parse_timestamp(message.get(52) or b""):
            self._reject_and_log_out(message, R.SENDINGTIME_ACCURACY_PROBLEM, now)

    def _next_queued(self, now: float) -> None:
        while self.connected and self._queue:
            expected = self.store.next_target_seq_num()
            for stale in [seq for seq in self._queue if seq < expected]:
                self._queued_bytes -= _size(self._queue.pop(stale))
            message = self._queue.pop(expected, None)
            if message is not None:
                self._queued_bytes -= _size(message)
            if not self._queue:
                self._queue_full_logged = False
                self._queued_bytes = 0
            if message is None:
                return
            if message.msg_type in (LOGON, RESEND_REQUEST):
                self.store.incr_next_target_seq_num()
            else:
                self._next(message, now, queued=True)

    def _next_logon(self, message: Message, now: float) -> None:
        if self.config.refresh_on_logon:
            self.store.refresh()
        reset_requested = message.get(141) == b"Y"
        if reset_requested and not self._sent_reset:
            self.reset(now)
        if self.initiator and not self._state.logon_sent and not reset_requested:
            self._disconnect("received logon response before sending request", now)
            return
        if not self.initiator and self.config.reset_on_logon:
            self.reset(now)
        if not self._verify(message, now, False, True):
            return
        try:
            if self._logon_refusal is not None:
                raise self._logon_refusal
            if (message.get(108) or b"").startswith(b"-"):
                raise RejectLogon("HeartBtInt(108) must not be negative")
            self.application.accept_logon(message, self.session_id)
        except RejectLogon as refusal:
            self._log.warning("fix.session.logon_refused", reason=str(refusal))
            self._generate_logout(now, str(refusal))
            self._disconnect(f"logon refused: {refusal}", now)
            return
        answer = not self.initiator or (reset_requested and not self._sent_reset)
        if answer and (interval := message.get(108)) is not None:
            self.heartbeat_interval = int(interval)
        if self._state.logon_sent:  # ours went first: theirs completes the exchange
            self._move(SessionEvent.LOGON, heartbeat_interval=self.heartbeat_interval)
        if answer:
            body: list[tuple[int, Value]] = [(98, b"0"), (108, self.heartbeat_interval)]
            if reset_requested:
                body.append((141, b"Y"))
            self._send_raw(LOGON, body, now)
        if not self._state.logged_on:  # ours is the answer: sending it completes the exchange
            self._move(SessionEvent.LOGON, heartbeat_interval=self.heartbeat_interval)
        self._sent_reset = False
        seq = _seq_num(message)
        if seq > self.store.next_target_seq_num() and not reset_requested:
            self._target_too_high(message, seq, now)
        else:
            self.store.incr_next_target_seq_num()
            self._next_queued(now)
        if self.logged_on:
            self._out.append(act.LoggedOn())

    def _next_heartbeat(self, message: Message, now: float) -> None:
        if self._verify(message, now, True, True):
            self.store.incr_next_target_seq_num()
            self._next_queued(now)

    def _next_test_request(self, message: Message, now: float) -> None:
        if self._verify(message, now, True, True):
            self._send_raw(HEARTBEAT, [(112, message.get(112) or b"")], now)
            self.store.incr_next_target_seq_num()
            self._next_queued(now)

    def _next_reject(self, message: Message, now: float) -> None:
        if self._verify(message, now, False, True):
            self.store.incr_next_target_seq_num()
            self._next_queued(now)

    def _next_sequence_reset(self, message: Message, now: float) -> None:
        gap_fill = message.get(123) == b"Y"
        if not self._verify(message, now, gap_fill, gap_fill):
            return
        new_seq = message.get(36)
        if new_seq is None:
            raise FieldReject(R.REQUIRED_TAG_MISSING, 36)
        expected = self.store.next_target_seq_num()
        self._log.info("fix.seq.reset", expected=expected, new_seq_no=int(new_seq), gap_fill=gap_fill)
        if int(new_seq) > expected:
            self.store.set_next_target_seq_num(int(new_seq))
        elif int(new_seq) < expected:
            self._generate_reject(message, R.VALUE_IS_INCORRECT, 0, now)

    def _next_logout(self, message: Message, now: float) -> None:
        if not self._verify(message, now, False, False):
            return
        if not self._state.logout_sent:
            self._generate_logout(now)
        self.store.incr_next_target_seq_num()
        if self.config.reset_on_logout:
            self.reset(now)
        self._disconnect(message.get_str(58) or "logout", now)  # their Text says why, a refused logon's above all

    def _next_resend_request(self, message: Message, now: float) -> None:
        if not self._verify(message, now, False, False):
            return
        begin = int(message.get(7) or b"0")
        end = int(message.get(16) or b"0")
        next_sender = self.store.next_sender_seq_num()
        if (self._fix42_or_later and end == 0) or (not self._fix42_or_later and end == 999999) or end >= next_sender:
            end = next_sender - 1
        self._log.info("fix.resend.received", begin=begin, end=end)
        if not self.config.persist_messages:
            self._gap_fill(begin, min(end + 1, next_sender), now)
        else:
            self._resend(begin, end, now)
        seq = _seq_num(message)
        if seq == self.store.next_target_seq_num():
            self.store.incr_next_target_seq_num()

    def _resend(self, begin: int, end: int, now: float) -> None:
        gap_start = 0
        current = begin
        last_seq = 0
        for seq, raw in self.store.get(begin, end):
            stored = parse(raw, validate=False)
            if seq != current and not gap_start:
                gap_start = current
            if stored.msg_type in ADMIN_TYPES:
                if not gap_start:
                    gap_start = seq
            else:
                if gap_start:
                    self._gap_fill(gap_start, seq, now)
                self._send_resent(stored, now)
                gap_start = 0
            current = seq + 1
            last_seq = seq
        if gap_start:
            self._gap_fill(gap_start, last_seq + 1, now)
        if end > last_seq:
            self._gap_fill(begin if not last_seq else last_seq + 1, min(end + 1, self.store.next_sender_seq_num()),
                           now)

    def _send_resent(self, stored: Message, now: float) -> None:
        header: dict[int, bytes] = {}
        body: list[tuple[int, bytes]] = []
        for tag, value in stored.fields:
            if tag in (8, 9, 10, 35):
                continue
            if tag in self._header_tags:
                header[tag] = value
            else:
                body.append((tag, value))
        header[122] = header.get(52, b"")
        header[43] = b"Y"
        header[52] = format_timestamp(now, self.config.timestamp_precision)
        fields = [(35, stored.msg_type), *sorted(header.items()), *body]
        data = encode(self._begin, fields)
        self._emit(data, now)

    def _gap_fill(self, begin: int, new_seq_no: int, now: float) -> None:
        sending_time = format_timestamp(now, self.config.timestamp_precision)
        fields: list[tuple[int, Value]] = [
            (35, SEQUENCE_RESET), (34, begin), (43, b"Y"), (49, self._sender), (52, sending_time), (56, self._target),
            (122, sending_time), (36, new_seq_no), (123, b"Y"),
        ]
        message = Message([(tag, to_bytes(value)) for tag, value in fields])
        self.application.to_admin(message, self.session_id)
        self._emit(encode(self._begin, message.fields), now)
        self._log.info("fix.resend.gap_fill", begin=begin, new_seq_no=new_seq_no)

    # ------------------------------------------------------------------ outbound
    def _send_raw(
        self, msg_type: bytes, body: Sequence[tuple[int, Value]], now: float,
        header: Sequence[tuple[int, Value]] = (),
    ) -> None:
        admin = msg_type in ADMIN_TYPES
        if not admin and not self.logged_on and self._should_send_reset():
            return
        seq = self.store.next_sender_seq_num()
        head: dict[int, Value] = dict(header) if header else {}
        head.update({34: b"%d" % seq, 49: self._sender, 52: format_timestamp(now, self.config.timestamp_precision),
                     56: self._target})
        fields: Sequence[tuple[int, Value]] = [(35, msg_type), *sorted(head.items()), *body]
        if admin and self._hooks_admin:
            message = Message([(tag, to_bytes(value)) for tag, value in fields])
            self.application.to_admin(message, self.session_id)
            fields = message.fields
        elif not admin and self._hooks_app:
            message = Message([(tag, to_bytes(value)) for tag, value in fields])
            try:
                self.application.to_app(message, self.session_id)
            except DoNotSend:
                return
            fields = message.fields
        data = encode(self._begin, fields)
        if self.config.persist_messages:
            self.store.save(seq, data)
        else:
            self.store.set_next_sender_seq_num(seq + 1)
        if self.logged_on or msg_type in (LOGON, LOGOUT, RESEND_REQUEST, SEQUENCE_RESET):
            self._emit(data, now)

    def _emit(self, data: bytes, now: float) -> None:
        self._last_sent = now
        self._out.append(act.Send(data))

    def _should_send_reset(self) -> bool:
        config = self.config
        return (self._begin >= b"FIX.4.1" and (config.reset_on_logon or config.reset_on_logout
                                               or config.reset_on_disconnect)
                and self.store.next_sender_seq_num() == 1 and self.store.next_target_seq_num() == 1)

    def _generate_logon(self, now: float) -> None:
        if self.config.refresh_on_logon:
            self.store.refresh()
        if self.config.reset_on_logon:
            self.reset(now)
        reset = self._should_send_reset()
        body: list[tuple[int, Value]] = [(98, b"0"), (108, self.heartbeat_interval)]
        if reset:
            body.append((141, b"Y"))
        if self.config.username:
            body.append((553, self.config.username))
        if self.config.password:
            body.append((554, self.config.password))
        self._last_received = now
        self._test_requests = 0
        self._move(SessionEvent.SEND_LOGON)
        if reset:
            self._reset_for_our_logon(now)
        self._send_raw(LOGON, body, now)

    def _reset_for_our_logon(self, now: float) -> None:
        """Our Logon asks for ResetSeqNumFlag: both numbers back to 1 now, and their answer is no new reset."""
        self.reset(now)
        self._sent_reset = True

    def _generate_logout(self, now: float, text: str | None = None) -> None:
        self._send_raw(LOGOUT, [(58, text)] if text else [], now)
        self._move(SessionEvent.SEND_LOGOUT, text=text)

    def _generate_reject(
        self, message: Message, reason: R, tag: int, now: float, consume: bool = True,
    ) -> None:
        msg_type = message.msg_type
        seq_raw = message.get(34)
        header = [(reply, value) for source, reply in _REVERSE_ROUTE if (value := message.get(source))]
        body: list[tuple[int, Value]] = []
        if seq_raw:
            body.append((45, seq_raw))
        text = reason.text
        if self._fix42_or_later:
            if tag or reason == R.INVALID_TAG_NUMBER:
                body += [(58, text), (371, tag)]
            else:
                body.append((58, text))
            if msg_type:
                body.append((372, msg_type))
            if self._begin > b"FIX.4.2" or reason <= R.INVALID_MSGTYPE:
                body.append((373, int(reason)))
        else:
            body.append((58, f"{text} ({tag})" if tag else text))
        if (consume and msg_type not in (LOGON, SEQUENCE_RESET) and seq_raw and seq_raw.isdigit()
                and int(seq_raw) == self.store.next_target_seq_num()):
            self.store.incr_next_target_seq_num()
        self._log.warning("fix.message.rejected", ref_seq_num=seq_raw, ref_msg_type=msg_type, reason=int(reason),
                          text=text, ref_tag=tag)
        if not self.logged_on:
            self._disconnect(f"rejected before logon: {text}", now)
            return
        self._send_raw(REJECT, body, now, header=header)

    def _reject_and_log_out(self, message: Message, reason: R, now: float) -> None:
        """QuickFIX's doBadTime and doBadCompID: a Reject, then a Logout. Before logon QuickFIX sends neither (its
        Reject throws "Tried to send a reject while not logged on" and the connection closes), so no sequence number
        is used and, with ResetOnDisconnect, the next connection starts at 1."""
        self._generate_reject(message, reason, 0, now)
        if self.logged_on:
            self._generate_logout(now)

    def _generate_business_reject(self, message: Message, error: BusinessReject, now: float) -> None:
        body: list[tuple[int, Value]] = [(45, message.get(34) or b"0")]
        body.append((58, f"{error.text} ({error.tag})" if error.tag else error.text))
        body += [(372, message.msg_type), (380, int(error.reason))]
        self._log.warning("fix.message.business_rejected", ref_seq_num=message.get(34), reason=int(error.reason))
        self._send_raw(BUSINESS_MESSAGE_REJECT, body, now)

    # ------------------------------------------------------------------ timers and teardown
    def _check_schedule(self, now: float) -> bool:
        """False outside session time; a new period resets the sequence numbers (and ends a live connection)."""
        if self._schedule is None:
            return True
        period = self._period
        if period is not None and period[0] <= now < period[1]:
            return True
        period = self._period = self._schedule.period(now)
        created = self.store.creation_time().timestamp()
        if period is not None and period[0] <= created < period[1]:
            return True
        was_connected = self.connected
        if self._state is SessionState.LOGGED_ON:
            self._generate_logout(now, "Session period ended")
        self._disconnect("outside the session's period" if period is None else "new session period", now)
        self.reset(now)
        self._log.info("fix.session.period_reset", in_period=period is not None)
        return period is not None and not was_connected

    def _timers(self, now: float) -> None:
        if not self.logged_on:
            if self.initiator and not self._state.logon_sent:
                self._generate_logon(now)
            elif now - self._connected_at >= self.config.logon_timeout:
                self._disconnect("timed out waiting for logon", now)
            return
        interval = self.heartbeat_interval
        if self._state.logout_sent and now - self._last_sent >= self.config.logout_timeout:
            self._disconnect("timed out waiting for logout response", now)
            return
        if interval <= 0:
            return
        if now - self._last_sent < interval and now - self._last_received < interval:
            return
        if now - self._last_received >= 2.4 * interval:
            self._disconnect("timed out waiting for heartbeat", now)
        elif now - self._last_received >= 1.2 * (self._test_requests + 1) * interval:
            self._send_raw(TEST_REQUEST, [(112, b"TEST")], now)
            self._test_requests += 1
        elif now - self._last_sent >= interval and self._test_requests == 0:
            self._send_raw(HEARTBEAT, [], now)

    def _disconnect(self, reason: str, now: float, emit: bool = True) -> None:
        if not self.connected:
            return
        was_logged_on = self.logged_on
        self._move(SessionEvent.DISCONNECT, reason=reason, logged_on=was_logged_on)
        if emit:
            self._out.append(act.Disconnect(reason))
        self._out.append(act.LoggedOut(reason) if was_logged_on else act.LogonFailed(reason))
        self._sent_reset = False
        self._resend_range = None
        self._queue.clear()
        self._queued_bytes = 0
        self._queue_full_logged = False
        self._test_requests = 0
        self.heartbeat_interval = self.config.heartbeat_interval
        if self.config.reset_on_disconnect:
            self.reset(now)

    def _move(self, event: SessionEvent, **context: object) -> None:
        """Every state change: checked against ``states.TRANSITIONS``, logged as one event."""
        previous, self._state = self._state, next_state(self._state, event)
        self._log.info(f"fix.session.{event.value}", state=self._state.value, previous=previous.value, **context)

    @staticmethod
    def _utc(now: float) -> datetime:
        return datetime.fromtimestamp(now, tz=timezone.utc)

    _ADMIN_HANDLERS: dict[bytes, Callable[[Session, Message, float], None]] = {
        LOGON: _next_logon,
        HEARTBEAT: _next_heartbeat,
        TEST_REQUEST: _next_test_request,
        SEQUENCE_RESET: _next_sequence_reset,
        LOGOUT: _next_logout,
        RESEND_REQUEST: _next_resend_request,
        REJECT: _next_reject,
    }


class _UnsupportedVersion(Exception):
    """The message's BeginString is not the session's."""


def _seq_num(message: Message) -> int:
    raw = message.get(34)
    if raw is None:
        raise FieldReject(R.REQUIRED_TAG_MISSING, 34)
    return int(raw)


def _size(message: Message) -> int:
    """The field bytes of a message: what holding it out of order costs, near enough."""
    return sum(len(value) for _, value in message.fields)
