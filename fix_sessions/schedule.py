"""When a session may be up (StartTime/EndTime, daily or StartDay/EndDay weekly), and which period a moment is in.

A new period means new sequence numbers: a store created in an earlier period is reset, as QuickFIX does.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

LOCAL_TIME = "local"  # UseLocalTime=Y: the machine's own zone

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SessionSchedule:
    start_time: dt.time
    end_time: dt.time
    start_day: int | None = None  # 0 = Monday
    end_day: int | None = None
    time_zone: str = "UTC"

    def period(self, now: float) -> tuple[float, float] | None:
        """The [start, end) of the period that contains ``now`` (epoch seconds), or None outside every period."""
        if self.time_zone == LOCAL_TIME:
            moment = dt.datetime.fromtimestamp(now).astimezone()
        else:
            moment = dt.datetime.fromtimestamp(now, tz=ZoneInfo(self.time_zone))
        if self.start_day is None or self.end_day is None:
            start = moment.replace(hour=self.start_time.hour, minute=self.start_time.minute,
                                   second=self.start_time.second, microsecond=0)
            if start > moment:
                start -= _DAY
            length = _seconds(self.end_time) - _seconds(self.start_time)
            if length <= 0:
                length += 86_400
        else:
            start = moment.replace(hour=self.start_time.hour, minute=self.start_time.minute,
                                   second=self.start_time.second, microsecond=0)
            start -= dt.timedelta(days=(moment.weekday() - self.start_day) % 7)
            if start > moment:
                start -= dt.timedelta(days=7)
            days = (self.end_day - self.start_day) % 7
            length = days * 86_400 + _seconds(self.end_time) - _seconds(self.start_time)
            if length <= 0:
                length += 7 * 86_400
        begin = start.timestamp()
        end = begin + length + 1  # EndTime is inclusive to the second
        return (begin, end) if begin <= now < end else None


def _seconds(moment: dt.time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second
