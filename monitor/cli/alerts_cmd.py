"""``asn-monitor alerts list|show|confirm|dismiss|escalate|reopen|export``: the review
of alerts by a person. Every change and every export lands in the alert's history and in
the audit log."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import click

from monitor.alerts.deadline import DEADLINE_BASIS, days_left, deadline, overdue_cutoff
from monitor.alerts.evidence import EvidenceView
from monitor.alerts.lifecycle import (
    ACTION,
    DISMISS_REASONS,
    ESCALATION_TARGETS,
    OPEN_STATUSES,
    STATUSES,
    Change,
    Confirm,
    Dismiss,
    Escalate,
    Reopen,
    Request,
    ReviewError,
)
from monitor.cli.context import Context, fail
from monitor.domain import severity_rank
from monitor.labels import CATEGORY, DAYS, MONTHS, PLATFORM, ROUTE, SEVERITY, STAGE, STATUS, label
from monitor.store.models import AlertRow, utcnow

#: Short category names for the compact table.
CATEGORY_SHORT = {
    "support": "dukungan",
    "campaign_share": "sebar kampanye",
    "attack": "serangan",
    "money_politics": "politik uang",
}
_PAYLOAD_PREVIEW = 600


def _alert_id(text: str) -> int:
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit():
        fail(f"ID peringatan {text!r} bukan angka (lihat 'asn-monitor alerts list')")
    return int(cleaned)


def _refused(error: ReviewError) -> NoReturn:
    if error.field:
        fail(f"peringatan #{error.alert_id}, --{error.field}: {error.reason}")
    fail(str(error))


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return "-"
    return value.astimezone(tz).strftime("%Y-%m-%d %H.%M %Z")


def _clock(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%H.%M %Z")


def _long_day(value: datetime, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    day = local.date()
    return f"{DAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"


def _left(n: int) -> str:
    if n > 0:
        return f"sisa {n} hari"
    return "hari ini" if n == 0 else f"lewat {-n} hari"


@click.group("alerts")
def alerts_group() -> None:
    """Peringatan: tinjau, konfirmasi atau tolak, teruskan, dan ekspor buktinya.

    Perangkat lunak hanya menandai; keputusan ada pada peninjau. Temuan harus diajukan
    paling lambat 7 hari sejak diketahui (UU 10/2016 Ps. 134)."""


@alerts_group.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="STATUS",
    help=f"Hanya status ini ({', '.join(STATUSES)}); boleh diulang.",
)
@click.option(
    "--since", metavar="TANGGAL", help="Hanya yang muncul sejak tanggal ini (YYYY-MM-DD)."
)
@click.option("--agency", metavar="TEKS", help="Hanya instansi yang memuat teks ini.")
@click.option(
    "--severity",
    metavar="TINGKAT",
    help=f"Hanya tingkat ini ke atas ({', '.join(SEVERITY)}).",
)
@click.option(
    "--overdue",
    is_flag=True,
    help="Hanya yang belum selesai (baru/dikonfirmasi) dan sudah lewat tenggat 7 hari.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Paling banyak."
)
@click.pass_obj
def list_(
    ctx: Context,
    statuses: tuple[str, ...],
    since: str | None,
    agency: str | None,
    severity: str | None,
    overdue: bool,
    limit: int,
) -> None:
    """Daftar peringatan, terbaru dulu, dengan sisa hari sampai tenggat."""
    from monitor.store.reviews import AlertFilter, find_alerts

    tz, now = ctx.settings.tz, utcnow()
    for status in statuses:
        if status not in STATUSES:
            fail(f"--status {status!r} tidak dikenal (pilihan: {', '.join(STATUSES)})")
    severities: tuple[str, ...] = ()
    if severity is not None:
        if severity not in SEVERITY:
            fail(f"--severity {severity!r} tidak dikenal (pilihan: {', '.join(SEVERITY)})")
        severities = tuple(s for s in SEVERITY if severity_rank(s) >= severity_rank(severity))
    start = None
    if since is not None:
        try:
            start = datetime.combine(date.fromisoformat(since), time(0), tzinfo=tz)
        except ValueError:
            fail(f"--since {since!r} bukan tanggal YYYY-MM-DD")
    if overdue:
        statuses = tuple(s for s in statuses or OPEN_STATUSES if s in OPEN_STATUSES)
        if not statuses:
            fail("--overdue hanya berlaku untuk status new dan confirmed")
    wanted = AlertFilter(
        statuses=statuses,
        severities=severities,
        since=start,
        raised_before=overdue_cutoff(now, tz) if overdue else None,
        agency=agency,
        limit=limit,
    )
    with ctx.store.session() as session:
        alerts, total = find_alerts(session, wanted)
    if not alerts:
        click.echo("tidak ada peringatan yang cocok")
        return
    rows = [_row(alert, tz, now) for alert in alerts]
    header = (
        "ID",
        "Status",
        "Tingkat",
        "Kategori",
        "Terlapor / instansi",
        "Akun",
        "Muncul",
        "Tenggat",
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [row[0].rjust(widths[0])]
        cells += [c.ljust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        click.echo("  ".join(cells).rstrip())
    more = f" (dari {total}; naikkan --limit untuk melihat semua)" if total > len(alerts) else ""
    click.echo(f"{len(alerts)} peringatan{more}")


def _row(alert: AlertRow, tz: ZoneInfo, now: datetime) -> tuple[str, ...]:
    post = alert.post
    account = post.account
    who = f"{account.person.name} / {account.person.agency or '-'}" if account else "-"
    handle = account.handle if account else post.author
    left = _left(days_left(alert, now, tz)) if alert.status in OPEN_STATUSES else "-"
    return (
        str(alert.id),
        label(STATUS, alert.status),
        label(SEVERITY, alert.severity),
        label(CATEGORY_SHORT, alert.category),
        who,
        f"{post.platform}:{handle}",
        alert.created_at.astimezone(tz).strftime("%Y-%m-%d %H.%M"),
        left,
    )


@alerts_group.command("show")
@click.argument("alert_id", metavar="ID")
@click.option("--full", is_flag=True, help="Tampilkan payload mentah seluruhnya.")
@click.pass_obj
def show(ctx: Context, alert_id: str, full: bool) -> None:
    """Bukti satu peringatan: unggahan, payload dan hashnya, pengamatan berikutnya,
    terlapor, keputusan, tangkapan layar, dan riwayat tinjauan."""
    from monitor.alerts.evidence import build_view

    number = _alert_id(alert_id)
    try:
        with ctx.store.session() as session:
            view = build_view(session, number, evidence_dir=ctx.settings.var_path / "evidence")
    except ReviewError as exc:
        _refused(exc)
    for line in describe(view, ctx.settings.tz, utcnow(), full=full):
        click.echo(line)


def _highlight(text: str, matches: list[dict[str, Any]]) -> str:
    spans: list[tuple[int, int]] = []
    for match in matches:
        for span in match.get("spans") or []:
            spans.append((int(span[0]), int(span[1])))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    for start, end in reversed(merged):
        text = f"{text[:start]}[{text[start:end]}]{text[end:]}"
    return text


def _quote(text: str) -> list[str]:
    return [f"    │ {line}" for line in text.splitlines() or [""]]


def describe(view: EvidenceView, tz: ZoneInfo, now: datetime, *, full: bool = False) -> list[str]:
    """The evidence view as lines of Indonesian text."""
    post, decision, person = view.post, view.decision, view.person
    left = _left(days_left(view.created_at, now, tz))
    lines = [
        f"Peringatan #{view.alert_id}: {label(STATUS, view.status)} ({view.status})",
        f"  kategori     : {label(CATEGORY, view.category)} ({view.category or '-'})",
        f"  tingkat      : {label(SEVERITY, view.severity)}",
        f"  muncul       : {_when(view.created_at, tz)}",
        f"  tenggat      : {_long_day(view.deadline, tz)} pukul {_clock(view.deadline, tz)}"
        + (f" ({left}; {DEADLINE_BASIS})" if view.status in OPEN_STATUSES else ""),
        f"  tahapan/jalur: {label(STAGE, decision.stage)}; {label(ROUTE, decision.route)}",
    ]
    flagged = view.flagged
    if flagged.version == "edited":
        lines.append(
            f"  tentang      : VERSI SUNTINGAN yang terlihat {_when(flagged.observed_at, tz)} "
            f"(pengamatan #{flagged.observation_id}), bukan teks pertama"
        )
    if view.group_id is not None and view.group_id != view.alert_id:
        lines.append(f"  kelompok     : unggahan serupa, peringatan pertama #{view.group_id}")
    if view.reviewer:
        lines.append(f"  peninjau     : {view.reviewer}, {_when(view.reviewed_at, tz)}")
    if view.review_label:
        lines.append(f"  label tinjau : {label(CATEGORY, view.review_label)}")
    if view.dismiss_reason:
        lines.append(f"  alasan tolak : {label(DISMISS_REASONS, view.dismiss_reason)}")
    if view.escalated_to:
        ref = f", surat {view.escalation_ref}" if view.escalation_ref else ""
        target = label(ESCALATION_TARGETS, view.escalated_to)
        lines.append(f"  diteruskan ke: {target}{ref}, {_when(view.escalated_at, tz)}")
    if view.note:
        lines.append(f"  catatan      : {view.note}")
    intact = "cocok" if post.payload_intact else f"TIDAK COCOK (kini {post.payload_sha256_now})"
    lines += [
        "",
        "Unggahan",
        f"  platform     : {label(PLATFORM, post.platform)}, id {post.post_id}",
        f"  URL          : {post.url or '-'}",
        f"  penulis      : {post.author}",
        f"  diunggah     : {_when(post.created_at, tz)}",
        f"  dilihat      : pertama {_when(post.first_seen, tz)}, "
        f"terakhir {_when(post.last_seen, tz)}",
        f"  pengumpul    : {post.collector} {post.collector_version}",
        f"  SHA-256      : {post.payload_sha256} ({intact})",
    ]
    if post.deleted_at is not None:
        lines.append(f"  DIHAPUS      : {_when(post.deleted_at, tz)} (bukti tetap tersimpan)")
    if post.shared_from:
        lines.append(f"  dibagikan dari: {post.shared_from}")
    if flagged.version == "edited":
        lines += [
            f"  teks yang ditandai: versi suntingan yang terlihat {_when(flagged.observed_at, tz)}"
            " (kata yang cocok dalam [ ]):",
            *_quote(_highlight(flagged.text, decision.matches)),
            f"  teks pertama (diambil {_when(post.first_seen, tz)}; bukan yang ditandai):",
            *_quote(post.text),
        ]
    else:
        lines += [
            "  teks (kata yang cocok dalam [ ]):",
            *_quote(_highlight(post.text, decision.matches)),
        ]
    payload = post.payload
    if not full and len(payload) > _PAYLOAD_PREVIEW:
        rest = len(payload) - _PAYLOAD_PREVIEW
        payload = f"{payload[:_PAYLOAD_PREVIEW]}… ({rest} karakter lagi: --full)"
    lines += ["  payload mentah:", *_quote(payload)]
    if view.observations:
        lines += ["", "Pengamatan berikutnya"]
        kinds = {"edited": "disunting", "deleted": "dihapus pemiliknya", "restored": "muncul lagi"}
        for obs in view.observations:
            mark = ", yang ditandai" if obs.id == flagged.observation_id else ""
            lines.append(
                f"  {_when(obs.observed_at, tz)} {label(kinds, obs.kind)} ({obs.collector}{mark})"
            )
            if mark and obs.payload_sha256 is not None:
                intact = "cocok" if obs.payload_intact else "TIDAK COCOK"
                lines.append(f"    SHA-256 {obs.payload_sha256} ({intact})")
            if obs.text is not None:
                lines += _quote(obs.text)
    lines += ["", "Terlapor"]
    if person is None:
        lines.append("  (akun tidak ada di daftar pantauan)")
    else:
        verified = "terverifikasi" if person.verified else "BELUM terverifikasi"
        lines += [
            f"  nama         : {person.name}" + (f", NIP {person.nip}" if person.nip else ""),
            f"  kepegawaian  : {person.employment_label}; {person.position or '-'}",
            f"  instansi     : {person.agency or '-'}; wilayah {person.region or '-'}",
            f"  akun         : {person.platform}:{person.handle} ({verified}) "
            f"{person.account_url or ''}".rstrip(),
        ]
    lines += ["", f"Keputusan ({_when(decision.decided_at, tz)})"]
    for match in decision.matches:
        words = ", ".join(f'"{s[2]}"' for s in match.get("spans", []))
        lines.append(
            f"  aturan {match.get('rule_id')}: {match.get('title')} "
            f"({label(SEVERITY, match.get('severity'))}) kata: {words or '-'}"
        )
    if decision.score is not None:
        lines.append(f"  P(pelanggaran): {decision.score:.3f}")
    if decision.scores:
        scores = ", ".join(f"{k} {float(v):.3f}" for k, v in decision.scores.items())
        lines.append(f"  skor model   : {scores}")
    versions = ", ".join(f"{k} {v}" for k, v in decision.versions.items())
    lines.append(f"  versi        : {versions or '-'}")
    lines += [f"  catatan      : {note}" for note in decision.notes]
    if view.files:
        lines += ["", "Berkas bukti"]
        states = {"ok": "utuh", "missing": "HILANG", "altered": "BERUBAH", "unreadable": "RUSAK"}
        for file in view.files:
            lines.append(
                f"  {file.kind} {file.original_name} ({file.media_type}, {file.size} byte), "
                f"{file.added_by} {_when(file.added_at, tz)}: {label(states, file.state)}"
            )
            lines.append(f"    SHA-256 {file.sha256}; {file.path}")
    lines += ["", "Riwayat"]
    if not view.events:
        lines.append("  (belum ditinjau)")
    for event in view.events:
        step = label(ACTION, event.action)
        if event.to_status is not None:
            step += f" ({label(STATUS, event.from_status)} -> {label(STATUS, event.to_status)})"
        elif event.action == "export" and event.details.get("path"):
            step += f" ({Path(event.details['path']).name})"
        note = f": {event.note}" if event.note else ""
        lines.append(f"  {_when(event.at, tz)} {event.actor}: {step}{note}")
    return lines


def _review(ctx: Context, alert_id: str, request: Request, reviewer: str | None) -> Change:
    from monitor.alerts.lifecycle import review

    number = _alert_id(alert_id)
    try:
        return review(ctx.store, number, request, reviewer=reviewer)
    except ReviewError as exc:
        _refused(exc)


def _done(change: Change, extra: str = "") -> None:
    click.echo(
        f"peringatan #{change.alert_id}: {label(STATUS, change.from_status)} -> "
        f"{label(STATUS, change.to_status)}{extra} oleh {change.actor}"
    )


_reviewer = click.option(
    "--reviewer", metavar="NAMA", help="Nama peninjau (bawaan: $MONITOR_ACTOR atau pengguna OS)."
)
_note = click.option("--note", metavar="TEKS", help="Catatan peninjau.")


@alerts_group.command("confirm")
@click.argument("alert_id", metavar="ID")
@click.option(
    "--category",
    metavar="KATEGORI",
    help=f"Kategori pelanggaran ({', '.join(CATEGORY_SHORT)}); bawaan: kategori peringatan.",
)
@_note
@_reviewer
@click.pass_obj
def confirm(
    ctx: Context, alert_id: str, category: str | None, note: str | None, reviewer: str | None
) -> None:
    """Konfirmasi: unggahan ini dugaan pelanggaran dan bisa menjadi temuan (Form A)."""
    change = _review(ctx, alert_id, Confirm(category=category, note=note), reviewer)
    tz = ctx.settings.tz
    _done(change, f" ({label(CATEGORY, change.values['category'])})")
    if change.raised_at is not None:
        due = deadline(change.raised_at)
        left = _left(days_left(change.raised_at, change.at, tz))
        click.echo(f"tenggat temuan: {_long_day(due, tz)} ({left}; {DEADLINE_BASIS})")


@alerts_group.command("dismiss")
@click.argument("alert_id", metavar="ID")
@click.option(
    "--reason",
    metavar="ALASAN",
    help="Wajib: " + "; ".join(f"{k} ({v})" for k, v in DISMISS_REASONS.items()) + ".",
)
@click.option(
    "--label",
    "review_label",
    metavar="LABEL",
    help="Label unggahan untuk data latih: " + ", ".join(CATEGORY) + ".",
)
@click.option("--note", metavar="TEKS", help="Catatan peninjau (wajib untuk --reason other).")
@_reviewer
@click.pass_obj
def dismiss(
    ctx: Context,
    alert_id: str,
    reason: str | None,
    review_label: str | None,
    note: str | None,
    reviewer: str | None,
) -> None:
    """Tolak: bukan dugaan pelanggaran, atau tidak bisa ditindaklanjuti (dengan alasan)."""
    request = Dismiss(reason=reason or "", label=review_label, note=note)
    change = _review(ctx, alert_id, request, reviewer)
    _done(change, f" ({label(DISMISS_REASONS, change.values['dismiss_reason'])})")


@alerts_group.command("escalate")
@click.argument("alert_id", metavar="ID")
@click.option(
    "--to",
    "target",
    metavar="TUJUAN",
    help="Wajib: " + ", ".join(ESCALATION_TARGETS) + ", atau nama lain.",
)
@click.option("--ref", metavar="NOMOR", help="Nomor surat penerusan.")
@_note
@_reviewer
@click.pass_obj
def escalate(
    ctx: Context,
    alert_id: str,
    target: str | None,
    ref: str | None,
    note: str | None,
    reviewer: str | None,
) -> None:
    """Teruskan peringatan yang sudah dikonfirmasi (ke BKN, Gakkumdu, PPK, atau divisi
    penanganan pelanggaran)."""
    change = _review(ctx, alert_id, Escalate(to=target or "", ref=ref, note=note), reviewer)
    to = label(ESCALATION_TARGETS, change.values["escalated_to"])
    ref_text = (
        f", surat {change.values['escalation_ref']}" if change.values["escalation_ref"] else ""
    )
    _done(change, f" ke {to}{ref_text}")


@alerts_group.command("reopen")
@click.argument("alert_id", metavar="ID")
@click.option("--note", metavar="TEKS", help="Wajib: mengapa keputusan sebelumnya diubah.")
@_reviewer
@click.pass_obj
def reopen(ctx: Context, alert_id: str, note: str | None, reviewer: str | None) -> None:
    """Buka kembali peringatan yang sudah dikonfirmasi atau ditolak (kembali ke Baru)."""
    change = _review(ctx, alert_id, Reopen(note=note or ""), reviewer)
    _done(change)


@alerts_group.command("export")
@click.argument("alert_id", metavar="ID")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder keluaran (bawaan: var/exports).",
)
@click.pass_obj
def export(ctx: Context, alert_id: str, out: Path | None) -> None:
    """Tulis berkas bukti (zip): alert.json, payload asli, pengamatan, tangkapan layar,
    manifest.json dengan SHA-256 setiap berkas, dan README.txt cara memeriksanya."""
    from monitor.alerts.evidence import export_bundle
    from monitor.service.report_files import EXPORTS_DIR

    number = _alert_id(alert_id)
    settings = ctx.settings
    target = out if out is not None else settings.var_path / EXPORTS_DIR
    try:
        bundle = export_bundle(
            ctx.store,
            number,
            target,
            evidence_dir=settings.var_path / "evidence",
            tz=settings.tz,
        )
    except ReviewError as exc:
        _refused(exc)
    except OSError as exc:
        fail(f"{target}: {exc.strerror}")
    for problem in bundle.problems:
        click.echo(f"peringatan: peringatan #{number}: {problem}", err=True)
    click.echo(str(bundle.path))
    click.echo(f"  {len(bundle.files)} berkas; SHA-256 zip {bundle.sha256}")
    click.echo(f"  SHA-256 manifest.json {bundle.manifest_sha256}")


def register(cli: click.Group) -> None:
    cli.add_command(alerts_group)
