"""``asn-monitor scan INPUT.jsonl --out OUT.jsonl``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli.context import Context, echo_problems, fail
from monitor.errors import DetectError, InputError


@click.command("scan")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Berkas JSONL keluaran ('-' untuk layar).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Berkas konfigurasi (sama dengan 'asn-monitor -c BERKAS scan ...').",
)
@click.option(
    "--candidates",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Registri pasangan calon (bawaan: dari konfigurasi).",
)
@click.pass_obj
def scan_cmd(
    ctx: Context, source: Path, out: Path, config_path: str | None, candidates: tuple[Path, ...]
) -> None:
    """Putuskan setiap unggahan dalam berkas JSONL tanpa menyimpan apa pun: satu objek JSON
    per unggahan (id, flagged, category, severity, score, rules, scores, stage, route)."""
    from monitor.rules.registry import load_registry
    from monitor.service.components import decider_from, load_detection
    from monitor.service.scanning import scan_file

    if config_path is not None:
        ctx = Context(config_path)
    settings = ctx.settings
    try:
        ruleset, registry = load_detection(settings)
        if candidates:
            registry = load_registry(list(candidates))
        decider = decider_from(settings, ruleset, registry)
    except (InputError, DetectError) as exc:
        ctx.guard(exc)
    if str(out) == "-":
        report = scan_file(decider, source, sys.stdout)
    else:
        tmp = out.with_name(out.name + ".tmp")
        try:
            with tmp.open("w", encoding="utf-8") as handle:
                report = scan_file(decider, source, handle)
            tmp.replace(out)
        except OSError as exc:
            fail(f"{out}: {exc.strerror}")
    echo_problems(report.problems)
    click.echo(
        f"{source}: {report.posts} unggahan, {report.flagged} ditandai, "
        f"{len(report.problems)} baris rusak",
        err=True,
    )
    if report.problems:
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(scan_cmd)
