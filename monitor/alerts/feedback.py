"""Reviewed alerts as training rows, so the team can fine-tune on its own decisions.

A confirmed (or escalated) alert is labelled with the reviewer's label, else the alert's category; a
dismissed alert with the reviewer's label, else ``dismissed_as`` (political_neutral by
default: most dismissals are political talk that is not partisan). The text is the one the
alert is about (an edited version's when an edit raised it). Rows are in the
labelled-data format (``data/labelled/*.jsonl``) and in the post format, so they can be
fed to ``asn-monitor model train`` directly.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from monitor.model.labels import LABELS
from monitor.store import Store
from monitor.store.alerts import flagged_version
from monitor.store.models import AlertRow


@dataclass
class FeedbackReport:
    rows: int = 0
    labels: Counter[str] = field(default_factory=Counter)


def _label(alert: AlertRow, dismissed_as: str) -> str:
    if alert.review_label in LABELS:
        return alert.review_label
    if alert.status in ("confirmed", "escalated") and alert.category in LABELS:
        return alert.category
    return dismissed_as


def feedback_rows(
    store: Store, *, since: datetime | None = None, dismissed_as: str = "political_neutral"
) -> Iterator[dict[str, Any]]:
    if dismissed_as not in LABELS:
        raise ValueError(f"label {dismissed_as!r} tidak dikenal (pilihan: {', '.join(LABELS)})")
    query = (
        select(AlertRow)
        .where(AlertRow.status.in_(("confirmed", "dismissed", "escalated")))
        .options(joinedload(AlertRow.post), joinedload(AlertRow.decision))
        .order_by(AlertRow.id)
    )
    if since is not None:
        query = query.where(AlertRow.reviewed_at >= since)
    with store.session() as session:
        for alert in session.scalars(query):
            post = alert.post
            yield {
                "id": post.post_id,
                "platform": post.platform,
                "author": post.author,
                "text": flagged_version(alert).text,  # the edited version's, if it flagged
                "created_at": post.created_at.isoformat(),
                "shared_from": post.shared_from,
                "label": _label(alert, dismissed_as),
                "source": "review",
                "alert_id": alert.id,
                "status": alert.status,
                "reviewer": alert.reviewer,
                "reviewed_at": alert.reviewed_at.isoformat() if alert.reviewed_at else None,
            }


def export_feedback(
    store: Store,
    out: TextIO,
    *,
    since: datetime | None = None,
    dismissed_as: str = "political_neutral",
) -> FeedbackReport:
    report = FeedbackReport()
    for row in feedback_rows(store, since=since, dismissed_as=dismissed_as):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        report.rows += 1
        report.labels[row["label"]] += 1
    return report
