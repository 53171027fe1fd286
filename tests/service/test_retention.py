"""monitor.service.retention: the daily purge and the release of confirmed evidence, on
alerts the pipeline raised and reviewers decided, with screenshots on disk; a frozen
``now`` throughout. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from monitor.alerts.lifecycle import (
    AlertNotFound,
    Confirm,
    Dismiss,
    Escalate,
    InvalidReview,
    Reopen,
    ReviewError,
    TransitionRefused,
    review,
)
from monitor.service.retention import (
    ORPHAN_GRACE,
    PurgeInterrupted,
    PurgeReport,
    purge,
    purge_job,
    release,
)
from monitor.settings import Settings, load_settings
from monitor.store import Store
from monitor.store.evidence import store_evidence_file
from monitor.store.models import (
    AlertEventRow,
    AlertRow,
    AuditRow,
    Base,
    DecisionRow,
    EvidenceFileRow,
    OutboxRow,
    PostObservationRow,
    PostRow,
)
from monitor.store.outbox import enqueue
from tests.alerts.helpers import T0, add_posts, raise_alerts
from tests.conftest import post_line

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 40
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x03" * 20


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def settings_of(root: Path) -> Settings:
    return load_settings(root / "monitor.yaml")[0]


def row_id(store: Store, post_id: str) -> int:
    with store.session() as session:
        found = session.scalar(select(PostRow.id).where(PostRow.post_id == post_id))
    assert found is not None
    return found


def attach(store: Store, root: Path, post_id: str, name: str, content: bytes) -> str:
    """A monitor's screenshot for a post; returns its path under var/evidence."""
    source = root / name
    source.write_bytes(content)
    with store.session() as session:
        row = store_evidence_file(
            session, row_id(store, post_id), source, root / "var" / "evidence", now=T0
        )
        return row.path


def evidence_on_disk(root: Path) -> set[str]:
    folder = root / "var" / "evidence"
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def posts_left(store: Store) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(PostRow.post_id)))


def purges(store: Store) -> list[dict[str, Any]]:
    with store.session() as session:
        rows = session.scalars(
            select(AuditRow).where(AuditRow.action == "retention.purge").order_by(AuditRow.id)
        )
        return [r.details for r in rows]


@pytest.fixture
def project(store: Store, tmp_path: Path) -> dict[str, int]:
    """Posts 1 (@ani) and 4 (@dedi) raise critical alerts, 2 (@budi) a high one, 3 (@citra)
    none, all at T0. An hour later a reviewer confirms 1 and dismisses 2; 4 waits. Post 3
    is edited on day 1; post 5 (no alert) arrives on day 20. Screenshots: 1 and 3 share a
    PNG, 3 has its own JPEG, 2 a GIF."""
    ids = raise_alerts(store, tmp_path)
    review(store, ids["1"], Confirm(), reviewer="siti", now=T0 + timedelta(hours=1))
    review(
        store, ids["2"], Dismiss(reason="false_positive"), reviewer="siti",
        now=T0 + timedelta(hours=1),
    )  # fmt: skip
    add_posts(
        store,
        tmp_path,
        [post_line("3", "makan siang di warung enak sekali", author="@citra")],
        day(1),
    )
    add_posts(store, tmp_path, [post_line("5", "jalan pagi di alun-alun", author="@eka")], day(20))
    attach(store, tmp_path, "1", "layar-1.png", PNG)
    attach(store, tmp_path, "3", "layar-3.png", PNG)
    attach(store, tmp_path, "3", "layar-3.jpg", JPEG)
    attach(store, tmp_path, "2", "layar-2.gif", GIF)
    return ids


_PNG_SHA = hashlib.sha256(PNG).hexdigest()
PNG_PATH = f"{_PNG_SHA[:2]}/{_PNG_SHA}.png"

# (day of the purge, posts left after it, kinds of screenshot left on disk)
TIMELINE = [
    (29, {"1", "2", "3", "4", "5"}, {".png", ".jpg", ".gif"}),
    (31, {"1", "2", "4", "5"}, {".png", ".gif"}),  # 3: no alert, 30 days; its PNG is 1's too
    (51, {"1", "2", "4"}, {".png", ".gif"}),  # 5: first seen on day 20
    (91, {"1", "4"}, {".png"}),  # 2: dismissed 90 days ago
    (400, {"1", "4"}, {".png"}),  # confirmed and new alerts stay
]


