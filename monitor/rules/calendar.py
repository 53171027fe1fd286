"""The election calendar: which stage a post falls in, and where a finding goes.

Stages are calendar days in the election's timezone (WIB, WITA or WIT): a post at
2024-09-21T17:30Z is 00:30 WIB on 22 September, the day candidates were named, so it is
``candidates_named`` although it is still the 21st in UTC. The stage decides the route
(domain.md section 1): before candidates are named the SKB's kode etik applies (sanksi
moral); from then on PP 94/2021 discipline; money politics, and content a rule marks as
insult or incitement (UU 10/2016 Ps. 69 and 187), go to Gakkumdu whatever the stage.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from monitor import labels
from monitor.rules.registry import Calendar, Election


class Stage(StrEnum):
    #: Before candidates are named: "bakal calon".
    PRE_CANDIDACY = "pre_candidacy"
    #: Named (penetapan paslon), campaign not started.
    CANDIDATES_NAMED = "candidates_named"
    CAMPAIGN = "campaign"
    #: Masa tenang, and any gap between the campaign's end and the quiet period.
    QUIET = "quiet"
    VOTING_DAY = "voting_day"
    #: After voting day.
    AFTER = "after"

    @property
    def label(self) -> str:
        return labels.STAGE[self.value]


class Route(StrEnum):
    #: Kode etik, sanksi moral (PP 42/2004; SKB Lampiran II A): before candidates are named.
    ETHICS = "ethics"
    #: Disiplin PNS (PP 94/2021 Ps. 5 huruf n): from candidates named on.
    DISCIPLINE = "discipline"
    #: Pidana pemilihan through Sentra Gakkumdu (UU 10/2016 Ps. 69, 187, 187A).
    CRIMINAL = "criminal"

    @property
    def label(self) -> str:
        return labels.ROUTE[self.value]


def local_date(when: datetime, election: Election) -> date:
    """The calendar day ``when`` falls on in the election's timezone."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"waktu tanpa zona waktu tidak diterima: {when.isoformat()}")
    return when.astimezone(election.tz).date()


def stage_on(day: date, calendar: Calendar) -> Stage:
    """The stage on a calendar day of the election."""
    if day < calendar.candidates_named:
        return Stage.PRE_CANDIDACY
    if day < calendar.campaign_start:
        return Stage.CANDIDATES_NAMED
    if day <= calendar.campaign_end:
        return Stage.CAMPAIGN
    if day < calendar.vote:
        return Stage.QUIET
    if day == calendar.vote:
        return Stage.VOTING_DAY
    return Stage.AFTER


def stage_of(when: datetime, election: Election) -> Stage:
    """The stage at a timezone-aware moment; a naive datetime raises ValueError."""
    return stage_on(local_date(when, election), election.calendar)


def route_for(stage: Stage, category: str, *, criminal: bool = False) -> Route:
    """Where a finding of ``category`` at ``stage`` goes.

    ``criminal`` is set when a rule marks the content as insult, incitement or hate speech.
    Money politics is criminal at every stage (Ps. 187A binds "setiap orang")."""
    if criminal or category == "money_politics":
        return Route.CRIMINAL
    if stage is Stage.PRE_CANDIDACY:
        return Route.ETHICS
    return Route.DISCIPLINE
