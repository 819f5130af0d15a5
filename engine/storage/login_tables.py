"""The tables of coming in: browser sessions that outlive a hub restart, one-time links (an invitation or a password
reset), and end users' requests to become an IB. A session or a link is stored only as the SHA-256 of its token:
whoever reads the database cannot log in with it."""
from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


class SessionRecord(SQLModel, table=True):
    __tablename__ = "sessions"

    token_hash: str = Field(primary_key=True)
    user_id: str = Field(index=True)
    created_at: dt.datetime
    expires_at: dt.datetime
    last_seen_at: dt.datetime
    address: str = ""                 # where the login came from


class LinkRecord(SQLModel, table=True):
    """A one-time link that sets a password: ``invite`` for a new user, ``reset`` for one who forgot it."""

    __tablename__ = "invites"

    token_hash: str = Field(primary_key=True)
    user_id: str = Field(index=True)
    purpose: str                      # invite or reset
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class IbRequestRecord(SQLModel, table=True):
    """An end user's request to become an IB, and the broker's answer."""

    __tablename__ = "ib_requests"

    request_id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    tenant_id: str = Field(index=True)
    note: str = ""                    # what the user told the broker
    status: str = Field(index=True)   # open, approved or rejected
    asked_at: dt.datetime
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    reason: str = ""                  # why it was rejected
    role: str | None = None           # the role it was given (ib or sub_ib)
