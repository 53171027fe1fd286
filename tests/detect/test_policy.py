"""monitor.detect.policy and monitor.detect.decider: the most severe match decides; the
first rule wins a tie; a post without matches is not flagged; every decision records what
decided it and, with a candidate registry, the election stage and the route it implies
(ethics before candidates are named, discipline after, criminal for money politics and for
rules marked criminal, at any stage)."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import pytest

from monitor import __version__
from monitor.detect.decider import Decider
from monitor.detect.policy import decide
from monitor.detect.rules_detector import RuleDetector
from monitor.domain import Match, Post, Span
from monitor.rules.check import example_registry
from monitor.rules.loader import load_rules
from monitor.rules.registry import Registry, load_registry

VERSIONS = {"rules": "rules:0123456789ab+candidates:ba9876543210"}
SUKAMAJU = "pilbup-sukamaju-2024"
REGISTRY = example_registry()  # WIB; named 22 Sep, campaign 25 Sep-23 Nov, vote 27 Nov
OCT_1 = datetime(2024, 10, 1, 1, 0, tzinfo=UTC)


def post(
    post_id: str = "1",
    platform: str = "x",
    *,
    created_at: datetime = OCT_1,
    region: str | None = None,
) -> Post:
    return Post(
        platform=platform,
        post_id=post_id,
        author="@budi",
        text="teks",
        created_at=created_at,
        payload="{}",
        author_region=region,
    )


def match(
    rule_id: str,
    severity: str = "high",
    category: str = "support",
    post_key: tuple[str, str] = ("x", "1"),
    *,
    criminal: bool = False,
    election_id: str | None = SUKAMAJU,
) -> Match:
    return Match(
        post_key=post_key,
        rule_id=rule_id,
        title=f"Judul {rule_id}",
        category=category,
        severity=severity,
        spans=(Span(0, 4, "teks"),),
        election_id=election_id,
        criminal=criminal,
    )


# -- which match decides ----------------------------------------------------------------


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
def test_most_severe_match_decides(severities: list[str], winner: str) -> None:
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


def test_no_match_is_not_flagged() -> None:
    decision = decide(post(), [], VERSIONS)
    assert decision.flagged is False
    assert (decision.category, decision.severity, decision.score) == (None, None, None)
    assert (decision.stage, decision.route) == (None, None)
    assert decision.matches == ()
    assert decision.post_key == ("x", "1")
    assert decision.versions == VERSIONS


def test_only_the_posts_own_matches_count() -> None:
    mine = match("mine", "low", post_key=("x", "1"))
    other_post = match("other", "critical", "money_politics", post_key=("x", "2"))
    other_platform = match("fb", "critical", "attack", post_key=("facebook", "1"))
    decision = decide(post("1"), [other_post, mine, other_platform], VERSIONS, REGISTRY)
    assert decision.flagged is True
    assert (decision.category, decision.severity) == ("support", "low")
    assert decision.matches == (mine,)
    assert decision.route == "discipline"  # the other posts' money politics does not count

    nothing = decide(post("3"), [mine, other_post], VERSIONS, REGISTRY)
    assert nothing.flagged is False
    assert nothing.matches == ()
    assert (nothing.stage, nothing.route) == ("campaign", None)


def test_versions_are_recorded() -> None:
    versions = {"rules": "rules:aaaa", "classifier": "model:bbbb"}
    decision = decide(post(), [match("r", "high")], versions)
    assert decision.versions == versions
    assert decision.scores == {}
    assert decision.post_key == ("x", "1")


# -- stage and route ----------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("created_at", "category", "criminal", "stage", "route"),
    [
        pytest.param(
            at("2024-09-01T03:00Z"),
            "support",
            False,
            "pre_candidacy",
            "ethics",
            id="pre-candidacy-support",
        ),
        pytest.param(
            at("2024-09-21T16:30Z"),
            "support",
            False,
            "pre_candidacy",
            "ethics",
            id="23-30-wib-still-pre",
        ),
        pytest.param(
            at("2024-09-21T17:30Z"),
            "support",
            False,
            "candidates_named",
            "discipline",
            id="00-30-wib-named",
        ),
        pytest.param(
            at("2024-09-23T03:00Z"),
            "campaign_share",
            False,
            "candidates_named",
            "discipline",
            id="named-share",
        ),
        pytest.param(OCT_1, "support", False, "campaign", "discipline", id="campaign-support"),
        pytest.param(OCT_1, "attack", False, "campaign", "discipline", id="campaign-attack"),
        pytest.param(at("2024-11-25T03:00Z"), "support", False, "quiet", "discipline", id="quiet"),
        pytest.param(
            at("2024-11-27T03:00Z"), "support", False, "voting_day", "discipline", id="voting-day"
        ),
        pytest.param(at("2024-12-10T03:00Z"), "support", False, "after", "discipline", id="after"),
        pytest.param(
            at("2024-09-01T03:00Z"),
            "money_politics",
            False,
            "pre_candidacy",
            "criminal",
            id="money-pre-candidacy",
        ),
        pytest.param(OCT_1, "money_politics", False, "campaign", "criminal", id="money-campaign"),
        pytest.param(
            at("2024-11-25T03:00Z"), "money_politics", False, "quiet", "criminal", id="money-quiet"
        ),
        pytest.param(
            at("2024-12-10T03:00Z"), "money_politics", False, "after", "criminal", id="money-after"
        ),
        pytest.param(
            at("2024-09-01T03:00Z"),
            "attack",
            True,
            "pre_candidacy",
            "criminal",
            id="criminal-rule-pre",
        ),
        pytest.param(OCT_1, "support", True, "campaign", "criminal", id="criminal-rule-campaign"),
    ],
)
def test_stage_and_route_with_a_registry(
    created_at: datetime, category: str, criminal: bool, stage: str, route: str
) -> None:
    decision = decide(
        post(created_at=created_at),
        [match("r", "high", category, criminal=criminal)],
        VERSIONS,
        REGISTRY,
    )
    assert (decision.stage, decision.route) == (stage, route)
    assert decision.category == category


def test_a_criminal_match_routes_the_decision_even_when_it_is_not_the_top() -> None:
    matches = [
        match("support", "critical", "support"),
        match("insult", "low", "attack", criminal=True),
    ]
    decision = decide(post(), matches, VERSIONS, REGISTRY)
    assert (decision.category, decision.severity) == ("support", "critical")
    assert decision.route == "criminal"


@pytest.mark.parametrize(
    "registry",
    [pytest.param(None, id="no-registry"), pytest.param(Registry.empty(), id="empty-registry")],
)
def test_without_a_registry_there_is_no_stage_or_route(registry: Registry | None) -> None:
    decision = decide(post(), [match("r", "critical", "money_politics")], VERSIONS, registry)
    assert decision.flagged is True
    assert (decision.stage, decision.route) == (None, None)


PAPUA = """\
election:
  id: pilbup-jayamaju-2024
  name: Pemilihan Bupati Jayamaju 2024
  region: Kabupaten Jayamaju
  level: kabupaten
  timezone: Asia/Jayapura
  calendar: {candidates_named: 2024-09-22, campaign_start: 2024-09-25,
             campaign_end: 2024-11-23, quiet_start: 2024-11-24, vote: 2024-11-27}
