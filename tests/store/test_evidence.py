"""monitor.store.evidence: screenshots kept content-addressed, read-only, and verifiable.

Runs on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import hashlib
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.domain import Post
from monitor.errors import InputError
from monitor.store import Store
from monitor.store.evidence import (
    evidence_files,
    inspect_file,
    sniff_media_type,
    store_evidence_file,
    verify_evidence,
)
from monitor.store.models import EvidenceFileRow, PostRow
from monitor.store.posts import store_posts

T0 = datetime(2024, 10, 1, 1, 0, tzinfo=UTC)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x02" * 40
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x03" * 20
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"4 0 obj" * 5


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
        (GIF, "image/gif"),
        (b"GIF87a" + b"\x00" * 10, "image/gif"),
        (PDF, "application/pdf"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # a WAV is RIFF too, not WebP
        (b"<html><body>tangkapan</body></html>", None),
        (b"PK\x03\x04" + b"\x00" * 20, None),  # a zip (docx, xlsx)
        (b"\x89PNG", None),  # cut short
        (b"", None),
    ],
    ids=["png", "jpeg", "webp", "gif89a", "gif87a", "pdf", "wav", "html", "zip", "short", "empty"],
)
def test_media_type_is_sniffed_from_magic_bytes(head: bytes, media_type: str | None) -> None:
    assert sniff_media_type(head[:16]) == media_type


@pytest.mark.parametrize(
    ("name", "content", "media_type", "ext"),
    [
        ("layar.png", PNG, "image/png", ".png"),
        ("foto.JPG", JPEG, "image/jpeg", ".jpg"),
        ("tanpa-ekstensi", WEBP, "image/webp", ".webp"),
        ("animasi.gif", GIF, "image/gif", ".gif"),
        ("cetak.pdf", PDF, "application/pdf", ".pdf"),
        ("salah-nama.pdf", PNG, "image/png", ".png"),  # the bytes decide, not the name
    ],
    ids=["png", "jpeg", "webp-no-ext", "gif", "pdf", "misnamed"],
)
def test_inspect_hashes_and_types_a_file(
    tmp_path: Path, name: str, content: bytes, media_type: str, ext: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    file = inspect_file(path)
    sha = hashlib.sha256(content).hexdigest()
    assert (file.sha256, file.size, file.media_type) == (sha, len(content), media_type)
    assert file.relative_path == f"{sha[:2]}/{sha}{ext}"


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        ("missing", "not-found", "tidak ditemukan"),
        ("directory", "not-found", "bukan berkas"),
        ("text", "bad-media-type", "PNG, JPEG, WebP, GIF, PDF"),
        ("empty", "bad-media-type", "tidak diterima"),
    ],
    ids=["missing", "directory", "text-file", "empty-file"],
)
def test_inspect_refuses_what_is_not_evidence(
    tmp_path: Path, make: str, code: str, words: str
) -> None:
    path = tmp_path / "bukti"
    if make == "directory":
        path.mkdir()
    elif make == "text":
        path.write_text("bukan gambar")
    elif make == "empty":
        path.write_bytes(b"")
    with pytest.raises(InputError) as caught:
        inspect_file(path)
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == (str(path), code)
    assert words in problem.message


def make_post_row(store: Store, post_id: str = "1") -> int:
    post = Post("x", post_id, "@budi", "teks", T0, payload=f'{{"id": "{post_id}"}}')
    with store.session() as session:
        store_posts(session, [post], collector="t", collector_version="t/1", account_ids={}, now=T0)
        row_id = session.scalar(select(PostRow.id).where(PostRow.post_id == post_id))
    assert row_id is not None
    return row_id


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_a_file_is_stored_content_addressed_and_read_only(store: Store, tmp_path: Path) -> None:
    post = make_post_row(store)
    source = write(tmp_path / "layar.png", PNG)
    evidence = tmp_path / "var" / "evidence"
    with store.session() as session:
        row = store_evidence_file(session, post, source, evidence, added_by="pemantau-1", now=T0)
    sha = hashlib.sha256(PNG).hexdigest()
    target = evidence / sha[:2] / f"{sha}.png"
    assert target.read_bytes() == PNG
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp file left
    assert (row.post_id, row.kind, row.path, row.sha256, row.size) == (
        post,
        "screenshot",
        f"{sha[:2]}/{sha}.png",
        sha,
        len(PNG),
    )
    assert (row.media_type, row.original_name, row.added_by) == (
        "image/png",
        "layar.png",
        "pemantau-1",
    )
    assert row.added_at == T0
    with store.session() as session:
        assert [r.sha256 for r in evidence_files(session, post)] == [sha]


def test_the_same_content_is_stored_once_per_post_and_once_on_disk(
    store: Store, tmp_path: Path
) -> None:
    first, second = make_post_row(store, "1"), make_post_row(store, "2")
    evidence = tmp_path / "evidence"
    a = write(tmp_path / "a.png", PNG)
    copy = write(tmp_path / "salinan.png", PNG)
    other = write(tmp_path / "b.jpg", JPEG)
    with store.session() as session:
        one = store_evidence_file(session, first, a, evidence)
        again = store_evidence_file(session, first, copy, evidence)  # same bytes, other name
        store_evidence_file(session, first, other, evidence)
        store_evidence_file(session, second, a, evidence)  # one file, two posts
        assert again.id == one.id
        assert again.original_name == "a.png"
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(EvidenceFileRow)) == 3
        assert [r.media_type for r in evidence_files(session, first)] == [
            "image/png",
            "image/jpeg",
        ]
    assert sorted(p.name for p in evidence.rglob("*") if p.is_file()) == sorted(
        [f"{hashlib.sha256(PNG).hexdigest()}.png", f"{hashlib.sha256(JPEG).hexdigest()}.jpg"]
    )


def test_a_refused_file_stores_nothing(store: Store, tmp_path: Path) -> None:
    post = make_post_row(store)
    evidence = tmp_path / "evidence"
    with pytest.raises(InputError), store.session() as session:
        store_evidence_file(session, post, write(tmp_path / "x.txt", b"halo"), evidence)
    assert not evidence.exists()
    with store.session() as session:
        assert evidence_files(session, post) == []


def test_verify_reports_missing_and_altered_files(store: Store, tmp_path: Path) -> None:
    post = make_post_row(store)
    evidence = tmp_path / "evidence"
    with store.session() as session:
        rows = [
            store_evidence_file(session, post, write(tmp_path / n, c), evidence)
            for n, c in [("a.png", PNG), ("b.jpg", JPEG), ("c.pdf", PDF)]
        ]
        assert verify_evidence(session, evidence) == []
    png, jpeg, _ = (evidence / r.path for r in rows)
    png.chmod(0o644)
    png.write_bytes(PNG + b"diubah")  # tampered
    jpeg.unlink()  # gone
    with store.session() as session:
        problems = verify_evidence(session, evidence)
    assert [(p.path, p.code) for p in problems] == [
        (str(png), "evidence-altered"),
        (str(jpeg), "evidence-missing"),
    ]
    assert hashlib.sha256(PNG + b"diubah").hexdigest() in problems[0].message
    assert "'b.jpg'" in problems[1].message


def test_storing_again_restores_a_tampered_copy(store: Store, tmp_path: Path) -> None:
    post = make_post_row(store)
    evidence = tmp_path / "evidence"
    source = write(tmp_path / "a.png", PNG)
    with store.session() as session:
        row = store_evidence_file(session, post, source, evidence)
    target = evidence / row.path
    target.chmod(0o644)
    target.write_bytes(b"palsu")
    with store.session() as session:
        store_evidence_file(session, post, source, evidence)
        assert verify_evidence(session, evidence) == []
    assert target.read_bytes() == PNG
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
