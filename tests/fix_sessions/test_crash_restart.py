"""kill -9 an acceptor mid-session; after a restart it continues its sequence numbers and resends what it sent."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fix_sessions.at_runner import _Peer, fields_of, fixify
from tests.fix_sessions.test_conformance import REPO
from tests.net import free_port

CONFIG = """\
[DEFAULT]
ConnectionType=acceptor
SocketAcceptPort={port}
SocketReuseAddress=Y
FileStorePath={store}
DataDictionary={dictionary}
StartTime=00:00:00
EndTime=00:00:00

[SESSION]
BeginString=FIX.4.4
SenderCompID=HUB
TargetCompID=CLIENT
"""


class EchoProcess:
    def __init__(self, config: Path, port: int, log: Path) -> None:
        self.config, self.port, self.log = config, port, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dynamictech", "fix-echo", "--config", str(self.config)],
            cwd=REPO, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"fix-echo did not start:\n{self.log.read_text()}") from None
                time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def echo(tmp_path: Path) -> Iterator[EchoProcess]:
    port = free_port()
    config = tmp_path / "hub.cfg"
    config.write_text(CONFIG.format(port=port, store=tmp_path / "store",
                                    dictionary=REPO / "fix_specs" / "FIX44.xml"))
    process = EchoProcess(config, port, tmp_path / "echo.log")
    process.start()
    yield process
    if process.process is not None and process.process.poll() is None:
        process.process.terminate()
        process.process.wait(timeout=10)


def _message(peer: _Peer) -> dict[int, bytes]:
    received = peer.receive(10)
    assert received is not None, "the hub closed the connection"
    return dict(fields_of(received))


def _order(seq: int, cl_ord_id: str) -> bytes:
    return fixify(f"8=FIX.4.4\x0135=D\x0134={seq}\x0149=CLIENT\x0152=<TIME>\x0156=HUB\x0111={cl_ord_id}\x01"
                  f"38=100\x0140=1\x0154=1\x0155=EUR/USD\x0160=<TIME>\x01".encode())


def test_after_kill_9_the_session_continues_its_numbers_and_resends_what_it_sent(echo: EchoProcess) -> None:
    peer = _Peer(echo.port)
    peer.send(fixify(b"8=FIX.4.4\x0135=A\x0134=1\x0149=CLIENT\x0152=<TIME>\x0156=HUB\x0198=0\x01108=30\x01"))
    assert _message(peer)[35] == b"A"
    for seq in range(2, 7):
        peer.send(_order(seq, f"ORD-{seq}"))
    echoed = [_message(peer) for _ in range(5)]
    assert [m[11] for m in echoed] == [b"ORD-2", b"ORD-3", b"ORD-4", b"ORD-5", b"ORD-6"]
    assert [m[34] for m in echoed] == [b"2", b"3", b"4", b"5", b"6"]

    echo.kill()
    peer.close()
    echo.start()

    peer = _Peer(echo.port)
    peer.send(fixify(b"8=FIX.4.4\x0135=A\x0134=7\x0149=CLIENT\x0152=<TIME>\x0156=HUB\x0198=0\x01108=30\x01"))
    logon = _message(peer)
    assert logon[35] == b"A" and logon[34] == b"7", "sequence numbers must continue after the crash"
    peer.send(fixify(b"8=FIX.4.4\x0135=2\x0134=8\x0149=CLIENT\x0152=<TIME>\x0156=HUB\x017=2\x0116=6\x01"))
    resent = [_message(peer) for _ in range(5)]
    assert [m[11] for m in resent] == [b"ORD-2", b"ORD-3", b"ORD-4", b"ORD-5", b"ORD-6"]
    assert all(m[43] == b"Y" and 122 in m for m in resent)
    peer.send(fixify(b"8=FIX.4.4\x0135=5\x0134=9\x0149=CLIENT\x0152=<TIME>\x0156=HUB\x01"))
    assert _message(peer)[35] == b"5"
    peer.close()
