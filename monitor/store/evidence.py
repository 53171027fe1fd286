"""Evidence files (a monitor's screenshots), content-addressed under ``<var_dir>/evidence``.

A file is stored once as ``<sha256[:2]>/<sha256><ext>``: copied to a temporary file in
the same folder, synced, made read-only (0o444), then renamed into place (``os.replace``),
so a crash never leaves half a file under a content address. The database row
(``evidence_files``) keeps the hash, size, media type and original name, and is written
in the caller's transaction, beside the post it belongs to. ``verify_evidence`` hashes
every recorded file again and reports the missing and the altered ones.

If the transaction rolls back after a file was written, the file stays: it is named by
its content, so a later submission of the same file reuses it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from loguru import logger
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.errors import InputError, Problem
from monitor.store.audit import current_actor
from monitor.store.models import EvidenceFileRow, utcnow

#: Media types accepted as evidence: (magic bytes at offset 0, media type, extension).
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
EXTENSIONS = {media_type: ext for _, media_type, ext in _MAGIC} | {"image/webp": ".webp"}
ACCEPTED = "PNG, JPEG, WebP, GIF, PDF"
_CHUNK = 1 << 20


def sniff_media_type(head: bytes) -> str | None:
    """The media type told by a file's first bytes (16 are enough), or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for magic, media_type, _ in _MAGIC:
        if head.startswith(magic):
            return media_type
    return None


@dataclass(frozen=True)
class EvidenceFile:
    """A file checked and hashed, not yet stored."""

    source: Path
    sha256: str
    size: int
    media_type: str

    @property
    def relative_path(self) -> str:
        """Where it lives under the evidence folder (POSIX separators, stored in the row)."""
        return f"{self.sha256[:2]}/{self.sha256}{EXTENSIONS[self.media_type]}"


def inspect_file(path: Path) -> EvidenceFile:
    """Check that ``path`` is a readable file of an accepted type and hash it.

    Raises InputError naming the file."""

    def refuse(message: str, code: str) -> InputError:
        return InputError([Problem(str(path), 0, 0, message, code)])

    if not path.is_file():
        message = "bukan berkas" if path.exists() else "berkas tidak ditemukan"
        raise refuse(message, "not-found")
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
            digest.update(head)
            size += len(head)
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise refuse(f"tidak bisa dibaca: {exc.strerror}", "io") from None
    media_type = sniff_media_type(head)
    if media_type is None:
        raise refuse(
            f"jenis berkas tidak diterima sebagai bukti (yang diterima: {ACCEPTED})",
            "bad-media-type",
        )
    return EvidenceFile(path, digest.hexdigest(), size, media_type)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _place(file: EvidenceFile, evidence_dir: Path) -> Path:
    """Copy ``file`` to its content address (atomically); reuse an identical copy."""
    target = evidence_dir / file.relative_path
    if target.is_file():
        if _sha256_of(target) == file.sha256:
            return target
        # the name promises this content: put the right bytes back, and say so
        logger.warning("evidence file {} did not match its hash; rewriting it", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    temp = Path(temp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, file.source.open("rb") as source:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != file.sha256:  # the source changed since it was checked
            raise InputError(
                [Problem(str(file.source), 0, 0, "berkas berubah saat disalin", "changed")]
            )
        temp.chmod(0o444)
        temp.replace(target)  # os.replace: atomic on one file system
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


def store_evidence_file(
    session: Session,
    post_row_id: int,
    source_path: Path | EvidenceFile,
    evidence_dir: Path,
    kind: str = "screenshot",
    added_by: str | None = None,
    now: datetime | None = None,
) -> EvidenceFileRow:
    """Keep ``source_path`` as evidence for the post with row id ``post_row_id``.

    The same content already recorded for this post returns the existing row (the file is
    still checked on disk). ``added_by`` defaults to the current actor."""
    file = source_path if isinstance(source_path, EvidenceFile) else inspect_file(source_path)
    _place(file, evidence_dir)
    existing = session.scalar(
        select(EvidenceFileRow).where(
            EvidenceFileRow.post_id == post_row_id, EvidenceFileRow.sha256 == file.sha256
        )
    )
    if existing is not None:
        return existing
    row = EvidenceFileRow(
        post_id=post_row_id,
        kind=kind,
        path=file.relative_path,
        sha256=file.sha256,
        size=file.size,
        media_type=file.media_type,
        original_name=file.source.name,
        added_at=now or utcnow(),
        added_by=added_by or current_actor(),
    )
    session.add(row)
    session.flush()
    return row


def evidence_files(session: Session, post_row_id: int) -> list[EvidenceFileRow]:
    """The evidence files of one post, in the order they were added."""
    query = (
        select(EvidenceFileRow)
        .where(EvidenceFileRow.post_id == post_row_id)
        .order_by(EvidenceFileRow.id)
    )
    return list(session.scalars(query))


def verify_evidence(session: Session, evidence_dir: Path) -> list[Problem]:
    """Hash every recorded evidence file again: one problem per missing or altered file."""
    problems: list[Problem] = []
    for row in session.scalars(select(EvidenceFileRow).order_by(EvidenceFileRow.id)):
        path = evidence_dir / row.path
        where = f"unggahan #{row.post_id}, {row.kind} {row.original_name!r}"
        if not path.is_file():
            problems.append(
                Problem(str(path), 0, 0, f"berkas bukti hilang ({where})", "evidence-missing")
            )
            continue
        try:
            actual = _sha256_of(path)
        except OSError as exc:
            problems.append(
                Problem(str(path), 0, 0, f"berkas bukti tidak bisa dibaca: {exc.strerror}", "io")
            )
            continue
        if actual != row.sha256:
            problems.append(
                Problem(
                    str(path),
                    0,
                    0,
                    f"berkas bukti berubah: SHA-256 {actual}, tercatat {row.sha256} ({where})",
                    "evidence-altered",
                )
            )
    return problems
