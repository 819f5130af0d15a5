"""The double-entry journal: every fill, fee, commission, markup, financing charge, deposit, withdrawal and adjustment
is one entry whose postings sum to zero in each currency. Balances are derived from the entries, never set: each
entry adds its postings to running balances, so a balance costs the same after a million entries as after one.

An entry carries a reference (a fill's ExecID, a deposit's idempotency key); posting the same reference twice
books nothing the second time, so a replayed execution report or webhook is never applied twice.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections import OrderedDict, defaultdict
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


RECENT_ENTRIES = 1_000   # entries a ledger holds in memory: far more than one transaction posts (see roll_back)


class Ledger:
    """Running balances per account and currency, the references already booked, and the latest entries.

    A hub runs for months, so nothing a post does may cost more as the journal grows: a post updates the balances
    it touches, records its reference, and joins the latest ``keep`` entries held in memory, pushing the oldest out
    (the store, when there is one, keeps them all). The references are kept for good, so a reference is booked
    once however old it is; they are held as plain strings and numbers, which the garbage collector never scans.
    """

    def __init__(self, clock: Clock, store: LedgerStore | None = None, *, keep: int = RECENT_ENTRIES) -> None:
        if keep < 1:
            raise ValueError(f"a ledger keeps at least one entry in memory, not {keep}")
        self.clock = clock
        self.store = store
        self.keep = keep
        self._recent: OrderedDict[int, JournalEntry] = OrderedDict()   # entry id -> entry, oldest first
        self._balances: dict[LedgerAccount, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self._booked: dict[EntryKind, dict[str, int]] = {kind: {} for kind in EntryKind}  # reference -> entry id
        self._count = 0   # entries booked (loaded ones included), less those rolled back
        last_id = 0
        for entry in store.load() if store is not None else []:
            self._apply(entry)
            last_id = entry.entry_id
        self._ids = itertools.count(last_id + 1)

    @property
    def entries(self) -> list[JournalEntry]:
        """The latest entries held in memory (at most ``keep``), oldest first; the store has the whole journal."""
        return list(self._recent.values())

    def post(self, kind: EntryKind, reference: str, postings: list[Posting]) -> JournalEntry | None:
        """Book an entry and return it. A reference already booked books nothing: it returns the first entry while
        that is among the latest ``keep`` held in memory, else None (the entry is in the store)."""
        booked = self._booked[kind].get(reference)
        if booked is not None:
            return self._recent.get(booked)
        _check_balanced(kind, reference, postings)
        entry = JournalEntry(next(self._ids), kind, reference, tuple(postings), self.clock())
        if self.store is not None:
            self.store.append(entry)
        self._apply(entry)
        log.info("ledger.posted", entry_id=entry.entry_id, kind=kind.value, reference=reference,
                 postings=entry.postings)
        return entry

    def _apply(self, entry: JournalEntry) -> None:
        balances = self._balances
        for posting in entry.postings:
            balances[posting.account][posting.currency] += posting.amount
        self._booked[entry.kind][entry.reference] = entry.entry_id
        recent = self._recent
        recent[entry.entry_id] = entry
        if len(recent) > self.keep:
            recent.popitem(last=False)
        self._count += 1

    def mark(self) -> int:
        """Where the journal stands now (how many entries it has booked), for ``roll_back`` if the transaction
        around what follows fails."""
        return self._count

    def roll_back(self, mark: int) -> None:
        """Forget the entries posted since ``mark``: their transaction did not commit, so they never happened. They
        must still be held in memory: a transaction posts a few entries, a ledger keeps a thousand by default."""
        undo = self._count - mark
        if undo <= 0:
            return
        if undo > len(self._recent):
            raise ValueError(f"cannot roll back {undo} entries: only the latest {len(self._recent)} are in memory")
        for _ in range(undo):
            _, entry = self._recent.popitem()
            for posting in entry.postings:
                self._balances[posting.account][posting.currency] -= posting.amount
            del self._booked[entry.kind][entry.reference]
        self._count = mark

    def transfer(self, kind: EntryKind, reference: str, source: LedgerAccount, target: LedgerAccount,
                 currency: str, amount: Decimal) -> JournalEntry | None:
        """Move ``amount`` from ``source`` to ``target``: the common two-posting entry (see ``post``)."""
        return self.post(kind, reference, [Posting(source, currency, -amount), Posting(target, currency, amount)])

    def booked(self, kind: EntryKind, reference: str) -> bool:
        """Whether an entry of this kind and reference is in the journal (held in memory or not)."""
        return reference in self._booked[kind]

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
