"""The simulator's FIX order entry endpoint byte for byte as fix-api.md shows it: Binance's Logon answer, a Logon
with an unknown API key refused with Reject <3> then Logout, and the message limit logging a session out."""
from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fix_sessions.codec import Framer, Message, encode, parse
from fix_sessions.utctime import format_timestamp
from simulators.binance import BinanceSimulator

KEY = Ed25519PrivateKey.generate()


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    simulator = BinanceSimulator(walk_interval=None, seed=3)
    simulator.register_fix_key("fix-key", KEY.public_key())
    await simulator.start()
    yield simulator
    await simulator.stop()


def logon(api_key: str = "fix-key", sender: str = "QA1") -> bytes:
    sent = format_timestamp(time.time(), 3).decode()
    signature = base64.b64encode(KEY.sign("\x01".join(["A", sender, "SPOT", "1", sent]).encode())).decode()
    return encode(b"FIX.4.4", [(35, b"A"), (34, 1), (49, sender), (52, sent), (56, "SPOT"), (95, len(signature)),
                               (96, signature), (98, 0), (108, 30), (141, "Y"), (553, api_key), (25035, 2)])


async def read(reader: asyncio.StreamReader, framer: Framer) -> Message | None:
    while (frame := framer.next_frame()) is None:
        data = await asyncio.wait_for(reader.read(65536), 3)
        if not data:
            return None
        framer.feed(data)
    return parse(frame)


async def test_a_signed_logon_is_answered_as_binance_answers_it(sim: BinanceSimulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.fix_port)
    writer.write(logon())
    answer = await read(reader, Framer())
    assert answer is not None and answer.msg_type == b"A"
    assert (answer.get_str(49), answer.get_str(56), answer.get_str(108)) == ("SPOT", "QA1", "30")
    assert answer.get_str(25037) and 141 not in answer
    assert len((answer.get_str(52) or "").split(".")[1]) == 6          # microseconds, always, from the exchange
    writer.close()


async def test_an_unknown_api_key_gets_reject_then_logout(sim: BinanceSimulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.fix_port)
    writer.write(logon(api_key="nobody"))
    framer = Framer()
    reject, logout = await read(reader, framer), await read(reader, framer)
    assert reject is not None and reject.msg_type == b"3"
    assert (reject.get_str(45), reject.get_str(372), reject.get_str(25016), reject.get_str(58)) == (
        "1", "A", "-2015", "Invalid API-key, IP, or permissions for action.")
    assert logout is not None and logout.msg_type == b"5"
    assert await read(reader, framer) is None                        # and the connection is closed
    writer.close()


async def test_breaking_the_message_limit_logs_the_session_out(sim: BinanceSimulator) -> None:
    assert sim.fix is not None
    sim.fix.message_limit = 3
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.fix_port)
    framer = Framer()
    writer.write(logon())
    assert (await read(reader, framer)).msg_type == b"A"              # type: ignore[union-attr]
    for seq in range(2, 6):
        writer.write(encode(b"FIX.4.4", [(35, b"0"), (34, seq), (49, "QA1"),
                                         (52, format_timestamp(time.time(), 3)), (56, "SPOT")]))
    logout = await read(reader, framer)
    assert logout is not None and logout.msg_type == b"5"
    assert "Too many messages; current limit is '3' messages per '10s'." == logout.get_str(58)
    writer.close()
