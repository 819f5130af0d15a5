"""The ledger's entries in SQL: an entry and its postings in one transaction, read back in order on start."""
from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, select

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
