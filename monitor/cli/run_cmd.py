"""``asn-monitor run`` (the service) and ``asn-monitor run --once`` (one pass)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.cli.context import Context, echo_problems, fail
from monitor.cli.digest_cmd import echo_delivery
from monitor.errors import ConfigError, DetectError, InputError

if TYPE_CHECKING:
    from monitor.alerts.notifiers.base import Notifier
    from monitor.collect.base import Collector
    from monitor.detect.decider import Decider


@click.command("run")
@click.option(
    "--once",
    is_flag=True,
    help="Satu putaran saja: kumpulkan, simpan, deteksi, buat peringatan, kirim.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Periksa juga akun yang sedang menunggu setelah gagal, dan pulihkan pengumpul "
    "yang dihentikan pemutus sirkuit.",
)
@click.pass_obj
def run_cmd(ctx: Context, once: bool, force: bool) -> None:
    """Jalankan layanan pemantauan: pengumpulan sesuai jadwal tiap akun, deteksi,
    pemberitahuan, ringkasan harian, dan penghapusan data lama, sampai dihentikan (SIGTERM).
    SIGHUP memuat ulang aturan, registri paslon, dan daftar pantauan. Dengan --once: satu
    putaran lalu selesai."""
    from monitor.service.components import build_collectors, decider_from, load_detection
    from monitor.service.notifying import alert_hook, build_notifiers, deliver
    from monitor.service.pipeline import run_once

    settings, doc = ctx.loaded
    try:
        collectors = build_collectors(settings, doc)
        notifiers = build_notifiers(settings, doc)
        ruleset, registry = load_detection(settings)
        if not ruleset.rules:
            fail(f"tidak ada aturan di {', '.join(str(p) for p in settings.rule_paths)}")
        decider = decider_from(settings, ruleset, registry)
    except (ConfigError, InputError, DetectError) as exc:
        ctx.guard(exc)
    if not once:
        if force:
            fail("--force hanya untuk --once", code=2)
        _serve(ctx, collectors, notifiers, decider)
        return
    report = run_once(
        ctx.store,
        collectors,
        decider,
        batch_size=settings.pipeline.batch_size,
        force=force,
        on_alerts=alert_hook(settings, notifiers),
    )
    if report.interrupted_runs:
        click.echo(
            f"{report.interrupted_runs} pengumpulan sebelumnya terputus; "
            "dilanjutkan dari kursor terakhir"
        )
    for c in report.collected:
        echo_problems(c.problems)
        for error in c.errors:
            click.echo(f"{c.instance}: gagal: {error}", err=True)
        if c.stopped:
            click.echo(f"{c.instance}: BERHENTI: {c.stopped}", err=True)
        parts = [
            f"{c.accounts} akun diperiksa",
            f"{c.stored.new} unggahan baru",
            f"{c.stored.seen} sudah ada",
        ]
        parts += [
            text
            for count, text in (
                (c.stored.edited, f"{c.stored.edited} berubah"),
                (c.listing.deleted, f"{c.listing.deleted} dihapus pemiliknya"),
                (c.listing.restored, f"{c.listing.restored} muncul kembali"),
                (c.failed_accounts, f"{c.failed_accounts} akun gagal"),
                (c.backing_off, f"{c.backing_off} akun menunggu setelah gagal"),
                (c.deferred, f"{c.deferred} akun ditunda"),
                (c.reads, f"{c.reads} unggahan dibaca (berbayar)"),
                (len(c.problems), f"{len(c.problems)} baris rusak"),
            )
            if count
        ]
        click.echo(f"{c.instance}: " + ", ".join(parts))
    d = report.detected
    click.echo(f"deteksi: {d.decided} unggahan diputuskan, {d.flagged} peringatan baru")
    if d.edits_decided:
        click.echo(
            f"deteksi suntingan: {d.edits_decided} versi suntingan diputuskan, "
            f"{d.edits_flagged} peringatan baru"
        )
    if notifiers:
        echo_delivery(deliver(ctx.store, notifiers, settings))


def _serve(
    ctx: Context,
    collectors: dict[str, Collector],
    notifiers: dict[str, Notifier],
    decider: Decider,
) -> None:
    from monitor.service.daemon import Daemon
    from monitor.service.retention import purge_job

    Daemon(ctx.store, ctx.settings, collectors, notifiers, decider, purge=purge_job).run()


def register(cli: click.Group) -> None:
    cli.add_command(run_cmd)