def test_the_retention_timeline(store: Store, tmp_path: Path, project: dict[str, int]) -> None:
    settings = settings_of(tmp_path)
    assert len(evidence_on_disk(tmp_path)) == 3
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(PostObservationRow)) == 1
    for when, left, kinds in TIMELINE:
        purge(store, settings, now=day(when))
        assert posts_left(store) == left, f"day {when}"
        assert {Path(p).suffix for p in evidence_on_disk(tmp_path)} == kinds, f"day {when}"
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(PostObservationRow)) == 0
        assert session.scalar(select(func.count()).select_from(DecisionRow)) == 2
        assert session.scalar(select(func.count()).select_from(EvidenceFileRow)) == 1
        assert set(session.scalars(select(AlertRow.status))) == {"confirmed", "new"}
    assert len(purges(store)) == len(TIMELINE)


def test_a_released_alert_goes_at_the_next_purge(
    store: Store, tmp_path: Path, project: dict[str, int]
) -> None:
    settings = settings_of(tmp_path)
    review(store, project["4"], Confirm(), reviewer="siti", now=day(1))
    review(store, project["4"], Escalate(to="bkn", ref="B-12"), reviewer="siti", now=day(2))
    release(store, project["1"], note="perkara selesai", reviewer="andi", now=day(3))
    report = purge(store, settings, now=day(3))
    assert posts_left(store) == {"2", "3", "4", "5"}  # 4 escalated, not released: kept
    assert (report.released_alerts, report.released_ids, report.dismissed_alerts) == (
        1,
        [project["1"]],
        0,
    )
    assert {Path(p).suffix for p in evidence_on_disk(tmp_path)} == {".png", ".jpg", ".gif"}
    release(store, project["4"], note="putusan BKN diterima", now=day(4))
    purge(store, settings, now=day(4))
    assert posts_left(store) == {"2", "3", "5"}


def test_the_last_post_of_a_shared_screenshot_takes_the_file(
    store: Store, tmp_path: Path, project: dict[str, int]
) -> None:
    settings = settings_of(tmp_path)
    release(store, project["1"], note="perkara selesai", now=day(5))
    purge(store, settings, now=day(5))  # 1 goes; its PNG stays for 3
    assert PNG_PATH in evidence_on_disk(tmp_path)
    report = purge(store, settings, now=day(31))  # 3 goes: the PNG and the JPEG go
    assert PNG_PATH not in evidence_on_disk(tmp_path)
    assert (report.deleted.evidence_rows, report.files_removed) == (2, 2)


