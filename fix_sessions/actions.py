"""What the sans-IO session asks its driver to do: the session's only outputs."""
from __future__ import annotations

from dataclasses import dataclass

from fix_sessions.codec import Message


@dataclass(frozen=True, slots=True)
class Send:
    """Write these bytes to the peer, now."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Deliver:
    """An application message passed every session check: hand it to ``Application.from_app``."""

    message: Message


@dataclass(frozen=True, slots=True)
class AdminReceived:
    """An admin message passed the session checks: tell ``Application.from_admin``."""

    message: Message


@dataclass(frozen=True, slots=True)
class LoggedOn:
    pass


@dataclass(frozen=True, slots=True)
class LoggedOut:
    reason: str


@dataclass(frozen=True, slots=True)
class LogonFailed:
    """The connection ended before the Logon exchange completed: refused (``reason`` is the counterparty's Logout
    Text when it gave one), closed or timed out. The complement of ``LoggedOut``."""

    reason: str


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Close the connection; nothing more is to be read or written on it."""

    reason: str


Action = Send | Deliver | AdminReceived | LoggedOn | LoggedOut | LogonFailed | Disconnect
