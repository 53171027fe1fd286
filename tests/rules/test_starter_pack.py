"""The starter rule pack in ``rules/`` passes ``rules check --strict`` (no errors, no
warnings), and every embedded example behaves: each ``examples.match`` fires its rule (or
its exception holds), each ``examples.no_match`` does not. Generic over whatever the pack
holds: the rules themselves are edited by analysts."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.detect.rules_detector import RuleDetector
from monitor.rules.check import check_rules, example_registry
from monitor.rules.loader import RuleSet
from monitor.rules.schema import CATEGORIES, Example, Rule
from tests.conftest import ROOT

PACK = ROOT / "rules"
REPORT = check_rules([PACK])
RULESET = REPORT.ruleset or RuleSet.empty()
DETECTOR = RuleDetector(RULESET, example_registry())


def test_pack_passes_strict_check() -> None:
    assert REPORT.problems == [], "\n".join(str(p) for p in REPORT.problems)
    assert REPORT.ruleset is not None


def test_pack_covers_every_category() -> None:
    assert {r.category for r in RULESET.rules} == set(CATEGORIES)


@pytest.mark.parametrize("rule", RULESET.rules, ids=lambda r: r.id)
def test_rule_is_documented(rule: Rule) -> None:
    assert rule.legal_basis and all(basis.strip() for basis in rule.legal_basis)
    assert rule.false_positives, "name the false positives this rule is known for"
    assert rule.examples.match, "give at least one example that must match"
    assert rule.examples.no_match, "give at least one example that must not match"


def examples(items: Any, kind: str) -> list[Any]:
    return [
        pytest.param(item.id, example, id=f"{item.id}-{i}")
        for item in items
        for i, example in enumerate(getattr(item.examples, kind))
    ]


def fired(example: Example) -> dict[str, list[str]]:
    """Rule id -> the words, as written in the example, that made it fire."""
    evaluation = DETECTOR.evaluate(
        example.text, shared_from=example.shared_from, region=example.region
    )
    return {
        f.rule.id: [example.text[start:end] for start, end in evaluation.spans(f.hits)]
        for f in evaluation.fired
    }


@pytest.mark.parametrize(("rule_id", "example"), examples(RULESET.rules, "match"))
def test_match_example_fires_its_rule(rule_id: str, example: Example) -> None:
    hits = fired(example)
    assert rule_id in hits, f"{example.text!r} should fire {rule_id}; fired {sorted(hits)}"
    if example.shared_from is None:
        assert hits[rule_id], "a match shows the words that made it fire"


@pytest.mark.parametrize(("rule_id", "example"), examples(RULESET.rules, "no_match"))
def test_no_match_example_does_not_fire_its_rule(rule_id: str, example: Example) -> None:
    hits = fired(example)
    assert rule_id not in hits, f"{example.text!r} should not fire {rule_id}: {hits.get(rule_id)}"


def exception_holds(exception_id: str, example: Example) -> bool:
    [compiled] = [c for c in DETECTOR.engine.exceptions if c.exception.id == exception_id]
    scan = DETECTOR.engine.scan(
        example.text,
        shared_from=example.shared_from,
        elections=DETECTOR.elections(example.region),
    )
    return compiled.node.eval(scan).ok


@pytest.mark.parametrize(("exception_id", "example"), examples(RULESET.exceptions, "match"))
def test_exception_match_example_holds(exception_id: str, example: Example) -> None:
    assert exception_holds(exception_id, example), example.text


@pytest.mark.parametrize(("exception_id", "example"), examples(RULESET.exceptions, "no_match"))
def test_exception_no_match_example_does_not_hold(exception_id: str, example: Example) -> None:
    assert not exception_holds(exception_id, example), example.text
