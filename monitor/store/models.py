"""The tables. Every change to them ships as an Alembic migration in ``migrations/``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from monitor.store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class PersonRow(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The watchlist's stable key: its person_id, else the NIP, else name + agency.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str | None] = mapped_column(String(32))
    agency: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(200), default="")
    employment_type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    accounts: Mapped[list[AccountRow]] = relationship(back_populates="person")


class AccountRow(Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "handle_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(200))
    handle_key: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[PersonRow] = relationship(back_populates="accounts")


class PostRow(Base):
    """A post as first seen. Evidence is immutable: later edits and deletions are rows of
    ``post_observations``, never overwrites of ``text`` or ``payload``."""

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("platform", "post_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    post_id: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    text: Mapped[str] = mapped_column(Text)
    shared_from: Mapped[str | None] = mapped_column(Text)
    media: Mapped[list[Any]] = mapped_column(default=list)
    #: The exact payload received; ``payload_sha256`` is the SHA-256 of its UTF-8 bytes.
    payload: Mapped[str] = mapped_column(Text)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    collector: Mapped[str] = mapped_column(String(100))
    collector_version: Mapped[str] = mapped_column(String(50))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()

    account: Mapped[AccountRow | None] = relationship()


class PostObservationRow(Base):
    """A later sighting that differs from the first: ``edited``, ``deleted``, ``restored``.

    An ``edited`` sighting is decided like a new post: ``decided_at`` is set (with the
    decision in ``decision``) once detection has looked at its text; NULL means pending."""

    __tablename__ = "post_observations"
    __table_args__ = (Index("ix_post_observations_pending", "kind", "decided_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    collector: Mapped[str] = mapped_column(String(100))
    #: when detection decided this version (``edited`` only); NULL: not yet
    decided_at: Mapped[datetime | None] = mapped_column()
    #: the decision on this version, with the fields of a ``DecisionRow`` (flagged,
    #: category, severity, score, matches, scores, versions, stage, route, notes)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    post: Mapped[PostRow] = relationship()


class CollectionRunRow(Base):
    __tablename__ = "collection_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collector: Mapped[str] = mapped_column(String(100), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="running")
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    #: the CollectError kind (rate_limited, transient, malformed, unavailable, broken)
    error_kind: Mapped[str | None] = mapped_column(String(20))
    #: posts the source billed for (X API reads), for the cost line of the digest
    reads: Mapped[int] = mapped_column(Integer, default=0)


class AccountStateRow(Base):
    """Per collector and account: when to poll next, failures in a row (backoff), the last
    success and the last error, for scheduling and the coverage report."""

    __tablename__ = "account_states"
    __table_args__ = (UniqueConstraint("collector", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collector: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    last_error_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_kind: Mapped[str | None] = mapped_column(String(20))
    last_rescan_at: Mapped[datetime | None] = mapped_column()


class CollectorStateRow(Base):
    """The circuit breaker of one collector instance: closed (working), open (stopped
    until ``open_until``), half_open (one trial poll allowed)."""

    __tablename__ = "collector_states"

    collector: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="closed")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    #: times the breaker opened in a row without a success in between (cooldown doubles)
    trips: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column()
    open_until: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceFileRow(Base):
    """A file kept as evidence for a post (a monitor's screenshot), content-addressed by
    its SHA-256 under ``<var_dir>/evidence``."""

    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("post_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[str] = mapped_column(String(200))


class CursorRow(Base):
    """A collector's position for one account; it moves only in the transaction that
    stores the posts it covers."""

    __tablename__ = "cursors"
    __table_args__ = (UniqueConstraint("collector", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collector: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), unique=True)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
    category: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[str | None] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    #: [{rule_id, title, category, severity, spans: [[start, end, text], ...]}, ...]
    matches: Mapped[list[Any]] = mapped_column(default=list)
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: {"app": ..., "ruleset": sha256 of the rule files, "model": name@hash}
    versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stage: Mapped[str | None] = mapped_column(String(40))
    route: Mapped[str | None] = mapped_column(String(40))
    #: why rules were set aside or the model flagged alone (``Decision.notes``)
    notes: Mapped[list[Any]] = mapped_column(default=list)


class AlertRow(Base):
    """One alert per post; status: new, confirmed, dismissed, escalated.

    ``observation_id`` set: the alert is about that edited version of the post (its text
    and its ``decision``); ``decision_id`` is then still the post's first decision. Use
    ``monitor.store.alerts.flagged_version`` for the text and decision an alert is about."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), unique=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    category: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewer: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    #: the label the reviewer gave the post (one of the six classes); training feedback
    review_label: Mapped[str | None] = mapped_column(String(40))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    #: why a reviewer dismissed it (monitor.alerts.lifecycle.DISMISS_REASONS)
    dismiss_reason: Mapped[str | None] = mapped_column(String(40))
    #: where a confirmed alert was forwarded (BKN, Gakkumdu, ...), its letter number, when
    escalated_to: Mapped[str | None] = mapped_column(String(100))
    escalation_ref: Mapped[str | None] = mapped_column(String(200))
    escalated_at: Mapped[datetime | None] = mapped_column()
    #: the first alert of a group of near-identical posts (coordinated sharing)
    group_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: the hashed word 3-shingles of the flagged text (``monitor.alerts.grouping``), stored
    #: when the alert is grouped; NULL for alerts raised before migration 0007
    fingerprint: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True), deferred=True)
    #: a confirmed alert's evidence is kept until an operator releases it (retention)
    released_at: Mapped[datetime | None] = mapped_column()
    released_by: Mapped[str | None] = mapped_column(String(200))
    #: the edited version this alert is about; NULL: the text first collected
    observation_id: Mapped[int | None] = mapped_column(
        ForeignKey("post_observations.id"), index=True
    )

    post: Mapped[PostRow] = relationship()
    decision: Mapped[DecisionRow] = relationship()
    #: loaded with the alert (a join on the primary key), so that whatever shows an alert
    #: has the version it is about without remembering to ask for it
    observation: Mapped[PostObservationRow | None] = relationship(lazy="joined")


class AlertEventRow(Base):
    """The history of one alert: every review step with who, when and why (the audit log
    holds the same, append-only)."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OutboxRow(Base):
    """A message to deliver exactly once: a digest or a notice for one notifier. It is
    written in the transaction that decides to send it; delivery marks it sent."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: unique per message and notifier, e.g. ``digest:<window>:<notifier>``
    key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    notifier: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(Text)
    #: text, html and attachments ({name, media_type, content}) as rendered
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))


class JobRunRow(Base):
    """The service's job ledger: each scheduled run of a job (the daily digest, the purge)
    is recorded, so a run missed while the service was down is made up at start and a run
    is never done twice."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "scheduled_for"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    scheduled_for: Mapped[datetime] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class NoticeRow(Base):
    """An immediate notice considered for an alert: sent, or suppressed because the same
    account and rule were noticed recently."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)


class DigestRow(Base):
    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("kind", "window_start", "window_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="daily")
    window_start: Mapped[datetime] = mapped_column()
    window_end: Mapped[datetime] = mapped_column()
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    outputs: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AuditRow(Base):
    """Append-only: database triggers refuse UPDATE and DELETE (see the migration)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
