"""The daily purge and the release of confirmed evidence (UU 27/2022 Ps. 16(2), 42-44: keep
evidence for registered cases, purge non-findings).

``purge`` deletes, batch by batch (``batch_size`` alerts or posts per transaction):

1. dismissed alerts ``retention.dismissed_days`` after dismissal, and confirmed or escalated
   alerts an operator released (``release``), each with its post;
2. posts that raised no alert, ``retention.posts_days`` after they were first collected;
3. evidence files no row refers to any more (after the batch that freed them committed),
   and orphans older than ``ORPHAN_GRACE`` (left by a crash between that commit and the
   unlink, or by a submission that rolled back);
4. collection runs older than three times ``posts_days`` (housekeeping; see
   ``monitor.store.retention`` for what is kept and why);
5. outbox messages delivered or given up more than ``retention.messages_days`` ago (their
   bodies quote posts and name people);
6. the digests, Form A drafts, referral lists and evidence bundles the tool wrote under
   ``var/`` more than ``retention.files_days`` ago (``monitor.service.report_files``).

New alerts, confirmed and escalated alerts not released, and posts detection has not
decided yet are never deleted. Then ONE audit-log entry ``retention.purge`` records the
cut-offs and the counts. A purge cut off by a crash has deleted whole batches only; its
committed batches have no audit entry of their own (the service's job ledger shows the
failed run), and the next purge finishes the job. ``stop`` ends a purge between batches
(the service's SIGTERM); that purge is recorded with ``complete: false``.

Keep ``posts_days`` above the collectors' look-back window (``lookback``, 3 days by
default): a post deleted while a re-scan still lists it would be collected again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from loguru import logger

from monitor.alerts.lifecycle import (
    AlertNotFound,
    InvalidReview,
    ReviewConflict,
    TransitionRefused,
)
from monitor.errors import MonitorError
from monitor.labels import STATUS, label
from monitor.service.report_files import expired_files
from monitor.settings import RetentionSettings, Settings
from monitor.store import Store
from monitor.store.audit import audit, current_actor
from monitor.store.models import AlertRow
from monitor.store.retention import (
    KEPT_UNTIL_RELEASED,
    Cutoffs,
    Deleted,
    Survey,
    claim_alerts,
    claim_posts,
    delete_alerts,
    delete_messages,
    delete_posts,
    delete_runs,
    mark_released,
    next_alerts,
    next_posts,
    orphan_files,
    path_referenced,
    referenced,
    referenced_paths,
    remove_file,
    survey,
)
from monitor.store.reviews import add_event, load_alert

#: alerts or posts per transaction
BATCH = 500
#: collection runs are kept this many times ``posts_days``
RUNS_FACTOR = 3
#: an unreferenced evidence file younger than this may belong to a submission in progress
ORPHAN_GRACE = timedelta(days=1)
#: the longest release note kept (it lands in the alert's history and the audit log)
MAX_NOTE = 2000


def cutoffs(retention: RetentionSettings, now: datetime) -> Cutoffs:
    if now.tzinfo is None:
        raise ValueError("naive datetime refused: pass an aware 'now'")
    return Cutoffs(
        posts_before=now - timedelta(days=retention.posts_days),
        dismissed_before=now - timedelta(days=retention.dismissed_days),
        runs_before=now - timedelta(days=retention.posts_days * RUNS_FACTOR),
        messages_before=now - timedelta(days=retention.messages_days),
    )


@dataclass
class PurgeReport:
    """What a purge deleted (a dry run: would delete, in ``survey`` only)."""

    now: datetime
    cutoffs: Cutoffs
    dry_run: bool
    #: counts and date ranges found before anything was deleted
    survey: Survey
    #: unreferenced files older than ORPHAN_GRACE found before the purge
    orphans: int = 0
    #: report files under var/ past retention.files_days found before the purge
    report_files: int = 0
    #: files_days before now
    files_before: datetime | None = None
    deleted: Deleted = field(default_factory=Deleted)
    dismissed_alerts: int = 0
    released_alerts: int = 0
    released_ids: list[int] = field(default_factory=list)
    posts_without_alert: int = 0
    files_removed: int = 0
    #: files that were already gone, and files that could not be deleted (kept for next time)
    files_missing: int = 0
    files_failed: int = 0
    #: report files (digests, Form A, bundles) deleted, and those that could not be
    reports_removed: int = 0
    reports_failed: int = 0
    batches: int = 0
    complete: bool = True

    @property
    def alerts(self) -> int:
        return self.dismissed_alerts + self.released_alerts

    def details(self) -> dict[str, Any]:
        """The audit entry's details (and the service's job ledger)."""
        d = self.deleted
        return {
            "cutoffs": {
                "posts_first_seen_before": self.cutoffs.posts_before.isoformat(),
                "dismissed_before": self.cutoffs.dismissed_before.isoformat(),
                "collection_runs_before": self.cutoffs.runs_before.isoformat(),
                "messages_before": self.cutoffs.messages_before.isoformat(),
                "files_before": self.files_before.isoformat() if self.files_before else None,
            },
            "posts": d.posts,
            "posts_without_alert": self.posts_without_alert,
            "alerts": self.alerts,
            "dismissed_alerts": self.dismissed_alerts,
            "released_alerts": self.released_alerts,
            "released_alert_ids": self.released_ids,
            "screenshots": d.evidence_rows,
            "files_removed": self.files_removed,
            "files_missing": self.files_missing,
            "files_failed": self.files_failed,
            "decisions": d.decisions,
            "observations": d.observations,
            "alert_events": d.alert_events,
            "notices": d.notices,
            "outbox": d.outbox,
            "collection_runs": d.collection_runs,
            "messages": d.messages,
            "report_files_removed": self.reports_removed,
            "report_files_failed": self.reports_failed,
            "batches": self.batches,
            "complete": self.complete,
        }


class PurgeInterrupted(MonitorError):
    """The purge stopped between batches (shutdown); the next one finishes the job."""


def purge(
    store: Store,
    settings: Settings,
    *,
    now: datetime,
    dry_run: bool = False,
    batch_size: int = BATCH,
    actor: str | None = None,
    stop: Callable[[], bool] | None = None,
    progress: Callable[[PurgeReport], None] | None = None,
) -> PurgeReport:
    """Delete what is past its retention at ``now`` (see the module docstring); with
    ``dry_run``, only count it. ``progress`` is called after each batch committed and its
    files were removed; ``stop`` is asked before each batch."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    cut = cutoffs(settings.retention, now)
    evidence_dir = settings.var_path / "evidence"
    with store.session() as session:
        found = survey(session, cut)
        kept = referenced_paths(session)
    orphans = list(orphan_files(evidence_dir, kept, now - ORPHAN_GRACE))
    files_before = now - timedelta(days=settings.retention.files_days)
    reports = list(expired_files(settings, files_before))
    report = PurgeReport(
        now,
        cut,
        dry_run,
        found,
        orphans=len(orphans),
        report_files=len(reports),
        files_before=files_before,
    )
    if dry_run:
        return report

    def stopped() -> bool:
        if stop is not None and stop():
            report.complete = False
            logger.info("purge stopped between batches; the next purge finishes it")
            return True
        return False

    def finish(batch: Deleted) -> None:
        report.deleted += batch
        report.batches += 1
        _remove_files(store, evidence_dir, batch.files, report)
        if progress is not None:
            progress(report)

    _purge_alerts(store, cut, batch_size, report, stopped, finish)
    if report.complete:
        _purge_posts(store, cut, batch_size, report, stopped, finish)
    if report.complete:
        for relative in orphans:
            _remove_orphan(store, evidence_dir, relative, report)
    while report.complete and not stopped():
        with store.session() as session:
            runs = delete_runs(session, cut.runs_before, batch_size)
        if not runs:
            break
        finish(Deleted(collection_runs=runs))
    while report.complete and not stopped():
        with store.session() as session:
            messages = delete_messages(session, cut, batch_size)
        if not messages:
            break
        finish(Deleted(messages=messages))
    if report.complete:
        _remove_reports(reports, report)
    with store.session() as session:
        audit(
            session,
            "retention.purge",
            actor=actor,
            object_type="retention",
            details=report.details(),
            at=now,
        )
    logger.info(
        "purge: {} posts ({} without alert), {} alerts ({} dismissed, {} released), "
        "{} screenshots, {} files removed, {} collection runs, {} outbox messages, "
        "{} report files{}",
        report.deleted.posts,
        report.posts_without_alert,
        report.alerts,
        report.dismissed_alerts,
        report.released_alerts,
        report.deleted.evidence_rows,
        report.files_removed,
        report.deleted.collection_runs,
        report.deleted.messages,
        report.reports_removed,
        "" if report.complete else " (stopped before the end)",
    )
    return report


