"""Sending the scheduled daily digest: the window since the last digest sent, rendered once,
recorded with one outbox message per notifier in one transaction, then delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from monitor.alerts.digest import Digest, build_digest
from monitor.alerts.notifiers.base import Notifier
from monitor.alerts.render import digest_message, write_digest
from monitor.alerts.schedule import due_window
from monitor.collect.base import Collector
from monitor.service.coverage import coverage_report
from monitor.service.notifying import chosen
from monitor.settings import Settings
from monitor.store import Store
from monitor.store.alerts import record_digest
from monitor.store.audit import audit
from monitor.store.models import DigestRow
from monitor.store.outbox import enqueue

KIND = "scheduled"


@dataclass
class DigestOutcome:
    digest: Digest
    files: dict[str, Path]
    notifiers: list[str]
    digest_id: int


def last_sent_end(store: Store) -> datetime | None:
    with store.session() as session:
        return session.scalar(
            select(func.max(DigestRow.window_end)).where(
                DigestRow.kind == KIND, DigestRow.sent_at.is_not(None)
            )
        )


def send_due_digest(
    store: Store,
    settings: Settings,
    notifiers: dict[str, Notifier],
    collectors: dict[str, Collector],
    *,
    now: datetime,
) -> DigestOutcome | None:
    """Send the digest that is due at ``now``, if any. Idempotent: the same window is
    never recorded or queued twice."""
    tz = settings.tz
    window = due_window(last_sent_end(store), now, settings.digest.time, tz)
    if window is None:
        return None
    start, end = window
    coverage = coverage_report(store, settings, collectors, now=now, since=start)
    digest = build_digest(store, start, end, tz, now=now, coverage=coverage)
    key = f"digest:{start.isoformat()}/{end.isoformat()}"
    message = digest_message(digest, key)
    stem = f"digest-{end.astimezone(tz):%Y-%m-%d-%H%M}"  # named by the window's end
    files = write_digest(digest, settings.digest_dir, stem=stem)
    targets = chosen(settings.digest.notifiers, notifiers)
    with store.session() as session:
        row = record_digest(
            session,
            kind=KIND,
            window_start=start,
            window_end=end,
            alert_count=digest.total,
            outputs={k: str(v) for k, v in files.items()},
            now=now,
        )
        if row.sent_at is not None:  # another process sent this window meanwhile
            return None
        row.sent_at = now
        for name in targets:
            enqueue(
                session,
                key=f"{key}:{name}",
                kind="digest",
                notifier=name,
                subject=message.subject,
                body=message.to_json(),
                digest_id=row.id,
                now=now,
            )
        audit(
            session,
            "digest.send",
            object_type="digest",
            object_id=str(row.id),
            details={
                "window_start": start.isoformat(),
                "window_end": end.isoformat(),
                "alerts": digest.total,
                "notifiers": targets,
            },
        )
        digest_id = row.id
    return DigestOutcome(digest, files, targets, digest_id)
