"""The database handle: engine, sessions, and migrations.

SQLite runs in WAL mode with foreign keys on and full fsync, so a killed process loses no
committed transaction. PostgreSQL (psycopg 3) is the production backend.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
#: SQLAlchemy's logger for statements (INFO) and result rows (DEBUG)
SQL_LOGGER = "sqlalchemy.engine.Engine"


def _normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


class Store:
    """One database. Use ``with store.session() as s:``; the block is one transaction."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        """``echo`` logs every SQL statement at INFO through the standard ``logging`` tree
        (so through ``monitor.logs``: formatted, redacted, to journald), never through
        SQLAlchemy's own stdout handler. Bound parameters are never logged nor put into
        error messages (``hide_parameters``): they carry post texts and names (UU 27/2022)
        and, in a few statements, credentials."""
        try:
            parsed = make_url(_normalise_url(url))
        except ArgumentError as exc:
            raise StoreError(f"URL basis data tidak valid: {exc}") from None
        self.url = parsed
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
        if echo:
            logging.getLogger(SQL_LOGGER).setLevel(logging.INFO)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def safe_url(self) -> str:
        """The URL with its password hidden, for logs and messages."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self, revision: str = "head") -> None:
        cfg = alembic_config()
        try:
            with self.engine.begin() as connection:
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, revision)
        except OperationalError as exc:
            raise StoreError(f"basis data {self.safe_url} tidak dapat dipakai: {exc.orig}") from exc

    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except OperationalError as exc:
            raise StoreError(
                f"basis data {self.safe_url} tidak dapat dihubungi: {exc.orig}"
            ) from exc

    @staticmethod
    def head_revision() -> str | None:
        return ScriptDirectory.from_config(alembic_config()).get_current_head()

    def check_current(self) -> None:
        current, head = self.current_revision(), self.head_revision()
        if current != head:
            raise StoreError(
                f"skema basis data {self.safe_url} ada di revisi {current or 'kosong'}, "
                f"seharusnya {head}: jalankan 'asn-monitor db upgrade'"
            )

    def dispose(self) -> None:
        self.engine.dispose()
