"""Where a FIX session stands in its logon and logout handshakes: one state, one table of legal moves.

QuickFIX keeps this as separate flags (received logon, sent logon, sent logout); these are the combinations a
session can actually reach. Our Logout may go out before the Logon exchange completes (QuickFIX answers a wrong
BeginString with one at any time), hence the two ``*_LOGOUT_SENT`` states before logon.
"""
from __future__ import annotations

from enum import Enum


class SessionState(Enum):
    DISCONNECTED = "disconnected"
    AWAITING_LOGON = "awaiting_logon"            # connected; an acceptor waits for the counterparty's Logon
    LOGON_SENT = "logon_sent"                    # an initiator's Logon is out; it waits for the answer
    LOGGED_ON = "logged_on"                      # both Logons exchanged
    LOGOUT_SENT = "logout_sent"                  # logged on, our Logout out: their Logout or LogoutTimeout ends it
    AWAITING_LOGON_LOGOUT_SENT = "awaiting_logon_logout_sent"
    LOGON_SENT_LOGOUT_SENT = "logon_sent_logout_sent"

    @property
    def logged_on(self) -> bool:
        return self in _LOGGED_ON

    @property
    def logon_sent(self) -> bool:
        """Our Logon is out (the initiator's request, or the acceptor's answer)."""
        return self in _LOGON_SENT

    @property
    def logout_sent(self) -> bool:
        return self in _LOGOUT_SENT


class SessionEvent(Enum):
    """What moves a session; each value names its log event, ``fix.session.<value>``."""

    CONNECT = "connected"
    SEND_LOGON = "logon_sent"        # the initiator's request
    LOGON = "logon"                  # the Logon exchange is complete
    SEND_LOGOUT = "logout_sent"
    DISCONNECT = "disconnected"


S, E = SessionState, SessionEvent
# The legal moves. A Logon while logged on resets the sequence numbers in session (ResetSeqNumFlag); a second
# Logout answers a bad message during the handshake.
TRANSITIONS: dict[tuple[SessionState, SessionEvent], SessionState] = {
    (S.DISCONNECTED, E.CONNECT): S.AWAITING_LOGON,
    (S.AWAITING_LOGON, E.SEND_LOGON): S.LOGON_SENT,
    (S.AWAITING_LOGON, E.LOGON): S.LOGGED_ON,
    (S.AWAITING_LOGON, E.SEND_LOGOUT): S.AWAITING_LOGON_LOGOUT_SENT,
    (S.AWAITING_LOGON, E.DISCONNECT): S.DISCONNECTED,
    (S.LOGON_SENT, E.LOGON): S.LOGGED_ON,
    (S.LOGON_SENT, E.SEND_LOGOUT): S.LOGON_SENT_LOGOUT_SENT,
    (S.LOGON_SENT, E.DISCONNECT): S.DISCONNECTED,
    (S.LOGGED_ON, E.LOGON): S.LOGGED_ON,
    (S.LOGGED_ON, E.SEND_LOGOUT): S.LOGOUT_SENT,
    (S.LOGGED_ON, E.DISCONNECT): S.DISCONNECTED,
    (S.LOGOUT_SENT, E.LOGON): S.LOGOUT_SENT,
    (S.LOGOUT_SENT, E.SEND_LOGOUT): S.LOGOUT_SENT,
    (S.LOGOUT_SENT, E.DISCONNECT): S.DISCONNECTED,
    (S.AWAITING_LOGON_LOGOUT_SENT, E.LOGON): S.LOGOUT_SENT,
    (S.AWAITING_LOGON_LOGOUT_SENT, E.SEND_LOGOUT): S.AWAITING_LOGON_LOGOUT_SENT,
    (S.AWAITING_LOGON_LOGOUT_SENT, E.DISCONNECT): S.DISCONNECTED,
    (S.LOGON_SENT_LOGOUT_SENT, E.LOGON): S.LOGOUT_SENT,
    (S.LOGON_SENT_LOGOUT_SENT, E.SEND_LOGOUT): S.LOGON_SENT_LOGOUT_SENT,
    (S.LOGON_SENT_LOGOUT_SENT, E.DISCONNECT): S.DISCONNECTED,
}

_LOGGED_ON = frozenset({S.LOGGED_ON, S.LOGOUT_SENT})
_LOGON_SENT = frozenset({S.LOGON_SENT, S.LOGON_SENT_LOGOUT_SENT, S.LOGGED_ON, S.LOGOUT_SENT})
_LOGOUT_SENT = frozenset({S.LOGOUT_SENT, S.AWAITING_LOGON_LOGOUT_SENT, S.LOGON_SENT_LOGOUT_SENT})


class InvalidTransition(RuntimeError):
    """The session tried a move its table does not allow: a bug in the session, never the counterparty's doing."""

    def __init__(self, state: SessionState, event: SessionEvent) -> None:
        super().__init__(f"{event.name} is not allowed in state {state.name}")
        self.state = state
        self.event = event


def next_state(state: SessionState, event: SessionEvent) -> SessionState:
    try:
        return TRANSITIONS[state, event]
    except KeyError:
        raise InvalidTransition(state, event) from None
