"""monitor.detect.policy: the most severe match decides; the first rule wins a tie; a post
without matches is not flagged; every decision records what decided it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.detect.policy import decide
from monitor.domain import Match, Post, Span

VERSIONS = {"keywords": "rules:0123456789abcdef"}


def post(post_id: str = "1", platform: str = "x") -> Post:
    return Post(
        platform=platform,
        post_id=post_id,
        author="@budi",
        text="teks",
        created_at=datetime(2024, 10, 1, 1, 0, tzinfo=UTC),
        payload="{}",
    )


def match(
    rule_id: str, severity: str, category: str = "support", post_key: tuple[str, str] = ("x", "1")
) -> Match:
    return Match(
        post_key=post_key,
        rule_id=rule_id,
        title=f"Judul {rule_id}",
        category=category,
        severity=severity,
        spans=(Span(0, 4, "teks"),),
    )


@pytest.mark.parametrize(
    ("severities", "winner"),
    [
        pytest.param(["low"], "r0", id="single"),
        pytest.param(["low", "critical", "high"], "r1", id="most-severe"),
        pytest.param(["medium", "low"], "r0", id="first-is-most-severe"),
        pytest.param(["high", "high"], "r0", id="tie-first-wins"),
        pytest.param(["low", "high", "medium", "high"], "r1", id="tie-after-others"),
        pytest.param(["low", "critical", "critical"], "r1", id="critical-tie"),
        pytest.param(["medium", "unknown"], "r0", id="unknown-severity-ranks-lowest"),
    ],
)
def test_most_severe_match_decides(severities: list[str], winner: str):
    categories = ["support", "attack", "money_politics", "campaign_share"]
    matches = [
        match(f"r{i}", severity, categories[i % len(categories)])
        for i, severity in enumerate(severities)
    ]
    decision = decide(post(), matches, VERSIONS)
    top = next(m for m in matches if m.rule_id == winner)
    assert decision.flagged is True
    assert (decision.category, decision.severity) == (top.category, top.severity)
    assert decision.matches == tuple(matches)  # every match is kept as the explanation


def test_no_match_is_not_flagged():
    decision = decide(post(), [], VERSIONS)
    assert decision.flagged is False
    assert (decision.category, decision.severity, decision.score) == (None, None, None)
    assert decision.matches == ()
    assert decision.post_key == ("x", "1")
    assert decision.versions == VERSIONS


def test_only_the_posts_own_matches_count():
    mine = match("mine", "low", post_key=("x", "1"))
    other_post = match("other", "critical", "money_politics", post_key=("x", "2"))
    other_platform = match("fb", "critical", "attack", post_key=("facebook", "1"))
    decision = decide(post("1"), [other_post, mine, other_platform], VERSIONS)
    assert decision.flagged is True
    assert (decision.category, decision.severity) == ("support", "low")
    assert decision.matches == (mine,)

    nothing = decide(post("3"), [mine, other_post], VERSIONS)
    assert nothing.flagged is False
    assert nothing.matches == ()


def test_versions_are_recorded():
    versions = {"keywords": "rules:aaaa", "classifier": "model:bbbb"}
    decision = decide(post(), [match("r", "high")], versions)
    assert decision.versions == versions
    assert decision.scores == {}
    assert decision.post_key == ("x", "1")
