"""``asn-monitor purge [--dry-run]`` and ``asn-monitor release ID --note ...`` as an operator
runs them, in-process under a frozen clock, on alerts the pipeline raised and a reviewer
decided. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from monitor.alerts.lifecycle import Confirm, Dismiss, review
from monitor.cli.context import Context
from monitor.cli.purge_cmd import purge_cmd
from monitor.cli.release_cmd import release_cmd
from monitor.store import Store
from monitor.store.evidence import store_evidence_file
from monitor.store.models import AlertRow, AuditRow, Base, PostRow
from tests.alerts.helpers import T0, raise_alerts

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 40


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def ids(store: Store, tmp_path: Path) -> dict[str, int]:
    """Alerts for posts 1, 2 and 4 raised at T0 (10.00 WIB, 20 November 2024); post 3 (no
    alert) has a screenshot. An hour later 1 is confirmed and 2 dismissed; 4 waits."""
    found = raise_alerts(store, tmp_path)
    review(store, found["1"], Confirm(), reviewer="siti", now=T0 + timedelta(hours=1))
    review(
        store, found["2"], Dismiss(reason="duplicate"), reviewer="siti",
        now=T0 + timedelta(hours=1),
    )  # fmt: skip
    (tmp_path / "layar.jpg").write_bytes(JPEG)
    with store.session() as session:
        post = session.scalars(select(PostRow).where(PostRow.post_id == "3")).one()
        store_evidence_file(
            session, post.id, tmp_path / "layar.jpg", tmp_path / "var" / "evidence", now=T0
        )
    return found


def invoke(tmp_path: Path, database_url: str, command: Any, *args: str, now: datetime) -> Result:
    ctx = Context(str(tmp_path / "monitor.yaml"))
    env = {"MONITOR_DATABASE_URL": database_url, "MONITOR_ACTOR": "andi"}
    with time_machine.travel(now, tick=False):
        return CliRunner().invoke(command, list(args), obj=ctx, env=env)


def snapshot(store: Store, root: Path) -> dict[str, Any]:
    with store.session() as session:
        tables = {
            t.name: session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }
    files = sorted(p.name for p in (root / "var" / "evidence").rglob("*") if p.is_file())
    return {"tables": tables, "files": files}


DRY_RUN_ON_DAY_91 = """\
Uji coba pembersihan retensi pada 2025-02-19 10.00 WIB: tidak ada yang dihapus.
Yang akan dihapus:
  unggahan tanpa peringatan           1   pertama dilihat 2024-11-20 (lebih dari 30 hari)
  peringatan ditolak                  1   ditolak 2024-11-20 (lebih dari 90 hari)
  peringatan dilepas                  0
  keputusan deteksi                   2
  pengamatan unggahan                 0
  tangkapan layar (catatan)           1
  berkas bukti di var/evidence        1
  riwayat peringatan                  1
  pemberitahuan                       0
  pesan kotak keluar                  0
  riwayat pengumpulan                 5   2024-11-20 (lebih dari 90 hari)
  pesan kotak keluar lama             0   (terkirim/gagal, lebih dari 30 hari)
  berkas laporan di var/              1   ringkasan, Formulir A, berkas bukti (lebih dari 30 hari)
Disimpan:
  1 peringatan dikonfirmasi/diteruskan (sampai dilepas: asn-monitor release ID --note ...)
  1 peringatan baru menunggu tinjauan
  0 unggahan lama (atau suntingannya) yang belum diperiksa deteksi
  log audit (tidak pernah dihapus)
