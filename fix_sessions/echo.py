"""The echo application that QuickFIX's acceptance tests run against (``dynamictech fix-echo`` serves it).

It echoes NewOrderSingle (D), SecurityDefinition (d) and Email (C) back to the sender, except a D that arrives
with PossResend=Y whose ClOrdID this session has already seen since its last logout; any other application
message is answered as unsupported (BusinessMessageReject, or Reject before FIX 4.2).
"""
from __future__ import annotations

from fix_sessions.application import Application
from fix_sessions.codec import Message
from fix_sessions.dictionary import Group, Level, Section
from fix_sessions.reject import UnsupportedMessageType
from fix_sessions.session_id import SessionID
from fix_sessions.transport import SocketAcceptor

ECHOED = frozenset({b"D", b"d", b"C"})
# Header tags the session fills itself, and the resend markers QuickFIX strips from a message it sends anew.
_SESSION_HEADER = frozenset({8, 9, 10, 34, 35, 43, 49, 52, 56, 122})


class EchoApplication(Application):
    def __init__(self) -> None:
        self.acceptor: SocketAcceptor | None = None
        self._seen: dict[SessionID, set[bytes]] = {}

    async def on_logout(self, session_id: SessionID) -> None:
        self._seen.pop(session_id, None)

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        msg_type = message.msg_type
        if msg_type not in ECHOED:
            raise UnsupportedMessageType()
        if msg_type == b"D":
            seen = self._seen.setdefault(session_id, set())
            cl_ord_id = message.get(11) or b""
            if message.get(97) == b"Y" and cl_ord_id in seen:
                return
            seen.add(cl_ord_id)
        assert self.acceptor is not None
        dictionary = self.acceptor.app_dictionary(session_id)
        if dictionary is None:
            header = [f for f in message.fields if f[0] in (97, 115, 116, 128, 129, 144, 145)]
            body = sorted(f for f in message.fields if f[0] not in _SESSION_HEADER and f not in header)
        else:
            head, section, _ = dictionary.sections(message)
            header = [f for f in head.fields if f[0] not in _SESSION_HEADER]
            body = _in_tag_order(section, dictionary.messages[msg_type])
        await self.acceptor.send_to_target(session_id, msg_type, body, header)


def _in_tag_order(section: Section, level: Level) -> list[tuple[int, bytes]]:
    """Fields as QuickFIX writes them: by tag number, each group's instances right after its count tag."""
    out: list[tuple[int, bytes]] = []
    fields = section.fields
    if isinstance(level, Group):
        position = {tag: index for index, tag in enumerate(level.order)}
        fields = sorted(fields, key=lambda f: position.get(f[0], len(position)))
    else:
        fields = sorted(fields, key=lambda f: f[0])
    for tag, value in fields:
        out.append((tag, value))
        for instance in section.groups.get(tag, ()):
            out += _in_tag_order(instance, level.groups[tag])
    return out
