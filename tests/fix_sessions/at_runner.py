"""A runner for QuickFIX's acceptance-test definitions (format: quickfix_at/README.md).

It plays the initiator over real sockets and compares strictly, as QuickFIX's own harness does: the same fields in
the same order with the same values, except the tags in fields.fmt, whose values must match their regular
expression. It frames replies with its own code, not ours, so the codec under test does not judge itself.
"""
from __future__ import annotations

import datetime as dt
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

SOH = b"\x01"
_TIME = re.compile(rb"<TIME([+-]\d+)?>")
_FRAME_END = re.compile(rb"\x0110=\d{3}\x01")
_STEP = re.compile(r"^([iIeE])(?:(\d+),)?(.*)$", re.S)
EXPECT_TIMEOUT = 20.0
DISCONNECT_TIMEOUT = 10.0


class Mismatch(AssertionError):
    pass


@dataclass(frozen=True)
class Step:
    kind: str  # i (harness action), I (send), E (expect message), e (expect action)
    connection: str
    payload: bytes
    line: int


def load_formats(path: Path) -> dict[int, re.Pattern[bytes]]:
    formats: dict[int, re.Pattern[bytes]] = {}
    for line in path.read_bytes().splitlines():
        if line.strip():
            tag, _, pattern = line.partition(b"=")
            formats[int(tag)] = re.compile(pattern)
    return formats


def load_steps(path: Path) -> list[Step]:
    steps: list[Step] = []
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        line = raw.rstrip(b"\r\n")
        if not line.strip() or line.lstrip().startswith(b"#"):
            continue
        match = _STEP.match(line.decode("latin-1"))
        if match is None:
            raise ValueError(f"{path.name}:{number}: cannot read step {line!r}")
        kind, connection, rest = match.groups()
        steps.append(Step(kind, connection or "1", rest.encode("latin-1"), number))
    return steps


def _utc(offset: int) -> bytes:
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=offset)
    return moment.strftime("%Y%m%d-%H:%M:%S").encode("ascii")


def fixify(template: bytes) -> bytes:
    """Fill in <TIME±N>, and BodyLength and CheckSum where the line leaves them out."""
    text = _TIME.sub(lambda m: _utc(int(m.group(1) or 0)), template)
    fields = [f for f in text.split(SOH) if f]
    tags = [f.partition(b"=")[0] for f in fields]
    if b"9" not in tags:
        body = SOH.join(f for f in fields if f.partition(b"=")[0] not in (b"8", b"10")) + SOH
        at = tags.index(b"8") + 1 if b"8" in tags else 0
        fields.insert(at, b"9=%d" % len(body))
        tags.insert(at, b"9")
    if b"10" not in tags:
        message = SOH.join(fields) + SOH
        return message + b"10=%03d" % (sum(message) % 256) + SOH
    return SOH.join(fields) + SOH


def fields_of(message: bytes) -> list[tuple[int, bytes]]:
    return [(int(tag), value) for tag, _, value in (f.partition(b"=") for f in message.split(SOH) if f)]


def compare(expected: bytes, actual: bytes, formats: dict[int, re.Pattern[bytes]], where: str) -> None:
    want, got = fields_of(expected), fields_of(actual)
    show = f"{where}\n  expected {expected.replace(SOH, b'|')!r}\n  received {actual.replace(SOH, b'|')!r}"
    if [t for t, _ in want] != [t for t, _ in got]:
        raise Mismatch(f"fields differ: {show}")
    for (tag, value), (_, received) in zip(want, got):
        pattern = formats.get(tag)
        if pattern is not None:
            if not pattern.match(received):
                raise Mismatch(f"tag {tag} value {received!r} does not match {pattern.pattern!r}: {show}")
        elif value != received:
            raise Mismatch(f"tag {tag}: expected {value!r}, received {received!r}: {show}")


class _Peer:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive(self, timeout: float) -> bytes | None:
        """The next message, or None when the acceptor closed the connection."""
        deadline = time.monotonic() + timeout
        while True:
            start = self.buffer.find(b"8=FIX")
            if start >= 0:
                end = _FRAME_END.search(self.buffer, start)
                if end is not None:
                    message = self.buffer[start:end.end()]
                    self.buffer = self.buffer[end.end():]
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Mismatch(f"nothing received in {timeout:.0f}s")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionError:
                return None
            if not data:
                return None
            self.buffer += data

    def close(self) -> None:
        self.sock.close()


def run_definition(path: Path, port: int, formats: dict[int, re.Pattern[bytes]]) -> None:
    peers: dict[str, _Peer] = {}
    try:
        for step in load_steps(path):
            where = f"{path.parent.name}/{path.name}:{step.line}"
            if step.kind == "i":
                if step.payload == b"CONNECT":
                    peers[step.connection] = _Peer(port)
                elif step.payload == b"DISCONNECT":
                    peers.pop(step.connection).close()
            elif step.kind == "I":
                peers[step.connection].send(fixify(step.payload))
            elif step.kind == "E":
                received = peers[step.connection].receive(EXPECT_TIMEOUT)
                if received is None:
                    raise Mismatch(f"{where}: connection closed, expected {step.payload!r}")
                compare(fixify(step.payload), received, formats, where)
            elif step.kind == "e" and step.payload == b"DISCONNECT":
                received = peers[step.connection].receive(DISCONNECT_TIMEOUT)
                if received is not None:
                    raise Mismatch(f"{where}: expected a disconnect, received {received!r}")
                peers.pop(step.connection).close()
            else:
                raise ValueError(f"{where}: unknown step {step}")
    finally:
        for peer in peers.values():
            peer.close()
