"""The evidence view of one alert and its zip bundle, on real alerts: a post collected,
edited and deleted by its owner; a monitor's submission with a screenshot. The bundle is
unzipped and every hash checked again."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from monitor import __version__
from monitor.alerts.evidence import (
    EvidenceView,
    build_view,
    bundle_bytes,
    bundle_name,
    export_bundle,
)
from monitor.alerts.lifecycle import AlertNotFound, Confirm, review
from monitor.collect.submit import submit_post
from monitor.domain import sha256_text
from monitor.store import Store
from monitor.store.models import AccountRow, AlertEventRow, AuditRow, PostRow
from monitor.store.posts import record_listing
from tests.alerts.helpers import T0, add_posts, raise_alerts
from tests.conftest import post_line

WIB = ZoneInfo("Asia/Jakarta")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
ORIGINAL = "besok serangan fajar di posko 7"
EDITED = "besok sarapan bersama di posko 7"
SUBMITTED_URL = "https://x.com/ani/status/555"
EDIT_AT = T0 + timedelta(days=1)
DELETE_AT = T0 + timedelta(days=2)
EXPORT_AT = T0 + timedelta(days=3, hours=1, minutes=2, seconds=4)


@pytest.fixture
def project(store: Store, tmp_path: Path) -> dict[str, int]:
    """Alerts for posts 1 (later edited, then deleted), 2 and 4, and a submitted post."""
    raise_alerts(store, tmp_path)
    shot = tmp_path / "layar.png"
    shot.write_bytes(PNG)
    submit_post(
        store,
        url=SUBMITTED_URL,
        account="x:@ani",
        evidence_dir=tmp_path / "var" / "evidence",
        text="nanti malam serangan fajar ya",
        screenshots=[shot],
        now=T0,
        actor="pemantau-1",
    )
    ids = add_posts(store, tmp_path, [post_line("1", EDITED, author="@ani")], EDIT_AT)
    with store.session() as session:
        ani = session.scalars(select(AccountRow).where(AccountRow.handle == "@ani")).one()
        record_listing(
            session,
            collector="feed",
            account_id=ani.id,
            post_ids=set(),
            complete_since=T0 - timedelta(days=365),
            now=DELETE_AT,
        )
    submitted = [k for k in ids if k not in ("1", "2", "4")]
    assert len(submitted) == 1
    return {**ids, "submitted": ids[submitted[0]]}


def view(store: Store, alert_id: int, tmp_path: Path) -> EvidenceView:
    with store.session() as session:
        return build_view(session, alert_id, evidence_dir=tmp_path / "var" / "evidence")


def test_the_view_of_an_edited_then_deleted_post(
    store: Store, project: dict[str, int], tmp_path: Path
) -> None:
    review(store, project["1"], Confirm(note="jelas"), reviewer="siti", now=EDIT_AT)
    v = view(store, project["1"], tmp_path)
    post = v.post
    assert (post.platform, post.post_id, post.author, post.text) == ("x", "1", "@ani", ORIGINAL)
    assert json.loads(post.payload)["text"] == ORIGINAL
    assert post.payload_sha256 == sha256_text(post.payload) == post.payload_sha256_now
    assert post.payload_intact
    assert (post.collector, post.first_seen, post.last_seen) == ("feed", T0, EDIT_AT)
    assert (post.edited_at, post.deleted_at) == (EDIT_AT, DELETE_AT)
    assert [(o.kind, o.observed_at, o.text) for o in v.observations] == [
        ("edited", EDIT_AT, EDITED),
        ("deleted", DELETE_AT, None),
    ]
    assert v.observations[0].payload_intact is True
    assert v.observations[1].payload_intact is None
    person = v.person
    assert person is not None
    assert (person.name, person.agency, person.position, person.region) == (
        "Orang 0",
        "Dinas 0",
        "Staf",
        "Kabupaten Sukamaju",
    )
    assert (person.employment_label, person.platform, person.handle, person.verified) == (
        "PNS",
        "x",
        "@ani",
        True,
    )
    [match] = v.decision.matches
    assert match["rule_id"] == "money.dawn"
    assert match["spans"] == [[6, 20, "serangan fajar"]]
    assert v.decision.versions["app"] == __version__
    assert v.deadline == T0 + timedelta(days=7)
    assert [(e.action, e.actor, e.note) for e in v.events] == [("confirm", "siti", "jelas")]
    assert v.problems == []


def test_screenshots_are_checked_on_disk(
    store: Store, project: dict[str, int], tmp_path: Path
) -> None:
    digest = hashlib.sha256(PNG).hexdigest()
    [file] = view(store, project["submitted"], tmp_path).files
    assert (file.kind, file.sha256, file.size, file.media_type) == (
        "screenshot",
        digest,
        len(PNG),
        "image/png",
    )
    assert (file.original_name, file.added_by, file.state) == ("layar.png", "pemantau-1", "ok")
    stored = tmp_path / "var" / "evidence" / file.path
    stored.chmod(0o644)
    stored.write_bytes(PNG + b"diubah")
    [file] = view(store, project["submitted"], tmp_path).files
    assert file.state == "altered"
    stored.unlink()
    v = view(store, project["submitted"], tmp_path)
    assert v.files[0].state == "missing"
    assert v.problems == [f"berkas bukti 'layar.png' ({file.path}): missing"]


def test_a_payload_changed_in_the_database_no_longer_matches(
    store: Store, project: dict[str, int], tmp_path: Path
) -> None:
    with store.session() as session:
        session.execute(update(PostRow).where(PostRow.post_id == "2").values(payload="{}"))
    v = view(store, project["2"], tmp_path)
    assert not v.post.payload_intact
    assert v.post.payload_sha256_now == sha256_text("{}")
    assert "payload unggahan tidak cocok" in v.problems[0]


def test_an_unknown_alert(store: Store, project: dict[str, int], tmp_path: Path) -> None:
    with pytest.raises(AlertNotFound, match="peringatan #999: tidak ditemukan"):
        view(store, 999, tmp_path)


def unzip(path: Path) -> tuple[list[zipfile.ZipInfo], dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        return infos, {info.filename: archive.read(info) for info in infos}


def check_hashes(files: dict[str, bytes]) -> dict[str, object]:
    """Verify the bundle as the README says; returns the manifest."""
    manifest = json.loads(files["manifest.json"])
    manifest_sha256 = hashlib.sha256(files["manifest.json"]).hexdigest()
    assert f"SHA-256 manifest.json: {manifest_sha256}" in files["README.txt"].decode()
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json", "SHA256SUMS", "README.txt"}
    for name, entry in listed.items():
        assert entry["size"] == len(files[name]), name
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest(), name
    sums: dict[str, str] = {}
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, name = line.split("  ")
        sums[name] = digest
    assert sums == {n: e["sha256"] for n, e in listed.items()} | {"manifest.json": manifest_sha256}
    return manifest  # type: ignore[no-any-return]


def test_the_bundle_of_a_deleted_post_keeps_the_original(
    store: Store, project: dict[str, int], tmp_path: Path
) -> None:
    alert_id = project["1"]
    bundle = export_bundle(
        store,
        alert_id,
        tmp_path / "ekspor",
        evidence_dir=tmp_path / "var" / "evidence",
        tz=WIB,
        actor="siti",
        now=EXPORT_AT,
    )
    v = view(store, alert_id, tmp_path)
    assert bundle.path == tmp_path / "ekspor" / f"alert-{alert_id}-{v.post.payload_sha256[:12]}.zip"
    assert bundle.sha256 == hashlib.sha256(bundle.path.read_bytes()).hexdigest()
    infos, files = unzip(bundle.path)
    assert [i.filename for i in infos] == [
        "alert.json",
        "observations/01-edited.txt",
        "payload.txt",
        "manifest.json",
        "SHA256SUMS",
        "README.txt",
    ]
    local = EXPORT_AT.astimezone(WIB)
    assert {i.date_time for i in infos} == {(2024, 11, 23, 11, 2, 4)}
    assert local.hour == 11
    manifest = check_hashes(files)
    assert manifest["generated_at"] == local.isoformat()
    assert (manifest["generated_by"], manifest["tool"]) == (
        "siti",
        {"name": "asn-monitor", "version": __version__},
    )
    assert manifest["alert_id"] == alert_id
    assert bundle.manifest_sha256 == hashlib.sha256(files["manifest.json"]).hexdigest()

    assert files["payload.txt"] == v.post.payload.encode("utf-8")
    assert hashlib.sha256(files["payload.txt"]).hexdigest() == v.post.payload_sha256
    assert json.loads(files["payload.txt"])["text"] == ORIGINAL
    assert json.loads(files["observations/01-edited.txt"])["text"] == EDITED
    data = json.loads(files["alert.json"].decode("utf-8"))
    assert data["post"]["text"] == ORIGINAL
    assert data["post"]["deleted_at"] == DELETE_AT.astimezone(WIB).isoformat()
    assert data["post"]["payload_intact"] is True
    assert [o["kind"] for o in data["observations"]] == ["edited", "deleted"]
    assert data["person"]["name"] == "Orang 0"
    assert data["decision"]["matches"][0]["rule_id"] == "money.dawn"
    assert (data["timezone"], data["days_left"]) == ("Asia/Jakarta", 4)

    with store.session() as session:
        [entry] = session.scalars(select(AuditRow).where(AuditRow.action == "alert.export"))
        [event] = session.scalars(select(AlertEventRow).where(AlertEventRow.action == "export"))
    assert (entry.actor, entry.object_id, entry.at) == ("siti", str(alert_id), EXPORT_AT)
    assert entry.details["sha256"] == bundle.sha256
    assert entry.details["manifest_sha256"] == bundle.manifest_sha256
    assert (event.alert_id, event.from_status, event.to_status) == (alert_id, None, None)


def test_the_bundle_carries_the_screenshots(
    store: Store, project: dict[str, int], tmp_path: Path
) -> None:
    evidence_dir = tmp_path / "var" / "evidence"
    bundle = export_bundle(
        store, project["submitted"], tmp_path, evidence_dir=evidence_dir, tz=WIB, now=EXPORT_AT
    )
    _, files = unzip(bundle.path)
    digest = hashlib.sha256(PNG).hexdigest()
    assert files[f"screenshots/{digest}.png"] == PNG
    check_hashes(files)
    assert bundle.problems == []


def test_a_missing_screenshot_is_left_out_and_reported(
    store: Store, project: dict[str, int], tmp_path: Path
) -> None:
    evidence_dir = tmp_path / "var" / "evidence"
    [file] = view(store, project["submitted"], tmp_path).files
    (evidence_dir / file.path).unlink()
    bundle = export_bundle(
        store, project["submitted"], tmp_path, evidence_dir=evidence_dir, tz=WIB, now=EXPORT_AT
    )
    _, files = unzip(bundle.path)
    assert not [name for name in files if name.startswith("screenshots/")]
    check_hashes(files)
    assert len(bundle.problems) == 1
    assert "PERINGATAN" in files["README.txt"].decode()
    assert json.loads(files["alert.json"])["files"][0]["state"] == "missing"


def test_the_same_evidence_at_the_same_time_gives_the_same_bytes(
    store: Store, project: dict[str, int], tmp_path: Path
) -> None:
    v = view(store, project["submitted"], tmp_path)
    evidence_dir = tmp_path / "var" / "evidence"

    def make(at: datetime) -> tuple[bytes, str, list[tuple[str, int, str]]]:
        return bundle_bytes(v, evidence_dir=evidence_dir, generated_at=at, actor="siti", tz=WIB)

    first, again, later = make(EXPORT_AT), make(EXPORT_AT), make(EXPORT_AT + timedelta(seconds=2))
    assert first == again
    assert first[0] != later[0]
    assert bundle_name(v).startswith(f"alert-{project['submitted']}-")
