"""Retention in the database: which rows are past their time, and deleting them in the order
the foreign keys need (UU 27/2022 Ps. 16(2), 42-44: keep evidence for registered cases,
delete what is no longer needed).

What goes, given the cut-offs (``Cutoffs``; ``monitor.service.retention`` computes them
from ``retention:`` in the configuration):

- a post that raised no alert, once it was first collected before ``posts_before``: with
  its decision, its observations and its evidence-file rows (the post row holds the
  account link, which goes with it);
- a dismissed alert, once it was dismissed before ``dismissed_before``, and a confirmed or
  escalated alert that an operator released (``alerts.released_at``): with its notices,
  its outbox messages and its history (``alert_events``), then its post as above;
- collection runs started before ``runs_before`` (housekeeping, see below);
- outbox messages delivered (``sent``) or abandoned (``failed``) that were written before
  ``messages_before``: a digest's or a notice's body quotes posts and names people, and
  nothing reads it after delivery (the ``digests`` and ``notices`` rows, which stay, keep
  a window or an alert from being sent twice).

What stays: new alerts (a person has yet to look), confirmed and escalated alerts until
they are released, posts not yet decided or with an edited version not yet decided
(detection has not looked at them, and an edit may still raise an alert; undecided posts
are counted so that a stuck detector shows), the audit log (append-only, never purged),
persons and accounts (the watchlist), cursors, account and collector states (one row per
account or collector, operational, no post content), digests and the job ledger.

Collection runs are operational data without post content (collector, account, counts,
error text), but there is one per poll, so they grow without bound. They are deleted as
housekeeping after three times ``posts_days`` (90 days by default): long enough for
``asn-monitor collectors --days`` and the coverage report, short enough that a campaign's
worth of polls does not pile up.

A batch is claimed with ``UPDATE ... WHERE <still purgeable> RETURNING``: on PostgreSQL
that locks the rows (a reviewer who reopens a dismissed alert at the same moment waits,
then finds it gone) and on SQLite it takes the write lock before anything is read for the
delete. Rows are then deleted children first: notices, outbox, alert_events, alerts,
evidence_files, post_observations, decisions, posts. Each batch is one transaction, so a
crash leaves whole posts and alerts either kept or gone.

Evidence files on disk are content-addressed (``monitor.store.evidence``): a file goes only
when no row refers to its SHA-256 any more, after the transaction that deleted its last row
committed. A file left behind by a crash at that moment, or by a submission whose
transaction rolled back, is an orphan: ``orphan_files`` finds them for the next purge.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Executable,
    Select,
    and_,
    delete,
    distinct,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from monitor.store.models import (
    AlertEventRow,
    AlertRow,
    CollectionRunRow,
    DecisionRow,
    EvidenceFileRow,
    NoticeRow,
    OutboxRow,
    PostObservationRow,
    PostRow,
)

#: Reviewed alerts kept as evidence until an operator releases them.
KEPT_UNTIL_RELEASED: tuple[str, ...] = ("confirmed", "escalated")
#: outbox states after which nothing reads a message's body again
FINISHED_MESSAGES: tuple[str, ...] = ("sent", "failed")


@dataclass(frozen=True)
class Cutoffs:
    #: posts without an alert first collected before this go
    posts_before: datetime
    #: alerts dismissed before this go
    dismissed_before: datetime
    #: collection runs started before this go
    runs_before: datetime
    #: delivered or abandoned outbox messages written before this go
    messages_before: datetime


# -- what is past its time -----------------------------------------------------------------


def _undecided() -> ColumnElement[bool]:
    """The post, or an edited version of it, has not been decided yet."""
    edit_pending = exists().where(
        PostObservationRow.post_id == PostRow.id,
        PostObservationRow.kind == "edited",
        PostObservationRow.decided_at.is_(None),
    )
    return or_(~exists().where(DecisionRow.post_id == PostRow.id), edit_pending)


def expired_posts(cut: Cutoffs) -> ColumnElement[bool]:
    """Posts decided, every edited version of them decided too, without an alert, first
    collected before the cut-off (an edit not decided yet may still raise one)."""
    alerted = exists().where(AlertRow.post_id == PostRow.id)
    return and_(PostRow.first_seen < cut.posts_before, ~_undecided(), ~alerted)


def dismissed_alerts(cut: Cutoffs) -> ColumnElement[bool]:
    return and_(AlertRow.status == "dismissed", AlertRow.reviewed_at < cut.dismissed_before)


def released_alerts() -> ColumnElement[bool]:
    """Confirmed or escalated alerts released after their last review and escalation (a
    release followed by a reopen and a new confirmation, or by an escalation, is stale:
    the case is open again)."""
    return and_(
        AlertRow.status.in_(KEPT_UNTIL_RELEASED),
        AlertRow.released_at.is_not(None),
        AlertRow.released_at >= AlertRow.reviewed_at,
        or_(AlertRow.escalated_at.is_(None), AlertRow.released_at >= AlertRow.escalated_at),
    )


def expired_alerts(cut: Cutoffs) -> ColumnElement[bool]:
    return or_(dismissed_alerts(cut), released_alerts())


def finished_messages(cut: Cutoffs) -> ColumnElement[bool]:
    """Outbox messages delivered or given up, written before the cut-off (pending ones and
    those being sent are never touched)."""
    return and_(OutboxRow.status.in_(FINISHED_MESSAGES), OutboxRow.created_at < cut.messages_before)


def _doomed_posts(cut: Cutoffs) -> Select[int]:
    """Every post that goes: those without an alert and those of expiring alerts."""
    of_alerts = select(AlertRow.post_id).where(expired_alerts(cut))
    return select(PostRow.id).where(or_(expired_posts(cut), PostRow.id.in_(of_alerts)))


# -- the survey (what a purge would delete) ------------------------------------------------


@dataclass(frozen=True)
class Span:
    """How many rows of one kind, and the oldest and newest of the date that counts."""

    count: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None


@dataclass(frozen=True)
class Survey:
    posts: Span  # posts without an alert, by first_seen
    dismissed: Span  # dismissed alerts, by reviewed_at
    released: Span  # released alerts, by released_at
    runs: Span  # collection runs, by started_at
    #: finished outbox messages by created_at (not counting those of expiring alerts)
    messages: Span
    decisions: int
    observations: int
    evidence_rows: int
    alert_events: int
    notices: int
    outbox: int
    #: distinct files under var/evidence whose last row goes
    files: int
    #: kept: confirmed or escalated alerts not released, new alerts, and posts past the
    #: cut-off that detection has not decided yet
    kept_reviewed: int
    awaiting_review: int
    undecided: int


def _span(session: Session, column: Any, where: ColumnElement[bool]) -> Span:
    row = session.execute(select(func.count(), func.min(column), func.max(column)).where(where))
    count, oldest, newest = row.one()
    return Span(int(count or 0), oldest, newest)


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)


def survey(session: Session, cut: Cutoffs) -> Survey:
    """Count what a purge with ``cut`` deletes now; nothing is changed."""
    doomed = _doomed_posts(cut)
    alerts = select(AlertRow.id).where(expired_alerts(cut))
    other = aliased(EvidenceFileRow)
    shared_with_kept = exists().where(
        other.sha256 == EvidenceFileRow.sha256, other.post_id.not_in(doomed)
    )
    undecided = and_(PostRow.first_seen < cut.posts_before, _undecided())

    def rows(model: Any, where: ColumnElement[bool]) -> int:
        return _count(session, select(func.count()).select_from(model).where(where))

    released = _span(session, AlertRow.released_at, released_alerts())
    return Survey(
        posts=_span(session, PostRow.first_seen, expired_posts(cut)),
        dismissed=_span(session, AlertRow.reviewed_at, dismissed_alerts(cut)),
        released=released,
        runs=_span(
            session, CollectionRunRow.started_at, CollectionRunRow.started_at < cut.runs_before
        ),
        messages=_span(
            session,
            OutboxRow.created_at,
            and_(
                finished_messages(cut),
                or_(OutboxRow.alert_id.is_(None), OutboxRow.alert_id.not_in(alerts)),
            ),
        ),
        decisions=rows(DecisionRow, DecisionRow.post_id.in_(doomed)),
        observations=rows(PostObservationRow, PostObservationRow.post_id.in_(doomed)),
        evidence_rows=rows(EvidenceFileRow, EvidenceFileRow.post_id.in_(doomed)),
        alert_events=rows(AlertEventRow, AlertEventRow.alert_id.in_(alerts)),
        notices=rows(NoticeRow, NoticeRow.alert_id.in_(alerts)),
        outbox=rows(OutboxRow, OutboxRow.alert_id.in_(alerts)),
        files=_count(
            session,
            select(func.count(distinct(EvidenceFileRow.sha256))).where(
                EvidenceFileRow.post_id.in_(doomed), ~shared_with_kept
            ),
        ),
        kept_reviewed=rows(AlertRow, AlertRow.status.in_(KEPT_UNTIL_RELEASED)) - released.count,
        awaiting_review=rows(AlertRow, AlertRow.status == "new"),
        undecided=rows(PostRow, undecided),
    )


# -- batches -------------------------------------------------------------------------------


def _rowcount(session: Session, statement: Executable) -> int:
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount or 0)


def next_alerts(
    session: Session, cut: Cutoffs, limit: int, *, skip: Collection[int] = ()
) -> list[int]:
    """Ids of up to ``limit`` expired alerts, oldest id first."""
    query = select(AlertRow.id).where(expired_alerts(cut))
    if skip:
        query = query.where(AlertRow.id.not_in(skip))
    return list(session.scalars(query.order_by(AlertRow.id).limit(limit)))


def next_posts(
    session: Session, cut: Cutoffs, limit: int, *, skip: Collection[int] = ()
) -> list[int]:
    """Ids of up to ``limit`` expired posts without an alert, oldest id first."""
    query = select(PostRow.id).where(expired_posts(cut))
    if skip:
        query = query.where(PostRow.id.not_in(skip))
    return list(session.scalars(query.order_by(PostRow.id).limit(limit)))


@dataclass(frozen=True)
class ClaimedAlert:
    id: int
    post_id: int
    #: "dismissed" or "released"
    reason: str


def claim_alerts(session: Session, ids: Sequence[int], cut: Cutoffs) -> list[ClaimedAlert]:
    """Lock the alerts of ``ids`` that are still expired (a no-op update); the rest, changed
    since they were listed, are left alone."""
    if not ids:
        return []
    statement = (
        update(AlertRow)
        .where(AlertRow.id.in_(ids), expired_alerts(cut))
        .values(updated_at=AlertRow.updated_at)
        .returning(AlertRow.id, AlertRow.post_id, AlertRow.status)
        .execution_options(synchronize_session=False)
    )
    claimed = [
        ClaimedAlert(id, post_id, "dismissed" if status == "dismissed" else "released")
        for id, post_id, status in session.execute(statement)
    ]
    return sorted(claimed, key=lambda a: a.id)


def claim_posts(session: Session, ids: Sequence[int], cut: Cutoffs) -> list[int]:
    """Lock the posts of ``ids`` that are still expired and without an alert."""
    if not ids:
        return []
    statement = (
        update(PostRow)
        .where(PostRow.id.in_(ids), expired_posts(cut))
        .values(last_seen=PostRow.last_seen)
        .returning(PostRow.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(statement))


@dataclass
class Deleted:
    """Rows deleted (in one batch, or added up over a purge)."""

    posts: int = 0
    alerts: int = 0
    decisions: int = 0
    observations: int = 0
    evidence_rows: int = 0
    alert_events: int = 0
    notices: int = 0
    outbox: int = 0
    collection_runs: int = 0
    #: finished outbox messages deleted for their age (those of deleted alerts: ``outbox``)
    messages: int = 0
    #: sha256 -> path under var/evidence of files no row refers to any more
    files: dict[str, str] = field(default_factory=dict)

    def __iadd__(self, other: Deleted) -> Deleted:
        for name in (
            "posts", "alerts", "decisions", "observations", "evidence_rows", "alert_events",
            "notices", "outbox", "collection_runs", "messages",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.files.update(other.files)
        return self


def _regroup(session: Session, alert_ids: Sequence[int]) -> None:
    """Alerts whose group was named after an alert that goes join the lowest survivor's
    group (none, when one alert is left)."""
    members = session.execute(
        select(AlertRow.group_id, AlertRow.id)
        .where(AlertRow.group_id.in_(alert_ids), AlertRow.id.not_in(alert_ids))
        .order_by(AlertRow.id)
    ).all()
    survivors: dict[int, list[int]] = {}
    for group_id, alert_id in members:
        if group_id is not None:
            survivors.setdefault(group_id, []).append(alert_id)
    for old, ids in survivors.items():
        head = ids[0] if len(ids) > 1 else None
        session.execute(
            update(AlertRow)
            .where(AlertRow.id.in_(ids), AlertRow.group_id == old)
            .values(group_id=head)
            .execution_options(synchronize_session=False)
        )


def delete_alerts(session: Session, alert_ids: Sequence[int]) -> Deleted:
    """Delete claimed alerts and what refers to them (not their posts: ``delete_posts``)."""
    done = Deleted()
    if not alert_ids:
        return done
    done.notices = _rowcount(session, delete(NoticeRow).where(NoticeRow.alert_id.in_(alert_ids)))
    done.outbox = _rowcount(session, delete(OutboxRow).where(OutboxRow.alert_id.in_(alert_ids)))
    done.alert_events = _rowcount(
        session, delete(AlertEventRow).where(AlertEventRow.alert_id.in_(alert_ids))
    )
    _regroup(session, alert_ids)
    done.alerts = _rowcount(session, delete(AlertRow).where(AlertRow.id.in_(alert_ids)))
    return done


def delete_posts(session: Session, post_ids: Sequence[int]) -> Deleted:
    """Delete posts (their alerts already gone) with their evidence rows, observations and
    decisions; ``files`` names the evidence files no other row refers to now."""
    done = Deleted()
    if not post_ids:
        return done
    files = dict(
        session.execute(
            select(EvidenceFileRow.sha256, EvidenceFileRow.path).where(
                EvidenceFileRow.post_id.in_(post_ids)
            )
        ).all()
    )
    done.evidence_rows = _rowcount(
        session, delete(EvidenceFileRow).where(EvidenceFileRow.post_id.in_(post_ids))
    )
    done.observations = _rowcount(
        session, delete(PostObservationRow).where(PostObservationRow.post_id.in_(post_ids))
    )
    done.decisions = _rowcount(
        session, delete(DecisionRow).where(DecisionRow.post_id.in_(post_ids))
    )
    done.posts = _rowcount(session, delete(PostRow).where(PostRow.id.in_(post_ids)))
    kept = referenced(session, files)
    done.files = {sha: path for sha, path in files.items() if sha not in kept}
    return done


def delete_runs(session: Session, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` collection runs started before ``before``."""
    oldest = (
        select(CollectionRunRow.id)
        .where(CollectionRunRow.started_at < before)
        .order_by(CollectionRunRow.id)
        .limit(limit)
    )
    ids = list(session.scalars(oldest))
    if not ids:
        return 0
    return _rowcount(session, delete(CollectionRunRow).where(CollectionRunRow.id.in_(ids)))


