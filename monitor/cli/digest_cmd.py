"""``asn-monitor digest``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from monitor.cli.context import Context, fail
from monitor.errors import ConfigError
from monitor.store.coverage import Coverage
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
@click.pass_obj
def digest_cmd(ctx: Context, day: str | None, out: Path | None) -> None:
    """Tulis ringkasan harian (HTML dan Markdown): peringatan yang muncul pada tanggal itu,
    dikelompokkan per instansi."""
    from monitor.alerts.digest import build_daily_digest, today
    from monitor.alerts.render import write_digest
    from monitor.store.alerts import record_digest
    from monitor.store.audit import audit

    settings = ctx.settings
    now = utcnow()
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
