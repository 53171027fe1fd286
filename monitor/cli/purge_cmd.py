"""``asn-monitor purge [--dry-run]``: delete personal data past its retention now, as the
service does every day at ``retention.time`` (UU 27/2022 Ps. 16(2), 42-44)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError

from monitor.cli.context import Context, fail
from monitor.store.models import utcnow
from monitor.store.retention import Span

_WIDTH = 30


def _day(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d")


def _range(span: Span, what: str, tz: ZoneInfo) -> str:
    if span.oldest is None or span.newest is None:
        return ""
    oldest, newest = _day(span.oldest, tz), _day(span.newest, tz)
    return f"{what} {oldest}" if oldest == newest else f"{what} {oldest} s.d. {newest}"


def _line(name: str, count: int, note: str = "") -> str:
    return f"  {name:<{_WIDTH}} {count:>6}   {note}".rstrip()


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Tampilkan yang akan dihapus; tidak ada yang diubah.")
@click.pass_obj
def purge_cmd(ctx: Context, dry_run: bool) -> None:
    """Hapus data pribadi yang masa retensinya habis, seperti yang dilakukan layanan setiap
    hari pada retention.time.

    \b
    - unggahan tanpa peringatan: retention.posts_days (30) hari setelah pertama dilihat;
    - peringatan yang ditolak: retention.dismissed_days (90) hari setelah ditolak;
    - peringatan dikonfirmasi/diteruskan: setelah dilepas ('asn-monitor release');
    beserta keputusan, pengamatan, tangkapan layar (berkasnya juga, bila tidak dipakai
    unggahan lain), riwayat, pemberitahuan, dan pesan kotak keluarnya;
    - pesan kotak keluar yang terkirim atau gagal: retention.messages_days (30) hari;
    - ringkasan, Formulir A, daftar rujukan, dan berkas bukti (zip) yang ditulis alat ini di
    var/: retention.files_days (30) hari setelah terakhir ditulis.
    Peringatan baru dan log audit tidak pernah dihapus. Setiap pembersihan tercatat di log
    audit."""
    from monitor.service.retention import purge

    settings = ctx.settings
    tz, now = settings.tz, utcnow()
    try:
        report = purge(ctx.store, settings, now=now, dry_run=dry_run)
    except (SQLAlchemyError, OSError) as exc:
        fail(
            f"pembersihan terhenti: {exc}; yang sudah dihapus tetap terhapus, "
            "jalankan lagi untuk menyelesaikannya"
        )
    found, retention = report.survey, settings.retention
    runs_days = (now - report.cutoffs.runs_before).days
    when = now.astimezone(tz).strftime("%Y-%m-%d %H.%M %Z")
    if dry_run:
        click.echo(f"Uji coba pembersihan retensi pada {when}: tidak ada yang dihapus.")
        click.echo("Yang akan dihapus:")
        counts = (
            found.posts.count, found.dismissed.count, found.released.count, found.decisions,
            found.observations, found.evidence_rows, found.files + report.orphans,
            found.alert_events, found.notices, found.outbox, found.runs.count,
            found.messages.count, report.report_files,
        )  # fmt: skip
    else:
        click.echo(f"Pembersihan retensi pada {when}.")
        click.echo("Dihapus:")
        d = report.deleted
        counts = (
            report.posts_without_alert, report.dismissed_alerts, report.released_alerts,
            d.decisions, d.observations, d.evidence_rows, report.files_removed,
            d.alert_events, d.notices, d.outbox, d.collection_runs,
            d.messages, report.reports_removed,
        )  # fmt: skip
    notes = (
        _range(found.posts, "pertama dilihat", tz) + f" (lebih dari {retention.posts_days} hari)",
        _range(found.dismissed, "ditolak", tz) + f" (lebih dari {retention.dismissed_days} hari)",
        _range(found.released, "dilepas", tz),
        "",
        "",
        "",
        f"({report.orphans} tanpa catatan)" if report.orphans else "",
        "",
        "",
        "",
        _range(found.runs, "", tz).strip() + f" (lebih dari {runs_days} hari)",
        _range(found.messages, "ditulis", tz)
        + f" (terkirim/gagal, lebih dari {retention.messages_days} hari)",
        f"ringkasan, Formulir A, berkas bukti (lebih dari {retention.files_days} hari)",
    )
    names = (
        "unggahan tanpa peringatan",
        "peringatan ditolak",
        "peringatan dilepas",
        "keputusan deteksi",
        "pengamatan unggahan",
        "tangkapan layar (catatan)",
        "berkas bukti di var/evidence",
        "riwayat peringatan",
        "pemberitahuan",
        "pesan kotak keluar",
        "riwayat pengumpulan",
        "pesan kotak keluar lama",
        "berkas laporan di var/",
    )
    for name, count, note in zip(names, counts, notes, strict=True):
        click.echo(_line(name, count, note.strip()))
    click.echo("Disimpan:")
    click.echo(
        f"  {found.kept_reviewed} peringatan dikonfirmasi/diteruskan "
        "(sampai dilepas: asn-monitor release ID --note ...)"
    )
    click.echo(f"  {found.awaiting_review} peringatan baru menunggu tinjauan")
    click.echo(
        f"  {found.undecided} unggahan lama (atau suntingannya) yang belum diperiksa deteksi"
    )
    click.echo("  log audit (tidak pernah dihapus)")
    if dry_run:
        return
    click.echo("Tercatat di log audit (retention.purge).")
    if report.files_failed or report.reports_failed:
        fail(
            f"{report.files_failed + report.reports_failed} berkas tidak bisa dihapus "
            "(lihat log); dicoba lagi pada pembersihan berikutnya"
        )


def register(cli: click.Group) -> None:
    cli.add_command(purge_cmd)