pairs:
  - {number: 1, head: Yohanes Wenda, deputy: Maria Kogoya}
  - {number: 2, head: Petrus Tabuni, deputy: Sara Wonda}
"""
# 2024-09-21T16:30Z is 23:30 WIB on the 21st (before candidates are named in Sukamaju) and
# 01:30 WIT on the 22nd (candidates named in Jayamaju).
EVENING = at("2024-09-21T16:30Z")


@pytest.fixture(scope="module")
def two_timezones(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    folder = tmp_path_factory.mktemp("registry")
    bundled = files("monitor.rules").joinpath("data/example-registry.yaml").read_text("utf-8")
    (folder / "a-sukamaju.yaml").write_text(bundled, encoding="utf-8")
    (folder / "b-jayamaju.yaml").write_text(PAPUA, encoding="utf-8")
    return load_registry([folder])


@pytest.mark.parametrize(
    ("election_id", "region", "stage", "route"),
    [
        pytest.param(SUKAMAJU, None, "pre_candidacy", "ethics", id="referenced-wib"),
        pytest.param(
            "pilbup-jayamaju-2024", None, "candidates_named", "discipline", id="referenced-wit"
        ),
        pytest.param(
            None, "Kabupaten Jayamaju", "candidates_named", "discipline", id="authors-region-wit"
        ),
        pytest.param(
            None, "Kabupaten Sukamaju", "pre_candidacy", "ethics", id="authors-region-wib"
        ),
        pytest.param(
            "pilbup-jayamaju-2024",
            "Kabupaten Sukamaju",
            "candidates_named",
            "discipline",
            id="reference-beats-region",
        ),
        pytest.param(
            "pilgub-unknown",
            "Kabupaten Jayamaju",
            "candidates_named",
            "discipline",
            id="unknown-reference-falls-back",
        ),
        pytest.param(None, None, "pre_candidacy", "ethics", id="neither-first-election"),
    ],
)
def test_the_election_whose_calendar_applies(
    two_timezones: Registry, election_id: str | None, region: str | None, stage: str, route: str
) -> None:
    decision = decide(
        post(created_at=EVENING, region=region),
        [match("r", election_id=election_id)],
        VERSIONS,
        two_timezones,
    )
    assert (decision.stage, decision.route) == (stage, route)


# -- the decider: detectors, then the policy ----------------------------------------------

RULES = """\
rules:
  - id: support.appeal
    title: Ajakan memilih
    category: support
    severity: high
    legal_basis: [dasar]
    match:
      near: {within: 3, all: [coblos, {candidate: any}]}
  - id: money.cash
    title: Uang
    category: money_politics
    severity: critical
    legal_basis: [dasar]
    match:
      any: [serangan fajar]
  - id: attack.insult
    title: Penghinaan
    category: attack
    severity: medium
    criminal: true
    legal_basis: [dasar]
    match:
      all: [{candidate: any}, {any: [pengkhianat]}]
