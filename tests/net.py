"""Loopback helpers the socket tests share."""
from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port nothing listens on now (for a process that must be told its port before it starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
