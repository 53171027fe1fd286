"""``asn-monitor submit``, run as a user runs it (a subprocess), on SQLite and PostgreSQL.

The detailed tables (URL -> post id, account lookup, evidence files) live in
tests/collect/test_submit.py and tests/store/test_evidence.py."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.store import Store
from monitor.store.models import AuditRow, EvidenceFileRow, PostObservationRow, PostRow
from monitor.watchlist.sync import import_watchlist
from tests.conftest import run_cli, write_lines, write_watchlist

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 32
URL = "https://m.facebook.com/story.php?story_fbid=987654321&id=100001&mibextid=Nif5oz"


@pytest.fixture
def watched(store: Store, tmp_path: Path) -> Store:
    path = write_watchlist(
        tmp_path / "daftar.csv",
        [
            "P01,Budi,,Dinas Pendidikan,,,PNS,facebook,@budi,,,",
            "P01,Budi,,Dinas Pendidikan,,,PNS,instagram,@budi,,,",
        ],
    )
    assert import_watchlist(store, path).problems == []
    return store


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "monitor.yaml", [f"var_dir: {tmp_path / 'var'}"])


def submit(config: Path, database_url: str, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(
        "-c", str(config), "submit", *args, database_url=database_url, env={"MONITOR_ACTOR": "ani"}
    )


def shot(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_submit_then_submit_again(
    watched: Store, database_url: str, tmp_path: Path, config: Path
) -> None:
    png, jpeg = shot(tmp_path, "layar1.png", PNG), shot(tmp_path, "layar2.jpg", JPEG)
    png_sha, jpeg_sha = hashlib.sha256(PNG).hexdigest(), hashlib.sha256(JPEG).hexdigest()
    first = submit(
        config, database_url, URL, "--account", "budi", "--text", "Ayo coblos nomor 2",
        "-s", png, "--posted-at", "2024-10-01T08:00:00+07:00", "--note", "grup WA desa",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "unggahan facebook:987654321 (baru) dari facebook:@budi",
        f"  tangkapan layar {png_sha} (ditambahkan)",
        "  akan diperiksa pada 'asn-monitor run --once' berikutnya",
    ]
    stored = tmp_path / "var" / "evidence" / png_sha[:2] / f"{png_sha}.png"
    assert stored.read_bytes() == PNG

    second = submit(
        config, database_url, URL, "-a", "facebook:@budi", "--text", "Selamat pagi",
        "-s", png, "-s", jpeg,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [
        "unggahan facebook:987654321 (sudah dikenal) dari facebook:@budi",
        f"  tangkapan layar {png_sha} (sudah ada)",
        f"  tangkapan layar {jpeg_sha} (ditambahkan)",
        "  teks berbeda dari yang tersimpan: dicatat sebagai suntingan",
        "  akan diperiksa pada 'asn-monitor run --once' berikutnya",
    ]
    with watched.session() as session:
        [post] = session.scalars(select(PostRow)).all()
        assert (post.text, post.collector) == ("Ayo coblos nomor 2", "manual")
        files = session.scalars(select(EvidenceFileRow).order_by(EvidenceFileRow.id)).all()
        assert [(f.sha256, f.added_by) for f in files] == [(png_sha, "ani"), (jpeg_sha, "ani")]
        assert session.scalars(select(PostObservationRow.text)).all() == ["Selamat pagi"]
        entries = session.scalars(
            select(AuditRow).where(AuditRow.action == "post.submit").order_by(AuditRow.id)
        ).all()
        assert [(a.actor, a.object_id, a.details["screenshots"]) for a in entries] == [
            ("ani", str(post.id), [png_sha]),
            ("ani", str(post.id), [png_sha, jpeg_sha]),
        ]


def test_a_screenshot_without_text_is_flagged_for_a_person(
    watched: Store, database_url: str, tmp_path: Path, config: Path
) -> None:
    result = submit(
        config, database_url, "https://www.instagram.com/reel/C9aBcDeFgHi/", "-a", "budi",
        "--screenshot", shot(tmp_path, "reel.png", PNG),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "unggahan instagram:C9aBcDeFgHi (baru) dari instagram:@budi" in result.stdout
    assert (
        "  tanpa teks: deteksi otomatis tidak dapat menilai; periksa tangkapan layar"
        in result.stdout.splitlines()
    )


def test_the_text_can_come_from_a_file(
    watched: Store, database_url: str, tmp_path: Path, config: Path
) -> None:
    text = tmp_path / "teks.txt"
    text.write_text("\ufeffBaris satu\nbaris dua 🇮🇩\n", encoding="utf-8")
    result = submit(config, database_url, URL, "-a", "budi", "--text-file", str(text))
    assert result.returncode == 0, result.stderr
    with watched.session() as session:
        assert session.scalars(select(PostRow.text)).all() == ["Baris satu\nbaris dua 🇮🇩"]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["-a", "andi", "--text", "x"], 1,
         ["--account: error: akun 'andi' tidak ada di daftar pantauan",
          "'asn-monitor watchlist list'"]),
        (["-a", "instagram:budi", "--text", "x"], 1,
         ["URL ini dari platform facebook", "[platform-mismatch]"]),
        (["-a", "budi"], 1, ["--text: error:", "[no-text]"]),
        (["-a", "budi", "--text", "x", "--posted-at", "2024-10-01 08:00"], 1,
         ["--posted-at: error:", "tanpa zona waktu"]),
        (["-a", "budi", "--text", "x", "-s", "{tmp}/catatan.txt"], 1,
         ["catatan.txt: error: jenis berkas tidak diterima", "PNG, JPEG, WebP, GIF, PDF"]),
        (["-a", "budi", "--text", "x", "--text-file", "{tmp}/teks.txt"], 2,
         ["--text atau --text-file"]),
        (["--text", "x"], 2, ["--account"]),
    ],
    ids=["unknown-account", "platform-mismatch", "no-text", "naive-time", "not-an-image",
         "text-twice", "no-account"],
)  # fmt: skip
def test_bad_submissions(
    watched: Store,
    database_url: str,
    tmp_path: Path,
    config: Path,
    args: list[str],
    code: int,
    words: list[str],
) -> None:
    (tmp_path / "catatan.txt").write_text("bukan gambar")
    (tmp_path / "teks.txt").write_text("teks")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = submit(config, database_url, URL, *args)
    assert result.returncode == code
    for word in words:
        assert word in result.stderr
    with watched.session() as session:
        assert session.scalars(select(PostRow)).all() == []
