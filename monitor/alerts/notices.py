"""Immediate notices: an alert at or above a configured severity is sent at once, not only
in the next digest, with repeat suppression per account and rule.

The notice is planned in the transaction that raises the alert: a ``notices`` row and one
outbox message per notifier, so a crash can neither lose it nor send it twice. A second
alert for the same account and rule within ``suppress_for`` of a notice that was sent is
recorded as suppressed (counted in the digest) instead of sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts.deadline import deadline
from monitor.alerts.digest import long_date
from monitor.alerts.notifiers.base import Message
from monitor.domain import severity_rank
from monitor.labels import CATEGORY, PLATFORM, SEVERITY, label
from monitor.store.alerts import flagged_version
from monitor.store.models import AlertRow, NoticeRow
from monitor.store.outbox import enqueue


@dataclass
class NoticeReport:
    sent: int = 0
    suppressed: int = 0


def _when(value: datetime, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    return f"{long_date(local.date())} {local:%H.%M} {local.tzname() or ''}".strip()


def _rule_id(alert: AlertRow) -> str:
    matches = flagged_version(alert).decision.matches
    return str(matches[0]["rule_id"]) if matches else f"model:{alert.category or '-'}"


def render_notice(alert: AlertRow, tz: ZoneInfo) -> Message:
    """The notice for one alert: who, where, what, the words that matched, the deadline."""
    post = alert.post
    account = post.account
    person = account.person if account is not None else None
    who = f"{person.name} ({person.agency or '-'})" if person else post.author
    severity = label(SEVERITY, alert.severity)
    category = label(CATEGORY, alert.category)
    platform = label(PLATFORM, post.platform)
    handle = account.handle if account is not None else post.author
    subject = f"[{severity}] {category}: {who}, {platform} {handle}"
    version = flagged_version(alert)
    rules = "; ".join(f"{m['rule_id']} ({m['title']})" for m in version.decision.matches)
    lines = [
        f"Peringatan #{alert.id}: {category}, tingkat {severity}.",
        f"Orang: {who}" + (f", {person.position}" if person and person.position else ""),
        f"Akun: {platform} {handle}",
        f"Diunggah: {_when(post.created_at, tz)}",
    ]
    if post.url:
        lines.append(f"Tautan: {post.url}")
    if post.shared_from:
        lines.append(f"Membagikan dari: {post.shared_from}")
    if rules:
        lines.append(f"Aturan: {rules}")
    if version.observed_at is not None:
        lines.append(
            f"Disunting: teks di bawah adalah versi suntingan yang terlihat "
            f"{_when(version.observed_at, tz)}; teks pertama ada di bukti lengkap."
        )
    lines += [
        "",
        *(f"> {line}" for line in version.text.splitlines() or [""]),
        "",
        f"Batas penyampaian temuan: {_when(deadline(alert.created_at), tz)} (7 hari sejak "
        "diketahui, UU 10/2016 Ps. 134).",
        f"Tinjau: asn-monitor alerts show {alert.id}",
        "",
        "asn-monitor hanya menandai unggahan; keputusan ada pada pengawas.",
    ]
    return Message(
        key=f"notice:{alert.id}",
        kind="notice",
        subject=subject,
        text="\n".join(lines),
        data={
            "alert_id": alert.id,
            "severity": alert.severity,
            "category": alert.category,
            "platform": post.platform,
            "handle": handle,
            "url": post.url,
        },
    )


def plan_notices(
    session: Session,
    alerts: Sequence[AlertRow],
    *,
    min_severity: str | None,
    suppress_for: timedelta,
    notifiers: Sequence[str],
    tz: ZoneInfo,
    now: datetime,
) -> NoticeReport:
    """Record a notice (sent or suppressed) for every new alert at or above
    ``min_severity`` and queue it for ``notifiers``; runs in the caller's transaction."""
    report = NoticeReport()
    if min_severity is None:
        return report
    floor = severity_rank(min_severity)
    for alert in sorted(alerts, key=lambda a: a.id):
        if severity_rank(alert.severity) < floor:
            continue
        rule_id = _rule_id(alert)
        account_id = alert.post.account_id
        recent = session.scalar(
            select(NoticeRow.id)
            .where(
                NoticeRow.account_id == account_id
                if account_id is not None
                else NoticeRow.account_id.is_(None),
                NoticeRow.rule_id == rule_id,
                NoticeRow.suppressed.is_(False),
                NoticeRow.created_at > now - suppress_for,
            )
            .limit(1)
        )
        suppressed = recent is not None
        session.add(
            NoticeRow(
                alert_id=alert.id,
                account_id=account_id,
                rule_id=rule_id,
                created_at=now,
                suppressed=suppressed,
            )
        )
        session.flush()
        if suppressed:
            report.suppressed += 1
            continue
        message = render_notice(alert, tz)
        for notifier in notifiers:
            enqueue(
                session,
                key=f"{message.key}:{notifier}",
                kind="notice",
                notifier=notifier,
                subject=message.subject,
                body=message.to_json(),
                alert_id=alert.id,
                now=now,
            )
        report.sent += 1
    return report
