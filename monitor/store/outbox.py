"""The outbox: digests and notices waiting to be delivered, each exactly once.

A message is added in the transaction that decides to send it (the digest's window is
recorded, the alert is raised), under a key that is unique per message and notifier, so
adding it again does nothing. Delivery claims a message (``sending``), hands it to the
notifier, and marks it ``sent``; a failure schedules the next attempt with backoff, and
after ``max_attempts`` the message is ``failed`` and shown by ``asn-monitor status``. A
message left ``sending`` by a crash goes back to ``pending``: it may then reach its
receiver twice, with the same key (e-mail Message-ID, webhook Idempotency-Key) so that the
receiver can tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.errors import StoreError
from monitor.store.models import OutboxRow, utcnow

#: a message still "sending" this long after its claim was cut off by a crash
STALE_CLAIM = timedelta(minutes=10)


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    notifier: str,
    subject: str,
    body: dict[str, Any],
    digest_id: int | None = None,
    alert_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Add a message unless one with ``key`` exists; True when added."""
    now = now or utcnow()
    values = {
        "key": key,
        "kind": kind,
        "notifier": notifier,
        "subject": subject,
        "body": body,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "digest_id": digest_id,
        "alert_id": alert_id,
    }
    dialect = session.get_bind().dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(OutboxRow).on_conflict_do_nothing(index_elements=["key"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(OutboxRow).on_conflict_do_nothing(index_elements=["key"])
    else:  # pragma: no cover
        raise StoreError(f"basis data {dialect} tidak didukung")
    return session.execute(stmt.values(**values).returning(OutboxRow.id)).first() is not None


def release_stale(session: Session, now: datetime | None = None) -> int:
    """Claims older than ``STALE_CLAIM`` were cut off by a crash: deliver them again."""
    now = now or utcnow()
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.status == "sending", OutboxRow.next_attempt_at <= now - STALE_CLAIM)
        .values(status="pending")
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def due(session: Session, now: datetime, *, limit: int = 100) -> list[OutboxRow]:
    return list(
        session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.status == "pending",
                or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
            )
            .order_by(OutboxRow.id)
            .limit(limit)
        )
    )


def claim(session: Session, message_id: int, now: datetime) -> bool:
    """Mark a pending message as being sent; False when another process took it."""
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == message_id, OutboxRow.status == "pending")
        .values(status="sending", attempts=OutboxRow.attempts + 1, next_attempt_at=now)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


def mark_sent(session: Session, message_id: int, now: datetime) -> None:
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == message_id)
        .values(status="sent", sent_at=now, last_error=None)
    )


def mark_failed(
    session: Session, message_id: int, *, error: str, retry_at: datetime | None
) -> None:
    """A failed attempt: try again at ``retry_at``, or give up (``failed``) when None."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == message_id)
        .values(
            status="pending" if retry_at is not None else "failed",
            next_attempt_at=retry_at,
            last_error=error,
        )
    )


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    sending: int
    sent: int
    failed: int
    #: the messages not delivered yet or given up, newest problems first
    problems: list[OutboxRow]


def summary(session: Session, *, limit: int = 20) -> OutboxSummary:
    counts = dict(
        session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
    )
    problems = list(
        session.scalars(
            select(OutboxRow)
            .where(
                or_(
                    OutboxRow.status == "failed",
                    OutboxRow.last_error.is_not(None) & (OutboxRow.status != "sent"),
                )
            )
            .order_by(OutboxRow.id.desc())
            .limit(limit)
        )
    )
    return OutboxSummary(
        pending=counts.get("pending", 0),
        sending=counts.get("sending", 0),
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0),
        problems=problems,
    )