def _purge_alerts(
    store: Store,
    cut: Cutoffs,
    batch_size: int,
    report: PurgeReport,
    stopped: Callable[[], bool],
    finish: Callable[[Deleted], None],
) -> None:
    skip: set[int] = set()  # listed, then changed by someone before the claim
    while not stopped():
        with store.session() as session:
            ids = next_alerts(session, cut, batch_size, skip=skip)
            if not ids:
                return
            claimed = claim_alerts(session, ids, cut)
            skip.update(set(ids) - {a.id for a in claimed})
            batch = delete_alerts(session, [a.id for a in claimed])
            batch += delete_posts(session, [a.post_id for a in claimed])
        for alert in claimed:
            if alert.reason == "dismissed":
                report.dismissed_alerts += 1
            else:
                report.released_alerts += 1
                report.released_ids.append(alert.id)
        logger.debug("purge: batch of {} alerts committed", len(claimed))
        finish(batch)


def _purge_posts(
    store: Store,
    cut: Cutoffs,
    batch_size: int,
    report: PurgeReport,
    stopped: Callable[[], bool],
    finish: Callable[[Deleted], None],
) -> None:
    skip: set[int] = set()
    while not stopped():
        with store.session() as session:
            ids = next_posts(session, cut, batch_size, skip=skip)
            if not ids:
                return
            claimed = claim_posts(session, ids, cut)
            skip.update(set(ids) - set(claimed))
            batch = delete_posts(session, claimed)
        report.posts_without_alert += len(claimed)
        logger.debug("purge: batch of {} posts committed", len(claimed))
        finish(batch)


