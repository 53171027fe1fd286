"""``asn-monitor form-a``, run as a user runs it (a subprocess), on SQLite and PostgreSQL.

The detailed tables live in tests/alerts/test_forma.py and test_referral.py."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.cli import cli
from monitor.store import Store
from monitor.store.models import AuditRow
from tests.alerts.test_forma import Project, make_confirmable
from tests.conftest import ROOT, CliResult, run_cli

#: Until ``form-a`` is registered in monitor/cli/__init__.py, run the same entry point
#: with the command added (what registration will do).
_LAUNCH = (
    "from monitor.cli import cli, main; from monitor.cli.forma_cmd import register; "
    "'form-a' in cli.commands or register(cli); main()"
)


def form_a(*args: str, database_url: str, cwd: Path, actor: str = "rina") -> CliResult:
    env = {"MONITOR_ACTOR": actor}
    config = str(cwd / "monitor.yaml")
    if "form-a" in cli.commands:
        return run_cli("-c", config, "form-a", *args, database_url=database_url, env=env)
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "MONITOR_DATABASE_URL": database_url, **env}
    full_env.pop("MONITOR_CONFIG", None)
    full_env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", _LAUNCH, "-c", config, "form-a", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=300,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def project(tmp_path: Path, store: Store) -> Project:
    return make_confirmable(tmp_path, store)


def audit_rows(store: Store) -> list[AuditRow]:
    with store.session() as session:
        query = select(AuditRow).where(AuditRow.action.in_(["form_a.write", "referral.write"]))
        return list(session.scalars(query.order_by(AuditRow.id)))


def test_writes_the_draft_and_both_lists_and_audits_them(
    project: Project, database_url: str, tmp_path: Path
) -> None:
    first = project.review("1", at=datetime(2024, 11, 18, 5, 0, tzinfo=UTC))
    second = project.review("2", at=datetime(2024, 11, 18, 6, 0, tzinfo=UTC))
    result = form_a("--date", "2024-11-18", database_url=database_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "var" / "form-a"  # the default: under var_dir
    html = out / "form-a-2024-11-18.html"
    bkn = out / "rujukan-bkn-2024-11-18.csv"
    gakkumdu = out / "rujukan-gakkumdu-2024-11-18.csv"
    assert result.stdout.splitlines() == [
        "Form A 2024-11-18: 2 dugaan pelanggaran dikonfirmasi (1 rujukan BKN, 1 rujukan Gakkumdu)",
        str(html),
        str(bkn),
        str(gakkumdu),
        "DRAF: periksa, lengkapi, dan tandatangani sebelum dipakai.",
    ]
    page = html.read_text(encoding="utf-8")
    assert "DRAF &mdash; diperiksa dan ditandatangani pengawas" in page
    assert "SKB 2022 Lampiran II B" in page  # the basis read from the rule file
    assert "UU 10/2016 Ps. 187A" in page
    for path in (bkn, gakkumdu):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            assert len(list(csv.reader(handle))) == 2  # header and one row

    [draft, to_bkn, to_gakkumdu] = audit_rows(project.store)
    assert (draft.actor, draft.object_type, draft.object_id) == ("rina", "form_a", "2024-11-18")
    assert draft.details["alerts"] == [first, second]
    assert draft.details["sha256"] == hashlib.sha256(html.read_bytes()).hexdigest()
    assert [(r.object_id, r.details["alerts"]) for r in (to_bkn, to_gakkumdu)] == [
        ("bkn:2024-11-18", [first]),
        ("gakkumdu:2024-11-18", [second]),
    ]
    assert to_bkn.details["sha256"] == hashlib.sha256(bkn.read_bytes()).hexdigest()


def test_out_folder_and_an_empty_day(project: Project, database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "laporan"
    result = form_a(
        "--date", "2024-11-19", "--out", str(out), database_url=database_url, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "Form A 2024-11-19: 0 dugaan pelanggaran dikonfirmasi (0 rujukan BKN, 0 rujukan Gakkumdu)"
    )
    page = (out / "form-a-2024-11-19.html").read_text(encoding="utf-8")
    assert "Tidak ada dugaan pelanggaran yang dikonfirmasi pada tanggal ini." in page
    assert len(audit_rows(project.store)) == 3


def test_a_broken_rule_file_falls_back_to_the_default_basis(
    project: Project, database_url: str, tmp_path: Path
) -> None:
    project.review("1")
    rules = tmp_path / "rules" / "rules.yaml"
    rules.write_text("rules:\n  - id: [\n", encoding="utf-8")
    result = form_a("--date", "2024-11-18", database_url=database_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{rules}:" in result.stderr
    assert "peringatan: berkas aturan tidak bisa dimuat" in result.stderr
    page = (tmp_path / "var" / "form-a" / "form-a-2024-11-18.html").read_text(encoding="utf-8")
    assert "dasar hukum bawaan kategori" in page


@pytest.mark.parametrize(
    "bad", ["18-11-2024", "2024-13-01", "kemarin"], ids=["day-first", "month-13", "word"]
)
def test_a_bad_date_is_refused(
    project: Project, database_url: str, tmp_path: Path, bad: str
) -> None:
    result = form_a("--date", bad, database_url=database_url, cwd=tmp_path)
    assert result.returncode == 1
    assert f"galat: --date '{bad}' bukan tanggal YYYY-MM-DD" in result.stderr
    assert audit_rows(project.store) == []
