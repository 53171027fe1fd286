"""The migrations build exactly the tables the models describe, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, text
from sqlalchemy.exc import DatabaseError

from monitor.store import Store
from monitor.store.audit import audit
from monitor.store.db import alembic_config
from monitor.store.models import AlertRow, Base
from monitor.store.posts import pending_edits


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


def _downgrade(url: str, revision: str) -> None:
    """As ``alembic downgrade`` runs it: its own engine, on SQLite without foreign keys
    enforced (SQLite's default), since a downgrade copies ``alerts``."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def _columns(store: Store, table: str) -> set[str]:
    with store.engine.connect() as conn:
        return {c["name"] for c in inspect(conn).get_columns(table)}


def test_0006_keeps_edits_seen_before_it_pending_and_goes_down_and_up(database_url: str) -> None:
    store = Store(database_url)
    if store.current_revision() is None:
        store.upgrade("0005")
    else:  # the PostgreSQL copy of the migrated template
        _downgrade(database_url, "0005")
    assert "observation_id" not in _columns(store, "alerts")
    at = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)
    tables = Base.metadata.tables
    with store.engine.begin() as conn:
        for n in (1, 2):
            conn.execute(
                insert(tables["posts"]).values(
                    id=n, platform="x", post_id=str(n), author="@budi", created_at=at,
                    text="teks", media=[], payload="{}", payload_sha256="0" * 64,
                    collector="feed", collector_version="1", first_seen=at, last_seen=at,
                )
            )  # fmt: skip
            conn.execute(
                insert(tables["decisions"]).values(
                    id=n, post_id=n, decided_at=at, flagged=n == 2, matches=[], scores={},
                    versions={}, notes=[],
                )
            )  # fmt: skip
        conn.execute(
            insert(tables["alerts"]).values(
                id=1, post_id=2, decision_id=2, status="new", created_at=at, updated_at=at
            )
        )
        conn.execute(
            insert(tables["alert_events"]).values(
                alert_id=1, at=at, actor="siti", action="confirm", details={}
            )
        )
        for kind, text_ in (("edited", "ayo coblos nomor 2"), ("deleted", None)):
            conn.execute(
                insert(tables["post_observations"]).values(
                    post_id=1, kind=kind, observed_at=at, text=text_, collector="feed"
                )
            )

    store.upgrade()
    with store.session() as session:
        [pending] = pending_edits(session, 10)
        assert (pending.kind, pending.text, pending.decided_at, pending.decision) == (
            "edited", "ayo coblos nomor 2", None, None,
        )  # fmt: skip
        alert = session.get(AlertRow, 1)
        assert alert is not None and alert.observation_id is None
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []

    _downgrade(database_url, "0005")
    assert "observation_id" not in _columns(store, "alerts")
    assert not {"decided_at", "decision"} & _columns(store, "post_observations")
    store.upgrade()
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.execute(text("SELECT count(*) FROM alert_events")).scalar() == 1
    store.dispose()
