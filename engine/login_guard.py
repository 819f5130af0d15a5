"""Back-off for failed logins, shared by every door that takes a password (the web login, FIX logons).

Failures are counted per key; after ``free_failures`` a key is locked for a delay that doubles with each further
failure up to ``max_delay``. A locked key is refused before any password is hashed, so a flood costs the hub a
dictionary lookup, not a slow hash.

``attempt`` is the one policy every door that takes a password uses (the web login, FIX logons): it counts each
failure against the login *from that address* and against the address. So an address that guesses is locked
whatever name it tries next, and a login is never locked everywhere: one who guesses alice's password from
elsewhere cannot lock alice out of her own network. A success clears the login's count from that address, never
the address's: one right password does not reset what the address tried before under other names. The slow check
runs on a thread, one at a time per guard: a burst of wrong passwords queues behind one hash (and is refused from
the dictionary once its keys lock) instead of taking every core from the event loop.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from engine.ports import Clock

log = structlog.get_logger("engine.login_guard")

T = TypeVar("T")


class Locked(Exception):
    """Refused before any check: one of the keys is locked for ``seconds`` more."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"locked for {seconds:.0f} s")
        self.seconds = seconds


@dataclass(slots=True)
class _Record:
    failures: int
    locked_until: dt.datetime


class LoginGuard:
    def __init__(self, clock: Clock, *, free_failures: int = 5, first_delay: float = 1.0, max_delay: float = 900.0,
                 max_keys: int = 100_000) -> None:
        self.clock = clock
        self.free_failures = free_failures
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.max_keys = max_keys
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._checking = asyncio.Lock()   # one slow check at a time

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._records)

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds until every one of ``keys`` may try again (0: now)."""
        now = self.clock()
        waits = [(record.locked_until - now).total_seconds()
                 for key in keys if (record := self._records.get(key)) is not None]
        return max([0.0, *waits])

    async def attempt(self, login: str, address: str, check: Callable[[], T | None]) -> T | None:
        """``check()`` (a password hash: slow) on a thread unless ``login`` from ``address``, or ``address``, is
        locked (``Locked``); None from it is a failure, anything else a success. ``login`` names its door too
        ("fix:ALICE", "web:alice"): the doors' names are counted apart."""
        keys = (f"{login}@{address}", f"addr:{address}")
        self._refuse_if_locked(keys)
        async with self._checking:
            self._refuse_if_locked(keys)   # again: the attempts queued before this one may have locked a key
            result = await asyncio.to_thread(check)
            if result is None:
                self.failed(keys)
            else:
                self.succeeded(keys[0])
        return result

    def _refuse_if_locked(self, keys: Iterable[str]) -> None:
        if (seconds := self.wait(keys)) > 0:
            raise Locked(seconds)

    def failed(self, keys: Iterable[str]) -> None:
        now = self.clock()
        for key in keys:
            record = self._records.pop(key, None) or _Record(0, now)
            record.failures += 1
            beyond = record.failures - self.free_failures
            if beyond > 0:
                delay = min(self.max_delay, self.first_delay * 2 ** min(beyond - 1, 30))
                record.locked_until = now + dt.timedelta(seconds=delay)
                log.warning("login_guard.locked", key=key, failures=record.failures, seconds=delay)
            self._records[key] = record
        self._forget_oldest()

    def succeeded(self, login_key: str) -> None:
        self._records.pop(login_key, None)

    def _forget_oldest(self) -> None:
        """Bounded memory under a flood of made-up names: drop the least recently failed keys. A flooding
        address's own key fails on every attempt, so it stays at the young end and keeps its lock."""
        while len(self._records) > self.max_keys:
            self._records.popitem(last=False)
