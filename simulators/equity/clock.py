"""The simulator's market clock: real time until a test sets it, then running on from the moment it was set."""
from __future__ import annotations

import datetime as dt
import time


class MarketClock:
    def __init__(self, start: dt.datetime | None = None) -> None:
        self._base: dt.datetime | None = None
        self._base_monotonic = 0.0
        if start is not None:
            self.set(start)

    def set(self, moment: dt.datetime) -> None:
        """From now on the clock reads ``moment`` plus the time passed since this call (aware datetimes only)."""
        if moment.tzinfo is None:
            raise ValueError("the market clock needs an aware datetime (with its time zone)")
        self._base, self._base_monotonic = moment, time.monotonic()

    def now(self) -> dt.datetime:
        if self._base is None:
            return dt.datetime.now(dt.UTC)
        return (self._base + dt.timedelta(seconds=time.monotonic() - self._base_monotonic)).astimezone(
            dt.UTC)
