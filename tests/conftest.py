"""Fixtures shared across packages."""
from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy

from tests.brokers import PrivateBroker

POSTGRES = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """A database of its own on the PostgreSQL server (DATABASE_URL's, else the local one), dropped afterwards.
    PostgreSQL must be up: these tests fail rather than skip."""
    url = sqlalchemy.make_url(POSTGRES)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"dt_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["redis", "mqtt"])
async def private(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[PrivateBroker]:
    """A Redis or Mosquitto of the test's own, which it may stop and start (``tests.brokers``)."""
    broker = PrivateBroker(request.param, tmp_path)
    await broker.start()
    yield broker
    assert broker.process is not None
    if broker.process.returncode is None:
        broker.process.kill()
        await broker.process.wait()
