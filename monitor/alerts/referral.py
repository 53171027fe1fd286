"""Referral lists for the day's findings, as CSV a person opens in a spreadsheet.

Neutrality findings (ethics and discipline routes) go to BKN as a recommendation
(``rujukan-bkn-<date>.csv``); criminal ones (money politics, insult, incitement) go to
Sentra Gakkumdu (``rujukan-gakkumdu-<date>.csv``). The files are UTF-8 with a byte-order
mark so that Excel reads the Indonesian text right, and every cell that a spreadsheet
would read as a formula (``= + - @``, tab, carriage return) is prefixed with an
apostrophe (CSV injection: post texts and names are user content).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from monitor.alerts.forma import Finding, FormA
from monitor.alerts.forma_render import write_atomic
from monitor.labels import PLATFORM, ROUTE, STAGE, label

HEADER = (
    "Nomor",
    "Nama",
    "NIP",
    "Jabatan",
    "Instansi",
    "Jenis pegawai",
    "Wilayah",
    "Platform",
    "Akun",
    "URL unggahan",
    "Waktu unggah",
    "Waktu diketahui",
    "Kategori",
    "Dasar hukum",
    "Tahap",
    "Jalur",
    "Ringkasan unggahan",
    "SHA-256 bukti",
    "Pengawas",
    "Waktu konfirmasi",
    "Batas waktu",
)
DESTINATIONS = ("bkn", "gakkumdu")
SUMMARY_LENGTH = 280
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def stamp(value: datetime) -> str:
    """``2024-11-18 19:30 WIB``: sortable, and says its timezone."""
    return f"{value:%Y-%m-%d %H:%M} {value.tzname() or ''}".strip()


def summary(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """The post on one line: whitespace runs (newlines included) become one space, cut to
    ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _evidence(item: Finding) -> str:
    parts = [item.payload_sha256]
    parts.extend(f"{shot.sha256} ({shot.name})" for shot in item.screenshots)
    return "; ".join(parts)


def referral_row(number: int, item: Finding) -> list[str]:
    t = item.terlapor
    cells = [
        str(number),
        t.name,
        t.nip,
        t.position,
        t.agency,
        t.employment,
        t.region,
        label(PLATFORM, item.platform),
        t.handle,
        item.post_url or "",
        stamp(item.posted_at),
        stamp(item.raised_at),
        item.category_label,
        "; ".join(item.legal_basis),
        label(STAGE, item.stage) if item.stage else "",
        label(ROUTE, item.route) if item.route else "",
        summary(item.text),
        _evidence(item),
        item.reviewer,
        stamp(item.reviewed_at),
        stamp(item.deadline),
    ]
    return [safe_cell(c) for c in cells]


def render_referral(findings: Sequence[Finding]) -> bytes:
    """The CSV (header and one row per finding) as UTF-8 bytes with a byte-order mark."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for number, item in enumerate(findings, start=1):
        writer.writerow(referral_row(number, item))
    return buffer.getvalue().encode("utf-8-sig")


def referral_path(out_dir: Path, destination: str, day: date) -> Path:
    return out_dir / f"rujukan-{destination}-{day.isoformat()}.csv"


def write_referrals(form: FormA, out_dir: Path) -> dict[str, tuple[Path, int, str]]:
    """Write both lists (a header-only file when a list is empty, so an old list for the
    same day never lingers); destination -> (path, rows, SHA-256)."""
    written = {}
    for destination in DESTINATIONS:
        findings = form.by_destination(destination)
        target = referral_path(out_dir, destination, form.day)
        digest = write_atomic(target, render_referral(findings))
        written[destination] = (target, len(findings), digest)
    return written
