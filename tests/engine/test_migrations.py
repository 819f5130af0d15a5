"""The migrations build exactly the tables the code declares: a column added to a model without its migration (or
the other way round) fails here, not in a broker's upgrade. On SQLite and on PostgreSQL."""
from __future__ import annotations

import importlib
import os
import pkgutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import backoffice
import engine.storage
from engine.storage import tables
from engine.storage.cli import upgrade
from engine.storage.database import make_engine

for package in (engine.storage, backoffice):   # every table module, wherever it is declared
    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(module.name)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'schema.db'}"
        return
    server = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    name = f"schema_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_every_model_table_is_created_by_the_migrations_as_declared(url: str) -> None:
    upgrade(url)
    declared = {name for name in SQLModel.metadata.tables if name in tables.ENGINE_TABLES}
    assert declared == set(tables.ENGINE_TABLES), "every name in ENGINE_TABLES has a model"
    engine = make_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": lambda obj, name, type_, reflected, compare_to:
                type_ != "table" or name in tables.ENGINE_TABLES,
            "compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_markups_stored_in_points_or_percent_move_to_both_sides_and_one_in_both_stops_the_upgrade(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'markups.db'}"
    upgrade(url, "0011")
    engine = make_engine(url)
    rows = [("a", "*", "*", "0.00003", "0"), ("a", "vip", "*", "0", "0.002"), ("b", "*", "*", "0.1", "0.2")]
    with engine.begin() as connection:
        for row in rows:
            connection.execute(sa.text("INSERT INTO markups (tenant_id, group_id, symbol, points, percent) "
                                       "VALUES (:t, :g, :s, :points, :percent)"),
                               dict(zip(("t", "g", "s", "points", "percent"), row)))
    with pytest.raises(RuntimeError, match="tenant b, group \\*, symbol \\* is both 0.1 points and 0.2 percent"):
        upgrade(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE markups SET percent = '0' WHERE tenant_id = 'b'"))
    upgrade(url)
    with engine.connect() as connection:
        moved = set(connection.execute(sa.text("SELECT tenant_id, group_id, bid, ask, unit FROM markups")).all())
    engine.dispose()
    assert moved == {("a", "*", "0.00003", "0.00003", "points"), ("a", "vip", "0.002", "0.002", "percent"),
                     ("b", "*", "0.1", "0.1", "points")}
