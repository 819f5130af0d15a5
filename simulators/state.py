"""A simulator's state file: its last prices and its id counters, so that a restarted simulator resumes near where
its market was and never hands out an id it handed out before, as the real venue would not.

The file is JSON, replaced whole (written beside it, then renamed), so a kill leaves the old one or the new one.
Prices are saved every ``SAVE_EVERY`` seconds and at stop; ids are reserved a block ahead and the file written
before any id of a new block is handed out, so even a SIGKILL between two saves cannot lead to an id repeated.
"""
from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger("simulators.state")

SAVE_EVERY = 1.0        # seconds between saves of the prices
ID_BLOCK = 1000         # ids reserved in the file at a time


class Ids(Iterator[int]):
    """Increasing ids, ``next(ids)`` as with itertools.count; with ``on_reserve`` set (a state file to write),
    each block of ``ID_BLOCK`` is reserved through it before its first id goes out."""

    def __init__(self, start: int = 1) -> None:
        self._next = start
        self._reserved = start
        self.on_reserve: Callable[[], None] | None = None

    def __next__(self) -> int:
        if self.on_reserve is not None and self._next >= self._reserved:
            self._reserved = self._next + ID_BLOCK
            self.on_reserve()
        value, self._next = self._next, self._next + 1
        return value

    @property
    def restart_at(self) -> int:
        """Where a simulator restarted from the file should go on: past every id this one may have handed out."""
        return max(self._next, self._reserved)


class StateFile:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None when there is none yet (or it cannot be read: the simulator starts afresh)."""
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("simulators.state_unreadable", path=str(self.path), reason=str(error))
            return None
        return state if isinstance(state, dict) else None

    def save(self, state: dict[str, Any]) -> None:
        """Replace the file; a failure is logged (the simulator trades on, and the next save tries again)."""
        scratch = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            scratch.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(scratch, self.path)
        except OSError as error:
            log.warning("simulators.state_not_saved", path=str(self.path), reason=str(error))


async def keep_saving(save: Callable[[], None]) -> None:
    """Call ``save`` every SAVE_EVERY seconds until cancelled."""
    while True:
        await asyncio.sleep(SAVE_EVERY)
        save()
