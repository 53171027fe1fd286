"""``asn-monitor rules check|test|explain``: the analyst's tools for rule files."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.context import Context, echo_problems, fail
from monitor.errors import InputError


def _paths(ctx: Context, paths: tuple[Path, ...]) -> list[Path]:
    return list(paths) if paths else ctx.settings.rule_paths


def _registry(ctx: Context, candidates: tuple[Path, ...]):  # type: ignore[no-untyped-def]
    from monitor.rules.registry import Registry, load_registry

    paths = list(candidates) or ctx.settings.candidate_paths
    if not paths:
        return Registry.empty()
    try:
        return load_registry(paths)
    except InputError as exc:
        ctx.guard(exc)


_candidates_option = click.option(
    "--candidates",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Registri pasangan calon (bawaan: dari konfigurasi). Boleh berulang.",
)


@click.group("rules")
def rules_group() -> None:
    """Berkas aturan: periksa, uji, dan jelaskan."""


@rules_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Peringatan juga membuat gagal (kode keluar 2).")
@_candidates_option
@click.pass_obj
def check(
    ctx: Context, paths: tuple[Path, ...], strict: bool, candidates: tuple[Path, ...]
) -> None:
    """Periksa berkas aturan; setiap masalah sebagai berkas:baris:kolom: tingkat: pesan [kode].

    Keluar 0 bila bersih, 1 bila ada galat, 2 bila hanya ada peringatan dan --strict."""
    from monitor.rules.check import check_rules

    registry = _registry(ctx, candidates)
    report = check_rules(_paths(ctx, paths), registry=registry if registry.elections else None)
    for problem in report.problems:
        click.echo(str(problem))
    if report.errors:
        fail(f"{len(report.errors)} galat, {len(report.warnings)} peringatan")
    ruleset = report.ruleset
    assert ruleset is not None
    click.echo(
        f"{len(ruleset.files)} berkas, {len(ruleset.rules)} aturan, "
        f"{len(ruleset.exceptions)} pengecualian: {len(report.warnings)} peringatan"
    )
    if strict and report.warnings:
        raise SystemExit(2)


@rules_group.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Unggahan JSONL untuk diuji.",
)
@click.option(
    "--labels",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Label JSONL: {platform, id, label}.",
)
@click.option(
    "--show",
    type=click.Choice(["hits", "missed", "false"]),
    help="Tampilkan unggahan: yang kena, yang terlewat, atau positif palsu.",
)
@click.option(
    "--limit", default=20, show_default=True, help="Berapa unggahan ditampilkan dengan --show."
)
@_candidates_option
@click.pass_obj
def test(
    ctx: Context,
    paths: tuple[Path, ...],
    data: Path | None,
    labels: Path | None,
    show: str | None,
    limit: int,
    candidates: tuple[Path, ...],
) -> None:
    """Jalankan contoh di setiap aturan; dengan --data, hitung kena per aturan, dan dengan
    --labels juga presisi dan recall per aturan dan per kategori."""
    from monitor.cli.rules_report import print_report
    from monitor.detect.evaluate import read_labels
    from monitor.rules.check import check_rules
    from monitor.service.scanning import score_file

    report = check_rules(_paths(ctx, paths))
    failures = [p for p in report.problems if p.code == "example-failed"]
    others = [p for p in report.errors if p.code != "example-failed"]
    if others:
        echo_problems(others)
        fail(f"{len(others)} galat di berkas aturan")
    ruleset = report.ruleset
    assert ruleset is not None
    examples = sum(len(r.examples.match) + len(r.examples.no_match) for r in ruleset.rules)
    examples += sum(len(e.examples.match) + len(e.examples.no_match) for e in ruleset.exceptions)
    for problem in failures:
        click.echo(str(problem))
    click.echo(f"contoh: {examples - len(failures)} lulus, {len(failures)} gagal")
    if data is None:
        raise SystemExit(1 if failures else 0)
    try:
        truth = read_labels(labels) if labels else None
        scored = score_file(ruleset, _registry(ctx, candidates), data, truth)
    except InputError as exc:
        ctx.guard(exc)
    print_report(scored, ruleset, show=show, limit=limit, labelled=truth is not None)
    raise SystemExit(1 if failures else 0)


@rules_group.command("explain")
@click.argument("text")
@click.option("--shared-from", help="Akun atau URL yang dibagikan ulang.")
@click.option("--region", help="Wilayah penulis (untuk memilih pemilihan yang berlaku).")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@_candidates_option
@click.pass_obj
def explain(
    ctx: Context,
    text: str,
    shared_from: str | None,
    region: str | None,
    paths: tuple[Path, ...],
    candidates: tuple[Path, ...],
) -> None:
    """Tampilkan teks yang sudah dinormalisasi, rujukan pasangan calon, dan aturan yang cocok."""
    from monitor.cli.rules_report import print_explanation
    from monitor.detect.rules_detector import RuleDetector
    from monitor.rules.check import example_registry
    from monitor.rules.loader import load_rules

    try:
        ruleset = load_rules(_paths(ctx, paths))
    except InputError as exc:
        ctx.guard(exc)
    registry = _registry(ctx, candidates)
    if not registry.elections:
        registry = example_registry()
        click.echo("(tanpa registri di konfigurasi: memakai registri contoh Kabupaten Sukamaju)")
    detector = RuleDetector(ruleset, registry)
    print_explanation(detector.evaluate(text, shared_from=shared_from, region=region), registry)


def register(cli: click.Group) -> None:
    cli.add_command(rules_group)
