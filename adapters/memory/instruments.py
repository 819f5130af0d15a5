"""The in-memory market's instruments: it lists what it quotes, under the engine's symbols and in the engine's
units, so nothing is mapped (a network venue's instruments.py converts symbols and quantities here)."""
from __future__ import annotations

from collections.abc import Iterable


def listed(quoted: Iterable[str]) -> list[str]:
    return sorted(quoted)