"""


def test_a_dry_run_prints_what_would_go_and_changes_nothing(
    store: Store, database_url: str, tmp_path: Path, ids: dict[str, int]
) -> None:
    digest = tmp_path / "var" / "digests" / "digest-2024-11-20.html"
    digest.parent.mkdir(parents=True)
    digest.write_text("<p>Budi</p>", encoding="utf-8")
    os.utime(digest, (T0.timestamp(), T0.timestamp()))
    before = snapshot(store, tmp_path)
    result = invoke(tmp_path, database_url, purge_cmd, "--dry-run", now=day(91))
    assert result.exit_code == 0, result.output
    assert result.stdout == DRY_RUN_ON_DAY_91
    assert snapshot(store, tmp_path) == before


def test_a_purge_deletes_says_what_and_is_audited(
    store: Store, database_url: str, tmp_path: Path, ids: dict[str, int]
) -> None:
    result = invoke(tmp_path, database_url, purge_cmd, now=day(91))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Pembersihan retensi pada 2025-02-19 10.00 WIB.", "Dihapus:"]
    assert lines[2:4] == [
        "  unggahan tanpa peringatan           1   pertama dilihat 2024-11-20 (lebih dari 30 hari)",
        "  peringatan ditolak                  1   ditolak 2024-11-20 (lebih dari 90 hari)",
    ]
    assert lines[-1] == "Tercatat di log audit (retention.purge)."
    with store.session() as session:
        assert set(session.scalars(select(PostRow.post_id))) == {"1", "4"}
        (entry,) = session.scalars(select(AuditRow).where(AuditRow.action == "retention.purge"))
    assert (entry.actor, entry.details["posts"], entry.details["files_removed"]) == ("andi", 2, 1)
    assert snapshot(store, tmp_path)["files"] == []

    again = invoke(tmp_path, database_url, purge_cmd, "--dry-run", now=day(91))
    assert again.stdout.splitlines()[2] == (
        "  unggahan tanpa peringatan           0   (lebih dari 30 hari)"
    )


def test_a_released_alert_goes_at_the_next_purge(
    store: Store, database_url: str, tmp_path: Path, ids: dict[str, int]
) -> None:
    one = str(ids["1"])
    result = invoke(
        tmp_path, database_url, release_cmd, one, "--note", "perkara selesai", now=day(10)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"peringatan #{one} (Dikonfirmasi) dilepas oleh andi",
        "bukti, unggahan, dan tangkapan layarnya dihapus pada pembersihan berikutnya "
        "(setiap hari pukul 03:00 WIB, atau 'asn-monitor purge')",
    ]
    dry = invoke(tmp_path, database_url, purge_cmd, "--dry-run", now=day(10))
    assert "  peringatan dilepas                  1   dilepas 2024-11-30" in dry.stdout
    assert "  0 peringatan dikonfirmasi/diteruskan" in dry.stdout
    invoke(tmp_path, database_url, purge_cmd, now=day(10))
    with store.session() as session:
        assert set(session.scalars(select(AlertRow.id))) == {ids["2"], ids["4"]}
        actions = list(session.scalars(select(AuditRow.action).order_by(AuditRow.id)))
    assert actions[-2:] == ["alert.release", "retention.purge"]


@pytest.mark.parametrize(
    ("post", "args", "message"),
    [
        ("4", ["--note", "selesai"], "berstatus Baru (new), tidak bisa dilepas (belum ditinjau"),
        ("2", ["--note", "selesai"], "berstatus Ditolak (dismissed), tidak bisa dilepas"),
        ("1", [], "--note: catatan wajib diisi"),
        ("1", ["--note", "ok", "--reviewer", "x" * 201], "--reviewer: nama peninjau lebih dari"),
    ],
    ids=["new", "dismissed", "no-note", "long-reviewer"],
)
def test_a_release_is_refused_in_indonesian(
    store: Store,
    database_url: str,
    tmp_path: Path,
    ids: dict[str, int],
    post: str,
    args: list[str],
    message: str,
) -> None:
    alert_id = ids[post]
    result = invoke(tmp_path, database_url, release_cmd, str(alert_id), *args, now=day(10))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"galat: peringatan #{alert_id}")
    assert message in result.stderr
    assert result.stdout == ""


def test_release_needs_a_number(database_url: str, tmp_path: Path, ids: dict[str, int]) -> None:
    result = invoke(tmp_path, database_url, release_cmd, "satu", "--note", "x", now=day(10))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "galat: ID peringatan 'satu' bukan angka (lihat 'asn-monitor alerts list')"
    )
    unknown = invoke(tmp_path, database_url, release_cmd, "#999", "--note", "x", now=day(10))
    assert (unknown.exit_code, unknown.stderr.strip()) == (
        1,
        "galat: peringatan #999: tidak ditemukan",
    )
