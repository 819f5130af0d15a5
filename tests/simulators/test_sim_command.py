"""``dynamictech sim <venue>`` starts each simulator, says where it listens, and stops cleanly on Ctrl-C; with
``--state`` it starts from the file and keeps it up to date, through a SIGKILL too."""
from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class Saved:
    """What a previous run left, far from the defaults, and where to read its price and ids back."""

    state: dict[str, Any]
    price: Callable[[dict[str, Any]], D]
    ids: Callable[[dict[str, Any]], list[int]]


STATES = {
    "fx-lp": Saved({"prices": {"EUR/USD": ["1.20000", "1.20006"]}, "next_id": 5000},
                   lambda s: D(s["prices"]["EUR/USD"][0]), lambda s: [s["next_id"]]),
    "binance": Saved({"books": {"BTCUSDT": ["90000", 5000]}, "next_ids": {"order": 5000, "trade": 5000, "exec": 5000}},
                     lambda s: D(s["books"]["BTCUSDT"][0]), lambda s: list(s["next_ids"].values())),
    "equity": Saved({"prices": {"0700.HK": ["611.0", "600.0"]}, "next_order_id": 5000},
                    lambda s: D(s["prices"]["0700.HK"][0]), lambda s: [s["next_order_id"]]),
}


@pytest.mark.parametrize("venue", list(STATES))
async def test_with_state_a_simulator_starts_from_the_file_and_keeps_it_through_a_sigkill(
        venue: str, tmp_path: Path) -> None:
    saved = STATES[venue]
    state = tmp_path / "state.json"
    state.write_text(json.dumps(saved.state))
    written = state.read_text()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from dynamictech.cli import main; raise SystemExit(main())", "sim", venue,
        "--port", "0", "--state", str(state), stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    await asyncio.wait_for(process.stdout.readline(), 20)
    async with asyncio.timeout(10):
        while state.read_text() == written:   # the periodic save
            await asyncio.sleep(0.05)
    process.kill()
    await process.wait()
    kept = json.loads(state.read_text())
    price = saved.price(saved.state)
    assert abs(saved.price(kept) - price) / price < D("0.02"), "started from the file's price"
    assert min(saved.ids(kept)) >= 5000, "and from its ids"
