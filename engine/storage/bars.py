"""Closed bars in SQL: written in batches by the hub's clock, read newest first for charts."""
from __future__ import annotations

from sqlmodel import Session, select

from engine.bars import Bar
from engine.storage.tables import BarRecord
from engine.storage.types import as_utc
from engine.storage.unit_of_work import UnitOfWork


class SqlBarStore:
    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    def save_bars(self, bars: list[Bar]) -> None:
        with self.unit.session() as session:
            for bar in bars:
                session.merge(BarRecord(tenant_id=bar.tenant_id, group_id=bar.group_id, symbol=bar.symbol,
                                        interval=bar.interval, start=bar.start, open=bar.open, high=bar.high,
                                        low=bar.low, close=bar.close, ticks=bar.ticks))

    def bars(self, tenant_id: str, group_id: str, symbol: str, interval: str, limit: int) -> list[Bar]:
        with Session(self.unit.engine) as session:
            rows = session.exec(select(BarRecord).where(
                BarRecord.tenant_id == tenant_id, BarRecord.group_id == group_id, BarRecord.symbol == symbol,
                BarRecord.interval == interval).order_by(BarRecord.start.desc()).limit(limit)).all()  # type: ignore[attr-defined]
            return [Bar(r.tenant_id, r.group_id, r.symbol, r.interval,
                        as_utc(r.start),
                        r.open, r.high, r.low, r.close, r.ticks) for r in reversed(rows)]
