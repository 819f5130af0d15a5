"""``dynamictech sim <venue>`` starts each simulator, says where it listens, and stops cleanly on Ctrl-C."""
from __future__ import annotations

import asyncio
import signal
import sys

import pytest


@pytest.mark.parametrize("venue", ["fx-lp", "binance", "equity"])
async def test_each_simulator_runs_from_the_command_line(venue: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from dynamictech.cli import main; raise SystemExit(main())", "sim", venue,
        "--port", "0", stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    banner = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
    assert "127.0.0.1" in banner, banner
    process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(process.wait(), 20) == 0
