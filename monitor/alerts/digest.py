"""The daily digest: the alerts raised in one day (in the election's timezone), grouped
by agency, each with what a reviewer needs to open the case."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.alerts.deadline import days_left, deadline
from monitor.domain import EmploymentType, Span, severity_rank
from monitor.labels import (
    BREAKER,
    CATEGORY,
    COVERAGE,
    DAYS,
    MONTHS,
    PLATFORM,
    ROUTE,
    SEVERITY,
    STAGE,
    STATUS,
    label,
)
from monitor.store import Store
from monitor.store.alerts import (
    alerts_awaiting_review,
    alerts_raised_between,
    flagged_version,
    suppressed_notices,
)
from monitor.store.coverage import Coverage
from monitor.store.models import AlertRow

NO_AGENCY = "(instansi tidak diketahui)"


@dataclass(frozen=True)
class RuleHit:
    rule_id: str
    title: str


@dataclass(frozen=True)
class DigestItem:
    alert_id: int
    status: str
    severity: str
    category: str
    person: str
    employment: str
    position: str
    agency: str
    platform: str
    handle: str
    account_url: str | None
    post_url: str | None
    posted_at: datetime
    raised_at: datetime
    text: str
    spans: tuple[Span, ...]
    rules: tuple[RuleHit, ...]
    shared_from: str | None
    stage: str | None = None
    route: str | None = None
    #: P(violation) from the classifier, when one ran
    score: float | None = None
    #: near-identical posts by other accounts share the group of the first alert
    group_id: int | None = None
    #: the last day to lodge a finding (raised + 7 days) and the calendar days left
    deadline: datetime | None = None
    days_left: int | None = None
    #: the alert is about an edited version of the post, seen then (``text`` is the edit)
    edited_seen_at: datetime | None = None

    @property
    def segments(self) -> list[tuple[str, bool]]:
        """The text cut into (piece, highlighted) for evidence highlighting."""
        pieces: list[tuple[str, bool]] = []
        cursor = 0
        for span in _merge(self.spans):
            if span.start > cursor:
                pieces.append((self.text[cursor : span.start], False))
            pieces.append((self.text[span.start : span.end], True))
            cursor = span.end
        if cursor < len(self.text):
            pieces.append((self.text[cursor:], False))
        return pieces


def _merge(spans: tuple[Span, ...]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end), "")
        else:
            merged.append(span)
    return merged


@dataclass
class AgencyGroup:
    agency: str
    items: list[DigestItem] = field(default_factory=list)


@dataclass
class CoordinatedGroup:
    """The same material posted by several watched accounts: one item to review."""

    items: list[DigestItem]

    @property
    def lead(self) -> DigestItem:
        return self.items[0]

    @property
    def others(self) -> list[DigestItem]:
        return self.items[1:]

    @property
    def agencies(self) -> list[str]:
        return sorted({i.agency for i in self.items})


@dataclass
class Digest:
    day: date
    timezone: str
    window_start: datetime
    window_end: datetime
    generated_at: datetime
    groups: list[AgencyGroup]
    #: accounts checked, silent, unreachable; collectors stopped; billed reads
    coverage: Coverage | None = None
    #: near-identical alerts of this window by several accounts, shown once each
    coordinated: list[CoordinatedGroup] = field(default_factory=list)
    #: every alert still waiting for review, the closest deadline first
    awaiting: list[DigestItem] = field(default_factory=list)
    #: immediate notices held back in this window (same account and rule noticed recently)
    suppressed: int = 0

    @property
    def items(self) -> list[DigestItem]:
        """Every new alert of the window, coordinated ones included."""
        singles = [i for g in self.groups for i in g.items]
        return singles + [i for c in self.coordinated for i in c.items]

    @property
    def total(self) -> int:
        return len(self.items)

    def count_by(self, attribute: str) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for item in self.items:
            counts[getattr(item, attribute)] += 1
        return dict(counts)

    @property
    def overdue(self) -> int:
        return sum(1 for i in self.awaiting if i.days_left is not None and i.days_left < 0)

    @property
    def day_label(self) -> str:
        return long_date(self.day)


def long_date(day: date) -> str:
    return f"{DAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"


def today(now: datetime, tz: ZoneInfo) -> date:
    """The calendar day ``now`` falls on in the election's timezone."""
    return now.astimezone(tz).date()


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Midnight to midnight in the election's timezone (aware; stored as UTC)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def _item(alert: AlertRow, tz: ZoneInfo, now: datetime) -> DigestItem:
    post = alert.post
    account = post.account
    person = account.person if account else None
    version = flagged_version(alert)
    decision = version.decision
    matches = decision.matches
    spans = tuple(Span(s[0], s[1], s[2]) for m in matches for s in m.get("spans", []))
    return DigestItem(
        alert_id=alert.id,
        status=alert.status,
        severity=alert.severity or "low",
        category=alert.category or "",
        person=person.name if person else "(tidak di daftar pantauan)",
        employment=EmploymentType(person.employment_type).label if person else "",
        position=person.position if person else "",
        agency=(person.agency if person and person.agency else NO_AGENCY),
        platform=post.platform,
        handle=account.handle if account else post.author,
        account_url=account.url if account else None,
        post_url=post.url,
        posted_at=post.created_at.astimezone(tz),
        raised_at=alert.created_at.astimezone(tz),
        text=version.text,
        spans=spans,
        rules=tuple(RuleHit(m["rule_id"], m["title"]) for m in matches),
        shared_from=post.shared_from,
        stage=decision.stage,
        route=decision.route,
        score=decision.score,
        group_id=alert.group_id,
        deadline=deadline(alert.created_at).astimezone(tz),
        days_left=days_left(alert.created_at, now, tz),
        edited_seen_at=version.observed_at.astimezone(tz) if version.observed_at else None,
    )


