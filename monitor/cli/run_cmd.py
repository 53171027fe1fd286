"""``asn-monitor run --once``."""

from __future__ import annotations

import click

from monitor.cli.context import Context, echo_problems, fail
from monitor.errors import ConfigError, DetectError, InputError


@click.command("run")
@click.option(
    "--once",
    is_flag=True,
    required=True,
    help="Satu putaran: kumpulkan, simpan, deteksi, buat peringatan.",
)
@click.pass_obj
def run_cmd(ctx: Context, once: bool) -> None:
    """Jalankan alur pemantauan satu kali: kumpulkan unggahan dari semua pengumpul,
    simpan, deteksi pelanggaran, dan buat peringatan."""
    from monitor.service.components import build_collectors, decider_from, load_detection
    from monitor.service.pipeline import run_once

    settings, doc = ctx.loaded
    try:
        collectors = build_collectors(settings, doc)
        ruleset, registry = load_detection(settings)
        if not ruleset.rules:
            fail(f"tidak ada aturan di {', '.join(str(p) for p in settings.rule_paths)}")
        decider = decider_from(settings, ruleset, registry)
    except (ConfigError, InputError, DetectError) as exc:
        ctx.guard(exc)
    report = run_once(ctx.store, collectors, decider, batch_size=settings.pipeline.batch_size)
    if report.interrupted_runs:
        click.echo(
            f"{report.interrupted_runs} pengumpulan sebelumnya terputus; "
            "dilanjutkan dari kursor terakhir"
        )
    for c in report.collected:
        echo_problems(c.problems)
        for error in c.errors:
            click.echo(f"{c.instance}: gagal: {error}", err=True)
        click.echo(
            f"{c.instance}: {c.accounts} akun, {c.stored.new} unggahan baru, "
            f"{c.stored.seen} sudah ada"
            + (f", {c.failed_accounts} akun gagal" if c.failed_accounts else "")
            + (f", {len(c.problems)} baris rusak" if c.problems else "")
        )
    d = report.detected
    click.echo(f"deteksi: {d.decided} unggahan diputuskan, {d.flagged} peringatan baru")


def register(cli: click.Group) -> None:
    cli.add_command(run_cmd)
