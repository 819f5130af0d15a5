"""``swaps``: the nightly financing at the rollover. Each open position is charged its instrument's swap for the
night once (the ledger entry's reference is the day and the position), so a run taken up again after a crash
charges only the positions the first try did not reach."""
from __future__ import annotations

import datetime as dt

from backoffice.jobs.rollover import next_rollover, trading_day
from engine.accounting import Accounting, Financing
from engine.journal import Transactions


class Swaps:
    name = "swaps"

    def __init__(self, accounting: Accounting, transactions: Transactions, rates: dict[str, Financing],
                 rollover: dt.time) -> None:
        self.accounting = accounting
        self.transactions = transactions
        self.rates = rates
        self.rollover = rollover
        self.schedule = f"daily at the rollover, {rollover:%H:%M} UTC"

    def next_due(self, last_due: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        return next_rollover(last_due, now, self.rollover)

    async def run(self, run_key: str, due: dt.datetime) -> str:
        day = trading_day(due, self.rollover)
        posted = self.accounting.charge_financing(day, self.rates)
        await self.transactions.durable()   # done only once the entries are on disk
        return f"the night of {day}: {posted} position{'s' if posted != 1 else ''} charged financing"
