"""``asn-monitor import FILE``, run as a user runs it (a subprocess).

Exit code 1 when some lines were malformed, 0 otherwise (warnings about unlisted authors
included); an audit row is written. The detailed tables live in tests/collect."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.store import Store
from monitor.store.models import AuditRow, PostObservationRow, PostRow
from monitor.watchlist.sync import import_watchlist
from tests.conftest import post_line, run_cli, write_lines, write_watchlist

GOOD = [
    post_line("1", "Senin pagi upacara dulu"),
    post_line("2", "Rapat koordinasi", author="@budi.ig", platform="instagram"),
    post_line("3", "Posyandu hari ini", author="@siti", platform="tiktok"),
]


@pytest.fixture
def watched(store: Store, tmp_path: Path) -> Store:
    path = write_watchlist(
        tmp_path / "daftar.csv",
        [
            "P01,Budi,,Dinas Pendidikan,,,PNS,x,@budi,,,",
            "P01,Budi,,Dinas Pendidikan,,,PNS,instagram,@budi.ig,,,",
            "P02,Siti,,Puskesmas,,,PPPK,tiktok,@siti,,,",
        ],
    )
    assert import_watchlist(store, path).problems == []
    return store


def stored(store: Store) -> list[tuple[str, str, int | None]]:
    with store.session() as session:
        rows = session.scalars(select(PostRow).order_by(PostRow.post_id))
        return [(r.post_id, r.text, r.account_id) for r in rows]


def test_a_clean_file_twice(watched: Store, database_url: str, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "posts.jsonl", GOOD)
    first = run_cli("import", str(path), database_url=database_url)
    assert first.returncode == 0
    assert str(path) not in first.stderr  # no problem reported (logs may go to stderr)
    assert first.stdout.strip() == (
        f"{path}: 3 unggahan baru, 0 sudah ada (0 berubah), "
        "0 dari akun di luar daftar pantauan, 0 baris rusak"
    )
    second = run_cli("import", str(path), database_url=database_url)
    assert second.returncode == 0
    assert "0 unggahan baru, 3 sudah ada (0 berubah)" in second.stdout
    assert [post_id for post_id, _, _ in stored(watched)] == ["1", "2", "3"]

    with watched.session() as session:
        rows = session.scalars(select(AuditRow).where(AuditRow.action == "posts.import")).all()
        assert [(r.object_type, r.object_id) for r in rows] == [("file", str(path))] * 2
        assert [(r.details["new"], r.details["seen"]) for r in rows] == [(3, 0), (0, 3)]


def test_malformed_lines_are_reported_by_number_and_exit_1(
    watched: Store, database_url: str, tmp_path: Path
) -> None:
    lines = [
        GOOD[0],
        '{"id": "9", "platform": "x"',  # 2
        post_line("10", "tanpa zona", created_at="2024-10-01T08:00:00"),  # 3
        GOOD[1],
        "",
        '["bukan objek"]',  # 6
        GOOD[2],
    ]
    path = write_lines(tmp_path / "posts.jsonl", lines)
    result = run_cli("import", str(path), database_url=database_url)
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith(str(path))]
    assert [line.split(": error: ")[0] for line in problems] == [
        f"{path}:2:28",
        f"{path}:3",
        f"{path}:6:1",
    ]
    assert problems[0].endswith("[bad-json]")
    assert "created_at" in problems[1]
    assert problems[1].endswith("[bad-post]")
    assert problems[2].endswith("[not-object]")
    assert "3 unggahan baru" in result.stdout
    assert "3 baris rusak" in result.stdout
    assert [post_id for post_id, _, _ in stored(watched)] == ["1", "2", "3"]


def test_unlisted_authors_are_skipped_with_a_warning_unless_included(
    watched: Store, database_url: str, tmp_path: Path
) -> None:
    path = write_lines(
        tmp_path / "posts.jsonl", [GOOD[0], post_line("20", "akun lain", author="@orang_lain")]
    )
    skipped = run_cli("import", str(path), database_url=database_url)
    assert skipped.returncode == 0  # a warning is not a failure
    assert f"{path}:2: warning: " in skipped.stderr
    assert "x:@orang_lain" in skipped.stderr
    assert "[unlisted-author]" in skipped.stderr
    assert "1 dari akun di luar daftar pantauan" in skipped.stdout
    assert [post_id for post_id, _, _ in stored(watched)] == ["1"]

    included = run_cli("import", "--include-unlisted", str(path), database_url=database_url)
    assert included.returncode == 0
    assert str(path) not in included.stderr
    assert "1 unggahan baru, 1 sudah ada" in included.stdout
    assert "0 dari akun di luar daftar pantauan" in included.stdout
    assert stored(watched)[1] == ("20", "akun lain", None)


def test_an_edit_is_counted_and_kept_apart(
    watched: Store, database_url: str, tmp_path: Path
) -> None:
    import_path = write_lines(tmp_path / "v1.jsonl", [post_line("1", "Pilih nomor 2 ya")])
    assert run_cli("import", str(import_path), database_url=database_url).returncode == 0
    edited = write_lines(tmp_path / "v2.jsonl", [post_line("1", "Selamat pagi")])
    result = run_cli("import", str(edited), database_url=database_url)
    assert result.returncode == 0
    assert "0 unggahan baru, 1 sudah ada (1 berubah)" in result.stdout
    assert stored(watched)[0][1] == "Pilih nomor 2 ya"
    with watched.session() as session:
        kinds = session.scalars(select(PostObservationRow.kind)).all()
    assert kinds == ["edited"]


def test_a_missing_file(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "hilang.jsonl"
    result = run_cli("import", str(path), database_url=database_url)
    assert result.returncode == 1
    assert f"{path}: error: berkas tidak ditemukan [not-found]" in result.stderr


def test_a_configuration_file_sets_the_batch_size(
    watched: Store, database_url: str, tmp_path: Path
) -> None:
    config = write_lines(tmp_path / "monitor.yaml", ["pipeline:", "  batch_size: 1"])
    lines = [post_line(str(i), f"unggahan {i}") for i in range(5)]
    path = write_lines(tmp_path / "posts.jsonl", [*lines, "{rusak"])
    result = run_cli("-c", str(config), "import", str(path), database_url=database_url)
    assert result.returncode == 1
    assert f"{path}:6:" in result.stderr
    assert "5 unggahan baru" in result.stdout
    assert len(stored(watched)) == 5


# --- --format csv and --format snscrape ------------------------------------------------

CSV = (
    "\ufeffID Unggahan;Akun;Isi Unggahan;Waktu Unggah\n"
    "11;budi;Rapat koordinasi;01/10/2024 08:00\n"
    "12;budi;jam rusak;32/10/2024 08:00\n"
    "13;budi;Apel pagi;02/10/2024 07:30\n"
)
MAPS = [
    "--map", "id=ID Unggahan", "--map", "author=Akun", "--map", "text=Isi Unggahan",
    "--map", "created_at=Waktu Unggah",
]  # fmt: skip


def created(store: Store) -> dict[str, datetime]:
    with store.session() as session:
        return {r.post_id: r.created_at for r in session.scalars(select(PostRow))}


def test_a_csv_export_with_a_mapping_twice(
    watched: Store, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "ekspor.csv"
    path.write_text(CSV, encoding="utf-8")
    args = ["import", str(path), *MAPS, "--platform", "x", "--date-format", "%d/%m/%Y %H:%M"]
    first = run_cli(*args, database_url=database_url)
    assert first.returncode == 1  # one bad row
    assert (
        f"{path}:3: error: baris 3, kolom \"Waktu Unggah\": waktu '32/10/2024 08:00' "
        "tidak sesuai format %d/%m/%Y %H:%M [bad-date]"
    ) in first.stderr
    assert "2 unggahan baru, 0 sudah ada (0 berubah)" in first.stdout
    assert "1 baris rusak" in first.stdout
    wib = timezone(timedelta(hours=7))
    assert created(watched) == {
        "11": datetime(2024, 10, 1, 8, tzinfo=wib),
        "13": datetime(2024, 10, 2, 7, 30, tzinfo=wib),
    }
    second = run_cli(*args, database_url=database_url)
    assert "0 unggahan baru, 2 sudah ada (0 berubah)" in second.stdout
    assert len(stored(watched)) == 2


def test_a_mapping_file_and_the_configured_timezone(
    watched: Store, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "ekspor.csv"
    path.write_text(CSV.replace("32/10", "03/10"), encoding="utf-8")
    mapping = write_lines(
        tmp_path / "pemetaan.yaml",
        [
            "columns:",
            "  id: ID Unggahan",
            "  author: Akun",
            "  text: Isi Unggahan",
            "  created_at: Waktu Unggah",
            "platform: twitter",
            "date_format: '%d/%m/%Y %H:%M'",
        ],
    )
    config = write_lines(tmp_path / "monitor.yaml", ["timezone: Asia/Jayapura"])
    result = run_cli(
        "-c", str(config), "import", str(path), "--mapping", str(mapping),
        database_url=database_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "3 unggahan baru" in result.stdout
    assert created(watched)["11"] == datetime(2024, 9, 30, 23, tzinfo=UTC)  # 08:00 WIT

    makassar = run_cli(
        "import", str(path), "--mapping", str(mapping), "--map", "id=Isi Unggahan",
        "--timezone", "Asia/Makassar", database_url=database_url,
    )  # fmt: skip
    assert makassar.returncode == 0, makassar.stderr
    assert created(watched)["Rapat koordinasi"] == datetime(2024, 10, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mapping", "args", "where"),
    [
        (["columns:", "  teks: Isi"], [],
         "{tmp}/pemetaan.yaml:2:3: error: kunci 'teks' tidak dikenal"),
        (["platform: myspace"], [],
         "{tmp}/pemetaan.yaml:1:11: error: platform 'myspace' tidak dikenal"),
        (["columns:", "  url: Tautan"], [],
         "{tmp}/ekspor.csv:1: error: kolom 'Tautan' (untuk url) tidak ada di berkas"),
        (None, ["--map", "judul=Isi"], "--map: error: bidang 'judul' tidak dikenal"),
    ],
    ids=["unknown-key", "bad-platform", "missing-column", "unknown-field"],
)  # fmt: skip
def test_mapping_errors_are_located_and_nothing_is_imported(
    watched: Store,
    database_url: str,
    tmp_path: Path,
    mapping: list[str] | None,
    args: list[str],
    where: str,
) -> None:
    path = tmp_path / "ekspor.csv"
    path.write_text(CSV, encoding="utf-8")
    options = [*MAPS, "--platform", "x", *args]
    if mapping is not None:
        options += ["--mapping", str(write_lines(tmp_path / "pemetaan.yaml", mapping))]
    result = run_cli("import", str(path), *options, database_url=database_url)
    assert result.returncode == 1
    assert where.replace("{tmp}", str(tmp_path)) in result.stderr
    assert "masalah ditemukan" in result.stderr
    assert stored(watched) == []


SNSCRAPE = [
    json.dumps(
        {
            "_type": "snscrape.modules.telegram.Channel",
            "username": "budi",
            "title": "Budi",
            "_snscrape": "0.7.0.20230622",
        }
    ),
    json.dumps(
        {
            "_type": "snscrape.modules.twitter.Tweet",
            "url": "https://twitter.com/budi/status/1840000000000000100",
            "date": "2024-10-01T01:00:00+00:00",
            "rawContent": "Upacara hari Kesaktian Pancasila",
            "id": 1840000000000000100,
            "user": {"_type": "snscrape.modules.twitter.User", "username": "budi", "id": 7},
            "_snscrape": "0.7.0.20230622",
        }
    ),
]


def test_a_snscrape_file(watched: Store, database_url: str, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "budi.jsonl", SNSCRAPE)
    result = run_cli("import", "--format", "snscrape", str(path), database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert f"{path}:1:11: warning: catatan snscrape.modules.telegram.Channel" in result.stderr
    assert result.stdout.strip() == (
        f"{path}: 1 unggahan baru, 0 sudah ada (0 berubah), "
        "0 dari akun di luar daftar pantauan, 0 baris rusak, 1 catatan bukan unggahan"
    )
    assert stored(watched)[0][:2] == ("1840000000000000100", "Upacara hari Kesaktian Pancasila")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--format", "snscrape", "--map", "text=Isi"],
         "--map tidak berlaku untuk --format snscrape"),
        (["--format", "post", "--platform", "x"], "--platform tidak berlaku untuk --format post"),
        (["--timezone", "Asia/Makassar"], "--timezone tidak berlaku untuk --format post"),
        (["--format", "json"], "'json' is not one of"),
    ],
    ids=["map-with-snscrape", "platform-with-post", "timezone-with-post", "unknown-format"],
)  # fmt: skip
def test_options_that_do_not_fit_the_format_are_usage_errors(
    database_url: str, tmp_path: Path, args: list[str], words: str
) -> None:
    path = write_lines(tmp_path / "posts.jsonl", GOOD)
    result = run_cli("import", str(path), *args, database_url=database_url)
    assert result.returncode == 2
    assert words in result.stderr
