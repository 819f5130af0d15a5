"""``dynamictech db upgrade``: bring the database to the newest schema with alembic."""
from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations
from engine.storage.database import database_url, make_engine


def upgrade(url: str | None = None, revision: str = "head") -> None:
    url = url or database_url()
    make_engine(url).dispose()  # creates the SQLite folder if needed
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    database = subparsers.add_parser("db", help="database schema")
    actions = database.add_subparsers(dest="db_command", required=True)
    up = actions.add_parser("upgrade", help="apply every migration not yet applied (DATABASE_URL or --url)")
    up.add_argument("--url", help="a SQLAlchemy URL; default DATABASE_URL, else sqlite:///var/dynamictech.db")
    up.set_defaults(func=lambda args: upgrade(args.url))
