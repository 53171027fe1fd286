"""Referral CSVs (BKN, Gakkumdu): split by route, UTF-8 with a BOM, read back with the csv
module, no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from monitor.alerts.referral import HEADER, safe_cell, stamp, summary, write_referrals
from monitor.store import Store
from monitor.store.evidence import store_evidence_file
from monitor.store.models import AlertRow, PersonRow, PostRow
from tests.alerts.test_forma import PNG, Project, make_confirmable

WIB = ZoneInfo("Asia/Jakarta")
WITA = timezone(timedelta(hours=8), "WITA")


@pytest.fixture
def project(tmp_path: Path, store: Store) -> Project:
    return make_confirmable(tmp_path, store)


def read_back(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert tuple(header) == HEADER
        return [dict(zip(header, row, strict=True)) for row in reader]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+62 812", "'+62 812"),
        ("-1", "'-1"),
        ("@budi", "'@budi"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Budi = Andi", "Budi = Andi"),
        ("", ""),
        ("Dinas Pendidikan", "Dinas Pendidikan"),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "cr", "inner-equals", "empty", "plain"],
)
def test_formula_cells_are_made_text(value: str, expected: str) -> None:
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("baris satu\nbaris dua\r\n\ttiga", "baris satu baris dua tiga"),
        ("a" * 280, "a" * 280),
        ("a" * 281, "a" * 279 + "…"),
        ("  ", ""),
    ],
    ids=["newlines", "exactly-280", "cut", "blank"],
)
def test_summary_is_one_line_of_at_most_280_characters(text: str, expected: str) -> None:
    assert summary(text) == expected
    assert len(summary(text)) <= 280


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 11, 18, 12, 30, tzinfo=UTC), "2024-11-18 12:30 UTC"),
        (datetime(2024, 11, 18, 12, 30, tzinfo=UTC).astimezone(WIB), "2024-11-18 19:30 WIB"),
        (datetime(2024, 11, 18, 8, 0, tzinfo=WITA), "2024-11-18 08:00 WITA"),
    ],
    ids=["utc", "wib", "wita"],
)
def test_times_say_their_zone(value: datetime, expected: str) -> None:
    assert stamp(value) == expected


def test_neutrality_cases_go_to_bkn_and_criminal_ones_to_gakkumdu(
    project: Project, tmp_path: Path
) -> None:
    # rows follow the confirmation time
    first = project.review("1", at=datetime(2024, 11, 18, 5, 0, tzinfo=UTC))
    second = project.review("2", at=datetime(2024, 11, 18, 5, 30, tzinfo=UTC), status="escalated")
    third = project.review("3", at=datetime(2024, 11, 18, 6, 0, tzinfo=UTC))
    with project.store.session() as session:
        person = session.scalars(select(PersonRow).where(PersonRow.name == "Orang 0")).one()
        person.nip = "198305122009011003"
    form = project.form()
    written = write_referrals(form, tmp_path / "out")
    bkn_path, bkn_rows, _ = written["bkn"]
    gakkumdu_path, gakkumdu_rows, _ = written["gakkumdu"]
    assert (bkn_path.name, gakkumdu_path.name) == (
        "rujukan-bkn-2024-11-18.csv",
        "rujukan-gakkumdu-2024-11-18.csv",
    )
    assert (bkn_rows, gakkumdu_rows) == (2, 1)

    [ani, citra] = form.by_destination("bkn")
    assert (ani.alert_id, citra.alert_id) == (first, third)
    bkn = read_back(bkn_path)
    assert [row["Nomor"] for row in bkn] == ["1", "2"]
    assert [row["Nama"] for row in bkn] == ["Orang 0", "Orang 2"]
    row = bkn[0]
    assert row == {
        "Nomor": "1",
        "Nama": "Orang 0",
        "NIP": "19830512 200901 1 003",
        "Jabatan": "Staf",
        "Instansi": "Dinas 0",
        "Jenis pegawai": "PNS",
        "Wilayah": "Kabupaten Sukamaju",
        "Platform": "X (Twitter)",
        "Akun": "'@ani",
        "URL unggahan": "https://x.com/ani/status/1",
        "Waktu unggah": "2024-11-17 19:30 WIB",
        "Waktu diketahui": "2024-11-18 09:00 WIB",
        "Kategori": "Dukungan kepada pasangan calon",
        "Dasar hukum": "; ".join(ani.legal_basis),
        "Tahap": "Masa kampanye",
        "Jalur": "Disiplin (PP 94/2021)",
        "Ringkasan unggahan": "Ayo coblos nomor 2 ya <script>alert('x')</script> baris kedua",
        "SHA-256 bukti": ani.payload_sha256,
        "Pengawas": "Siti Pengawas",
        "Waktu konfirmasi": "2024-11-18 12:00 WIB",
        "Batas waktu": "2024-11-25 09:00 WIB",
    }
    [crime] = read_back(gakkumdu_path)
    assert crime["Nomor"] == "1" and crime["Nama"] == "Orang 1"
    assert crime["Jalur"] == "Pidana pemilihan (Gakkumdu)"
    assert crime["Ringkasan unggahan"].startswith("'=HYPERLINK(")  # CSV injection defused
    assert [f.alert_id for f in form.findings] == [first, second, third]


def test_screenshot_hashes_follow_the_payload_hash(project: Project, tmp_path: Path) -> None:
    project.review("1")
    shot = tmp_path / "layar.png"
    shot.write_bytes(PNG)
    with project.store.session() as session:
        post = session.scalars(select(PostRow).where(PostRow.post_id == "1")).one()
        evidence = store_evidence_file(
            session, post.id, shot, project.settings.var_path / "evidence"
        )
        sha = evidence.sha256
    form = project.form()
    [row] = read_back(write_referrals(form, tmp_path / "out")["bkn"][0])
    assert row["SHA-256 bukti"] == f"{form.findings[0].payload_sha256}; {sha} (layar.png)"


def test_a_day_without_findings_writes_header_only_lists(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    project.review("1")
    write_referrals(project.form(), out)  # an earlier run of the same day
    with project.store.session() as session:
        for alert in session.scalars(select(AlertRow)):
            alert.status = "dismissed"
    written = write_referrals(project.form(), out)
    for destination in ("bkn", "gakkumdu"):
        path, rows, _ = written[destination]
        assert rows == 0
        assert read_back(path) == []
