"""Process set-up shared by every subcommand: JSON logs through structlog, uvloop where it is installed."""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Coroutine, MutableMapping
from typing import Any, BinaryIO

import orjson
import structlog

_STDERR: _LogFile | None = None


def configure_logging(level: str | None = None) -> None:
    """One JSON object per line on stderr, UTC ISO timestamps. orjson writes dataclasses (a ledger entry's
    postings) as objects, so callers pass them as they are and pay nothing when the level filters them out."""
    name = (level or os.environ.get("DYNAMICTECH_LOG_LEVEL", "info")).upper()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            _stamp_utc,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=orjson.dumps, default=str),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, name, logging.INFO)),
        logger_factory=structlog.BytesLoggerFactory(file=_stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )


_SECOND: list[Any] = [-1, ""]   # the last second stamped and its text


def _stamp_utc(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog's ISO UTC stamp, as ``2026-12-03T17:04:39.888100Z``, with the date and second formatted once a
    second rather than per event (a datetime built and formatted per event was 4 % of the order path)."""
    now = time.time()
    second = int(now)
    if second != _SECOND[0]:
        _SECOND[:] = [second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))]
    event["timestamp"] = f"{_SECOND[1]}.{int((now - second) * 1_000_000):06d}Z"
    return event


def _stderr() -> _LogFile:
    global _STDERR
    if _STDERR is None:
        _STDERR = _LogFile(sys.stderr.buffer)
    return _STDERR


class _LogFile:
    """stderr with its lines gathered: written out when 64 KB are waiting or every 0.1 s, instead of one write and
    flush per event (a tenth of the hub's time on the order path). A crash loses at most the last 0.1 s of logs;
    the journal, not the log, is what restart relies on."""

    def __init__(self, out: BinaryIO, period: float = 0.1) -> None:
        self.out = out
        self._pending: list[bytes] = []
        self._size = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._flush_every, args=(period,), name="log-flush", daemon=True).start()
        atexit.register(self.drain)

    def write(self, data: bytes) -> None:
        with self._lock:
            self._pending.append(data)
            self._size += len(data)
            full = self._size >= 65536
        if full:
            self.drain()

    def flush(self) -> None:
        """Called after every event by structlog: the timer writes instead."""

    def drain(self) -> None:
        with self._lock:   # held while writing, so lines leave in the order they came
            if self._pending:
                self.out.write(b"".join(self._pending))
                self.out.flush()
                self._pending, self._size = [], 0

    def _flush_every(self, period: float) -> None:
        while True:
            time.sleep(period)
            self.drain()


def settle_heap() -> None:
    """Once the process has started: what it built (instruments, the directory, the day's orders, the simulators)
    lives as long as it does, so it leaves the garbage collector's generations and a full collection walks only
    what came after."""
    gc.collect()
    gc.freeze()


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop when available; Ctrl-C ends it quietly."""
    configure_logging()
    try:
        import uvloop
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    try:
        runner(main)
    except KeyboardInterrupt:
        pass


def stop_signal() -> asyncio.Event:
    """An event that SIGINT or SIGTERM sets: a long-running command awaits it, then shuts down in order. Call it
    before printing where the command listens, since whoever reads that may signal at once."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):   # no signal handlers on this platform's loop
            loop.add_signal_handler(signum, stop.set)
    return stop
