"""Deciding files of posts offline: ``asn-monitor scan`` and ``rules test --data``.

Nothing is stored: posts are read from JSONL, decided with the configured detection, and
written out one JSON object per input post, or scored against labels.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from monitor.collect.postformat import read_posts
from monitor.detect.decider import Decider
from monitor.detect.evaluate import Outcome, Report, score
from monitor.detect.rules_detector import RuleDetector
from monitor.domain import Decision, Post
from monitor.errors import Problem
from monitor.rules.loader import RuleSet
from monitor.rules.registry import Registry

BATCH = 256


@dataclass
class ScanReport:
    posts: int = 0
    flagged: int = 0
    problems: list[Problem] = field(default_factory=list)


def decision_record(post: Post, decision: Decision) -> dict[str, Any]:
    return {
        "id": post.post_id,
        "platform": post.platform,
        "flagged": decision.flagged,
        "category": decision.category,
        "severity": decision.severity,
        "score": decision.score,
        "rules": [m.rule_id for m in decision.matches],
        "scores": decision.scores,
        "stage": decision.stage,
        "route": decision.route,
    }


def _batches(path: Path, problems: list[Problem]) -> Iterator[list[Post]]:
    batch: list[Post] = []
    for _, item in read_posts(path):
        if isinstance(item, Post):
            batch.append(item)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        else:
            problems.extend(item)
    if batch:
        yield batch


def scan_file(decider: Decider, source: Path, out: TextIO) -> ScanReport:
    report = ScanReport()
    for batch in _batches(source, report.problems):
        for post, decision in zip(batch, decider.decide(batch), strict=True):
            out.write(json.dumps(decision_record(post, decision), ensure_ascii=False) + "\n")
            report.posts += 1
            report.flagged += decision.flagged
    return report


def score_file(
    ruleset: RuleSet, registry: Registry, source: Path, labels: dict[tuple[str, str], str] | None
) -> Report:
    decider = Decider([RuleDetector(ruleset, registry)], registry)
    problems: list[Problem] = []
    outcomes = []
    for batch in _batches(source, problems):
        for post, decision in zip(batch, decider.decide(batch), strict=True):
            key = (post.platform, post.post_id)
            outcomes.append(
                Outcome(
                    key,
                    post.text,
                    [m.rule_id for m in decision.matches],
                    decision.category if decision.flagged else None,
                    labels.get(key) if labels is not None else None,
                )
            )
    report = score(outcomes, {r.id: r.category for r in ruleset.rules})
    report.problems = problems
    return report
