"""Process set-up shared by every subcommand: JSON logs through structlog, uvloop where it is installed."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any

import orjson
import structlog


def configure_logging(level: str | None = None) -> None:
    """One JSON object per line on stderr, UTC ISO timestamps. orjson writes dataclasses (a ledger entry's
    postings) as objects, so callers pass them as they are and pay nothing when the level filters them out."""
    name = (level or os.environ.get("DYNAMICTECH_LOG_LEVEL", "info")).upper()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=orjson.dumps, default=str),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, name, logging.INFO)),
        logger_factory=structlog.BytesLoggerFactory(file=sys.stderr.buffer),
        cache_logger_on_first_use=True,
    )


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
