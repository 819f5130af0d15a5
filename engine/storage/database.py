"""Which database, and how to reach it."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

DEFAULT_URL = "sqlite:///var/dynamictech.db"


def database_url() -> str:
    """DATABASE_URL, else a SQLite file under ./var (the embedded default)."""
    return os.environ.get("DATABASE_URL", DEFAULT_URL)


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite:///"):
        return create_engine(url)
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # Connections move between the event loop (reads) and the group-commit writer thread.
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_settings)
    return engine


def _sqlite_settings(connection: Any, _record: Any) -> None:
    """WAL: readers never wait for the writer, and a commit is one append to the log. synchronous=FULL: the log
    is synced at every commit, so a committed batch survives a power cut as well as a killed process; group commit
    pays that once per batch. busy_timeout: another connection's write waits rather than fails."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
