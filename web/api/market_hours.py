"""Whether an instrument's market is open at the hub's clock and when it opens next, from its trading sessions:
the terminal shows "Market closed · opens in 3 h 20 min" rather than a stale price."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from engine.domain.instrument import Instrument

LOOKAHEAD_DAYS = 8   # a week of weekdays and a holiday-free margin: every session opens within it


def next_open(instrument: Instrument, moment: dt.datetime) -> dt.datetime | None:
    """The first session open after ``moment`` (UTC); None for an instrument that never closes."""
    opens = []
    for session in instrument.sessions:
        zone = ZoneInfo(session.time_zone)
        today = moment.astimezone(zone).date()
        for days in range(LOOKAHEAD_DAYS):
            day = today + dt.timedelta(days=days)
            start = dt.datetime.combine(day, session.open, tzinfo=zone)
            if day.weekday() in session.weekdays and start > moment:
                opens.append(start)
                break
    return min(opens).astimezone(dt.timezone.utc) if opens else None


def market_json(instrument: Instrument, moment: dt.datetime) -> dict[str, Any]:
    """``open_now`` and, when closed, ``next_open`` (UTC ISO), with the hub's ``as_of`` so that a browser whose own
    clock differs still counts down the right time."""
    is_open = instrument.is_open(moment)
    opens = None if is_open else next_open(instrument, moment)
    return {"open_now": is_open, "next_open": opens.isoformat() if opens else None, "as_of": moment.isoformat()}
