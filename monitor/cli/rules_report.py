"""Printing rule reports and explanations (the CLI is the only place that prints)."""

from __future__ import annotations

import click

from monitor.detect.engine import Evaluation
from monitor.detect.evaluate import Report, Scores
from monitor.labels import CATEGORY
from monitor.rules.loader import RuleSet
from monitor.rules.registry import Registry
from monitor.rules.schema import CATEGORIES


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value * 100:5.1f}%"


def _row(name: str, scores: Scores, hits: int | None = None) -> str:
    count = "" if hits is None else f"{hits:6d} "
    return (
        f"  {name:<40} {count}{_pct(scores.precision)}  {_pct(scores.recall)}  "
        f"{_pct(scores.f1)}  (tp {scores.tp}, fp {scores.fp}, fn {scores.fn})"
    )


def print_report(
    report: Report, ruleset: RuleSet, *, show: str | None, limit: int, labelled: bool
) -> None:
    for problem in report.problems:
        click.echo(str(problem), err=True)
    flagged = sum(1 for o in report.outcomes if o.category is not None)
    click.echo(
        f"\n{report.posts} unggahan, {flagged} ditandai ({flagged / max(report.posts, 1):.1%})"
    )
    click.echo(
        "\nKena per aturan:" if not labelled else "\nPer aturan:        (kena, presisi, -, -)"
    )
    for rule in ruleset.rules:
        hits = report.hits.get(rule.id, 0)
        if labelled:
            click.echo(_row(rule.id, report.rule_scores.get(rule.id, Scores()), hits))
        else:
            click.echo(f"  {rule.id:<40} {hits:6d}")
    if labelled:
        click.echo("\nPer kategori:                              presisi  recall    F1")
        for category in CATEGORIES:
            click.echo(_row(category, report.category_scores[category]))
        click.echo(_row("pelanggaran (semua kategori)", report.violation))
        click.echo("\nTingkat ditandai per label:")
        for label, n in sorted(report.posts_by_label.items()):
            click.echo(
                f"  {label:<20} {report.flagged_by_label[label]:4d} / {n:4d}  "
                f"{_pct(report.flag_rate(label))}"
            )
    if show:
        click.echo(f"\nUnggahan ({show}):")
        shown = 0
        for o in report.outcomes:
            violation = o.label in CATEGORIES
            pick = {
                "hits": o.category is not None,
                "missed": violation and o.category is None,
                "false": o.category is not None and o.label is not None and not violation,
            }[show]
            if pick and shown < limit:
                shown += 1
                text = o.text.replace("\n", " / ")
                click.echo(
                    f"  [{o.key[0]}:{o.key[1]}] label={o.label} "
                    f"aturan={','.join(o.rules) or '-'}\n    {text}"
                )


def print_explanation(evaluation: Evaluation, registry: Registry) -> None:
    scan = evaluation.scan
    click.echo(f"teks asli       : {scan.norm.original}")
    click.echo(f"dinormalisasi   : {scan.norm.text}")
    if scan.shared is not None:
        click.echo(f"dibagikan dari  : {scan.shared.original} -> {scan.shared.text}")
    click.echo("rujukan paslon  :" + ("" if scan.refs else " tidak ada"))
    for ref in scan.refs:
        election = registry.election(ref.election_id)
        pair = election.pair(ref.pair) if election else None
        who = f"{pair.head}/{pair.deputy}" if pair else "?"
        where = "" if ref.where == "text" else " (di shared_from)"
        click.echo(
            f"  - nomor {ref.pair} {who} [{ref.election_id}]: {ref.kind} {ref.text!r}{where}"
        )
    if not evaluation.fired and not evaluation.suppressed:
        click.echo("aturan          : tidak ada yang cocok")
    for fired in evaluation.fired:
        spans = evaluation.spans(fired.hits)
        marked = _mark(scan.norm.original, spans)
        rule = fired.rule
        click.echo(
            f"COCOK {rule.id} [{CATEGORY.get(rule.category, rule.category)}, "
            f"{rule.severity}]: {rule.title}"
        )
        click.echo(f"      {marked}")
    for rule_id, exception_id in evaluation.suppressed:
        click.echo(f"dibungkam {rule_id}: pengecualian {exception_id!r} cocok")


def _mark(text: str, spans: list[tuple[int, int]]) -> str:
    out, cursor = [], 0
    for start, end in spans:
        out.append(text[cursor:start])
        out.append(f"[{text[start:end]}]")
        cursor = end
    out.append(text[cursor:])
    return "".join(out).replace("\n", " / ")
