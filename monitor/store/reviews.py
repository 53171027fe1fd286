"""Alerts as reviewers see them: one alert with everything it links to, filtered lists,
the conditional status update that keeps two reviewers from both deciding the same alert,
and each alert's history (``alert_events``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, select, update
from sqlalchemy.orm import Session, joinedload

from monitor.store.models import (
    AccountRow,
    AlertEventRow,
    AlertRow,
    PersonRow,
    PostObservationRow,
    PostRow,
)


def _with_links(query: Select[Any]) -> Select[Any]:
    return query.options(
        joinedload(AlertRow.post).joinedload(PostRow.account).joinedload(AccountRow.person),
        joinedload(AlertRow.decision),
    )


def load_alert(session: Session, alert_id: int) -> AlertRow | None:
    """One alert with its post, account, person and decision loaded; None if unknown."""
    query = _with_links(select(AlertRow).where(AlertRow.id == alert_id))
    return session.scalars(query).unique().one_or_none()


def update_if_status(
    session: Session, alert_id: int, expected: str, values: dict[str, Any]
) -> bool:
    """``UPDATE alerts SET ... WHERE id = :id AND status = :expected``: False when another
    transaction changed the status first (the row is then left alone)."""
    statement = (
        update(AlertRow)
        .where(AlertRow.id == alert_id, AlertRow.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount == 1


def add_event(
    session: Session,
    alert_id: int,
    *,
    action: str,
    actor: str,
    at: datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    details: dict[str, Any] | None = None,
) -> AlertEventRow:
    row = AlertEventRow(
        alert_id=alert_id,
        at=at,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        details=details or {},
    )
    session.add(row)
    session.flush()
    return row


def alert_events(session: Session, alert_id: int) -> list[AlertEventRow]:
    """The history of one alert, oldest first."""
    query = (
        select(AlertEventRow)
        .where(AlertEventRow.alert_id == alert_id)
        .order_by(AlertEventRow.at, AlertEventRow.id)
    )
    return list(session.scalars(query))


def latest_event(session: Session, alert_id: int) -> AlertEventRow | None:
    query = (
        select(AlertEventRow)
        .where(AlertEventRow.alert_id == alert_id, AlertEventRow.to_status.is_not(None))
        .order_by(AlertEventRow.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def post_observations(session: Session, post_row_id: int) -> list[PostObservationRow]:
    """Later sightings of a post (edited, deleted, restored), oldest first."""
    query = (
        select(PostObservationRow)
        .where(PostObservationRow.post_id == post_row_id)
        .order_by(PostObservationRow.observed_at, PostObservationRow.id)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class AlertFilter:
    """What ``alerts list`` asks for; every field left empty matches everything."""

    statuses: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    #: raised at or after
    since: datetime | None = None
    #: raised before (the overdue cut-off)
    raised_before: datetime | None = None
    #: a case-insensitive part of the person's agency
    agency: str | None = None
    limit: int | None = None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(query: Select[Any], wanted: AlertFilter) -> Select[Any]:
    if wanted.statuses:
        query = query.where(AlertRow.status.in_(wanted.statuses))
    if wanted.severities:
        query = query.where(AlertRow.severity.in_(wanted.severities))
    if wanted.since is not None:
        query = query.where(AlertRow.created_at >= wanted.since)
    if wanted.raised_before is not None:
        query = query.where(AlertRow.created_at < wanted.raised_before)
    if wanted.agency:
        pattern = f"%{_like_escape(wanted.agency.lower())}%"
        query = (
            query.join(PostRow, AlertRow.post_id == PostRow.id)
            .join(AccountRow, PostRow.account_id == AccountRow.id)
            .join(PersonRow, AccountRow.person_id == PersonRow.id)
            .where(func.lower(PersonRow.agency).like(pattern, escape="\\"))
        )
    return query


def find_alerts(session: Session, wanted: AlertFilter) -> tuple[list[AlertRow], int]:
    """The matching alerts, newest first (at most ``limit``), and how many match in all."""
    total = session.scalar(_filtered(select(func.count(AlertRow.id)), wanted)) or 0
    query = _with_links(_filtered(select(AlertRow), wanted)).order_by(
        AlertRow.created_at.desc(), AlertRow.id.desc()
    )
    if wanted.limit is not None:
        query = query.limit(wanted.limit)
    return list(session.scalars(query).unique()), total
