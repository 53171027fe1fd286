"""``asn-monitor collectors`` and ``asn-monitor coverage``."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from monitor import plugins
from monitor.cli.context import Context, fail
from monitor.errors import ConfigError, PluginError
from monitor.labels import BREAKER, COVERAGE, ERROR_KIND, PLATFORM, label
from monitor.store.models import utcnow


def _when(value: datetime | None, ctx: Context) -> str:
    if value is None:
        return "-"
    return value.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H.%M")


@click.command("collectors")
@click.pass_obj
def collectors_cmd(ctx: Context) -> None:
    """Tampilkan pengumpul yang terpasang dan keadaan pengumpul dalam konfigurasi:
    berjalan, dihentikan sementara (pemutus sirkuit), atau rusak di hulu."""
    from monitor.service.components import build_collectors
    from monitor.service.coverage import coverage_report

    click.echo("Pengumpul terpasang:")
    for plugin in plugins.available("collectors"):
        try:
            summary = getattr(plugins.load("collectors", plugin.name), "summary", "")
        except PluginError as exc:
            summary = f"GAGAL DIMUAT: {exc}"
        click.echo(f"  {plugin.name:<10} {summary}")
    settings, doc = ctx.loaded
    if not settings.collectors:
        click.echo("Konfigurasi belum memasang pengumpul (bagian 'collectors:').")
        return
    try:
        collectors = build_collectors(settings, doc)
    except ConfigError as exc:
        ctx.guard(exc)
    report = coverage_report(ctx.store, settings, collectors, now=utcnow())
    click.echo("Pengumpul dalam konfigurasi (24 jam terakhir):")
    for c in report.collectors:
        info = c.info
        if not info.enabled:
            click.echo(f"  {info.instance:<18} ({info.type}) dimatikan (enabled: false)")
            continue
        state = "RUSAK" if info.broken else label(BREAKER, c.breaker)
        line = (
            f"  {info.instance:<18} ({info.type}) {state}; {c.accounts} akun; "
            f"{c.polls} pemeriksaan, {c.failed_polls} gagal; terakhir {_when(c.last_poll_at, ctx)}"
        )
        if info.billed:
            line += f"; {c.reads} unggahan dibaca"
            if c.cost is not None:
                line += f" (perkiraan US${c.cost:,.2f})"
        click.echo(line)
        if info.broken:
            click.echo(f"      {info.broken}")
        elif c.breaker != "closed":
            click.echo(f"      sampai {_when(c.open_until, ctx)}: {c.reason}")


@click.command("coverage")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(sorted(COVERAGE)),
    help="Hanya akun dengan keadaan ini (boleh diulang).",
)
@click.option("--days", type=click.IntRange(1, 365), default=1, help="Jendela hitungan (hari).")
@click.pass_obj
def coverage_cmd(ctx: Context, statuses: tuple[str, ...], days: int) -> None:
    """Cakupan pemantauan per akun: pemeriksaan berhasil terakhir, unggahan terakhir,
    galat terakhir, dan akun yang sepi, tidak terjangkau, atau tanpa pengumpul."""
    from monitor.service.components import build_collectors
    from monitor.service.coverage import coverage_report

    settings, doc = ctx.loaded
    try:
        collectors = build_collectors(settings, doc)
    except ConfigError as exc:
        ctx.guard(exc)
    now = utcnow()
    report = coverage_report(
        ctx.store, settings, collectors, now=now, since=now - timedelta(days=days)
    )
    if not report.accounts:
        fail("daftar pantauan kosong: impor dengan 'asn-monitor watchlist import'")
    shown = [a for a in report.accounts if not statuses or a.status in statuses]
    for a in shown:
        who = f"{label(PLATFORM, a.platform)} {a.handle}"
        click.echo(f"{who:<32} {label(COVERAGE, a.status)}")
        click.echo(
            f"    {a.person} ({a.agency or '-'}); pengumpul: {', '.join(a.collectors) or '-'}; "
            f"berhasil terakhir {_when(a.last_success_at, ctx)}; "
            f"unggahan terakhir {_when(a.last_post_at, ctx)}"
        )
        if a.last_error and a.failures:
            kind = label(ERROR_KIND, a.last_error_kind)
            click.echo(f"    {a.failures}x gagal berturut-turut ({kind}): {a.last_error}")
    counts = ", ".join(
        f"{report.count(s)} {label(COVERAGE, s)}" for s in COVERAGE if report.count(s)
    )
    click.echo(
        f"{len(report.accounts)} akun: {counts}; {report.checked} berhasil diperiksa "
        f"dalam {days} hari terakhir"
    )
    for c in report.stopped_collectors:
        click.echo(
            f"pengumpul {c.info.instance} ({c.info.type}) berhenti: {c.info.broken or c.reason}",
            err=True,
        )


def register(cli: click.Group) -> None:
    cli.add_command(collectors_cmd)
    cli.add_command(coverage_cmd)
