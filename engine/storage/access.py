"""Who may come in: logins (salted scrypt hashes), browser sessions and one-time links (invitations, password
resets), stored only as the SHA-256 of their tokens, API keys (HMAC secrets encrypted at rest with Fernet), and each
user's saved terminal layout.

A session or a link token is 32 random bytes: a fast hash of it is as good as a slow one, and lets every request be
checked with one lookup. A login created by the back office has no password until its invitation is used.

The encryption key comes from ``DYNAMICTECH_SECRET_KEY`` (a Fernet key); without it a key file is created next to
the database with owner-only permissions, which suits the embedded demo and nothing else.
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet, InvalidToken
from sqlmodel import Session, col, delete, select, update

from engine.ports import Clock
from engine.storage.login_tables import LinkRecord, SessionRecord
from engine.storage.tables import ApiKeyRecord, CredentialRecord, LayoutRecord
from engine.storage.types import as_utc
from engine.storage.unit_of_work import UnitOfWork

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
NO_PASSWORD = ""                          # a login whose invitation is not used yet: nothing logs in with it
SESSION_TOUCH = dt.timedelta(minutes=1)   # "last seen" is written at most this often per session
Purpose = Literal["invite", "reset"]


@dataclass(frozen=True, slots=True)
class Link:
    """A one-time link that is still good: whose it is, what for, until when."""

    user_id: str
    purpose: Purpose
    expires_at: dt.datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_fernet(key_file: Path) -> Fernet:
    key = os.environ.get("DYNAMICTECH_SECRET_KEY")
    if key:
        return Fernet(key.encode())
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(Fernet.generate_key())
    return Fernet(key_file.read_bytes().strip())


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


@functools.cache
def _unknown_login_hash() -> str:
    """Checked against for a login that does not exist, so that it costs one scrypt, as a known login does."""
    return hash_password(secrets.token_urlsafe(16))


def check_password(password: str, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


class SqlAccess:
    def __init__(self, unit: UnitOfWork, fernet: Fernet, clock: Clock) -> None:
        self.unit = unit
        self.fernet = fernet
        self.clock = clock

    def set_password(self, user_id: str, login: str, password: str) -> None:
        with self.unit.session() as session:
            session.merge(CredentialRecord(user_id=user_id, login=login, password_hash=hash_password(password)))

    def login_taken(self, login: str) -> bool:
        with Session(self.unit.engine) as session:
            return session.exec(select(CredentialRecord).where(CredentialRecord.login == login)).first() is not None

    def add_login(self, user_id: str, login: str, password_hash: str = NO_PASSWORD) -> None:
        """A new login (without a password until its invitation is used); joins the open transaction."""
        with self.unit.session() as session:
            session.add(CredentialRecord(user_id=user_id, login=login, password_hash=password_hash))

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        """Hash off the event loop (``hash_password``), then store it here, in the transaction of the change."""
        with self.unit.session() as session:
            row = session.get(CredentialRecord, user_id)
            if row is None:
                raise LookupError(f"user {user_id} has no login")
            row.password_hash = password_hash
            session.add(row)

    def authenticate(self, login: str, password: str) -> str | None:
        """The user id for a good login and password, else None: one scrypt either way, so an unknown login takes
        as long as a known one. Slow by design: call it off the event loop."""
        with Session(self.unit.engine) as session:
            row = session.exec(select(CredentialRecord).where(CredentialRecord.login == login)).first()
        if row is None or row.password_hash == NO_PASSWORD:
            check_password(password, _unknown_login_hash())
            return None
        return row.user_id if check_password(password, row.password_hash) else None

    def logins_of(self, user_ids: list[str]) -> dict[str, str]:
        with Session(self.unit.engine) as session:
            rows = session.exec(select(CredentialRecord).where(col(CredentialRecord.user_id).in_(user_ids))).all()
            return {row.user_id: row.login for row in rows}

    def login_of(self, user_id: str) -> str | None:
        with Session(self.unit.engine) as session:
            row = session.get(CredentialRecord, user_id)
            return row.login if row is not None else None

    # ------------------------------------------------------------------ sessions
    def open_session(self, user_id: str, address: str, lifetime: dt.timedelta) -> str:
        """A new session's token, returned this once; expired sessions are dropped on the way."""
        token, now = secrets.token_urlsafe(32), self.clock()
        with self.unit.session() as session:
            session.exec(delete(SessionRecord).where(col(SessionRecord.expires_at) < now))
            session.add(SessionRecord(token_hash=token_hash(token), user_id=user_id, created_at=now,
                                      expires_at=now + lifetime, last_seen_at=now, address=address[:64]))
        return token

    def session_user(self, token: str) -> str | None:
        """Whose live session this is, or None; notes when it was last seen (at most once a minute)."""
        digest, now = token_hash(token), self.clock()
        with Session(self.unit.engine) as session:
            row = session.get(SessionRecord, digest)
            if row is None or as_utc(row.expires_at) <= now:
                return None
            user_id = row.user_id
            if now - as_utc(row.last_seen_at) >= SESSION_TOUCH:
                row.last_seen_at = now
                session.add(row)
                session.commit()
        return user_id

    def end_session(self, token: str) -> None:
        with self.unit.session() as session:
            session.exec(delete(SessionRecord).where(col(SessionRecord.token_hash) == token_hash(token)))

    def end_sessions(self, user_id: str) -> int:
        """Every session of the user (a lock, a password reset); joins the open transaction."""
        with self.unit.session() as session:
            return session.exec(delete(SessionRecord).where(col(SessionRecord.user_id) == user_id)).rowcount

    # ------------------------------------------------------------------ one-time links
    def issue_link(self, user_id: str, purpose: Purpose, created_by: str, lifetime: dt.timedelta
                   ) -> tuple[str, dt.datetime]:
        """A new link's token (returned this once) and when it expires. The user's earlier unused links die with
        it: only the newest works."""
        token, now = secrets.token_urlsafe(32), self.clock()
        with self.unit.session() as session:
            session.exec(update(LinkRecord).where(col(LinkRecord.user_id) == user_id,
                                                  col(LinkRecord.used_at).is_(None)).values(used_at=now))
            session.add(LinkRecord(token_hash=token_hash(token), user_id=user_id, purpose=purpose,
                                   created_by=created_by, created_at=now, expires_at=now + lifetime))
        return token, now + lifetime

    def link(self, token: str) -> Link | None | Literal["used", "expired"]:
        """The link if it is still good, "used" or "expired" if it was, None if it never existed."""
        with Session(self.unit.engine) as session:
            row = session.get(LinkRecord, token_hash(token))
        if row is None:
            return None
        if row.used_at is not None:
            return "used"
        if as_utc(row.expires_at) <= self.clock():
            return "expired"
        return Link(row.user_id, "reset" if row.purpose == "reset" else "invite", as_utc(row.expires_at))

    def claim_link(self, token: str) -> bool:
        """Mark the link used, once: False if another request used it first. Joins the open transaction."""
        with self.unit.session() as session:
            claimed = session.exec(update(LinkRecord).where(col(LinkRecord.token_hash) == token_hash(token),
                                                            col(LinkRecord.used_at).is_(None))
                                   .values(used_at=self.clock()))
            return claimed.rowcount == 1

    # ------------------------------------------------------------------ API keys
    def create_api_key(self, user_id: str) -> tuple[str, str]:
        """A new key id and secret; the secret is returned this once and stored only encrypted."""
        key_id, secret = "dk_" + secrets.token_hex(12), secrets.token_urlsafe(32)
        with self.unit.session() as session:
            session.add(ApiKeyRecord(key_id=key_id, user_id=user_id,
                                     secret_encrypted=self.fernet.encrypt(secret.encode()).decode(),
                                     created_at=self.clock()))
        return key_id, secret

    def api_key(self, key_id: str) -> tuple[str, bytes] | None:
        """(user id, secret) of a live key, or None."""
        with Session(self.unit.engine) as session:
            row = session.get(ApiKeyRecord, key_id)
        if row is None or row.revoked:
            return None
        try:
            return row.user_id, self.fernet.decrypt(row.secret_encrypted.encode())
        except InvalidToken:
            return None   # encrypted under another key: as good as revoked

    def save_layout(self, user_id: str, layout: str) -> None:
        with self.unit.session() as session:
            session.merge(LayoutRecord(user_id=user_id, layout=layout, updated_at=self.clock()))

    def layout(self, user_id: str) -> str | None:
        with Session(self.unit.engine) as session:
            row = session.get(LayoutRecord, user_id)
            return row.layout if row is not None else None
