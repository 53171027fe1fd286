"""``asn-monitor config check|show``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click
import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from monitor.alerts.notifiers.base import Notifier
from monitor.cli.context import Context, echo_problems, fail
from monitor.collect.base import Collector
from monitor.errors import ConfigError, Problem
from monitor.settings import Settings, load_settings, usable_settings
from monitor.yamlfile import YamlDocument


@click.group("config")
def config_group() -> None:
    """Periksa dan tampilkan konfigurasi."""


@config_group.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.pass_obj
def check(ctx: Context, file: str | None) -> None:
    """Periksa berkas konfigurasi; setiap masalah dicetak sebagai path:baris:kolom."""
    from monitor.service.components import build_collectors
    from monitor.service.notifying import build_notifiers

    path = Path(file) if file else ctx.config_path
    name = str(path) if path else "konfigurasi bawaan"
    if path is None:
        click.echo("tidak ada berkas konfigurasi: memakai nilai bawaan")
    problems: list[Problem] = []
    try:
        loaded: tuple[Settings, YamlDocument | None] | None = load_settings(path)
    except ConfigError as exc:
        problems.extend(exc.problems)
        # go on with the valid parts, so that plugin and path problems are reported too
        loaded = usable_settings(path) if path is not None else None
    if loaded is not None:
        settings, doc = loaded
        try:
            collectors = build_collectors(settings, doc)
        except ConfigError as exc:
            problems.extend(exc.problems)
        else:
            problems.extend(_broken(collectors, "collectors", "pengumpul", doc, name))
        try:
            notifiers = build_notifiers(settings, doc)
        except ConfigError as exc:
            problems.extend(exc.problems)
        else:
            problems.extend(_broken(notifiers, "notifiers", "notifier", doc, name))
        problems.extend(_missing_paths(settings, doc, name))
    problems = sorted(dict.fromkeys(problems))
    echo_problems(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    if errors:
        fail(f"{name}: {errors} galat")
    settings = loaded[0] if loaded else Settings()
    warnings = f", {len(problems)} peringatan" if problems else ""
    click.echo(
        f"{name}: baik ({len(settings.collectors)} pengumpul, "
        f"basis data {settings.database_url.split('://')[0]}{warnings})"
    )


def _broken(
    plugins: Mapping[str, Collector | Notifier],
    section: str,
    noun: str,
    doc: YamlDocument | None,
    name: str,
) -> list[Problem]:
    """A collector or notifier that cannot work (broken upstream, a credential missing from
    the environment) is a warning: it stays selectable, and the daemon reports it instead
    of failing in silence."""
    problems = []
    for instance, plugin in plugins.items():
        reason = plugin.broken()
        if reason is None:
            continue
        loc = (section, instance, "type")
        message = f"{noun} {instance}: {reason}"
        code = f"{noun.replace('pengumpul', 'collector')}-broken"
        if doc is not None and loc in doc.values:
            problems.append(doc.problem(loc, message, code, severity="warning"))
        else:
            problems.append(Problem(name, 0, 0, message, code, "warning"))
    return problems


def _missing_paths(settings: Settings, doc: YamlDocument | None, name: str) -> list[Problem]:
    problems: list[Problem] = []
    for section, paths in (
        ("rules", settings.rules.paths),
        ("candidates", settings.candidates.paths),
    ):
        if doc is not None and (section,) in doc.keys and section not in settings.model_fields_set:
            continue  # the section is invalid (reported already): no guessing at its paths
        for index, raw in enumerate(paths):
            resolved = settings.resolve(raw)
            if resolved.exists():
                continue
            loc = (section, "paths", index)
            if doc is not None and loc in doc.values:
                problems.append(doc.problem(loc, f"{resolved} tidak ditemukan", "missing-path"))
            else:  # a default, written nowhere in the file
                message = f"{resolved} tidak ditemukan (nilai bawaan {section}.paths)"
                problems.append(Problem(name, 0, 0, message, "missing-path"))
    return problems


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("://")[0] + "://***"


@config_group.command("show")
@click.pass_obj
def show(ctx: Context) -> None:
    """Tampilkan konfigurasi yang berlaku, dengan nilai bawaan dan jalur lengkap."""
    settings = ctx.settings
    data = settings.model_dump(mode="json")
    data["var_dir"] = str(settings.var_path)
    data["database"]["url"] = _safe_url(settings.database_url)
    data["database"]["auto_upgrade"] = settings.auto_upgrade
    data["rules"]["paths"] = [str(p) for p in settings.rule_paths]
    data["candidates"]["paths"] = [str(p) for p in settings.candidate_paths]
    data["digest"]["out_dir"] = str(settings.digest_dir)
    click.echo(f"# konfigurasi: {settings.source or 'bawaan'}")
    click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).rstrip())


def register(cli: click.Group) -> None:
    cli.add_command(config_group)