def _remove_files(
    store: Store, evidence_dir: Path, files: dict[str, str], report: PurgeReport
) -> None:
    """Unlink files whose last row is gone; a file a new row refers to again (the same
    screenshot submitted meanwhile) stays."""
    if not files:
        return
    with store.session() as session:
        again = referenced(session, files)
    for sha256, relative in sorted(files.items()):
        if sha256 in again:
            continue
        _unlink(evidence_dir, relative, report)


def _remove_orphan(store: Store, evidence_dir: Path, relative: str, report: PurgeReport) -> None:
    with store.session() as session:  # a row may have claimed it since the survey
        if path_referenced(session, relative):
            return
    _unlink(evidence_dir, relative, report)


def _unlink(evidence_dir: Path, relative: str, report: PurgeReport) -> None:
    try:
        removed = remove_file(evidence_dir, relative)
    except (OSError, ValueError) as exc:
        report.files_failed += 1
        logger.warning("purge: evidence file {} not deleted: {}", relative, exc)
        return
    if removed:
        report.files_removed += 1
    else:
        report.files_missing += 1


def _remove_reports(paths: list[Path], report: PurgeReport) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            report.reports_failed += 1
            logger.warning("purge: report file {} not deleted: {}", path, exc)
            continue
        report.reports_removed += 1