def snapshot(store: Store, root: Path) -> dict[str, Any]:
    with store.session() as session:
        tables = {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
        released = list(session.scalars(select(AlertRow.released_at)))
    return {"tables": tables, "released": released, "files": evidence_on_disk(root)}


def test_a_dry_run_counts_and_changes_nothing(
    store: Store, tmp_path: Path, project: dict[str, int]
) -> None:
    settings = settings_of(tmp_path)
    release(store, project["1"], note="perkara selesai", now=day(1))
    before = snapshot(store, tmp_path)
    report = purge(store, settings, now=day(91), dry_run=True)
    assert snapshot(store, tmp_path) == before
    found = report.survey
    assert (found.posts.count, found.dismissed.count, found.released.count) == (2, 1, 1)
    assert (found.posts.oldest, found.posts.newest) == (T0, day(20))
    assert found.files == 3  # the PNG (1 and 3 both go), the JPEG, the GIF
    assert (found.kept_reviewed, found.awaiting_review) == (0, 1)
    assert report.deleted.posts == 0 and report.dry_run

    real = purge(store, settings, now=day(91))
    assert (real.deleted.posts, real.alerts, real.files_removed) == (4, 2, 3)
    assert evidence_on_disk(tmp_path) == set()


def test_every_purge_writes_one_audit_entry(
    store: Store, tmp_path: Path, project: dict[str, int]
) -> None:
    settings = settings_of(tmp_path)
    purge(store, settings, now=day(31), actor="layanan")
    purge(store, settings, now=day(31))  # nothing left to delete: recorded all the same
    first, second = purges(store)
    assert first["cutoffs"] == {
        "posts_first_seen_before": day(1).isoformat(),
        "dismissed_before": day(-59).isoformat(),
        "collection_runs_before": day(-59).isoformat(),
        "messages_before": day(1).isoformat(),
        "files_before": day(1).isoformat(),
    }
    assert {k: first[k] for k in ("posts", "alerts", "screenshots", "files_removed")} == {
        "posts": 1,
        "alerts": 0,
        "screenshots": 2,
        "files_removed": 1,
    }
    assert (first["decisions"], first["observations"], first["complete"]) == (1, 1, True)
    assert (second["posts"], second["screenshots"], second["files_removed"]) == (0, 0, 0)
    with store.session() as session:
        actors = list(
            session.scalars(select(AuditRow.actor).where(AuditRow.action == "retention.purge"))
        )
    assert actors[0] == "layanan"


def quiet_project(store: Store, root: Path, n: int) -> None:
    """``n`` posts that raise no alert, first seen at T0, each with its own screenshot."""
    posts = [post_line(str(i), f"makan siang di warung {i}", author="@ani") for i in range(n)]
    raise_alerts(store, root, posts=posts)
    for i in range(n):
        attach(store, root, str(i), f"layar-{i}.png", PNG + bytes([i]))


def test_a_crash_part_way_leaves_whole_batches_and_the_next_purge_finishes(
    store: Store, tmp_path: Path
) -> None:
    quiet_project(store, tmp_path, 5)
    settings = settings_of(tmp_path)

    def crash(report: PurgeReport) -> None:
        if report.batches == 2:
            raise RuntimeError("listrik padam")

    with pytest.raises(RuntimeError):
        purge(store, settings, now=day(31), batch_size=2, progress=crash)
    assert posts_left(store) == {"4"}  # two whole batches of two
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(DecisionRow)) == 1
        assert list(session.scalars(select(EvidenceFileRow.post_id))) == [row_id(store, "4")]
    assert len(evidence_on_disk(tmp_path)) == 1
    assert purges(store) == []  # the job ledger shows the failed run

    report = purge(store, settings, now=day(31), batch_size=2)
    assert posts_left(store) == set()
    assert evidence_on_disk(tmp_path) == set()
    assert (report.posts_without_alert, report.files_removed) == (1, 1)
    assert [entry["posts"] for entry in purges(store)] == [1]


def test_a_stopped_purge_is_recorded_as_incomplete(store: Store, tmp_path: Path) -> None:
    quiet_project(store, tmp_path, 3)
    settings = settings_of(tmp_path)
    sigterm = threading.Event()

    def first_batch_done(report: PurgeReport) -> None:
        sigterm.set()  # SIGTERM arrived while the first batch was being deleted

    report = purge(
        store, settings, now=day(31), batch_size=2, stop=sigterm.is_set, progress=first_batch_done
    )
    assert not report.complete
    assert len(posts_left(store)) == 1
    (entry,) = purges(store)
    assert (entry["posts"], entry["complete"], entry["batches"]) == (2, False, 1)
    assert purge(store, settings, now=day(31)).complete
    assert posts_left(store) == set()


def test_an_orphan_file_goes_once_it_is_old(store: Store, tmp_path: Path) -> None:
    """A screenshot whose row never committed (a submission that rolled back, or a crash
    between a purge's commit and its unlink) is swept when older than ORPHAN_GRACE."""
    quiet_project(store, tmp_path, 1)
    settings = settings_of(tmp_path)
    orphan = tmp_path / "layar-yatim.gif"
    orphan.write_bytes(GIF)
    with pytest.raises(RuntimeError), store.session() as session:
        store_evidence_file(session, row_id(store, "0"), orphan, tmp_path / "var" / "evidence")
        raise RuntimeError("transaksi batal")
    assert len(evidence_on_disk(tmp_path)) == 2
    now = day(2)
    report = purge(store, settings, now=now)  # written just now (by the wall clock): kept
    assert (report.orphans, report.files_removed, len(evidence_on_disk(tmp_path))) == (0, 0, 2)

    gif = next(p for p in (tmp_path / "var" / "evidence").rglob("*.gif"))
    old = (now - ORPHAN_GRACE - timedelta(seconds=1)).timestamp()
    os.utime(gif, (old, old))
    dry = purge(store, settings, now=now, dry_run=True)
    assert (dry.orphans, gif.exists()) == (1, True)
    report = purge(store, settings, now=now)
    assert (report.orphans, report.files_removed) == (1, 1)
    assert [Path(p).suffix for p in evidence_on_disk(tmp_path)] == [".png"]  # the post's own
    assert purges(store)[-1]["files_removed"] == 1


