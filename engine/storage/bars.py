"""Closed bars in SQL: written in batches by the hub's clock, read newest first for charts."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from engine.bars import Bar
from engine.storage.tables import BarRecord
from engine.storage.types import as_utc
from engine.storage.unit_of_work import UnitOfWork

KEY = ["tenant_id", "group_id", "symbol", "interval", "start"]


class SqlBarStore:
    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    def save_bars(self, bars: list[Bar]) -> None:
        """One upsert for the batch (a chart's backfill is thousands of bars; an ORM merge per bar is a query
        each, on the hub's tick)."""
        table = BarRecord.__table__   # type: ignore[attr-defined]
        rows = list({(b.tenant_id, b.group_id, b.symbol, b.interval, b.start): {
            "tenant_id": b.tenant_id, "group_id": b.group_id, "symbol": b.symbol, "interval": b.interval,
            "start": b.start, "open": b.open, "high": b.high, "low": b.low, "close": b.close, "ticks": b.ticks}
            for b in bars}.values())   # a bar closed twice in one batch: its last state
        statement = (postgresql.insert(table) if self.unit.engine.dialect.name == "postgresql"
                     else sqlite.insert(table))
        statement = statement.on_conflict_do_update(
            index_elements=KEY, set_={name: statement.excluded[name] for name in ("open", "high", "low", "close",
                                                                                  "ticks")})
        with self.unit.session() as session:
            session.connection().execute(statement, rows)

    def bars(self, tenant_id: str, group_id: str, symbol: str, interval: str, limit: int) -> list[Bar]:
        with Session(self.unit.engine) as session:
            rows = session.exec(select(BarRecord).where(
                BarRecord.tenant_id == tenant_id, BarRecord.group_id == group_id, BarRecord.symbol == symbol,
                BarRecord.interval == interval).order_by(BarRecord.start.desc()).limit(limit)).all()  # type: ignore[attr-defined]
            return [Bar(r.tenant_id, r.group_id, r.symbol, r.interval,
                        as_utc(r.start),
                        r.open, r.high, r.low, r.close, r.ticks) for r in reversed(rows)]
