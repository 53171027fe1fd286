"""How rule matches and class probabilities combine (detection.policy)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.detect.policy import decide, violation_probability
from monitor.domain import Match, Post
from monitor.settings import PolicySettings

POST = Post("x", "1", "@a", "teks", datetime(2024, 10, 1, tzinfo=UTC), payload="{}")
KEY = ("x", "1")


def match(
    rule: str, category: str, severity: str, *, status: str = "stable", requires_model: bool = False
) -> Match:
    return Match(KEY, rule, rule, category, severity, status=status, requires_model=requires_model)


def probs(violation: float, top: str = "support") -> dict[str, float]:
    """``violation`` spread as ``top`` taking most; the rest political_neutral."""
    rest = {label: 0.0 for label in ("support", "campaign_share", "attack", "money_politics")}
    rest[top] = violation
    return {**rest, "political_neutral": 1.0 - violation, "non_political": 0.0}


STABLE_HIGH = match("support.appeal", "support", "high")
EXPERIMENTAL_LOW = match("support.praise", "support", "low", status="experimental")
NEEDS_MODEL = match("attack.sarcasm", "attack", "medium", requires_model=True)
CRITICAL = match("money.dawn", "money_politics", "critical")

DEFAULT = PolicySettings()
STRICT_SEVERITY = PolicySettings(rule_min_severity="medium")
VETO = PolicySettings(model_veto_threshold=0.2)
NEVER_ALONE = PolicySettings(model_flag_threshold=None)

# (matches, probabilities, policy) -> (flagged, category, severity, rules kept)
CASES = [
    ([STABLE_HIGH], None, DEFAULT, (True, "support", "high", ["support.appeal"])),
    ([EXPERIMENTAL_LOW], None, DEFAULT, (True, "support", "low", ["support.praise"])),
    ([EXPERIMENTAL_LOW], probs(0.1), DEFAULT, (False, None, None, [])),
    ([EXPERIMENTAL_LOW], probs(0.7), DEFAULT, (True, "support", "low", ["support.praise"])),
    ([NEEDS_MODEL], probs(0.49, "attack"), DEFAULT, (False, None, None, [])),
    ([NEEDS_MODEL], probs(0.51, "attack"), DEFAULT, (True, "attack", "medium", ["attack.sarcasm"])),
    ([STABLE_HIGH], probs(0.01), DEFAULT, (True, "support", "high", ["support.appeal"])),
    ([STABLE_HIGH], probs(0.01), VETO, (False, None, None, [])),
    ([CRITICAL], probs(0.01), VETO, (True, "money_politics", "critical", ["money.dawn"])),
    ([EXPERIMENTAL_LOW], None, STRICT_SEVERITY, (False, None, None, [])),
    ([], probs(0.99, "campaign_share"), DEFAULT, (True, "campaign_share", "medium", [])),
    ([], probs(0.96, "campaign_share"), DEFAULT, (False, None, None, [])),
    ([], probs(0.99, "campaign_share"), NEVER_ALONE, (False, None, None, [])),
    (
        [EXPERIMENTAL_LOW, STABLE_HIGH],
        probs(0.1),
        DEFAULT,
        (True, "support", "high", ["support.appeal"]),
    ),
    (
        [STABLE_HIGH, CRITICAL],
        probs(0.9),
        DEFAULT,
        (True, "money_politics", "critical", ["support.appeal", "money.dawn"]),
    ),
]
IDS = [
    "rule-alone", "experimental-without-model-counts", "experimental-model-disagrees",
    "experimental-model-agrees", "requires-model-below", "requires-model-above",
    "stable-rule-ignores-low-model", "veto-drops-non-critical", "veto-keeps-critical",
    "below-min-severity", "model-alone-above-threshold", "model-alone-below-threshold",
    "model-never-alone", "agreement-per-rule", "most-severe-wins",
]  # fmt: skip


@pytest.mark.parametrize(("matches", "probabilities", "policy", "expected"), CASES, ids=IDS)
def test_fusion(
    matches: list[Match],
    probabilities: dict[str, float] | None,
    policy: PolicySettings,
    expected: tuple,
) -> None:  # type: ignore[type-arg]
    decision = decide(POST, matches, {"app": "t"}, None, probabilities, policy)
    flagged, category, severity, kept = expected
    assert (decision.flagged, decision.category, decision.severity) == (flagged, category, severity)
    assert [m.rule_id for m in decision.matches] == kept
    if probabilities is None:
        assert decision.score is None and decision.scores == {}
    else:
        assert decision.score == pytest.approx(violation_probability(probabilities))
        assert decision.scores["violation"] == pytest.approx(decision.score, abs=1e-4)


def test_every_set_aside_rule_and_model_flag_is_explained() -> None:
    decision = decide(POST, [EXPERIMENTAL_LOW], {}, None, probs(0.1), DEFAULT)
    assert decision.notes == ("support.praise: model tidak setuju (P(pelanggaran)=0.10 < 0.50)",)
    alone = decide(POST, [], {}, None, probs(0.99, "attack"), DEFAULT)
    assert alone.notes == ("model: P(pelanggaran)=0.99 >= 0.97, kelas attack",)
