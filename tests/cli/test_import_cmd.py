"""``asn-monitor import FILE``, run as a user runs it (a subprocess).

Exit code 1 when some lines were malformed, 0 otherwise (warnings about unlisted authors
included); an audit row is written. The detailed tables live in tests/collect."""

from __future__ import annotations

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
