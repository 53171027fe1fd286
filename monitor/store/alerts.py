"""Decisions, the alerts raised from them, and digests.

A post is decided on the text first collected (``save_decisions``) and again on every
edited version (``save_edit_decisions``); it raises at most one alert, about the first
version that flagged. ``flagged_version`` gives the text and decision an alert is about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from monitor.domain import Decision
from monitor.errors import StoreError
from monitor.store.models import (
    AccountRow,
    AlertRow,
    DecisionRow,
    DigestRow,
    NoticeRow,
    PostObservationRow,
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


def decision_values(decision: Decision) -> dict[str, Any]:
    """A decision as stored: the columns of a ``DecisionRow`` (without post and time), and
    the JSON of an edited version's ``decision``."""
    return {
        "flagged": decision.flagged,
        "category": decision.category,
        "severity": decision.severity,
        "score": decision.score,
        "matches": decision_matches(decision),
        "scores": dict(decision.scores),
        "versions": dict(decision.versions),
        "stage": decision.stage,
        "route": decision.route,
        "notes": list(decision.notes),
    }


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
        row = DecisionRow(post_id=post.id, decided_at=now, **decision_values(decision))
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


def save_edit_decisions(
    session: Session,
    decided: Sequence[tuple[PostObservationRow, Decision]],
    now: datetime | None = None,
) -> list[AlertRow]:
    """Record the decisions on edited versions (``pending_edits``) and raise an alert for
    a version that flags when its post has none yet; returns the alerts raised.

    A post whose first text, or an earlier edit, already raised an alert gets no second
    one (the alert's evidence lists every edit): its versions' decisions are recorded and
    nothing more. Versions are taken oldest first, so of several flagging edits in one
    batch the first raises the alert. The alert keeps the post's first decision as
    ``decision_id`` (the foreign key needs one) and names the edit in ``observation_id``;
    its category and severity are the edit's.

    Runs in the caller's transaction, like ``save_decisions``: the decisions and their
    alerts commit together, so a crash leaves the versions pending and the next run
    decides them once (and ``alerts.post_id`` is unique: no post is alerted twice).
    """
    now = now or utcnow()
    post_ids = {observation.post_id for observation, _ in decided}
    if not post_ids:
        return []
    alerted = set(session.scalars(select(AlertRow.post_id).where(AlertRow.post_id.in_(post_ids))))
    firsts = {
        row.post_id: row
        for row in session.scalars(select(DecisionRow).where(DecisionRow.post_id.in_(post_ids)))
    }
    raised: list[AlertRow] = []
    for observation, decision in sorted(decided, key=lambda pair: pair[0].id):
        observation.decided_at = now
        observation.decision = decision_values(decision)
        if not decision.flagged or observation.post_id in alerted:
            continue
        first = firsts.get(observation.post_id)
        if first is None:  # pending_edits gives only versions of decided posts
            raise StoreError(
                f"suntingan #{observation.id}: unggahannya belum diputuskan, "
                "peringatan tidak dapat dibuat"
            )
        alert = AlertRow(
            post_id=observation.post_id,
            decision_id=first.id,
            observation_id=observation.id,
            status="new",
            category=decision.category,
            severity=decision.severity,
            created_at=now,
            updated_at=now,
        )
        alert.post, alert.decision, alert.observation = observation.post, first, observation
        session.add(alert)
        alerted.add(observation.post_id)
        raised.append(alert)
    session.flush()
    return raised


@dataclass(frozen=True)
class VersionDecision:
    """The decision on one version of a post: a ``DecisionRow`` or an edit's ``decision``."""

    decided_at: datetime | None
    flagged: bool
    category: str | None
    severity: str | None
    score: float | None
    #: [{rule_id, title, category, severity, score, spans: [[start, end, text], ...]}]
    matches: list[dict[str, Any]]
    scores: dict[str, Any]
    versions: dict[str, Any]
    stage: str | None
    route: str | None
    notes: list[Any]


@dataclass(frozen=True)
class FlaggedVersion:
    """The version of a post an alert is about, with the decision that raised it: the
    text first collected, or an edited version seen later (``observation_id`` set)."""

    text: str
    payload: str
    payload_sha256: str
    decision: VersionDecision
    #: the edited version (``post_observations.id``) and when it was seen; None: the first
    observation_id: int | None = None
    observed_at: datetime | None = None

    @property
    def edited(self) -> bool:
        return self.observation_id is not None


def _version_decision(data: Mapping[str, Any], decided_at: datetime | None) -> VersionDecision:
    return VersionDecision(
        decided_at=decided_at,
        flagged=bool(data.get("flagged")),
        category=data.get("category"),
        severity=data.get("severity"),
        score=data.get("score"),
        matches=list(data.get("matches") or []),
        scores=dict(data.get("scores") or {}),
        versions=dict(data.get("versions") or {}),
        stage=data.get("stage"),
        route=data.get("route"),
        notes=list(data.get("notes") or []),
    )


def flagged_version(alert: AlertRow) -> FlaggedVersion:
    """The text and decision ``alert`` is about: the edit's when it names one, else the
    post's first text and decision. Use it wherever an alert's text is quoted or its
    matched words are highlighted (the spans index into this text)."""
    observation = alert.observation
    if observation is None:
        row, post = alert.decision, alert.post
        stored = {name: getattr(row, name) for name in VersionDecision.__dataclass_fields__}
        decision = _version_decision(stored, row.decided_at)
        return FlaggedVersion(post.text, post.payload, post.payload_sha256, decision)
    return FlaggedVersion(
        text=observation.text or "",
        payload=observation.payload or "",
        payload_sha256=observation.payload_sha256 or "",
        decision=_version_decision(observation.decision or {}, observation.decided_at),
        observation_id=observation.id,
        observed_at=observation.observed_at,
    )


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
