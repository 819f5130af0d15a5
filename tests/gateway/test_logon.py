"""Who may log on to the client FIX doors: the binding's Username(553) and Password(554), from its sources, with
back-off after failures; raw FIX over a real socket, as an attacker would send it."""
from __future__ import annotations

import asyncio
import ipaddress
import time

from fix_sessions.codec import Framer, Message, Value, encode, parse
from fix_sessions.utctime import format_timestamp
from gateway.config import Credentials
from tests.gateway.conftest import BROKER, PASSWORDS, PROP_FIRM, World


async def logon(port: int, sender: str, username: str | None, password: str | None,
                source: str = "127.0.0.1") -> Message:
    """One Logon on a fresh connection from ``source``; the hub's first answer (Logon or Logout)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    fields: list[tuple[int, Value]] = [(35, "A"), (49, sender), (56, "HUB"), (34, "1"),
                                     (52, format_timestamp(time.time()).decode()),
                                     (98, "0"), (108, "30"), (141, "Y")]
    if username is not None:
        fields.append((553, username))
    if password is not None:
        fields.append((554, password))
    writer.write(encode(b"FIX.4.4", fields))
    framer = Framer()
    try:
        while True:
            data = await asyncio.wait_for(reader.read(65536), 10)
            assert data, "the hub closed the connection without an answer"
            framer.feed(data)
            if (frame := framer.next_frame()) is not None:
                return parse(frame)
    finally:
        writer.close()


def refused(answer: Message) -> str:
    assert answer.msg_type == b"5", f"expected a Logout, got {answer!r}"
    return answer.get_str(58) or ""


async def test_only_the_right_username_and_password_log_on_to_order_entry_and_drop_copy(world: World) -> None:
    assert "Username(553) or Password(554)" in refused(await logon(world.port, PROP_FIRM, PROP_FIRM, "guess"))
    assert "Password(554)" in refused(await logon(world.port, PROP_FIRM, None, None))
    assert "Password(554)" in refused(await logon(world.port, PROP_FIRM, "someone", PASSWORDS[PROP_FIRM]))
    assert "Password(554)" in refused(await logon(world.port, BROKER, BROKER, PASSWORDS[PROP_FIRM])), \
        "another session's password opens nothing"
    assert world.gateway.logon_check.refused == 4
    assert not world.gateway.acceptor.sessions[next(s for s in world.gateway.acceptor.sessions
                                                    if s.target_comp_id == BROKER)].logged_on
    answer = await logon(world.port, BROKER, BROKER, PASSWORDS[BROKER])
    assert answer.msg_type == b"A", answer


async def test_after_five_wrong_passwords_even_the_right_one_waits(world: World) -> None:
    for _ in range(6):
        refused(await logon(world.port, PROP_FIRM, PROP_FIRM, "wrong"))
    assert "too many failed logons" in refused(await logon(world.port, PROP_FIRM, PROP_FIRM, PASSWORDS[PROP_FIRM]))


async def test_a_session_with_sources_refuses_other_addresses(world: World) -> None:
    credentials = world.gateway.credentials
    for session_id, allowed in list(credentials.items()):
        if session_id.target_comp_id == PROP_FIRM:
            credentials[session_id] = Credentials(allowed.username, allowed.password_hash,
                                                  (ipaddress.ip_network("192.0.2.0/24"),))
    assert "address" in refused(await logon(world.port, PROP_FIRM, PROP_FIRM, PASSWORDS[PROP_FIRM]))


async def test_failures_from_one_address_do_not_lock_the_session_out_of_another(world: World) -> None:
    """Someone guessing PROP_FIRM's password from 127.0.0.2 locks themselves, not the firm on its own address."""
    for _ in range(6):
        refused(await logon(world.port, PROP_FIRM, PROP_FIRM, "wrong", source="127.0.0.2"))
    assert "too many failed logons" in refused(await logon(world.port, PROP_FIRM, PROP_FIRM, PASSWORDS[PROP_FIRM],
                                                           source="127.0.0.2"))
    answer = await logon(world.port, PROP_FIRM, PROP_FIRM, PASSWORDS[PROP_FIRM], source="127.0.0.1")
    assert answer.msg_type == b"A", answer
