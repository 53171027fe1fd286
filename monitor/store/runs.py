"""Collection runs: every poll of every account is recorded, successful or not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.store.models import AccountStateRow, CollectionRunRow, CollectorStateRow, utcnow


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
    error_kind: str | None = None,
    reads: int = 0,
    now: datetime | None = None,
) -> None:
    session.execute(
        update(CollectionRunRow)
        .where(CollectionRunRow.id == run_id)
        .values(
            status=status,
            fetched=fetched,
            new=new,
            error=error,
            error_kind=error_kind,
            reads=reads,
            finished_at=now or utcnow(),
        )
    )


def mark_interrupted(session: Session, now: datetime | None = None) -> int:
    """Runs still 'running' when a new process starts were cut off by a crash."""
    result = session.execute(
        update(CollectionRunRow)
        .where(CollectionRunRow.status == "running")
        .values(status="interrupted", finished_at=now or utcnow())
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def account_state(session: Session, collector: str, account_id: int) -> AccountStateRow:
    """The scheduling state of one account for one collector (made on first use)."""
    row = session.scalar(
        select(AccountStateRow).where(
            AccountStateRow.collector == collector, AccountStateRow.account_id == account_id
        )
    )
    if row is None:
        row = AccountStateRow(collector=collector, account_id=account_id, failures=0)
        session.add(row)
        session.flush()
    return row


def account_states(session: Session, collector: str) -> dict[int, AccountStateRow]:
    rows = session.scalars(select(AccountStateRow).where(AccountStateRow.collector == collector))
    return {row.account_id: row for row in rows}


def collector_state(session: Session, collector: str) -> CollectorStateRow:
    row = session.get(CollectorStateRow, collector)
    if row is None:
        row = CollectorStateRow(collector=collector, state="closed", failures=0, trips=0)
        session.add(row)
        session.flush()
    return row


def collector_states(session: Session) -> dict[str, CollectorStateRow]:
    return {row.collector: row for row in session.scalars(select(CollectorStateRow))}
