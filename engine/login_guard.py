"""Back-off for failed logins, shared by every door that takes a password (the web login, FIX logons).

Failures are counted per key (a login name, a source address); after ``free_failures`` a key is locked for a delay
that doubles with each further failure up to ``max_delay``. A locked key is refused before any password is hashed,
so a flood costs the hub a dictionary lookup, not a slow hash. A success clears the login's count, never the
address's: one right password from an address does not reset what it tried before under other names.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import structlog

from engine.ports import Clock

log = structlog.get_logger("engine.login_guard")


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

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._records)

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds until every one of ``keys`` may try again (0: now)."""
        now = self.clock()
        waits = [(record.locked_until - now).total_seconds()
                 for key in keys if (record := self._records.get(key)) is not None]
        return max([0.0, *waits])

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
