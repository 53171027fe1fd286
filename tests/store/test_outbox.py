"""The outbox: a message is added once per key, claimed by one sender, retried, given up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from monitor.store import Store
from monitor.store.models import OutboxRow
from monitor.store.outbox import (
    claim,
    due,
    enqueue,
    mark_failed,
    mark_sent,
    release_stale,
    summary,
)

T = datetime(2024, 11, 25, 0, 0, tzinfo=UTC)


def add(store: Store, key: str = "digest:w:mail") -> bool:
    with store.session() as session:
        return enqueue(
            session, key=key, kind="digest", notifier="mail", subject="Ringkasan",
            body={"text": "isi"}, now=T,
        )  # fmt: skip


def test_a_key_is_queued_once(store: Store) -> None:
    assert add(store) is True
    assert add(store) is False
    with store.session() as session:
        assert len(session.scalars(select(OutboxRow)).all()) == 1


def test_claim_send_fail_retry_and_give_up(store: Store) -> None:
    add(store)
    with store.session() as session:
        [message] = due(session, T)
        assert claim(session, message.id, T) is True
    with store.session() as session:
        assert claim(session, message.id, T) is False  # another sender cannot take it
        assert due(session, T) == []
        mark_failed(session, message.id, error="SMTP mati", retry_at=T + timedelta(minutes=1))
    with store.session() as session:
        assert due(session, T) == []
        [again] = due(session, T + timedelta(minutes=1))
        assert again.attempts == 1 and again.last_error == "SMTP mati"
        claim(session, again.id, T + timedelta(minutes=1))
        mark_failed(session, again.id, error="alamat ditolak", retry_at=None)
    with store.session() as session:
        s = summary(session)
        assert (s.pending, s.failed) == (0, 1)
        assert s.problems[0].last_error == "alamat ditolak"


def test_a_claim_cut_off_by_a_crash_is_released(store: Store) -> None:
    add(store)
    with store.session() as session:
        [message] = due(session, T)
        claim(session, message.id, T)
    with store.session() as session:
        assert release_stale(session, now=T + timedelta(minutes=5)) == 0
        assert release_stale(session, now=T + timedelta(minutes=11)) == 1
        [back] = due(session, T + timedelta(minutes=11))
        mark_sent(session, back.id, T + timedelta(minutes=11))
    with store.session() as session:
        assert summary(session).sent == 1
