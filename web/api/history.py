"""An account's history as the journal and the ledger on disk hold it, so that it survives a restart: orders searched
by date, instrument and status and paged; fills with the P&L each one realised; realised P&L, commission and
financing summed per day, week or month, in the account's currency."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.domain.instrument import Instrument
from engine.domain.order import Execution, Order, OrdStatus
from engine.domain.tenancy import Account
from engine.ledger import EntryKind
from engine.oms import OMS
from engine.storage.journal import SqlOrderJournal
from engine.storage.ledger_store import SqlLedgerStore
from web.api import numbers
from web.api.orders import bad, identifier

STATUSES = {status.name.lower(): status for status in OrdStatus}
PERIODS = ("day", "week", "month")
# What a trade does to a wallet besides the deposits: the columns of the P&L summary.
COLUMNS = {EntryKind.REALIZED_PNL: "realised", EntryKind.COMMISSION: "commission", EntryKind.FINANCING: "financing"}


@dataclass(frozen=True, slots=True)
class Window:
    """``[since, until)`` in UTC and an instrument; a date's ``to`` takes in the whole of that day."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    symbol: str | None = None


_EARLIEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
_LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def moment(text: str, name: str, *, end: bool) -> dt.datetime:
    """An ISO date or date-time; without an offset it is UTC. A date is its day's start, or for ``end`` the next
    day's, so ``to=2026-12-03`` covers the 3rd. Times beyond the calendar's ends stop at them."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
            return start + dt.timedelta(days=1) if end else start
        when = dt.datetime.fromisoformat(text)
        return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)
    except OverflowError:
        return _LATEST if text.startswith("9999") else _EARLIEST
    except ValueError:
        raise bad(f"{name} must be an ISO date (2026-12-03) or date-time (2026-12-03T10:00:00Z)",
                  "bad_time") from None


def window(query: Mapping[str, str]) -> Window:
    """From a request's ``from``, ``to`` and ``symbol``; an empty one is a 400, as any other bad value."""
    since = moment(query["from"], "from", end=False) if "from" in query else None
    until = moment(query["to"], "to", end=True) if "to" in query else None
    symbol = identifier(query["symbol"], "symbol") if "symbol" in query else None
    return Window(since, until, symbol)


def statuses(query: Mapping[str, str]) -> frozenset[OrdStatus]:
    """``status=filled,canceled``: the statuses wanted, by the names the API writes them with; none: all."""
    if "status" not in query:
        return frozenset()
    names = query["status"].split(",")
    unknown = [name[:40] for name in names if name not in STATUSES]
    if unknown:
        raise bad(f"status must be among {', '.join(STATUSES)}; not {', '.join(unknown)!r}", "bad_status")
    return frozenset(STATUSES[name] for name in names)


def _within(order: Order, within: Window, wanted: frozenset[OrdStatus]) -> bool:
    return ((within.since is None or order.created_at >= within.since)
            and (within.until is None or order.created_at < within.until)
            and (within.symbol is None or order.symbol == within.symbol)
            and (not wanted or order.status in wanted))


def _start(moment: dt.datetime, by: str) -> dt.date:
    day = moment.astimezone(dt.timezone.utc).date()
    if by == "week":
        return day - dt.timedelta(days=day.weekday())   # ISO weeks start on Monday
    return day.replace(day=1) if by == "month" else day


class History:
    def __init__(self, oms: OMS) -> None:
        journal, store = oms.journal, oms.accounting.ledger.store
        if not isinstance(journal, SqlOrderJournal) or not isinstance(store, SqlLedgerStore):
            raise TypeError("the history reads the SQL journal and ledger")
        self.oms = oms
        self.journal = journal
        self.ledger = store

    def orders(self, account: Account, within: Window, wanted: frozenset[OrdStatus], before: str | None,
               limit: int) -> list[Order]:
        """Newest first; an order still live is shown as the OMS holds it (the journal may be a batch behind)."""
        found = self.journal.search_orders(account.account_id, since=within.since, until=within.until,
                                           symbol=within.symbol, statuses=wanted, before=before, limit=limit)
        return [self.oms.orders.get(order.order_id, order) for order in found]

    def open_orders(self, account: Account, within: Window, wanted: frozenset[OrdStatus], before: str | None,
                    limit: int) -> list[Order]:
        """The live orders, from memory, searched and paged as the history is."""
        mine = sorted((o for o in self.oms.orders.values() if o.account_id == account.account_id and o.is_open
                       and _within(o, within, wanted)), key=lambda o: (o.created_at, o.order_id), reverse=True)
        if before is not None:
            mark = next((o for o in mine if o.order_id == before), None)
            mine = [] if mark is None else [o for o in mine if (o.created_at, o.order_id) < (mark.created_at,
                                                                                            mark.order_id)]
        return mine[:limit]

    def fills(self, account: Account, within: Window, limit: int) -> list[dict[str, Any]]:
        """Newest first, each with the P&L it realised in the account's currency (None: it opened or added)."""
        found = self.journal.search_executions(account.account_id, since=within.since, until=within.until,
                                               symbol=within.symbol, limit=limit)
        realised: dict[str, Decimal] = defaultdict(Decimal)
        for _, reference, currency, amount, _ in self.ledger.wallet_postings(
                account.account_id, frozenset({EntryKind.REALIZED_PNL}), references=[f.exec_id for f in found]):
            if currency == account.base_currency:
                realised[reference] += amount
        return [_fill_json(fill, self.oms.instruments.get(fill.symbol), account.base_currency,
                           realised.get(fill.exec_id)) for fill in found]

    def pnl(self, account: Account, within: Window, by: str) -> dict[str, Any]:
        """Per period, newest first: realised P&L, commission and financing as each moved the balance (a charge
        is negative), and their sum."""
        currency = account.base_currency
        sums: dict[dt.date, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(COLUMNS.values(), Decimal(0)))
        for kind, _, posted_in, amount, at in self.ledger.wallet_postings(
                account.account_id, frozenset(COLUMNS), since=within.since, until=within.until):
            if posted_in == currency:
                sums[_start(at, by)][COLUMNS[kind]] += amount

        def row(values: dict[str, Decimal]) -> dict[str, str]:
            return {**{name: numbers.money(value, currency) for name, value in values.items()},
                    "net": numbers.money(sum(values.values(), Decimal(0)), currency)}

        total = {name: sum((values[name] for values in sums.values()), Decimal(0)) for name in COLUMNS.values()}
        return {"currency": currency, "by": by,
                "periods": [{"start": start.isoformat(), **row(sums[start])} for start in sorted(sums, reverse=True)],
                "total": row(total)}


def _fill_json(fill: Execution, instrument: Instrument | None, currency: str,
               realised: Decimal | None) -> dict[str, Any]:
    return {"exec_id": fill.exec_id, "order_id": fill.order_id, "symbol": fill.symbol,
            "side": "buy" if fill.side.sign > 0 else "sell",
            "quantity": numbers.quantity(instrument, fill.quantity) if instrument else str(fill.quantity),
            "price": numbers.price(instrument, fill.price) if instrument else str(fill.price),
            "commission": numbers.money(fill.commission, currency), "at": fill.at.isoformat(),
            "realised_pnl": None if realised is None else numbers.money(realised, currency)}
