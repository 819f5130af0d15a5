"""Who may come in: logins (salted scrypt hashes), API keys (HMAC secrets encrypted at rest with Fernet), and each
user's saved terminal layout.

The encryption key comes from ``DYNAMICTECH_SECRET_KEY`` (a Fernet key); without it a key file is created next to
the database with owner-only permissions, which suits the embedded demo and nothing else.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlmodel import Session, select

from engine.ports import Clock
from engine.storage.tables import ApiKeyRecord, CredentialRecord, LayoutRecord
from engine.storage.unit_of_work import UnitOfWork

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


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

    def authenticate(self, login: str, password: str) -> str | None:
        """The user id for a good login and password, else None: one scrypt either way, so an unknown login takes
        as long as a known one. Slow by design: call it off the event loop."""
        with Session(self.unit.engine) as session:
            row = session.exec(select(CredentialRecord).where(CredentialRecord.login == login)).first()
        if row is None:
            check_password(password, _unknown_login_hash())
            return None
        return row.user_id if check_password(password, row.password_hash) else None

    def login_of(self, user_id: str) -> str | None:
        with Session(self.unit.engine) as session:
            row = session.get(CredentialRecord, user_id)
            return row.login if row is not None else None

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
