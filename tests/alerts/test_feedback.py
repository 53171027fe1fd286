"""Reviewed alerts export as training rows in the labelled-data format."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from monitor.alerts.feedback import export_feedback
from monitor.collect.postformat import parse_post
from monitor.domain import Decision, Post
from monitor.store import Store
from monitor.store.alerts import save_decisions
from monitor.store.models import AlertRow, PostRow
from monitor.store.posts import store_posts

T = datetime(2024, 10, 1, 2, 0, tzinfo=UTC)

# (post id, alert status, category, reviewer's label) -> expected label (None: not exported)
CASES = [
    ("1", "confirmed", "support", None, "support"),
    ("2", "confirmed", "support", "campaign_share", "campaign_share"),
    ("3", "dismissed", "attack", None, "political_neutral"),
    ("4", "dismissed", "attack", "non_political", "non_political"),
    ("5", "escalated", "money_politics", None, "money_politics"),
    ("6", "new", "support", None, None),
]


@pytest.fixture
def reviewed(store: Store) -> Store:
    posts = [Post("x", c[0], "@budi", f"teks {c[0]}", T, payload="{}") for c in CASES]
    with store.session() as session:
        store_posts(session, posts, collector="t", collector_version="1", account_ids={})
        rows = {r.post_id: r for r in session.scalars(select(PostRow))}
        decided = [
            (rows[c[0]], Decision(("x", c[0]), True, c[2], "high", None, (), {}, {})) for c in CASES
        ]
        save_decisions(session, decided, now=T)
    with store.session() as session:
        for alert in session.scalars(select(AlertRow).join(PostRow)):
            _, status, _, review_label, _ = next(c for c in CASES if c[0] == alert.post.post_id)
            alert.status = status
            alert.review_label = review_label
            alert.reviewer = "siti"
            alert.reviewed_at = T if status != "new" else None
    return store


def test_reviewed_alerts_become_training_rows(reviewed: Store) -> None:
    out = io.StringIO()
    report = export_feedback(reviewed, out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {r["id"]: r["label"] for r in rows} == {c[0]: c[4] for c in CASES if c[4] is not None}
    assert report.rows == 5
    assert report.labels["political_neutral"] == 1
    for line in out.getvalue().splitlines():  # every row is also a valid post
        assert isinstance(parse_post(line), Post)


def test_dismissed_default_label_is_configurable(reviewed: Store) -> None:
    out = io.StringIO()
    export_feedback(reviewed, out, dismissed_as="non_political")
    labels = {
        json.loads(line)["id"]: json.loads(line)["label"] for line in out.getvalue().splitlines()
    }
    assert labels["3"] == "non_political"


def test_unknown_dismissed_label_is_refused(reviewed: Store) -> None:
    with pytest.raises(ValueError, match="tidak dikenal"):
        export_feedback(reviewed, io.StringIO(), dismissed_as="spam")


def test_export_feedback_command(reviewed: Store, database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import run_cli

    out = tmp_path / "reviews.jsonl"
    result = run_cli("model", "export-feedback", "--out", str(out), database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "5 baris ditulis" in result.stdout
    assert len(out.read_text(encoding="utf-8").splitlines()) == 5
    bad = run_cli(
        "model",
        "export-feedback",
        "--out",
        str(out),
        "--dismissed-as",
        "spam",
        database_url=database_url,
    )
    assert bad.returncode == 1 and "tidak dikenal" in bad.stderr
