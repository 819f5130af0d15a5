"""The in-memory venue's refusals as our reject codes (``engine.domain.rejects.VENUE_CODES``), by the words each
refusal starts with. Rejects a test asks for (``MemoryVenue.reject_next``) carry the code the test gives."""
from __future__ import annotations

CODES: dict[str, str] = {
    "unknown order": "unknown_order",
    "too late": "too_late",
    "cannot replace": "invalid_quantity",
}


def reject_code(reason: str) -> str:
    """Our code for a refusal whose reason is ``"<words>: <details>"`` or just the words."""
    return CODES.get(reason.partition(":")[0], "venue_rejected")
