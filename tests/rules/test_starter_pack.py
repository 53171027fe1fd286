"""The starter rule pack in ``rules/`` loads cleanly, and every rule's embedded examples
hold: each ``examples.match`` fires the rule, each ``examples.no_match`` does not."""

from __future__ import annotations

import pytest

from monitor.detect.keywords import KeywordDetector
from monitor.rules.loader import load_rules
from monitor.rules.model import Rule
from tests.conftest import ROOT

PACK = ROOT / "rules"
RULESET = load_rules([PACK])
DETECTOR = KeywordDetector(RULESET)


def fired(text: str) -> dict[str, list[str]]:
    """Rule id -> the words, as written in ``text``, that made it fire."""
    hits = {}
    for rule, spans in DETECTOR.match_text(text):
        for span in spans:
            assert text[span.start : span.end] == span.text
        hits[rule.id] = [span.text for span in spans]
    return hits


def test_pack_loads_cleanly():
    assert len(RULESET.rules) >= 6
    assert {p.name for p in RULESET.files} >= {
        "attack.yaml",
        "campaign_share.yaml",
        "money_politics.yaml",
        "support.yaml",
    }
    assert {r.category for r in RULESET.rules} == {
        "support",
        "campaign_share",
        "attack",
        "money_politics",
    }


@pytest.mark.parametrize("rule", RULESET.rules, ids=lambda r: r.id)
def test_rule_is_documented(rule: Rule):
    assert rule.legal_basis and all(basis.strip() for basis in rule.legal_basis)
    assert rule.false_positives, "name the false positives this rule is known for"
    assert rule.examples.match, "give at least one example that must match"
    assert rule.examples.no_match, "give at least one example that must not match"


MATCH = [
    pytest.param(rule, text, id=f"{rule.id}-{i}")
    for rule in RULESET.rules
    for i, text in enumerate(rule.examples.match)
]
NO_MATCH = [
    pytest.param(rule, text, id=f"{rule.id}-{i}")
    for rule in RULESET.rules
    for i, text in enumerate(rule.examples.no_match)
]


@pytest.mark.parametrize(("rule", "text"), MATCH)
def test_match_example_fires_its_rule(rule: Rule, text: str):
    hits = fired(text)
    assert rule.id in hits, f"{text!r} should fire {rule.id}; fired {sorted(hits)}"
    assert hits[rule.id], "a match shows the words that made it fire"


@pytest.mark.parametrize(("rule", "text"), NO_MATCH)
def test_no_match_example_does_not_fire_its_rule(rule: Rule, text: str):
    hits = fired(text)
    assert rule.id not in hits, f"{text!r} should not fire {rule.id}: {hits.get(rule.id)}"
