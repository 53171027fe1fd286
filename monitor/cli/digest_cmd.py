"""``asn-monitor digest``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.context import Context, fail
from monitor.errors import ConfigError
from monitor.store.coverage import Coverage

if TYPE_CHECKING:
    from monitor.alerts.digest import Digest
    from monitor.service.notifying import DeliveryReport
from monitor.store.models import utcnow


@click.command("digest")
@click.option(
    "--date",
    "day",
    help="Tanggal ringkasan, YYYY-MM-DD (bawaan: hari ini menurut zona waktu pemilihan).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder keluaran (bawaan: var/digests).",
)
@click.option(
    "--send",
    is_flag=True,
    help="Kirim ringkasan terjadwal yang jatuh tempo: seluruh waktu sejak ringkasan terakhir "
    "yang dikirim, lewat notifier yang dikonfigurasi (tidak pernah dua kali).",
)
@click.option(
    "--notify",
    is_flag=True,
    help="Kirim juga ringkasan tanggal ini lewat notifier ringkasan (sekali per tanggal).",
)
@click.option("--now", "now_text", hidden=True, help="Anggap sekarang waktu ini (ISO 8601).")
@click.pass_obj
def digest_cmd(
    ctx: Context,
    day: str | None,
    out: Path | None,
    send: bool,
    notify: bool,
    now_text: str | None,
) -> None:
    """Tulis ringkasan harian (HTML, Markdown, CSV): peringatan yang muncul pada tanggal itu,
    dikelompokkan per instansi. Dengan --send: kirim ringkasan terjadwal (jendela sejak
    ringkasan terakhir yang dikirim)."""
    from monitor.alerts.digest import build_daily_digest, today
    from monitor.alerts.render import write_digest
    from monitor.store.alerts import record_digest
    from monitor.store.audit import audit

    settings = ctx.settings
    now = parse_now(now_text)
    if send:
        if day or out or notify:
            fail("--send tidak dipakai bersama --date, --out atau --notify", code=2)
        _send(ctx, now)
        return
    if day is None:
        target = today(now, settings.tz)
    else:
        try:
            target = date.fromisoformat(day)
        except ValueError:
            fail(f"--date {day!r} bukan tanggal YYYY-MM-DD")
    report = _coverage(ctx, target)
    digest = build_daily_digest(ctx.store, target, settings.tz, now=now, coverage=report)
    written = write_digest(digest, out or settings.digest_dir)
    with ctx.store.session() as session:
        record_digest(
            session,
            kind="daily",
            window_start=digest.window_start,
            window_end=digest.window_end,
            alert_count=digest.total,
            outputs={k: str(v) for k, v in written.items()},
            now=now,
        )
        audit(
            session,
            "digest.write",
            object_type="digest",
            object_id=target.isoformat(),
            details={"alerts": digest.total, "files": [str(p) for p in written.values()]},
        )
    click.echo(
        f"ringkasan {target.isoformat()}: {digest.total} peringatan "
        f"dari {len(digest.groups)} instansi"
    )
    for path in written.values():
        click.echo(str(path))
    if notify:
        _notify(ctx, digest, now)


def _notify(ctx: Context, digest: Digest, now: datetime) -> None:
    """Queue the day's digest once per notifier (key by date) and deliver it."""
    from monitor.alerts.render import digest_message
    from monitor.service.notifying import build_notifiers, chosen, deliver
    from monitor.store.outbox import enqueue

    settings, doc = ctx.loaded
    try:
        notifiers = build_notifiers(settings, doc)
    except ConfigError as exc:
        ctx.guard(exc)
    targets = chosen(settings.digest.notifiers, notifiers)
    if not targets:
        fail("tidak ada notifier aktif untuk ringkasan (bagian 'notifiers:')")
    message = digest_message(digest, f"digest-day:{digest.day.isoformat()}")
    with ctx.store.session() as session:
        queued = [
            name
            for name in targets
            if enqueue(
                session,
                key=f"{message.key}:{name}",
                kind="digest",
                notifier=name,
                subject=message.subject,
                body=message.to_json(),
                now=now,
            )
        ]
    if len(queued) < len(targets):
        skipped = ", ".join(sorted(set(targets) - set(queued)))
        click.echo(f"ringkasan tanggal ini sudah pernah dikirim ke: {skipped}")
    echo_delivery(deliver(ctx.store, notifiers, settings, clock=lambda: max(now, utcnow())))


def parse_now(text: str | None) -> datetime:
    if text is None:
        return utcnow()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--now {text!r} bukan waktu ISO 8601", code=2)
    if value.tzinfo is None:
        fail(f"--now {text!r} harus memakai zona waktu, mis. 2024-11-25T07:00:00+07:00", code=2)
    return value


def _send(ctx: Context, now: datetime) -> None:
    from monitor.alerts.schedule import next_send_time
    from monitor.service.components import build_collectors
    from monitor.service.digests import send_due_digest
    from monitor.service.notifying import build_notifiers, deliver

    settings, doc = ctx.loaded
    try:
        collectors = build_collectors(settings, doc)
        notifiers = build_notifiers(settings, doc)
    except ConfigError as exc:
        ctx.guard(exc)
    outcome = send_due_digest(ctx.store, settings, notifiers, collectors, now=now)
    if outcome is None:
        upcoming = next_send_time(now, settings.digest.time, settings.tz)
        click.echo(
            "ringkasan terakhir sudah dikirim; berikutnya "
            f"{upcoming.astimezone(settings.tz):%Y-%m-%d %H.%M %Z}"
        )
    else:
        d = outcome.digest
        click.echo(
            f"ringkasan {d.window_start:%Y-%m-%d %H.%M} - {d.window_end:%Y-%m-%d %H.%M %Z}: "
            f"{d.total} peringatan baru, {len(d.awaiting)} menunggu tinjauan"
            + (f" ({d.overdue} lewat batas)" if d.overdue else "")
        )
        for path in outcome.files.values():
            click.echo(str(path))
        if not outcome.notifiers:
            click.echo("tidak ada notifier yang aktif: ringkasan hanya ditulis ke berkas")
    report = deliver(ctx.store, notifiers, settings, clock=lambda: max(now, utcnow()))
    echo_delivery(report)


def echo_delivery(report: DeliveryReport) -> None:
    if report.sent:
        click.echo(f"terkirim: {report.sent} pesan")
    for error in report.errors:
        click.echo(f"gagal mengirim: {error}", err=True)
    if report.retrying:
        click.echo(f"{report.retrying} pesan akan dicoba lagi (lihat 'asn-monitor status')")
    if report.failed:
        click.echo(f"{report.failed} pesan gagal permanen (lihat 'asn-monitor status')", err=True)


def _coverage(ctx: Context, day: date) -> Coverage | None:
    """Coverage as of the end of the digest's day (now, for today)."""
    from monitor.alerts.digest import day_window
    from monitor.service.components import build_collectors
    from monitor.service.coverage import coverage_report

    settings, doc = ctx.loaded
    try:
        collectors = build_collectors(settings, doc)
    except ConfigError as exc:
        ctx.guard(exc)
    start, end = day_window(day, settings.tz)
    return coverage_report(ctx.store, settings, collectors, now=min(utcnow(), end), since=start)


def register(cli: click.Group) -> None:
    cli.add_command(digest_cmd)
