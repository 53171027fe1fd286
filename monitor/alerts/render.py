"""Renders digests with Jinja2: HTML with inline CSS (it must survive e-mail clients) and
Markdown. Templates live in ``monitor/alerts/templates``."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.alerts.digest import Digest, label_of, long_date
from monitor.alerts.notifiers.base import Attachment, Message

SEVERITY_COLOURS = {"critical": "#7f1d1d", "high": "#b91c1c", "medium": "#c2410c", "low": "#4b5563"}


def _when(value: datetime) -> str:
    return f"{long_date(value.date())} {value:%H.%M} {value.tzname() or ''}".strip()


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.alerts", "templates"),
        autoescape=select_autoescape(["html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["label"] = lambda code, kind: label_of(kind, code)
    env.filters["when"] = _when
    env.globals["severity_colour"] = lambda code: SEVERITY_COLOURS.get(code, "#4b5563")
    return env


_ENV = _environment()


def render_html(digest: Digest) -> str:
    return _ENV.get_template("digest.html.j2").render(d=digest)


def render_markdown(digest: Digest) -> str:
    return _ENV.get_template("digest.md.j2").render(d=digest)


CSV_COLUMNS = (
    "peringatan", "status", "tingkat", "kategori", "nama", "jenis_pegawai", "jabatan",
    "instansi", "platform", "akun", "url", "diunggah", "muncul", "batas_lapor", "sisa_hari",
    "tahap", "jalur", "aturan", "kelompok", "teks",
)  # fmt: skip


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(digest: Digest) -> str:
    """The new alerts of the digest, one row each (UTF-8 with BOM for spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in sorted(digest.items, key=lambda i: i.alert_id):
        writer.writerow(
            _cell(v)
            for v in (
                item.alert_id,
                label_of("status", item.status),
                label_of("severity", item.severity),
                label_of("category", item.category),
                item.person,
                item.employment,
                item.position,
                item.agency,
                label_of("platform", item.platform),
                item.handle,
                item.post_url,
                f"{item.posted_at:%Y-%m-%d %H:%M %Z}",
                f"{item.raised_at:%Y-%m-%d %H:%M %Z}",
                f"{item.deadline:%Y-%m-%d %H:%M %Z}" if item.deadline else "",
                item.days_left,
                label_of("stage", item.stage) if item.stage else "",
                label_of("route", item.route) if item.route else "",
                "; ".join(f"{r.rule_id} ({r.title})" for r in item.rules),
                item.group_id or "",
                " ".join(item.text.split()),
            )
        )
    return "\ufeff" + buffer.getvalue()


def digest_message(digest: Digest, key: str) -> Message:
    """The digest as one message: plain text, HTML with inline CSS, the CSV attached."""
    subject = f"Ringkasan harian asn-monitor {digest.day_label}: {digest.total} peringatan baru"
    if digest.awaiting:
        subject += f", {len(digest.awaiting)} menunggu tinjauan"
    name = f"peringatan-{digest.day.isoformat()}.csv"
    return Message(
        key=key,
        kind="digest",
        subject=subject,
        text=render_markdown(digest),
        html=render_html(digest),
        attachments=(Attachment(name, "text/csv", render_csv(digest).encode("utf-8")),),
        data={
            "window_start": digest.window_start.isoformat(),
            "window_end": digest.window_end.isoformat(),
            "alerts": digest.total,
            "awaiting": len(digest.awaiting),
            "overdue": digest.overdue,
            "by_severity": digest.count_by("severity"),
        },
    )


def write_digest(digest: Digest, out_dir: Path, *, stem: str | None = None) -> dict[str, Path]:
    """Write ``digest-YYYY-MM-DD.html``, ``.md`` and ``.csv``; each file is replaced
    atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    outputs = (
        ("html", render_html(digest)),
        ("md", render_markdown(digest)),
        ("csv", render_csv(digest)),
    )
    for kind, text in outputs:
        target = out_dir / f"{stem or f'digest-{digest.day.isoformat()}'}.{kind}"
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        written[kind] = target
    return written
