"""The ledger's entries in SQL: an entry and its postings in one transaction, read back in order on start."""
from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, select

from engine.ledger import EntryKind, JournalEntry, LedgerAccount, Posting
from engine.storage.tables import JournalEntryRecord, PostingRecord
from engine.storage.types import as_utc
from engine.storage.unit_of_work import UnitOfWork


class SqlLedgerStore:
    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    def append(self, entry: JournalEntry) -> None:
        with self.unit.session() as session:
            session.add(JournalEntryRecord(entry_id=entry.entry_id, kind=entry.kind.value, reference=entry.reference,
                                           at=entry.at))
            session.flush()
            for posting in entry.postings:
                session.add(PostingRecord(entry_id=entry.entry_id, owner=posting.account.owner,
                                          purpose=posting.account.purpose, currency=posting.currency,
                                          amount=posting.amount))

    def load(self) -> list[JournalEntry]:
        with Session(self.unit.engine) as session:
            postings: dict[int, list[Posting]] = defaultdict(list)
            for row in session.exec(select(PostingRecord).order_by(PostingRecord.posting_id)):  # type: ignore[arg-type]
                postings[row.entry_id].append(Posting(LedgerAccount(row.owner, row.purpose), row.currency, row.amount))
            entries = session.exec(select(JournalEntryRecord).order_by(JournalEntryRecord.entry_id)).all()  # type: ignore[arg-type]
            return [JournalEntry(row.entry_id, EntryKind(row.kind), row.reference, tuple(postings[row.entry_id]),
                                 as_utc(row.at))
                    for row in entries]