def test_the_service_job_returns_the_audit_details(
    store: Store, tmp_path: Path, project: dict[str, int]
) -> None:
    details = purge_job(store, settings_of(tmp_path), day(31))
    assert details == purges(store)[0]
    assert details["posts_without_alert"] == 1


def test_a_service_job_stopped_part_way_fails_so_that_it_is_made_up(
    store: Store, tmp_path: Path
) -> None:
    quiet_project(store, tmp_path, 1)
    with pytest.raises(PurgeInterrupted, match="pembersihan dihentikan sebelum selesai"):
        purge_job(store, settings_of(tmp_path), day(31), stop=lambda: True)
    assert [entry["complete"] for entry in purges(store)] == [False]
    assert posts_left(store) == {"0"}


# -- release ---------------------------------------------------------------------------------


def released(store: Store, alert_id: int) -> tuple[Any, ...]:
    with store.session() as session:
        alert = session.get(AlertRow, alert_id)
        assert alert is not None
        events = [
            (e.action, e.actor, e.note)
            for e in session.scalars(
                select(AlertEventRow).where(
                    AlertEventRow.alert_id == alert_id, AlertEventRow.action == "release"
                )
            )
        ]
        audits = [
            (a.actor, a.object_id, a.details["note"], a.details["status"])
            for a in session.scalars(select(AuditRow).where(AuditRow.action == "alert.release"))
        ]
        return alert.released_at, alert.released_by, events, audits


def test_a_release_is_recorded_in_the_history_and_the_audit_log(
    store: Store, project: dict[str, int]
) -> None:
    one = project["1"]
    done = release(store, one, note="  perkara selesai  ", reviewer="andi", now=day(3))
    assert (done.alert_id, done.status, done.actor, done.note) == (
        one,
        "confirmed",
        "andi",
        "perkara selesai",
    )
    assert released(store, one) == (
        day(3),
        "andi",
        [("release", "andi", "perkara selesai")],
        [("andi", str(one), "perkara selesai", "confirmed")],
    )


@pytest.mark.parametrize(
    ("post", "note", "error", "message"),
    [
        ("4", "selesai", TransitionRefused, "berstatus Baru (new), tidak bisa dilepas (belum"),
        ("2", "selesai", TransitionRefused, "berstatus Ditolak (dismissed), tidak bisa dilepas"),
        ("1", "", InvalidReview, "catatan wajib diisi"),
        ("1", "   ", InvalidReview, "catatan wajib diisi"),
        ("1", "x" * 2001, InvalidReview, "catatan lebih dari 2000 karakter"),
        ("unknown", "selesai", AlertNotFound, "tidak ditemukan"),
    ],
    ids=["new", "dismissed", "no-note", "blank-note", "long-note", "unknown"],
)
def test_a_release_is_refused(
    store: Store,
    project: dict[str, int],
    post: str,
    note: str,
    error: type[ReviewError],
    message: str,
) -> None:
    alert_id = project.get(post, 999)
    with pytest.raises(error) as refused:
        release(store, alert_id, note=note, now=day(3))
    assert message in str(refused.value)
    assert str(refused.value).startswith(f"peringatan #{alert_id}: ")
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(AlertRow).where(
            AlertRow.released_at.is_not(None))) == 0  # fmt: skip


def test_an_alert_is_released_once(store: Store, project: dict[str, int]) -> None:
    release(store, project["1"], note="perkara selesai", reviewer="andi", now=day(3))
    with pytest.raises(TransitionRefused, match="sudah dilepas oleh andi"):
        release(store, project["1"], note="lagi", reviewer="budi", now=day(4))
    assert released(store, project["1"])[:2] == (day(3), "andi")


