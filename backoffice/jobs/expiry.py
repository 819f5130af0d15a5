"""``gtd_expiry``: DAY and GTD orders expire at their time, and never later because the hub was down.

What expires them on time is the hub's clock, every second (``OMS.expire_due`` in ``Hub.tick``): a scheduled run
once a day could not expire a GTD order at 12:00:00. What makes a restart miss none is that the expiry is on the
order itself: the journal gives the open orders back at start, and the first tick expires every one whose time
passed while the hub was down. This job is the daily record of it, at the rollover (where DAY orders end): it
expires whatever is overdue (nothing, when the clock did its work) and says what is still waiting to expire.
Run by hand it is a sweep now."""
from __future__ import annotations

import datetime as dt

from backoffice.jobs.rollover import next_rollover
from engine.oms import OMS


class GtdExpiry:
    name = "gtd_expiry"

    def __init__(self, oms: OMS, rollover: dt.time) -> None:
        self.oms = oms
        self.rollover = rollover
        self.schedule = f"every second with the hub's clock; recorded daily at the rollover, {rollover:%H:%M} UTC"

    def next_due(self, last_due: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        return next_rollover(last_due, now, self.rollover)

    async def run(self, run_key: str, due: dt.datetime) -> str:
        overdue = await self.oms.expire_due()   # a second expiry of an order already expiring is skipped
        waiting = sorted(o.expire_at for o in self.oms.orders.values() if o.is_open and o.expire_at is not None)
        later = f"; {len(waiting)} open with an expiry, the next at {waiting[0].isoformat()}" if waiting \
            else "; none open with an expiry"
        return f"{len(overdue)} overdue order{'s' if len(overdue) != 1 else ''} sent to expire{later}"
