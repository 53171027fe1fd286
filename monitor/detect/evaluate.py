"""Measuring rules against labelled posts: hits per rule, precision per rule, and
precision/recall per category, so an analyst sees precision move while editing.

Labels are one JSON object per line: ``{"platform", "id", "label"}``; a label is a
violation category (support, campaign_share, attack, money_politics) or
political_neutral / non_political.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from monitor.errors import InputError, Problem
from monitor.model.labels import LABELS
from monitor.rules.schema import CATEGORIES


def read_labels(path: Path) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], str] = {}
    problems: list[Problem] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            key = (str(record["platform"]), str(record["id"]))
            label = str(record["label"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            problems.append(
                Problem(str(path), lineno, 0, f"baris label tidak valid: {exc}", "bad-label")
            )
            continue
        if label not in LABELS:
            problems.append(
                Problem(
                    str(path),
                    lineno,
                    0,
                    f"label {label!r} tidak dikenal (pilihan: {', '.join(LABELS)})",
                    "bad-label",
                )
            )
            continue
        labels[key] = label
    if problems:
        raise InputError(problems)
    return labels


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else None


@dataclass
class Outcome:
    key: tuple[str, str]
    text: str
    rules: list[str]
    category: str | None  # the decision's category (None: not flagged)
    label: str | None


@dataclass
class Report:
    posts: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    rule_scores: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    category_scores: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    violation: Scores = field(default_factory=Scores)
    flagged_by_label: Counter[str] = field(default_factory=Counter)
    posts_by_label: Counter[str] = field(default_factory=Counter)
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def flag_rate(self, label: str) -> float | None:
        n = self.posts_by_label[label]
        return self.flagged_by_label[label] / n if n else None


def score(outcomes: Iterable[Outcome], rule_categories: dict[str, str]) -> Report:
    """Per rule: a hit on a post labelled with the rule's category is a true positive.
    Per category: the decision's category against the label. ``violation``: flagged or
    not against any violation label."""
    report = Report()
    for outcome in outcomes:
        report.posts += 1
        report.outcomes.append(outcome)
        for rule_id in outcome.rules:
            report.hits[rule_id] += 1
        if outcome.label is None:
            continue
        report.posts_by_label[outcome.label] += 1
        if outcome.category is not None:
            report.flagged_by_label[outcome.label] += 1
        for rule_id in outcome.rules:
            scores = report.rule_scores[rule_id]
            if outcome.label == rule_categories.get(rule_id):
                scores.tp += 1
            else:
                scores.fp += 1
        for category in CATEGORIES:
            scores = report.category_scores[category]
            predicted, actual = outcome.category == category, outcome.label == category
            scores.tp += predicted and actual
            scores.fp += predicted and not actual
            scores.fn += actual and not predicted
        is_violation = outcome.label in CATEGORIES
        flagged = outcome.category is not None
        report.violation.tp += flagged and is_violation
        report.violation.fp += flagged and not is_violation
        report.violation.fn += is_violation and not flagged
    return report
