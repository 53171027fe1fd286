"""``asn-monitor rules check``: everything wrong with a set of rule files, located.

Load errors (YAML, unknown keys, bad regex...) come first; when the files load, the
checker also finds unknown candidate references, unknown emoji classes, unknown exception
ids, terms that normalise to nothing, and examples that do not do what they say. Problems
are errors or warnings (a rule without examples); ``--strict`` fails on warnings too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import as_file, files
from pathlib import Path

from monitor.errors import InputError, Problem
from monitor.rules.loader import Located, RuleSet, load_rules
from monitor.rules.registry import Registry, load_registry
from monitor.rules.schema import Example, Exception_, Expr, Rule

Loc = tuple[str | int, ...]


@lru_cache(maxsize=1)
def example_registry() -> Registry:
    """The fictional registry rule examples are written against (Kabupaten Sukamaju)."""
    resource = files("monitor.rules").joinpath("data/example-registry.yaml")
    with as_file(resource) as path:
        return load_registry([Path(path)])


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    ruleset: RuleSet | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def walk(expr: Expr, loc: Loc) -> Iterator[tuple[Loc, Expr | str]]:
    """Every expression and term inside ``expr``, with its key path."""
    yield loc, expr
    for key in ("any", "all", "none"):
        items = getattr(expr, key)
        for i, item in enumerate(items or ()):
            if isinstance(item, Expr):
                yield from walk(item, (*loc, key, i))
            else:
                yield (*loc, key, i), item
    if expr.near is not None:
        for i, item in enumerate(expr.near.all):
            if isinstance(item, Expr):
                yield from walk(item, (*loc, "near", "all", i))
            else:
                yield (*loc, "near", "all", i), item


def _expressions(item: Rule | Exception_) -> Iterator[tuple[Loc, Expr | str]]:
    yield from walk(item.match, ("match",))
    if isinstance(item, Rule) and item.unless is not None:
        yield from walk(item.unless, ("unless",))


def _static_problems(ruleset: RuleSet, registries: list[Registry]) -> list[Problem]:
    from monitor.detect.engine import emoji_classes
    from monitor.detect.normalize import Kind, normalize

    problems: list[Problem] = []
    pairs = {p.number for r in registries for e in r.elections for p in e.pairs}
    classes = emoji_classes()
    exception_ids = {e.id for e in ruleset.exceptions}
    items: list[Rule | Exception_] = [*ruleset.rules, *ruleset.exceptions]
    for item in items:
        where = ruleset.where[item.id]
        for loc, node in _expressions(item):
            full = (*where.loc, *loc)
            if isinstance(node, str):
                if not normalize(node.rstrip("*")).text:
                    problems.append(
                        where.doc.problem(
                            full, f"istilah {node!r} kosong setelah dinormalisasi", "empty-term"
                        )
                    )
                continue
            if (
                node.candidate is not None
                and node.candidate.pair != "any"
                and node.candidate.pair not in pairs
            ):
                problems.append(
                    where.doc.problem(
                        (*full, "candidate"),
                        f"pasangan nomor {node.candidate.pair} tidak ada di registri "
                        f"(nomor yang ada: {', '.join(map(str, sorted(pairs))) or 'tidak ada'})",
                        "unknown-candidate",
                    )
                )
            for i, name in enumerate(node.emoji or ()):
                tokens = normalize(name).tokens
                if name not in classes and not (
                    tokens and all(t.kind is Kind.EMOJI for t in tokens)
                ):
                    problems.append(
                        where.doc.problem(
                            (*full, "emoji", i),
                            f"kelas emoji {name!r} tidak dikenal "
                            f"(kelas: {', '.join(sorted(classes))})",
                            "unknown-emoji-class",
                        )
                    )
        if isinstance(item, Rule):
            for i, name in enumerate(item.ignore_exceptions):
                if name not in exception_ids:
                    problems.append(
                        where.doc.problem(
                            (*where.loc, "ignore_exceptions", i),
                            f"pengecualian {name!r} tidak ada",
                            "unknown-exception",
                        )
                    )
            if not item.examples.match:
                problems.append(
                    where.doc.problem(
                        (*where.loc, "id"),
                        f"aturan {item.id!r} tanpa contoh yang harus cocok (examples.match)",
                        "no-examples",
                        severity="warning",
                    )
                )
    return problems


def _example_problems(ruleset: RuleSet, registry: Registry) -> list[Problem]:
    from monitor.detect.rules_detector import RuleDetector

    detector = RuleDetector(ruleset, registry)
    problems: list[Problem] = []

    def run(example: Example) -> tuple[set[str], dict[str, str]]:
        evaluation = detector.evaluate(
            example.text, shared_from=example.shared_from, region=example.region
        )
        return {f.rule.id for f in evaluation.fired}, dict(evaluation.suppressed)

    for rule in ruleset.rules:
        where = ruleset.where[rule.id]
        for kind in ("match", "no_match"):
            for i, example in enumerate(getattr(rule.examples, kind)):
                fired, suppressed = run(example)
                if kind == "match" and rule.id not in fired:
                    why = (
                        f" (dibungkam pengecualian {suppressed[rule.id]!r})"
                        if rule.id in suppressed
                        else ""
                    )
                    problems.append(
                        _failed(
                            where,
                            ("examples", kind, i),
                            f"contoh harus cocok dengan {rule.id!r} tetapi tidak{why}: "
                            f"{example.text!r}",
                        )
                    )
                elif kind == "no_match" and rule.id in fired:
                    problems.append(
                        _failed(
                            where,
                            ("examples", kind, i),
                            f"contoh tidak boleh cocok dengan {rule.id!r} tetapi cocok: "
                            f"{example.text!r}",
                        )
                    )
    for compiled in detector.engine.exceptions:
        exc = compiled.exception
        where = ruleset.where[exc.id]
        for kind in ("match", "no_match"):
            for i, example in enumerate(getattr(exc.examples, kind)):
                scan = detector.engine.scan(
                    example.text,
                    shared_from=example.shared_from,
                    elections=detector.elections(example.region),
                )
                ok = compiled.node.eval(scan).ok
                if ok != (kind == "match"):
                    verb = "harus" if kind == "match" else "tidak boleh"
                    problems.append(
                        _failed(
                            where,
                            ("examples", kind, i),
                            f"contoh {verb} cocok dengan pengecualian {exc.id!r}: {example.text!r}",
                        )
                    )
    return problems


def _within(where: Located, problem: Problem) -> bool:
    """Whether ``problem`` lies in the rule or exception written at ``where``."""
    start = where.doc.position(where.loc).line
    section, index = where.loc[0], where.loc[1]
    following = (section, int(index) + 1)
    end = where.doc.position(following).line if following in where.doc.values else 10**9
    return start <= problem.line < end


def _failed(where: Located, loc: Loc, message: str) -> Problem:
    return where.doc.problem((*where.loc, *loc), message, "example-failed")


def check_rules(paths: list[Path], *, registry: Registry | None = None) -> CheckReport:
    """Load the rule files and check them; examples run against the example registry."""
    report = CheckReport()
    try:
        ruleset = load_rules(paths)
    except InputError as exc:
        report.problems.extend(exc.problems)
        return report
    report.ruleset = ruleset
    registries = [example_registry()] + ([registry] if registry is not None else [])
    static = _static_problems(ruleset, registries)
    report.problems.extend(static)
    # the examples of every sound rule still run, so one check shows every problem
    broken = {
        item_id
        for problem in static
        if problem.severity == "error"
        for item_id, where in ruleset.where.items()
        if where.doc.path == problem.path and _within(where, problem)
    }
    sound = RuleSet(
        tuple(r for r in ruleset.rules if r.id not in broken),
        tuple(e for e in ruleset.exceptions if e.id not in broken),
        ruleset.files,
        ruleset.version,
        {k: v for k, v in ruleset.where.items() if k not in broken},
    )
    if not any(e.id in broken for e in ruleset.exceptions):
        report.problems.extend(_example_problems(sound, example_registry()))
    report.problems.sort()
    return report