"""


@pytest.mark.parametrize(
    ("text", "created_at", "rules", "stage", "route"),
    [
        pytest.param(
            "Coblos DAMAI!",
            at("2024-09-10T03:00Z"),
            ["support.appeal"],
            "pre_candidacy",
            "ethics",
            id="support-pre",
        ),
        pytest.param(
            "Coblos DAMAI!",
            OCT_1,
            ["support.appeal"],
            "campaign",
            "discipline",
            id="support-campaign",
        ),
        pytest.param(
            "serangan fajar besok",
            at("2024-09-10T03:00Z"),
            ["money.cash"],
            "pre_candidacy",
            "criminal",
            id="money-pre",
        ),
        pytest.param(
            "HeSti pengkhianat",
            OCT_1,
            ["attack.insult"],
            "campaign",
            "criminal",
            id="criminal-rule",
        ),
        pytest.param("cuaca cerah", OCT_1, [], "campaign", None, id="nothing"),
    ],
)
def test_decider_records_stage_and_route(
    tmp_path: Path,
    text: str,
    created_at: datetime,
    rules: list[str],
    stage: str,
    route: str | None,
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    detector = RuleDetector(load_rules([path]), REGISTRY)
    example = Post("x", "1", "@budi", text, created_at, "{}", author_region="Kabupaten Sukamaju")
    [decision] = Decider([detector], REGISTRY).decide([example])
    assert [m.rule_id for m in decision.matches] == rules
    assert decision.flagged is bool(rules)
    assert (decision.stage, decision.route) == (stage, route)
    assert decision.versions == {"app": __version__, "rules": detector.version}


def test_decider_without_registry_and_one_decision_per_post(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    decider = Decider([RuleDetector(load_rules([path]), Registry.empty())])
    posts = [
        Post("x", str(i), "@budi", text, OCT_1, "{}")
        for i, text in enumerate(["serangan fajar", "cuaca cerah", "Coblos DAMAI"])
    ]
    decisions = decider.decide(posts)
    assert [d.post_key for d in decisions] == [("x", "0"), ("x", "1"), ("x", "2")]
    assert [d.flagged for d in decisions] == [True, False, False]  # no registry: no DAMAI
    assert all((d.stage, d.route) == (None, None) for d in decisions)
    assert decider.decide([]) == []
