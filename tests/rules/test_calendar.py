"""monitor.rules.calendar: the stage of a post (calendar days in the election's timezone)
and the route a finding takes (kode etik, disiplin, Gakkumdu)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from monitor import labels
from monitor.rules.calendar import Route, Stage, local_date, route_for, stage_of, stage_on
from monitor.rules.registry import Calendar, Election, load_registry

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo" / "candidates"
PILPRES = ROOT / "bench" / "registries" / "pilpres-2019.yaml"


@pytest.fixture(scope="module")
def sukamaju() -> Election:
    """Pilkada 2024: named 22 Sep, campaign 25 Sep - 23 Nov, quiet 24-26 Nov, vote 27 Nov."""
    election = load_registry([DEMO]).election("pilbup-sukamaju-2024")
    assert election is not None
    return election


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        pytest.param("2024-09-01T10:00:00+07:00", Stage.PRE_CANDIDACY, id="september-1"),
        pytest.param("2024-09-21T23:30:00+07:00", Stage.PRE_CANDIDACY, id="eve-of-naming-wib"),
        pytest.param("2024-09-21T16:59:59+00:00", Stage.PRE_CANDIDACY, id="23:59:59-wib-in-utc"),
        pytest.param("2024-09-21T17:30:00+00:00", Stage.CANDIDATES_NAMED, id="utc-21st-wib-22nd"),
        pytest.param("2024-09-22T00:00:00+07:00", Stage.CANDIDATES_NAMED, id="naming-midnight"),
        pytest.param("2024-09-24T23:59:59+07:00", Stage.CANDIDATES_NAMED, id="eve-of-campaign"),
        pytest.param("2024-09-25T00:00:00+07:00", Stage.CAMPAIGN, id="campaign-first-minute"),
        pytest.param("2024-09-24T17:00:00Z", Stage.CAMPAIGN, id="campaign-start-in-utc"),
        pytest.param("2024-11-23T23:59:59+07:00", Stage.CAMPAIGN, id="campaign-last-second"),
        pytest.param("2024-11-23T17:00:00Z", Stage.QUIET, id="quiet-first-second-in-utc"),
        pytest.param("2024-11-26T23:59:00+07:00", Stage.QUIET, id="quiet-last-minute"),
        pytest.param("2024-11-27T00:00:00+07:00", Stage.VOTING_DAY, id="voting-day-midnight"),
        pytest.param("2024-11-27T13:00:00+07:00", Stage.VOTING_DAY, id="ballots-closed"),
        pytest.param("2024-11-27T16:59:59Z", Stage.VOTING_DAY, id="voting-day-last-second-utc"),
        pytest.param("2024-11-27T17:00:00Z", Stage.AFTER, id="day-after-in-utc"),
        pytest.param("2024-11-28T01:00:00+08:00", Stage.AFTER, id="day-after-wita-offset"),
        pytest.param("2025-02-20T09:00:00+07:00", Stage.AFTER, id="inauguration"),
    ],
)
def test_stage_of_in_wib(sukamaju: Election, when: str, expected: Stage):
    assert stage_of(datetime.fromisoformat(when), sukamaju) is expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        pytest.param("2024-09-21T16:30:00Z", Stage.CANDIDATES_NAMED, id="00:30-wita"),
        pytest.param("2024-09-21T23:30:00+07:00", Stage.CANDIDATES_NAMED, id="23:30-wib-is-wita"),
        pytest.param("2024-09-21T15:59:59Z", Stage.PRE_CANDIDACY, id="23:59:59-wita"),
    ],
)
def test_stage_uses_the_elections_own_timezone(sukamaju: Election, when: str, expected: Stage):
    makassar = sukamaju.model_copy(update={"timezone": "Asia/Makassar"})
    assert stage_of(datetime.fromisoformat(when), makassar) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2024, 11, 20), Stage.CAMPAIGN, id="campaign-end"),
        pytest.param(date(2024, 11, 21), Stage.QUIET, id="gap-day-is-quiet"),
        pytest.param(date(2024, 11, 23), Stage.QUIET, id="gap-last-day"),
        pytest.param(date(2024, 11, 24), Stage.QUIET, id="quiet-start"),
        pytest.param(date(2024, 11, 27), Stage.VOTING_DAY, id="vote"),
    ],
)
def test_gap_between_campaign_and_quiet_counts_as_quiet(day: date, expected: Stage):
    calendar = Calendar(
        candidates_named=date(2024, 9, 22),
        campaign_start=date(2024, 9, 25),
        campaign_end=date(2024, 11, 20),
        quiet_start=date(2024, 11, 24),
        vote=date(2024, 11, 27),
    )
    assert stage_on(day, calendar) is expected


def test_no_candidates_named_stage_when_campaign_starts_that_day():
    calendar = Calendar(
        candidates_named=date(2024, 9, 25),
        campaign_start=date(2024, 9, 25),
        campaign_end=date(2024, 11, 23),
        quiet_start=date(2024, 11, 24),
        vote=date(2024, 11, 24),
    )
    assert stage_on(date(2024, 9, 24), calendar) is Stage.PRE_CANDIDACY
    assert stage_on(date(2024, 9, 25), calendar) is Stage.CAMPAIGN
    assert stage_on(date(2024, 11, 24), calendar) is Stage.VOTING_DAY


def test_naive_datetime_is_refused(sukamaju: Election):
    with pytest.raises(ValueError, match="tanpa zona waktu"):
        stage_of(datetime(2024, 9, 22, 10, 0), sukamaju)
    with pytest.raises(ValueError):
        local_date(datetime(2024, 9, 22, 10, 0), sukamaju)


def test_local_date(sukamaju: Election):
    assert local_date(datetime.fromisoformat("2024-09-21T17:30:00Z"), sukamaju) == date(2024, 9, 22)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        pytest.param("2018-09-19T20:00:00+07:00", Stage.PRE_CANDIDACY, id="before-penetapan"),
        pytest.param("2018-09-21T09:00:00+07:00", Stage.CANDIDATES_NAMED, id="number-draw"),
        pytest.param("2019-01-17T20:00:00+07:00", Stage.CAMPAIGN, id="first-debate"),
        pytest.param("2019-04-15T12:00:00+07:00", Stage.QUIET, id="masa-tenang"),
        pytest.param("2019-04-16T17:30:00Z", Stage.VOTING_DAY, id="vote-00:30-wib"),
        pytest.param("2019-05-21T02:00:00+07:00", Stage.AFTER, id="recapitulation"),
    ],
)
def test_pilpres_2019_calendar(when: str, expected: Stage):
    [pilpres] = load_registry([PILPRES]).elections
    assert stage_of(datetime.fromisoformat(when), pilpres) is expected


@pytest.mark.parametrize(
    ("stage", "category", "criminal", "expected"),
    [
        pytest.param(Stage.PRE_CANDIDACY, "support", False, Route.ETHICS, id="bakal-calon"),
        pytest.param(Stage.PRE_CANDIDACY, "campaign_share", False, Route.ETHICS, id="bc-share"),
        pytest.param(Stage.PRE_CANDIDACY, "attack", False, Route.ETHICS, id="bc-attack"),
        pytest.param(Stage.CANDIDATES_NAMED, "support", False, Route.DISCIPLINE, id="named"),
        pytest.param(Stage.CAMPAIGN, "campaign_share", False, Route.DISCIPLINE, id="campaign"),
        pytest.param(Stage.QUIET, "attack", False, Route.DISCIPLINE, id="quiet-attack"),
        pytest.param(Stage.VOTING_DAY, "support", False, Route.DISCIPLINE, id="voting-day"),
        pytest.param(Stage.AFTER, "support", False, Route.DISCIPLINE, id="after-vote"),
        pytest.param(Stage.PRE_CANDIDACY, "money_politics", False, Route.CRIMINAL, id="money-bc"),
        pytest.param(Stage.QUIET, "money_politics", False, Route.CRIMINAL, id="serangan-fajar"),
        pytest.param(Stage.CAMPAIGN, "attack", True, Route.CRIMINAL, id="insult-campaign"),
        pytest.param(Stage.PRE_CANDIDACY, "attack", True, Route.CRIMINAL, id="insult-bc"),
    ],
)
def test_route_for(stage: Stage, category: str, criminal: bool, expected: Route):
    assert route_for(stage, category, criminal=criminal) is expected


def test_every_stage_and_route_has_an_indonesian_label():
    assert set(labels.STAGE) == {s.value for s in Stage}
    assert set(labels.ROUTE) == {r.value for r in Route}
    assert Stage.PRE_CANDIDACY.label == "Sebelum penetapan paslon (bakal calon)"
    assert Stage.CAMPAIGN.label == "Masa kampanye"
    assert Stage.QUIET.label == "Masa tenang"
    assert Stage.VOTING_DAY.label == "Hari pemungutan suara"
    assert Route.ETHICS.label == "Kode etik (sanksi moral)"
    assert Route.DISCIPLINE.label == "Disiplin (PP 94/2021)"
    assert Route.CRIMINAL.label == "Pidana pemilihan (Gakkumdu)"
    assert labels.label(labels.STAGE, Stage.QUIET) == "Masa tenang"
