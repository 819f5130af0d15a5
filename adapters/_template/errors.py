"""What the venue says when it refuses, as our reject codes: ONE table from the venue's own codes (or the words of
its messages) to a code of ``engine.domain.rejects.VENUE_CODES``. Whether a code lets the router try the next venue
is the catalogue's to say (``engine.domain.rejects.retryable``), never the adapter's. A report's ``reason`` keeps
the venue's own words; its ``code`` comes from here.

tests/adapters/test_error_tables.py walks every adapter's table: each value must be in the catalogue, and the lookup
must give it back for its key. A code the catalogue lacks is asked for, not invented: use the nearest meanwhile.
"""
from __future__ import annotations

CODES: dict[str, str] = {
    # "<the venue's code>" or "<words its message holds>": "<catalogue code>", one line per case the venue documents
}


def reject_code(venue_code: str | None, text: str | None) -> str:
    """Our code for a refusal with the venue's ``venue_code`` and ``text``: the code's entry, else the first entry
    the text holds, else ``venue_rejected``."""
    raise NotImplementedError
