"""``asn-monitor config check|show``."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from monitor.cli.context import Context, echo_problems, fail
from monitor.errors import ConfigError, Problem
from monitor.settings import load_settings


@click.group("config")
def config_group() -> None:
    """Periksa dan tampilkan konfigurasi."""


@config_group.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.pass_obj
def check(ctx: Context, file: str | None) -> None:
    """Periksa berkas konfigurasi; setiap masalah dicetak sebagai path:baris:kolom."""
    from monitor.service.components import build_collectors

    path = Path(file) if file else ctx.config_path
    if path is None:
        click.echo("tidak ada berkas konfigurasi: memakai nilai bawaan")
    problems: list[Problem] = []
    try:
        settings, doc = load_settings(path)
    except ConfigError as exc:
        echo_problems(exc.problems)
        fail(f"{path}: {len(exc.errors)} galat")
    try:
        build_collectors(settings, doc)
    except ConfigError as exc:
        problems.extend(exc.problems)
    for section, paths in (
        ("rules", settings.rules.paths),
        ("candidates", settings.candidates.paths),
    ):
        for index, raw in enumerate(paths):
            if not settings.resolve(raw).exists():
                message = f"{settings.resolve(raw)} tidak ditemukan"
                if doc is not None:
                    problems.append(doc.problem((section, "paths", index), message, "missing-path"))
                else:
                    problems.append(Problem(str(path or "<bawaan>"), 0, 0, message, "missing-path"))
    if problems:
        echo_problems(problems)
        fail(f"{path}: {len(problems)} galat")
    click.echo(
        f"{path or 'konfigurasi bawaan'}: baik ({len(settings.collectors)} pengumpul, basis data {settings.database_url.split('://')[0]})"
    )


@config_group.command("show")
@click.pass_obj
def show(ctx: Context) -> None:
    """Tampilkan konfigurasi yang berlaku, dengan nilai bawaan dan jalur lengkap."""
    settings = ctx.settings
    data = settings.model_dump(mode="json")
    data["database"]["url"] = ctx.store.safe_url if settings.database_url else None
    click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).rstrip())


def register(cli: click.Group) -> None:
    cli.add_command(config_group)
