"""Shared fixtures. Every test that takes ``database_url`` or ``store`` runs on SQLite and,
when ``MONITOR_TEST_DATABASE_URL`` names a PostgreSQL server (CI sets it), on PostgreSQL
too: each test gets its own fresh, migrated database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from monitor.store import Store
from tests.model.fixtures import (  # noqa: F401 (fixtures)
    data_dir,
    tiny_init,
    tiny_model,
    torch_threads,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PG_ENV = "MONITOR_TEST_DATABASE_URL"


def _pg_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        return None
    return (
        url.replace("postgresql://", "postgresql+psycopg://", 1)
        if url.startswith("postgresql://")
        else url
    )


@pytest.fixture(scope="session")
def pg_template(worker_id: str) -> Iterator[str | None]:
    """A migrated PostgreSQL database that each test copies (CREATE DATABASE ... TEMPLATE)."""
    admin = _pg_admin_url()
    if admin is None:
        yield None
        return
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    name = f"asnmon_tpl_{worker_id}_{uuid.uuid4().hex[:8]}"
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # CI must not silently skip PostgreSQL
        if os.environ.get("MONITOR_TEST_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL at {admin} unusable: {exc}")
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    store.upgrade()
    store.dispose()
    yield url
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_template: str | None
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'monitor.db'}"
        return
    if pg_template is None:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV} to run these tests on it")
    admin = _pg_admin_url()
    assert admin is not None
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    name = f"asnmon_t_{uuid.uuid4().hex[:12]}"
    template = make_url(pg_template).database
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store(database_url)
    s.upgrade()  # a no-op on the migrated PostgreSQL copy
    yield s
    s.dispose()


@pytest.fixture
def shared() -> Path:
    """../shared (docs, eval data, fixtures); tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (a fresh clone has no ../shared)")
    return SHARED


def post_line(
    post_id: str,
    text: str,
    *,
    author: str = "@budi",
    platform: str = "x",
    created_at: str = "2024-10-01T08:00:00+07:00",
    **extra: Any,
) -> str:
    record = {
        "id": post_id,
        "platform": platform,
        "author": author,
        "text": text,
        "created_at": created_at,
    }
    record.update(extra)
    return json.dumps(record, ensure_ascii=False)


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


WATCHLIST_HEADER = (
    "person_id,name,nip,agency,position,region,employment_type,platform,handle,url,verified,active"
)


def write_watchlist(path: Path, rows: Sequence[str]) -> Path:
    return write_lines(path, [WATCHLIST_HEADER, *rows])


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(
    *args: str,
    database_url: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> CliResult:
    """Run ``asn-monitor`` as a user would, in a subprocess."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    full_env.pop("MONITOR_CONFIG", None)
    if database_url:
        full_env["MONITOR_DATABASE_URL"] = database_url
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=300,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
