"""The daily digest: the alerts raised in one day (in the election's timezone), grouped
by agency, each with what a reviewer needs to open the case."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
from monitor.store.alerts import alerts_raised_between
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
class Digest:
    day: date
    timezone: str
    window_start: datetime
    window_end: datetime
    generated_at: datetime
    groups: list[AgencyGroup]
    #: accounts checked, silent, unreachable; collectors stopped; billed reads
    coverage: Coverage | None = None

    @property
    def total(self) -> int:
        return sum(len(g.items) for g in self.groups)

    def count_by(self, attribute: str) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for group in self.groups:
            for item in group.items:
                counts[getattr(item, attribute)] += 1
        return dict(counts)

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


def _item(alert: AlertRow, tz: ZoneInfo) -> DigestItem:
    post = alert.post
    account = post.account
    person = account.person if account else None
    matches = alert.decision.matches or []
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
        text=post.text,
        spans=spans,
        rules=tuple(RuleHit(m["rule_id"], m["title"]) for m in matches),
        shared_from=post.shared_from,
        stage=alert.decision.stage,
        route=alert.decision.route,
        score=alert.decision.score,
    )


def build_daily_digest(
    store: Store, day: date, tz: ZoneInfo, *, now: datetime, coverage: Coverage | None = None
) -> Digest:
    start, end = day_window(day, tz)
    with store.session() as session:
        items = [_item(a, tz) for a in alerts_raised_between(session, start, end)]
    by_agency: dict[str, AgencyGroup] = {}
    for item in sorted(items, key=lambda i: (-severity_rank(i.severity), i.posted_at, i.alert_id)):
        by_agency.setdefault(item.agency, AgencyGroup(item.agency)).items.append(item)
    groups = sorted(
        by_agency.values(),
        key=lambda g: (-max(severity_rank(i.severity) for i in g.items), -len(g.items), g.agency),
    )
    return Digest(day, str(tz), start, end, now.astimezone(tz), groups, coverage)


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
