"""Decisions, the alerts raised from them, and digests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from monitor.domain import Decision
from monitor.store.models import (
    AccountRow,
    AlertRow,
    DecisionRow,
    DigestRow,
    NoticeRow,
    PostRow,
    utcnow,
)


def decision_matches(decision: Decision) -> list[dict[str, Any]]:
    return [
        {
            "rule_id": m.rule_id,
            "title": m.title,
            "category": m.category,
            "severity": m.severity,
            "score": m.score,
            "spans": [[s.start, s.end, s.text] for s in m.spans],
        }
        for m in decision.matches
    ]


def save_decisions(
    session: Session, decided: Sequence[tuple[PostRow, Decision]], now: datetime | None = None
) -> list[AlertRow]:
    """Record decisions and raise one alert per flagged post; returns the alerts raised.

    Runs in the caller's transaction: decisions and their alerts commit together, so a
    crash leaves the posts pending and the next run decides them once.
    """
    now = now or utcnow()
    raised: list[AlertRow] = []
    for post, decision in decided:
        row = DecisionRow(
            post_id=post.id,
            decided_at=now,
            flagged=decision.flagged,
            category=decision.category,
            severity=decision.severity,
            score=decision.score,
            matches=decision_matches(decision),
            scores=dict(decision.scores),
            versions=dict(decision.versions),
            stage=decision.stage,
            route=decision.route,
            notes=list(decision.notes),
        )
        session.add(row)
        if decision.flagged:
            session.flush()
            alert = AlertRow(
                post_id=post.id,
                decision_id=row.id,
                status="new",
                category=decision.category,
                severity=decision.severity,
                created_at=now,
                updated_at=now,
            )
            alert.post, alert.decision = post, row
            session.add(alert)
            raised.append(alert)
    session.flush()
    return raised


def alerts_raised_between(session: Session, start: datetime, end: datetime) -> list[AlertRow]:
    """Alerts raised in ``[start, end)``, with post, account, person and decision loaded."""
    query = (
        select(AlertRow)
        .where(AlertRow.created_at >= start, AlertRow.created_at < end)
        .options(
            joinedload(AlertRow.post).joinedload(PostRow.account).joinedload(AccountRow.person),
            joinedload(AlertRow.decision),
        )
        .order_by(AlertRow.id)
    )
    return list(session.scalars(query).unique())


def alerts_awaiting_review(session: Session, *, before: datetime) -> list[AlertRow]:
    """Alerts still ``new`` (no reviewer has looked) raised before ``before``."""
    query = (
        select(AlertRow)
        .where(AlertRow.status == "new", AlertRow.created_at < before)
        .options(
            joinedload(AlertRow.post).joinedload(PostRow.account).joinedload(AccountRow.person),
            joinedload(AlertRow.decision),
        )
        .order_by(AlertRow.created_at, AlertRow.id)
    )
    return list(session.scalars(query).unique())


def suppressed_notices(session: Session, start: datetime, end: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(NoticeRow)
            .where(
                NoticeRow.suppressed.is_(True),
                NoticeRow.created_at >= start,
                NoticeRow.created_at < end,
            )
        )
        or 0
    )


def record_digest(
    session: Session,
    *,
    kind: str,
    window_start: datetime,
    window_end: datetime,
    alert_count: int,
    outputs: dict[str, Any],
    now: datetime | None = None,
) -> DigestRow:
    """Record a rendered digest; rendering the same window again updates its row."""
    row = session.scalar(
        select(DigestRow).where(
            DigestRow.kind == kind,
            DigestRow.window_start == window_start,
            DigestRow.window_end == window_end,
        )
    )
    if row is None:
        row = DigestRow(kind=kind, window_start=window_start, window_end=window_end)
        session.add(row)
    row.generated_at = now or utcnow()
    row.alert_count = alert_count
    row.outputs = outputs
    session.flush()
    return row
