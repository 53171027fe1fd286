"""``asn-monitor status`` and ``asn-monitor deliver``."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from sqlalchemy import func, select

from monitor.cli.context import Context
from monitor.cli.digest_cmd import echo_delivery
from monitor.errors import ConfigError
from monitor.labels import BREAKER, COVERAGE, label
from monitor.store.models import AlertRow, CollectionRunRow, utcnow


def _when(ctx: Context, value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H.%M %Z")


@click.command("status")
@click.pass_obj
def status_cmd(ctx: Context) -> None:
    """Keadaan pemantauan: pengumpulan terakhir dan galatnya, kotak keluar (ringkasan dan
    pemberitahuan yang belum terkirim), ringkasan terakhir, antrean deteksi, peringatan
    menunggu tinjauan, dan cakupan akun."""
    from monitor.alerts.deadline import overdue_cutoff
    from monitor.alerts.schedule import next_send_time
    from monitor.service.components import build_collectors
    from monitor.service.coverage import coverage_report
    from monitor.service.digests import last_sent_end
    from monitor.store.outbox import summary
    from monitor.store.posts import detection_backlog

    settings, doc = ctx.loaded
    try:
        collectors = build_collectors(settings, doc)
    except ConfigError as exc:
        ctx.guard(exc)
    now = utcnow()
    store = ctx.store
    report = coverage_report(store, settings, collectors, now=now)
    click.echo("Pengumpulan (24 jam terakhir):")
    if not report.collectors:
        click.echo("  belum ada pengumpul di konfigurasi")
    for c in report.collectors:
        if not c.info.enabled:
            continue
        state = "RUSAK" if c.info.broken else label(BREAKER, c.breaker)
        click.echo(
            f"  {c.info.instance}: {state}; {c.polls} pemeriksaan, {c.failed_polls} gagal; "
            f"terakhir {_when(ctx, c.last_poll_at)}"
        )
        if c.info.broken or c.breaker != "closed":
            click.echo(f"      {c.info.broken or c.reason}")
    with store.session() as session:
        errors = session.execute(
            select(CollectionRunRow.collector, CollectionRunRow.error)
            .where(
                CollectionRunRow.status != "ok",
                CollectionRunRow.started_at >= now - timedelta(days=1),
                CollectionRunRow.error.is_not(None),
            )
            .order_by(CollectionRunRow.id.desc())
            .limit(5)
        ).all()
        outbox = summary(session)
        waiting_posts, waiting_edits = detection_backlog(session)
        awaiting = session.scalar(
            select(func.count()).select_from(AlertRow).where(AlertRow.status == "new")
        )
        overdue = session.scalar(
            select(func.count())
            .select_from(AlertRow)
            .where(
                AlertRow.status.in_(("new", "confirmed")),
                AlertRow.created_at < overdue_cutoff(now, settings.tz),
            )
        )
    for collector, error in errors:
        click.echo(f"  galat terakhir {collector}: {error}")
    click.echo(
        f"Kotak keluar: {outbox.pending} menunggu, {outbox.sending} sedang dikirim, "
        f"{outbox.sent} terkirim, {outbox.failed} gagal"
    )
    for row in outbox.problems:
        state = (
            "GAGAL" if row.status == "failed" else f"coba lagi {_when(ctx, row.next_attempt_at)}"
        )
        click.echo(f"  [{state}] {row.notifier}: {row.subject} ({row.attempts}x): {row.last_error}")
    last = last_sent_end(store)
    upcoming = next_send_time(now, settings.digest.time, settings.tz)
    click.echo(
        f"Ringkasan: terakhir mencakup sampai {_when(ctx, last)}; berikutnya {_when(ctx, upcoming)}"
    )
    click.echo(
        f"Antrean deteksi: {waiting_posts} unggahan, {waiting_edits} versi suntingan "
        "belum diperiksa"
    )
    click.echo(
        f"Peringatan menunggu tinjauan: {awaiting}"
        + (f" ({overdue} terbuka lewat batas 7 hari)" if overdue else "")
    )
    counts = ", ".join(
        f"{report.count(s)} {label(COVERAGE, s)}" for s in COVERAGE if report.count(s)
    )
    click.echo(f"Cakupan: {len(report.accounts)} akun" + (f": {counts}" if counts else ""))


@click.command("deliver")
@click.pass_obj
def deliver_cmd(ctx: Context) -> None:
    """Kirim isi kotak keluar yang jatuh tempo (ringkasan dan pemberitahuan segera);
    kegagalan dicoba lagi dengan jeda yang makin panjang."""
    from monitor.service.notifying import build_notifiers, deliver

    settings, doc = ctx.loaded
    try:
        notifiers = build_notifiers(settings, doc)
    except ConfigError as exc:
        ctx.guard(exc)
    report = deliver(ctx.store, notifiers, settings)
    echo_delivery(report)
    if not (report.sent or report.errors):
        click.echo("tidak ada pesan yang jatuh tempo")


def register(cli: click.Group) -> None:
    cli.add_command(status_cmd)
    cli.add_command(deliver_cmd)
