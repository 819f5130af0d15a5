"""The ledger's entries in SQL: an entry and its postings in one transaction, read back in order on start."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sql
from sqlmodel import Session, col, select

from engine.ledger import EntryKind, JournalEntry, LedgerAccount, Posting
from engine.storage.group_commit import GroupCommit
from engine.storage.tables import JournalEntryRecord, PostingRecord
from engine.storage.types import as_utc

_ENTRIES, _POSTINGS = JournalEntryRecord.__table__, PostingRecord.__table__  # type: ignore[attr-defined]


class SqlLedgerStore:
    def __init__(self, commits: GroupCommit) -> None:
        self.commits = commits
        self.engine = commits.engine

    def append(self, entry: JournalEntry) -> None:
        """Queued with the rest of its batch; an entry already stored (a batch written again) is not doubled."""
        self.commits.write(_ENTRIES, {"entry_id": entry.entry_id, "kind": entry.kind.value,
                                      "reference": entry.reference, "at": entry.at}, ("entry_id",), update=False)
        for posting in entry.postings:
            self.commits.write(_POSTINGS, {"entry_id": entry.entry_id, "owner": posting.account.owner,
                                           "purpose": posting.account.purpose, "currency": posting.currency,
                                           "amount": posting.amount}, (), update=False)

    def load(self) -> list[JournalEntry]:
        with Session(self.engine) as session:
            postings: dict[int, list[Posting]] = defaultdict(list)
            for row in session.exec(select(PostingRecord).order_by(PostingRecord.posting_id)):  # type: ignore[arg-type]
                postings[row.entry_id].append(Posting(LedgerAccount(row.owner, row.purpose), row.currency, row.amount))
            entries = session.exec(select(JournalEntryRecord).order_by(JournalEntryRecord.entry_id)).all()  # type: ignore[arg-type]
            return [JournalEntry(row.entry_id, EntryKind(row.kind), row.reference, tuple(postings[row.entry_id]),
                                 as_utc(row.at))
                    for row in entries]

    def wallet_postings(self, owner: str, kinds: frozenset[EntryKind], *, since: dt.datetime | None = None,
                        until: dt.datetime | None = None, references: list[str] | None = None,
                        ) -> list[tuple[EntryKind, str, str, Decimal, dt.datetime]]:
        """What entries of these kinds did to one wallet (kind, reference, currency, amount, when), oldest first:
        the realised P&L, commissions and financing a trader's history sums, from the whole journal on disk."""
        query = (sql.select(col(JournalEntryRecord.kind), col(JournalEntryRecord.reference),
                            col(PostingRecord.currency), col(PostingRecord.amount), col(JournalEntryRecord.at))
                 .join(PostingRecord, col(PostingRecord.entry_id) == col(JournalEntryRecord.entry_id))
                 .where(col(PostingRecord.owner) == owner, col(PostingRecord.purpose) == "wallet",
                        col(JournalEntryRecord.kind).in_([k.value for k in kinds])))
        if since is not None:
            query = query.where(col(JournalEntryRecord.at) >= since)
        if until is not None:
            query = query.where(col(JournalEntryRecord.at) < until)
        if references is not None:
            query = query.where(col(JournalEntryRecord.reference).in_(references))
        with Session(self.engine) as session:
            rows = session.execute(query.order_by(col(JournalEntryRecord.entry_id))).all()
            return [(EntryKind(kind), reference, currency, amount, as_utc(at))
                    for kind, reference, currency, amount, at in rows]