def delete_messages(session: Session, cut: Cutoffs, limit: int) -> int:
    """Delete up to ``limit`` finished outbox messages written before the cut-off."""
    oldest = select(OutboxRow.id).where(finished_messages(cut)).order_by(OutboxRow.id).limit(limit)
    ids = list(session.scalars(oldest))
    if not ids:
        return 0
    statement = delete(OutboxRow).where(OutboxRow.id.in_(ids), finished_messages(cut))
    return _rowcount(session, statement)


def referenced(session: Session, hashes: Collection[str]) -> set[str]:
    """Which of ``hashes`` an evidence row still refers to."""
    if not hashes:
        return set()
    query = select(EvidenceFileRow.sha256).where(EvidenceFileRow.sha256.in_(list(hashes)))
    return set(session.scalars(query))


def path_referenced(session: Session, relative: str) -> bool:
    query = select(EvidenceFileRow.id).where(EvidenceFileRow.path == relative).limit(1)
    return session.scalar(query) is not None


def referenced_paths(session: Session) -> set[str]:
    """The path of every evidence file a row refers to (relative to var/evidence)."""
    return set(session.scalars(select(EvidenceFileRow.path)))


def mark_released(session: Session, alert_id: int, *, by: str, at: datetime) -> bool:
    """Release a confirmed or escalated alert's evidence for the next purge; False when the
    alert is not (any more) confirmed or escalated, or already released (a stale release,
    see ``released_alerts``, may be renewed)."""
    statement = (
        update(AlertRow)
        .where(
            AlertRow.id == alert_id,
            AlertRow.status.in_(KEPT_UNTIL_RELEASED),
            or_(AlertRow.released_at.is_(None), ~released_alerts()),
        )
        .values(released_at=at, released_by=by, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session, statement) == 1


# -- files ---------------------------------------------------------------------------------

_HEX2 = re.compile(r"[0-9a-f]{2}")
_CONTENT_NAME = re.compile(r"([0-9a-f]{64})(\.[a-z0-9]{1,8})?")
_TEMP_PREFIX = ".tmp-"  # monitor.store.evidence copies through these


def remove_file(evidence_dir: Path, relative: str) -> bool:
    """Delete one evidence file; False when it was already gone. Paths that would leave
    the evidence folder are refused (ValueError)."""
    path = (evidence_dir / relative).resolve()
    if not path.is_relative_to(evidence_dir.resolve()):
        raise ValueError(f"{relative!r} is outside {evidence_dir}")
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def orphan_files(
    evidence_dir: Path, referenced: Collection[str], older_than: datetime
) -> Iterator[str]:
    """Files under ``evidence_dir`` that no row refers to and that were last written before
    ``older_than`` (so a submission still in its transaction is left alone): content
    addresses ``ab/ab12...<ext>`` and abandoned temporary copies. Yields paths relative to
    ``evidence_dir``; anything else in the folder is not ours and is never touched."""
    if not evidence_dir.is_dir():
        return
    limit = older_than.timestamp()
    for folder in sorted(evidence_dir.iterdir()):
        if not folder.is_dir() or not _HEX2.fullmatch(folder.name):
            continue
        for path in sorted(folder.iterdir()):
            relative = f"{folder.name}/{path.name}"
            name = _CONTENT_NAME.fullmatch(path.name)
            ours = (name is not None and name.group(1)[:2] == folder.name) or path.name.startswith(
                _TEMP_PREFIX
            )
            if not ours or relative in referenced or not path.is_file():
                continue
            try:
                if path.stat().st_mtime < limit:
                    yield relative
            except FileNotFoundError:  # removed meanwhile
                continue
