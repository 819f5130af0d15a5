"""A `dynamictech fix-echo` process for the tests that need a real FIX peer in its own process."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def fix_echo(config: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """fix-echo on ``config``, once ``port`` accepts connections; its output (warnings and up) goes to ``log``."""
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "dynamictech", "fix-echo", "--config", str(config)],
                                   cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "DYNAMICTECH_LOG_LEVEL": "warning"})
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"fix-echo did not start:\n{log.read_text()}") from None
                    time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            process.wait(timeout=20)
