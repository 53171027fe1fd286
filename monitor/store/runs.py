"""Collection runs: every poll of every account is recorded, successful or not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from monitor.store.models import CollectionRunRow, utcnow


def start_run(
    session: Session, collector: str, account_id: int | None, now: datetime | None = None
) -> int:
    row = CollectionRunRow(collector=collector, account_id=account_id, started_at=now or utcnow())
    session.add(row)
    session.flush()
    return row.id


def finish_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    fetched: int,
    new: int,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    session.execute(
        update(CollectionRunRow)
        .where(CollectionRunRow.id == run_id)
        .values(status=status, fetched=fetched, new=new, error=error, finished_at=now or utcnow())
    )


def mark_interrupted(session: Session, now: datetime | None = None) -> int:
    """Runs still 'running' when a new process starts were cut off by a crash."""
    result = session.execute(
        update(CollectionRunRow)
        .where(CollectionRunRow.status == "running")
        .values(status="interrupted", finished_at=now or utcnow())
    )
    return result.rowcount or 0  # type: ignore[attr-defined]
