"""The migrations build exactly the tables the models describe, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from monitor.store import Store
from monitor.store.audit import audit
from monitor.store.models import Base


def test_schema_matches_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_revision_is_head_after_upgrade(store: Store) -> None:
    assert store.current_revision() == Store.head_revision()
    store.check_current()


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_audit_log_is_append_only(store: Store, statement: str) -> None:
    with store.session() as session:
        audit(session, "test.action", actor="tester", details={"n": 1})
    with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(statement))
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_log")).scalars().all() == ["tester"]


def test_check_current_names_the_command_when_not_migrated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(Exception, match="asn-monitor db upgrade"):
        store.check_current()


def test_password_is_hidden_in_messages() -> None:
    store = Store("postgresql://monitor:s3cret@127.0.0.1:1/nothing")
    assert "s3cret" not in store.safe_url
    assert "***" in store.safe_url
