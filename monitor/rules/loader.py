"""Loads rule files: every problem located, all of them reported, nothing half-loaded."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from monitor.errors import InputError, Problem, YamlError
from monitor.rules.schema import Exception_, Rule, RuleFile
from monitor.yamlfile import YamlDocument, load_yaml, validation_problems


@dataclass(frozen=True)
class Located:
    """Where a rule or exception was written, for problems found after loading."""

    doc: YamlDocument
    loc: tuple[str | int, ...]


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    exceptions: tuple[Exception_, ...]
    files: tuple[Path, ...]
    #: SHA-256 over the files' names and bytes, recorded on every decision.
    version: str
    #: rule or exception id -> where it was written
    where: dict[str, Located]

    @classmethod
    def empty(cls) -> RuleSet:
        return cls((), (), (), hashlib.sha256().hexdigest(), {})


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and ``*.yaml``/``*.yml`` under directories, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            )
        else:
            found.append(path)
    return found


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Load and validate every rule file; raise InputError with all problems if any."""
    files = rule_files(paths)
    problems: list[Problem] = []
    rules: list[Rule] = []
    exceptions: list[Exception_] = []
    where: dict[str, Located] = {}
    digest = hashlib.sha256()
    for path in files:
        try:
            doc = load_yaml(path)
        except YamlError as exc:
            problems.extend(exc.problems)
            continue
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            problems.append(
                doc.problem(
                    (), "berkas aturan harus berisi 'rules:' dan/atau 'exceptions:'", "not-mapping"
                )
            )
            continue
        try:
            parsed = RuleFile.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(validation_problems(doc, exc))
            continue
        items: list[tuple[str, int, Rule | Exception_]] = [
            *(("rules", i, r) for i, r in enumerate(parsed.rules)),
            *(("exceptions", i, e) for i, e in enumerate(parsed.exceptions)),
        ]
        for section, index, item in items:
            loc = (section, index)
            if item.id in where:
                first = where[item.id]
                line = first.doc.position((*first.loc, "id")).line
                problems.append(
                    doc.problem(
                        (*loc, "id"),
                        f"id {item.id!r} ganda (pertama di {first.doc.path}:{line})",
                        "duplicate-id",
                    )
                )
                continue
            where[item.id] = Located(doc, loc)
            if isinstance(item, Rule):
                rules.append(item)
            else:
                exceptions.append(item)
    if problems:
        raise InputError(problems)
    return RuleSet(tuple(rules), tuple(exceptions), tuple(files), digest.hexdigest(), where)
