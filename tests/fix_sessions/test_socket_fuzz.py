"""Malformed FIX over real sockets against a `dynamictech fix-echo` process, seeded and bounded in time: nothing
escapes as an exception, the echo keeps answering, and its memory stays bounded however large or endless the
frames a peer sends.

    FUZZ_SECONDS=300 pytest tests/fix_sessions/test_socket_fuzz.py -s      # the longer run; prints its figures
"""
from __future__ import annotations

import os
import random
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import pytest

from fix_sessions.codec import encode
from fix_sessions.utctime import format_timestamp
from fix_specs import path as spec_path
from tests.fix_sessions.echo_process import fix_echo
from tests.net import free_port

SECONDS = float(os.environ.get("FUZZ_SECONDS", "12"))
RSS_GROWTH_LIMIT = 64 << 20    # the 1 MiB message bound, 16 pre-logon connections per address, the gap queue
PEERS = 24                     # connections at once


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def echo(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes], Path]]:
    port = free_port()
    config = tmp_path / "echo.cfg"
    config.write_text(f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort={port}\nSocketAcceptHost=127.0.0.1\n"
                      f"SenderCompID=ISLD\nFileStorePath={tmp_path / 'store'}\nResetOnLogon=Y\nHeartBtInt=30\n\n"
                      f"[SESSION]\nBeginString=FIX.4.4\nTargetCompID=TW44\nDataDictionary={spec_path('FIX44.xml')}\n")
    log = tmp_path / "echo.log"
    with fix_echo(config, port, log) as process:
        yield port, process, log


def message(msg_type: str, seq: int, fields: list[tuple[int, str]]) -> bytes:
    return encode(b"FIX.4.4", [(35, msg_type), (34, str(seq)), (49, "TW44"), (52, format_timestamp(time.time()).decode()),
                               (56, "ISLD"), *fields])


def logon(seq: int = 1, heartbeat: str = "30") -> bytes:
    return message("A", seq, [(98, "0"), (108, heartbeat), (141, "Y")])


def mutate(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(data))
        choice = rng.random()
        if choice < 0.4:
            data[at] = rng.randrange(256)
        elif choice < 0.7:
            del data[at]
        else:
            data.insert(at, rng.choice(b"\x01=0123456789A"))
    return bytes(data)


# Each kind is what one connection sends; the echo must survive every one of them.
def _garbage(rng: random.Random) -> list[bytes]:
    return [rng.randbytes(rng.randint(1, 4096))]


def _mutated(rng: random.Random) -> list[bytes]:
    return [logon()] + [mutate(rng, message("D", seq, [(11, f"C{seq}"), (55, "EUR/USD"), (54, "1"), (38, "1"),
                                                       (40, "1"), (60, "20261203-00:00:00")]))
                        for seq in range(2, rng.randint(3, 40))]


def _endless_checksum(rng: random.Random) -> list[bytes]:
    """A Logon whose "10=" never gets its SOH: held before any logon, on as many connections as are let in."""
    return [logon()[:-4]] + [b"1" * (1 << 20)] * rng.randint(2, 16)


def _endless_checksum_logged_on(rng: random.Random) -> list[bytes]:
    return [logon(), message("0", 2, [])[:-4]] + [b"1" * (1 << 20)] * rng.randint(2, 16)


def _huge_partial_before_logon(rng: random.Random) -> list[bytes]:
    return [b"8=FIX.4.4\x019=5\x0135=A\x0158="] + [b"x" * (1 << 20)] * rng.randint(2, 16)


def _gap_flood(rng: random.Random) -> list[bytes]:
    body = "y" * 100_000
    return [logon()] + [message("0", seq, [(58, body)]) for seq in range(50, 50 + rng.randint(100, 400))]


def _negative_heartbeat(rng: random.Random) -> list[bytes]:
    return [logon(heartbeat="-5")]


def _not_a_logon_first(rng: random.Random) -> list[bytes]:
    return [message("0", 1, []), logon(2)]


KINDS: dict[str, Callable[[random.Random], list[bytes]]] = {
    "garbage": _garbage, "mutated": _mutated, "endless_checksum": _endless_checksum,
    "endless_checksum_logged_on": _endless_checksum_logged_on,
    "huge_partial_before_logon": _huge_partial_before_logon, "gap_flood": _gap_flood,
    "negative_heartbeat": _negative_heartbeat, "not_a_logon_first": _not_a_logon_first}


def attack(port: int, parts: list[bytes]) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as peer:
            peer.settimeout(3.0)   # held open, as a patient attacker would
            for part in parts:
                peer.sendall(part)
            try:
                while peer.recv(65536):
                    pass
            except OSError:
                pass
    except OSError:
        pass   # refused or reset: the echo's answer to some of these


def still_answers(port: int) -> bool:
    """A well-behaved client logs on and gets its TestRequest answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.sendall(logon())
        client.sendall(message("1", 2, [(112, "ALIVE")]))
        received = b""
        deadline = time.monotonic() + 10
        while b"112=ALIVE\x01" not in received and time.monotonic() < deadline:
            chunk = client.recv(65536)
            if not chunk:
                break
            received += chunk
        return b"\x0135=0\x01" in received and b"112=ALIVE\x01" in received


def test_malformed_fix_over_sockets_never_escapes_and_memory_stays_bounded(
        echo: tuple[int, subprocess.Popen[bytes], Path]) -> None:
    port, process, log = echo
    rng = random.Random(20261203)
    assert still_answers(port)
    before = rss(process.pid)
    sent: Counter[str] = Counter()
    frames = 0
    peak = before
    deadline = time.monotonic() + SECONDS
    with ThreadPoolExecutor(PEERS) as peers:
        running: set[Future[None]] = set()
        while time.monotonic() < deadline:
            while len(running) < PEERS:
                kind = rng.choice(list(KINDS))
                parts = KINDS[kind](rng)
                running.add(peers.submit(attack, port, parts))
                sent[kind] += 1
                frames += len(parts)
            done, running = wait(running, timeout=0.05, return_when=FIRST_COMPLETED)
            peak = max(peak, rss(process.pid))
        wait(running)
    assert process.poll() is None, "fix-echo died"
    assert still_answers(port), "fix-echo stopped answering a well-behaved client"
    after = rss(process.pid)
    print(f"\nsocket fuzz: {sum(sent.values())} connections, {frames} frames in {SECONDS:.0f} s; kinds {dict(sent)}; "
          f"RSS before {before >> 20} MB, peak {peak >> 20} MB, after {after >> 20} MB")
    assert peak - before < RSS_GROWTH_LIMIT, f"RSS grew from {before >> 20} MB to {peak >> 20} MB"
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "connection_failed" not in text, text[-3000:]
    assert len(sent) == len(KINDS), f"every kind was sent: {dict(sent)}"