def test_a_release_before_a_reopened_case_was_confirmed_again_is_stale(
    store: Store, tmp_path: Path, project: dict[str, int]
) -> None:
    settings, one = settings_of(tmp_path), project["1"]
    release(store, one, note="perkara selesai", reviewer="andi", now=day(3))
    review(store, one, Reopen(note="bukti baru"), reviewer="siti", now=day(4))
    with pytest.raises(TransitionRefused, match="berstatus Baru"):
        release(store, one, note="lagi", now=day(4))
    review(store, one, Confirm(), reviewer="siti", now=day(5))
    assert purge(store, settings, now=day(6)).released_alerts == 0
    assert "1" in posts_left(store)
    release(store, one, note="perkara selesai lagi", reviewer="andi", now=day(7))
    assert purge(store, settings, now=day(7)).released_ids == [one]
    assert "1" not in posts_left(store)


# (folder: digests, form-a, exports or elsewhere; file; days since last written; deleted)
REPORT_FILES = [
    ("digests", "digest-2025-01-01.html", 31, True),
    ("digests", "digest-2025-01-01-0700.csv", 31, True),
    ("digests", "digest-2025-01-01-0700.md.tmp", 31, True),  # a write cut off by a crash
    ("digests", "digest-2025-01-30.md", 29, False),
    ("digests", "catatan-operator.txt", 400, False),  # not the tool's file
    ("form-a", "form-a-2025-01-01.html", 31, True),
    ("form-a", "rujukan-bkn-2025-01-01.csv", 31, True),
    ("form-a", "rujukan-gakkumdu-2025-01-01.csv", 29, False),
    ("exports", "alert-1-0123456789ab.zip", 31, True),
    ("exports", ".tmp-ab12cd34", 31, True),  # export_bundle's temporary copy
    ("exports", "alert-2-0123456789ab.zip", 2, False),
    ("exports", "bukti-pribadi.zip", 400, False),
    ("elsewhere", "alert-3-0123456789ab.zip", 400, False),  # written with --out
]


def folder_of(settings: Settings, name: str) -> Path:
    if name == "digests":
        return settings.digest_dir
    if name == "elsewhere":
        return settings.var_path.parent / "berkas-kasus"
    return settings.var_path / name


def test_old_messages_and_report_files_go(store: Store, tmp_path: Path) -> None:
    quiet_project(store, tmp_path, 1)
    settings = settings_of(tmp_path)
    now = day(60)
    for folder, name, days, _ in REPORT_FILES:
        path = folder_of(settings, folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Budi Santoso, Dinas Pendidikan", encoding="utf-8")
        written = (now - timedelta(days=days)).timestamp()
        os.utime(path, (written, written))
    with store.session() as session:
        for key, written_at, status in [
            ("digest:lama", day(29), "sent"),
            ("digest:gagal", day(29), "failed"),
            ("digest:baru", day(31), "sent"),
            ("digest:tertunda", day(1), "pending"),
        ]:
            enqueue(session, key=key, kind="digest", notifier="surel", subject="Ringkasan",
                    body={"text": "Budi mengajak"}, now=written_at)  # fmt: skip
            session.execute(update(OutboxRow).where(OutboxRow.key == key).values(status=status))

    dry = purge(store, settings, now=now, dry_run=True)
    assert (dry.report_files, dry.survey.messages.count) == (7, 2)
    assert all((folder_of(settings, f) / n).exists() for f, n, _, _ in REPORT_FILES)

    report = purge(store, settings, now=now)
    left = {
        (folder, name)
        for folder, name, _, _ in REPORT_FILES
        if (folder_of(settings, folder) / name).exists()
    }
    assert left == {(f, n) for f, n, _, gone in REPORT_FILES if not gone}
    with store.session() as session:
        assert set(session.scalars(select(OutboxRow.key))) == {"digest:baru", "digest:tertunda"}
    assert (report.reports_removed, report.deleted.messages) == (7, 2)
    (entry,) = purges(store)
    assert (entry["report_files_removed"], entry["messages"]) == (7, 2)
