"""Alembic's environment: the engine's tables only, online against the configured URL."""
from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from engine.storage import tables
from engine.storage.database import make_engine

config = context.config


def include(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    return type_ != "table" or name in tables.ENGINE_TABLES


engine = make_engine(config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=SQLModel.metadata, include_object=include)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