def build_daily_digest(
    store: Store, day: date, tz: ZoneInfo, *, now: datetime, coverage: Coverage | None = None
) -> Digest:
    """The alerts raised on one calendar day in the election's timezone."""
    start, end = day_window(day, tz)
    return build_digest(store, start, end, tz, now=now, coverage=coverage, day=day)


def build_digest(
    store: Store,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    *,
    now: datetime,
    coverage: Coverage | None = None,
    day: date | None = None,
) -> Digest:
    """The alerts raised in ``[start, end)``: coordinated groups first, the rest by agency
    (most severe first); every alert still awaiting review; notices held back."""
    with store.session() as session:
        items = [_item(a, tz, now) for a in alerts_raised_between(session, start, end)]
        awaiting = [_item(a, tz, now) for a in alerts_awaiting_review(session, before=end)]
        suppressed = suppressed_notices(session, start, end)
    ordered = sorted(items, key=lambda i: (-severity_rank(i.severity), i.posted_at, i.alert_id))
    by_group: dict[int, list[DigestItem]] = defaultdict(list)
    for item in ordered:
        if item.group_id is not None:
            by_group[item.group_id].append(item)
    coordinated = [
        CoordinatedGroup(sorted(members, key=lambda i: i.alert_id))
        for members in by_group.values()
        if len(members) > 1
    ]
    in_group = {i.alert_id for c in coordinated for i in c.items}
    by_agency: dict[str, AgencyGroup] = {}
    for item in ordered:
        if item.alert_id not in in_group:
            by_agency.setdefault(item.agency, AgencyGroup(item.agency)).items.append(item)
    groups = sorted(
        by_agency.values(),
        key=lambda g: (-max(severity_rank(i.severity) for i in g.items), -len(g.items), g.agency),
    )
    coordinated.sort(key=lambda c: (-severity_rank(c.lead.severity), -len(c.items)))
    awaiting.sort(key=lambda i: (i.deadline or now, i.alert_id))
    return Digest(
        day or (end - timedelta(seconds=1)).astimezone(tz).date(),
        str(tz),
        start.astimezone(tz),
        end.astimezone(tz),
        now.astimezone(tz),
        groups,
        coverage,
        coordinated,
        awaiting,
        suppressed,
    )


LABELS = {
    "category": CATEGORY,
    "severity": SEVERITY,
    "status": STATUS,
    "platform": PLATFORM,
    "stage": STAGE,
    "route": ROUTE,
    "coverage": COVERAGE,
    "breaker": BREAKER,
}


def label_of(kind: str, code: str | None) -> str:
    return label(LABELS[kind], code)
