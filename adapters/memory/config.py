"""Settings of an in-memory venue: its name and the quotes it opens with. It has no secrets, so nothing comes from
the environment; the hub's TOML gives ``quotes = {"EUR/USD" = ["1.0834", "1.0835"]}`` (symbol = [bid, ask])."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Quotes = Mapping[str, tuple[Decimal, Decimal]]


@dataclass(frozen=True, slots=True)
class MemoryConfig:
    name: str = "memory"
    quotes: Quotes = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> MemoryConfig:
        """From a [[venues]] table (without its type); ValueError names what does not read."""
        unknown = set(table) - {"name", "quotes"}
        if unknown:
            raise ValueError(f"MemoryConfig has no field {', '.join(repr(name) for name in sorted(unknown))}")
        try:
            quotes = {str(symbol): (Decimal(str(bid)), Decimal(str(ask)))
                      for symbol, (bid, ask) in dict(table.get("quotes", {})).items()}
        except (TypeError, ValueError, ArithmeticError) as error:
            raise ValueError(f"quotes must map each symbol to [bid, ask]: {error!r}") from None
        return cls(name=str(table.get("name", "memory")), quotes=quotes)
