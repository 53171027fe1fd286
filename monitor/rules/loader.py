"""Loads rule files: every problem located, all of them reported, nothing half-loaded."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from monitor.errors import InputError, Problem, YamlError
from monitor.rules.model import Rule, RuleFile
from monitor.yamlfile import load_yaml, validation_problems


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    files: tuple[Path, ...]
    #: SHA-256 over the files' bytes, recorded on every decision.
    version: str


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and ``*.yaml``/``*.yml`` under directories, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        else:
            found.append(path)
    return found


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Load and validate every rule file; raise InputError with all problems if any."""
    files = rule_files(paths)
    problems: list[Problem] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    digest = hashlib.sha256()
    for path in files:
        try:
            doc = load_yaml(path)
        except YamlError as exc:
            problems.extend(exc.problems)
            continue
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
        if doc.data is None:
            continue
        try:
            parsed = RuleFile.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(validation_problems(doc, exc))
            continue
        for index, rule in enumerate(parsed.rules):
            where = f"{doc.position(('rules', index, 'id')).line}"
            if rule.id in seen:
                problems.append(
                    doc.problem(
                        ("rules", index, "id"),
                        f"id aturan {rule.id!r} ganda (pertama di {seen[rule.id]})",
                        "duplicate-rule-id",
                    )
                )
                continue
            seen[rule.id] = f"{path}:{where}"
            rules.append(rule)
    if problems:
        raise InputError(problems)
    return RuleSet(tuple(rules), tuple(files), digest.hexdigest())
