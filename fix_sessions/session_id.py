"""SessionID: what tells one FIX session from another (BeginString, CompIDs, an optional qualifier)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SessionID:
    begin_string: str
    sender_comp_id: str
    target_comp_id: str
    qualifier: str = ""

    def __str__(self) -> str:
        tail = f":{self.qualifier}" if self.qualifier else ""
        return f"{self.begin_string}:{self.sender_comp_id}->{self.target_comp_id}{tail}"

    def reversed(self) -> SessionID:
        """The same session seen from the counterparty's side."""
        return SessionID(self.begin_string, self.target_comp_id, self.sender_comp_id, self.qualifier)
