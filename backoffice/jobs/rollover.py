"""The trading day's end, which the daily jobs keep: the rollover (a UTC time, 22:00 by default: 17:00 in New York
in winter, where the FX day ends). The night of a day is booked at that day's rollover."""
from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


def next_rollover(last_due: dt.datetime | None, now: dt.datetime, rollover: dt.time) -> dt.datetime:
    """The rollover after ``last_due``. A job never run is due at today's, even if that has passed: a hub first
    started after the rollover books that night, as it always did."""
    if last_due is None:
        return dt.datetime.combine(now.astimezone(UTC).date(), rollover, tzinfo=UTC)
    last = last_due.astimezone(UTC)
    candidate = dt.datetime.combine(last.date(), rollover, tzinfo=UTC)
    return candidate if candidate > last else candidate + dt.timedelta(days=1)


def trading_day(due: dt.datetime, rollover: dt.time) -> dt.date:
    """The day whose rollover is the last at or before ``due`` (a run by hand at 15:00 is about last night)."""
    moment = due.astimezone(UTC)
    return moment.date() if moment.time() >= rollover else moment.date() - dt.timedelta(days=1)


def day_window(day: dt.date, rollover: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """From the rollover before ``day``'s (exclusive) to ``day``'s own (inclusive)."""
    end = dt.datetime.combine(day, rollover, tzinfo=UTC)
    return end - dt.timedelta(days=1), end
