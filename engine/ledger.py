"""The double-entry journal: every fill, fee, commission, markup, financing charge, deposit, withdrawal and adjustment
is one entry whose postings sum to zero in each currency. Balances are derived from the entries, never set.

An entry carries a reference (a fill's ExecID, a deposit's idempotency key); posting the same reference twice
returns the first entry, so a replayed execution report or webhook is never applied twice.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Protocol

import structlog

from engine.ports import Clock

log = structlog.get_logger("engine.ledger")


class EntryKind(str, Enum):
    FILL = "fill"
    MARKUP = "markup"
    COMMISSION = "commission"
    IB_REBATE = "ib_rebate"
    FEE = "fee"
    FINANCING = "financing"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    ADJUSTMENT = "adjustment"
    REALIZED_PNL = "realized_pnl"


@dataclass(frozen=True, slots=True)
class LedgerAccount:
    """Whose money, and what it is for: ("ACC-1", "wallet"), ("broker-a", "markup_revenue"), ("lp-1", "clearing")."""

    owner: str
    purpose: str

    def __str__(self) -> str:
        return f"{self.owner}:{self.purpose}"


def wallet(account_id: str) -> LedgerAccount:
    return LedgerAccount(account_id, "wallet")


@dataclass(frozen=True, slots=True)
class Posting:
    account: LedgerAccount
    currency: str
    amount: Decimal  # positive: the account's balance grows


@dataclass(frozen=True, slots=True)
class JournalEntry:
    entry_id: int
    kind: EntryKind
    reference: str
    postings: tuple[Posting, ...]
    at: dt.datetime


class UnbalancedEntry(ValueError):
    """The postings of an entry do not sum to zero in every currency."""


class LedgerStore(Protocol):
    """Where entries are kept; an entry is stored before it counts in any balance."""

    def append(self, entry: JournalEntry) -> None: ...
    def load(self) -> list[JournalEntry]: ...


class Ledger:
    def __init__(self, clock: Clock, store: LedgerStore | None = None) -> None:
        self.clock = clock
        self.store = store
        self.entries: list[JournalEntry] = []
        self._balances: dict[LedgerAccount, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self._by_reference: dict[tuple[EntryKind, str], JournalEntry] = {}
        for entry in store.load() if store is not None else []:
            self._apply(entry)
        self._ids = itertools.count(self.entries[-1].entry_id + 1 if self.entries else 1)

    def post(self, kind: EntryKind, reference: str, postings: list[Posting]) -> JournalEntry:
        existing = self._by_reference.get((kind, reference))
        if existing is not None:
            return existing
        _check_balanced(kind, reference, postings)
        entry = JournalEntry(next(self._ids), kind, reference, tuple(postings), self.clock())
        if self.store is not None:
            self.store.append(entry)
        self._apply(entry)
        log.info("ledger.posted", entry_id=entry.entry_id, kind=kind.value, reference=reference,
                 postings=entry.postings)
        return entry

    def _apply(self, entry: JournalEntry) -> None:
        for posting in entry.postings:
            self._balances[posting.account][posting.currency] += posting.amount
        self.entries.append(entry)
        self._by_reference[(entry.kind, entry.reference)] = entry

    def mark(self) -> int:
        """Where the journal stands now, for ``roll_back`` if the transaction around what follows fails."""
        return len(self.entries)

    def roll_back(self, mark: int) -> None:
        """Forget the entries posted since ``mark``: their transaction did not commit, so they never happened."""
        for entry in reversed(self.entries[mark:]):
            for posting in entry.postings:
                self._balances[posting.account][posting.currency] -= posting.amount
            del self._by_reference[(entry.kind, entry.reference)]
        del self.entries[mark:]

    def transfer(self, kind: EntryKind, reference: str, source: LedgerAccount, target: LedgerAccount,
                 currency: str, amount: Decimal) -> JournalEntry:
        """Move ``amount`` from ``source`` to ``target``: the common two-posting entry."""
        return self.post(kind, reference, [Posting(source, currency, -amount), Posting(target, currency, amount)])

    def balance(self, account: LedgerAccount, currency: str) -> Decimal:
        held = self._balances.get(account)
        return held.get(currency, Decimal(0)) if held is not None else Decimal(0)

    def balances(self, account: LedgerAccount) -> dict[str, Decimal]:
        return dict(self._balances.get(account, {}))


def _check_balanced(kind: EntryKind, reference: str, postings: list[Posting]) -> None:
    if len(postings) == 2:  # the common transfer: one currency, two opposite amounts
        first, second = postings
        if first.currency == second.currency and first.amount + second.amount == 0:
            return
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for posting in postings:
        totals[posting.currency] += posting.amount
    unbalanced = {currency: total for currency, total in totals.items() if total != 0}
    if unbalanced or not postings:
        raise UnbalancedEntry(f"{kind.value} {reference}: postings do not balance: {unbalanced}")
