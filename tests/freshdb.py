"""A second, empty, migrated database on the same backend as ``database_url``, for round
trips: export from one database, import into a fresh one, compare.

Local ``conftest.py`` files import the fixtures from here (tests/watchlist, tests/cli)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from monitor.store import Store


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path, pg_template: str | None) -> Iterator[str]:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    assert pg_template is not None  # database_url would have skipped
    name = f"asnmon_f_{uuid.uuid4().hex[:12]}"
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    template = make_url(pg_template).database
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def fresh_store(fresh_database_url: str) -> Iterator[Store]:
    s = Store(fresh_database_url)
    s.upgrade()  # a no-op on the PostgreSQL copy of the migrated template
    yield s
    s.dispose()
