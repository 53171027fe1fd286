"""Edited posts are decided again: a post's text as first collected and every edited
version are decided, and the first version that flags raises the post's one alert. Real
pipeline runs (JSONL collector, rules of tests/service/helpers.py) on SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.domain import Decision, Post, sha256_text
from monitor.service.collecting import collect_all
from monitor.service.components import build_collectors, build_decider
from monitor.service.pipeline import DetectReport, detect_pending, run_once
from monitor.settings import load_settings
from monitor.store import Store
from monitor.store.alerts import flagged_version, save_decisions
from monitor.store.models import AlertRow, PostObservationRow, PostRow
from monitor.store.posts import pending_edits, store_posts, to_edited_post, to_post
from tests.alerts.helpers import T0, add_posts, raise_alerts
from tests.conftest import post_line, run_cli

NEUTRAL = "rapat koordinasi pagi ini"
NEUTRAL_TOO = "rapat koordinasi pagi ini di aula kantor"
APPEAL = "ayo coblos nomor 2 ya"
APPEAL_TOO = "sekali lagi bapak ibu: coblos nomor 2 bersama kami"

#: (versions of one post, first text first) -> the version its one alert is about (0: the
#: text first collected, n: the n-th edit; None: no alert)
TABLE = [
    ("neutral -> appeal", [NEUTRAL, APPEAL], 1),
    ("appeal -> neutral", [APPEAL, NEUTRAL], 0),
    ("neutral -> neutral", [NEUTRAL, NEUTRAL_TOO], None),
    ("neutral -> appeal -> another appeal", [NEUTRAL, APPEAL, APPEAL_TOO], 1),
    ("neutral -> neutral -> appeal", [NEUTRAL, NEUTRAL_TOO, APPEAL], 2),
]


def version(text: str) -> str:
    return post_line("77", text, author="@budi")


def collect(store: Store, root: Path, versions: list[str], *, one_run: bool) -> None:
    """Each version seen by a run of its own an hour apart, or the whole history seen by
    one run (the post and its edits stored and decided in the same pass)."""
    if one_run:
        raise_alerts(store, root, posts=[version(v) for v in versions])
        return
    raise_alerts(store, root, posts=[version(versions[0])])
    for hour, text in enumerate(versions[1:], 1):
        add_posts(store, root, [version(text)], T0 + timedelta(hours=hour))


def outcome(store: Store) -> tuple[dict[str, int], list[str]]:
    """Per alerted post the version its alert is about (0: the first text, n: the n-th
    edit of that post), and the words each alert highlights."""
    with store.session() as session:
        about: dict[str, int] = {}
        words: list[str] = []
        for alert in session.scalars(select(AlertRow).order_by(AlertRow.id)):
            edits = list(
                session.scalars(
                    select(PostObservationRow.id)
                    .where(
                        PostObservationRow.post_id == alert.post_id,
                        PostObservationRow.kind == "edited",
                    )
                    .order_by(PostObservationRow.id)
                )
            )
            flagged = flagged_version(alert)
            number = 0 if alert.observation_id is None else edits.index(alert.observation_id) + 1
            about[alert.post.post_id] = number
            assert (alert.category, alert.severity) == ("support", "high")
            for match in flagged.decision.matches:
                for start, end, text in match["spans"]:
                    assert flagged.text[start:end] == text  # spans index the flagged text
                    words.append(text)
        return about, words


@pytest.mark.parametrize("one_run", [False, True], ids=["run-per-version", "one-run"])
@pytest.mark.parametrize(("case", "versions", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_every_edit_is_decided_and_one_alert_is_raised(
    store: Store,
    tmp_path: Path,
    case: str,
    versions: list[str],
    expected: int | None,
    one_run: bool,
) -> None:
    collect(store, tmp_path, versions, one_run=one_run)
    about, words = outcome(store)
    assert about == ({} if expected is None else {"77": expected}), case
    assert words == ([] if expected is None else ["coblos nomor"])
    with store.session() as session:
        decided = session.execute(
            select(PostObservationRow.decided_at, PostObservationRow.decision)
            .where(PostObservationRow.kind == "edited")
            .order_by(PostObservationRow.id)
        ).all()
        assert len(decided) == len(versions) - 1
        assert all(at is not None for at, _ in decided)
        assert [d["flagged"] for _, d in decided] == [
            v in (APPEAL, APPEAL_TOO) for v in versions[1:]
        ]
        assert pending_edits(session, 10) == []


def test_run_once_reports_the_edits(store: Store, database_url: str, tmp_path: Path) -> None:
    raise_alerts(store, tmp_path, posts=[version(NEUTRAL), post_line("78", NEUTRAL, author="@ani")])
    with (tmp_path / "posts.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(version(APPEAL) + "\n" + post_line("78", NEUTRAL_TOO, author="@ani") + "\n")
    result = run_cli(
        "-c", str(tmp_path / "monitor.yaml"), "run", "--once", database_url=database_url,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [
        "deteksi: 0 unggahan diputuskan, 0 peringatan baru",
        "deteksi suntingan: 2 versi suntingan diputuskan, 1 peringatan baru",
    ]


def test_run_once_decides_edits_in_batches(store: Store, tmp_path: Path) -> None:
    raise_alerts(store, tmp_path, posts=[version(NEUTRAL), post_line("78", NEUTRAL, author="@ani")])
    lines = [version(NEUTRAL_TOO), post_line("78", APPEAL, author="@ani"), version(APPEAL)]
    with (tmp_path / "posts.jsonl").open("a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)
    settings, doc = load_settings(tmp_path / "monitor.yaml")
    report = run_once(
        store, build_collectors(settings, doc), build_decider(settings), batch_size=1,
        clock=lambda: T0 + timedelta(hours=1),
    )  # fmt: skip
    assert report.detected == DetectReport(edits_decided=3, edits_flagged=2)
    assert outcome(store)[0] == {"78": 1, "77": 2}


def test_an_edit_waits_until_its_post_is_decided(store: Store) -> None:
    first = Post("x", "9", "@budi", NEUTRAL, T0, payload=version(NEUTRAL))
    edit = replace(first, text=APPEAL, payload=version(APPEAL))
    with store.session() as session:
        store_posts(session, [first], collector="t", collector_version="1", account_ids={})
        store_posts(session, [edit], collector="t", collector_version="1", account_ids={})
        row = session.scalars(select(PostRow)).one()
        session.add(PostObservationRow(post_id=row.id, kind="deleted", collector="t"))
    with store.session() as session:
        assert pending_edits(session, 10) == []  # the first text is decided first
        decision = Decision(("x", "9"), False, None, None, None, (), {}, {})
        save_decisions(session, [(row, decision)], now=T0)
    with store.session() as session:
        [pending] = pending_edits(session, 10)
        assert (pending.kind, pending.text, pending.payload_sha256) == (
            "edited",
            APPEAL,
            sha256_text(version(APPEAL)),
        )
        assert to_edited_post(pending) == replace(
            to_post(pending.post), text=APPEAL, payload=version(APPEAL)
        )
        assert to_post(pending.post).text == NEUTRAL
        assert to_edited_post(pending).sha256 == pending.payload_sha256


class Crash(Exception):
    pass


def test_a_crash_after_saving_loses_nothing_and_the_rerun_raises_one_alert(
    store: Store, tmp_path: Path
) -> None:
    raise_alerts(store, tmp_path, posts=[version(NEUTRAL)])
    with (tmp_path / "posts.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(version(APPEAL) + "\n" + version(APPEAL_TOO) + "\n")
    settings, doc = load_settings(tmp_path / "monitor.yaml")
    collect_all(store, build_collectors(settings, doc), batch_size=100)
    decider = build_decider(settings)
    seen: list[int] = []

    def crash(session: object, alerts: list[AlertRow], now: object) -> None:
        seen.extend(a.id for a in alerts)  # saved and flushed in the transaction, then:
        raise Crash

    with pytest.raises(Crash):
        detect_pending(store, decider, batch_size=100, on_alerts=crash)
    assert len(seen) == 1
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(AlertRow)) == 0
        assert len(pending_edits(session, 10)) == 2  # rolled back: both still pending

    first = detect_pending(store, decider, batch_size=1, clock=lambda: T0)
    again = detect_pending(store, decider, batch_size=1, clock=lambda: T0)
    assert (first.edits_decided, first.edits_flagged) == (2, 1)
    assert again == DetectReport()
    about, _ = outcome(store)
    assert about == {"77": 1}
