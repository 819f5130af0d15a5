"""The application callbacks, named as QuickFIX names them (on_create, on_logon, to_admin, from_app, ...).

``to_admin``, ``to_app`` and ``accept_logon`` run inside the session's state machine, before a message is encoded
or a logon answered, so they are plain (synchronous) methods: they may add fields or refuse, never wait. The rest
are coroutines run by the transport in message order; a slow one holds back its own session only. ``authenticate``
is the acceptor's one check that may wait (a slow password hash on a thread), run before the session sees the
counterparty's Logon.
"""
from __future__ import annotations

from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID


class RejectLogon(Exception):
    """Raised by ``accept_logon`` to refuse a counterparty: it gets a Logout with this text and is disconnected."""


class DoNotSend(Exception):
    """Raised by ``to_app`` to drop an outbound application message."""


class Application:
    """Override what you need; every callback defaults to doing nothing."""

    async def on_create(self, session_id: SessionID) -> None:
        """The session exists (its store is open); called once at start."""

    async def on_logon(self, session_id: SessionID) -> None:
        """Both Logons are exchanged; application messages flow from now on."""

    async def on_logout(self, session_id: SessionID) -> None:
        """The session is no longer logged on (logout, disconnect or timeout)."""

    async def on_logon_failed(self, session_id: SessionID, reason: str) -> None:
        """A connection ended before the Logon exchange completed (QuickFIX has no such callback; an initiator's
        owner wants to know why its venue will not have it): ``reason`` is the counterparty's Logout Text when it
        sent one, else what happened ("connection closed", "timed out waiting for logon", ...)."""

    def to_admin(self, message: Message, session_id: SessionID) -> None:
        """An admin message is about to be sent; it may be changed (for example to sign a Logon)."""

    async def authenticate(self, message: Message, session_id: SessionID, peer: str) -> None:
        """An acceptor received this Logon from ``peer`` (its address); raise ``RejectLogon`` to refuse it before
        the session answers. The session's own checks (sequence, SendingTime) run after."""

    def accept_logon(self, message: Message, session_id: SessionID) -> None:
        """A counterparty's Logon passed the session checks; raise ``RejectLogon`` to refuse it."""

    async def from_admin(self, message: Message, session_id: SessionID) -> None:
        """An admin message was received and accepted."""

    def to_app(self, message: Message, session_id: SessionID) -> None:
        """An application message is about to be sent; it may be changed, or dropped with ``DoNotSend``."""

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        """An application message was received; raise ``FieldReject`` or ``BusinessReject`` to refuse it."""

    async def settled(self, session_id: SessionID) -> None:
        """Called after the messages of one read, before the session stores their sequence numbers: returns once
        what ``from_app`` took from them is durable (a crash before that leaves them to the counterparty's
        resend). ``from_app`` may hand work on without waiting for it; this is where the session waits once."""
