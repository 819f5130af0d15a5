"""One transaction that several writers join: a fill's new order state and its ledger entries commit together or
not at all, so a crash can neither drop a booking nor leave it to be booked twice."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session


class UnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: Session | None = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """The open transaction's session, or a session of its own that commits when the block ends."""
        if self._session is not None:
            yield self._session
            return
        with Session(self.engine) as session:
            yield session
            session.commit()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._session is not None:  # already inside one: join it
            yield
            return
        with Session(self.engine) as session:
            self._session = session
            try:
                yield
                session.commit()
            finally:
                self._session = None