def purge_job(
    store: Store, settings: Settings, now: datetime, *, stop: Callable[[], bool] | None = None
) -> dict[str, Any]:
    """The service's daily retention job: purge, and return the details for the job
    ledger. A purge ``stop`` cut short raises PurgeInterrupted (after its audit entry), so
    the ledger keeps the run open and the catch-up at the next start finishes it."""
    report = purge(store, settings, now=now, stop=stop)
    if not report.complete:
        raise PurgeInterrupted(
            f"pembersihan dihentikan sebelum selesai ({report.deleted.posts} unggahan "
            "terhapus); dilanjutkan saat layanan mulai lagi"
        )
    return report.details()


# -- release ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Released:
    alert_id: int
    status: str
    actor: str
    at: datetime
    note: str
    event_id: int


def release(
    store: Store,
    alert_id: int,
    *,
    note: str | None,
    reviewer: str | None = None,
    now: datetime,
) -> Released:
    """Release a confirmed or escalated alert's evidence: the next purge deletes it. The
    alert's history and the audit log (``alert.release``) record who, when and why.

    Raises AlertNotFound, TransitionRefused (not confirmed/escalated, or already released),
    InvalidReview (no note, names too long) or ReviewConflict (changed meanwhile)."""
    text = (note or "").strip()
    if not text:
        raise InvalidReview(
            alert_id,
            "catatan wajib diisi: dasar pelepasan bukti (mis. perkara selesai, nomor putusan)",
            field="note",
        )
    if len(text) > MAX_NOTE:
        raise InvalidReview(alert_id, f"catatan lebih dari {MAX_NOTE} karakter", field="note")
    actor = (reviewer or "").strip() or current_actor()
    if len(actor) > 200:
        raise InvalidReview(alert_id, "nama peninjau lebih dari 200 karakter", field="reviewer")
    with store.session() as session:
        alert = load_alert(session, alert_id)
        if alert is None:
            raise AlertNotFound(alert_id)
        if alert.status not in KEPT_UNTIL_RELEASED:
            raise TransitionRefused(alert_id, _refusal(alert.status))
        if alert.released_at is not None and not stale_release(alert):
            raise TransitionRefused(
                alert_id,
                f"sudah dilepas oleh {alert.released_by or '-'}; buktinya dihapus pada "
                "pembersihan berikutnya",
            )
        status = alert.status
        if not mark_released(session, alert_id, by=actor, at=now):
            raise ReviewConflict(
                alert_id,
                "baru saja diubah orang lain; tidak dilepas: lihat "
                f"'asn-monitor alerts show {alert_id}' lalu ulangi bila perlu",
            )
        event = add_event(
            session, alert_id, action="release", actor=actor, at=now, note=text,
            details={"status": status},
        )  # fmt: skip
        details: dict[str, Any] = {"status": status, "note": text, "event_id": event.id}
        if (account := current_actor()) != actor:  # --reviewer named someone else
            details["session_actor"] = account
        audit(
            session,
            "alert.release",
            actor=actor,
            object_type="alert",
            object_id=alert_id,
            details=details,
            at=now,
        )
        return Released(alert_id, status, actor, now, text, event.id)


def stale_release(alert: AlertRow) -> bool:
    """Released before the alert's last review or escalation: the case is open again (the
    same rule as ``monitor.store.retention.released_alerts``)."""
    released = alert.released_at
    if released is None:
        return False
    return any(
        when is not None and released < when for when in (alert.reviewed_at, alert.escalated_at)
    )


def _refusal(status: str) -> str:
    why = {
        "new": "belum ditinjau; peringatan baru tidak pernah dihapus sebelum diputuskan",
        "dismissed": "peringatan yang ditolak dihapus otomatis setelah masa retensinya "
        "(retention.dismissed_days)",
    }.get(status, "hanya peringatan yang dikonfirmasi atau diteruskan yang bisa dilepas")
    return f"berstatus {label(STATUS, status)} ({status}), tidak bisa dilepas ({why})"
