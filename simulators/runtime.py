"""How a simulator runs as its own process (``dynamictech sim ...``): JSON logs on stderr, uvloop where it is
installed, and SIGINT/SIGTERM as a clean stop. The simulators' own, since a venue stands apart from the hub."""
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
    """One JSON object per line on stderr (stdout carries only the banner a script reads), UTC ISO timestamps.
    The level comes from DYNAMICTECH_LOG_LEVEL, the variable the ``dynamictech`` command reads for every process."""
    name = (level or os.environ.get("DYNAMICTECH_LOG_LEVEL", "info")).upper()
    structlog.configure(
        processors=[
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
    """Run ``main`` on uvloop when it is installed; a Ctrl-C before the stop handlers are in place ends quietly."""
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
    """An event SIGINT or SIGTERM sets. Call it before printing where the simulator listens: whoever reads that
    line may signal at once."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # a loop without signal handlers (Windows)
            loop.add_signal_handler(signum, stop.set)
    return stop
