"""Form A (Laporan Hasil Pengawasan): the day's confirmed findings as a printable DRAFT.

Form A is a legal document. asn-monitor only drafts it: a named pengawas checks every
part, completes what is blank, and signs. "The day" is the day a reviewer confirmed the
alert (``alerts.reviewed_at``) in the election's timezone; alerts that were confirmed and
then escalated count too. The sections follow domain.md section 2: I. Data Pengawas,
II. Kegiatan Pengawasan, III. Uraian singkat hasil pengawasan, IV. Informasi dugaan
pelanggaran (one block per finding, with the evidence that survives the post's deletion).

The legal basis of a finding is the basis its rules declare: taken from the decision's
matches when they carry it, else from the rule files in force (``rule_bases``), else the
category's default basis below, marked as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from monitor.alerts.deadline import days_left, deadline
from monitor.alerts.digest import day_window, long_date
from monitor.alerts.lifecycle import ESCALATION_TARGETS
from monitor.domain import EmploymentType
from monitor.labels import CATEGORY, STAGE, label
from monitor.settings import FormASettings
from monitor.store import Store
from monitor.store.alerts import flagged_version
from monitor.store.evidence import evidence_files
from monitor.store.models import (
    AccountRow,
    AlertRow,
    CollectionRunRow,
    PostObservationRow,
    PostRow,
)

#: Alert statuses that make a finding: confirmed by a reviewer (and possibly forwarded).
FINDING_STATUSES = ("confirmed", "escalated")

_NEUTRALITY = "UU 20/2023 Ps. 9(2) dan Ps. 24(1) huruf d"
#: The basis a finding falls back to when none of its rules declares one (domain.md 1).
CATEGORY_BASIS: dict[str, tuple[str, ...]] = {
    "support": (_NEUTRALITY, "UU 10/2016 Ps. 70(1) dan Ps. 71(1)", "SKB 2022 Lampiran II"),
    "campaign_share": (_NEUTRALITY, "SKB 2022 Lampiran II (posting, share, like, komentar)"),
    "attack": (_NEUTRALITY, "UU 10/2016 Ps. 71(1) (merugikan pasangan calon)"),
    "money_politics": ("UU 10/2016 Ps. 73(4) jo. Ps. 187A",),
}
ROUTE_BASIS: dict[str, tuple[str, ...]] = {
    "ethics": ("PP 42/2004 Ps. 11 huruf c dan Ps. 15", "SKB 2022 Lampiran II A"),
    "discipline": ("PP 94/2021 Ps. 5 huruf n",),
    "criminal": (),
}
#: Where a finding is forwarded: neutrality cases to BKN, criminal ones to Gakkumdu.
DESTINATION = {"bkn": "BKN (rekomendasi netralitas ASN)", "gakkumdu": "Sentra Gakkumdu"}
#: Employment types BKN is not the authority for: the draft says so.
NOT_ASN = {
    EmploymentType.TNI,
    EmploymentType.POLRI,
    EmploymentType.BUMD,
    EmploymentType.BUMN,
    EmploymentType.VILLAGE,
}


def format_nip(nip: str | None) -> str:
    """A NIP as it is written on official letters: ``19830512 200901 1 003``."""
    if not nip:
        return ""
    if len(nip) == 18 and nip.isdigit():
        return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    return nip


@dataclass(frozen=True)
class RuleBasis:
    rule_id: str
    title: str
    legal_basis: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """A later sighting of the post: ``edited`` (with the new text), ``deleted``, ``restored``."""

    kind: str
    at: datetime
    text: str | None


@dataclass(frozen=True)
class Screenshot:
    name: str
    sha256: str
    path: str
    media_type: str
    size: int


@dataclass(frozen=True)
class Terlapor:
    name: str
    nip: str
    position: str
    agency: str
    employment: str
    employment_code: str
    region: str
    handle: str
    account_url: str | None
    listed: bool


@dataclass(frozen=True)
class Finding:
    """One confirmed alert as section IV of Form A shows it."""

    number: int
    alert_id: int
    status: str
    category: str
    severity: str
    rules: tuple[RuleBasis, ...]
    platform: str
    post_url: str | None
    posted_at: datetime
    raised_at: datetime
    terlapor: Terlapor
    text: str
    shared_from: str | None
    changes: tuple[Change, ...]
    payload_sha256: str
    collector: str
    collector_version: str
    first_seen: datetime
    screenshots: tuple[Screenshot, ...]
    legal_basis: tuple[str, ...]
    basis_is_default: bool
    stage: str | None
    route: str | None
    reviewer: str
    reviewed_at: datetime
    review_note: str | None
    escalated_to: str | None
    escalation_ref: str | None
    escalated_at: datetime | None
    group_id: int | None
    deadline: datetime
    days_left: int
    #: the alert is about an edited version (``text``) seen then, with its payload hash;
    #: ``first_text`` is the text first collected
    edited_seen_at: datetime | None = None
    edited_payload_sha256: str | None = None
    first_text: str | None = None

    @property
    def destination(self) -> str:
        """``gakkumdu`` for the criminal route, ``bkn`` for every other."""
        return "gakkumdu" if self.route == "criminal" else "bkn"

    @property
    def destination_label(self) -> str:
        return DESTINATION[self.destination]

    @property
    def outside_bkn(self) -> bool:
        """A non-criminal finding about someone BKN does not discipline (TNI, Polri, ...)."""
        return self.destination == "bkn" and self.terlapor.employment_code in NOT_ASN

    @property
    def escalated_to_label(self) -> str:
        return label(ESCALATION_TARGETS, self.escalated_to)

    @property
    def export_command(self) -> str:
        return f"asn-monitor alerts export {self.alert_id}"

    @property
    def category_label(self) -> str:
        return label(CATEGORY, self.category)

    @property
    def peristiwa(self) -> str:
        titles = "; ".join(r.title for r in self.rules)
        return f"{self.category_label}: {titles}" if titles else self.category_label


@dataclass(frozen=True)
class FormA:
    day: date
    timezone: str
    generated_at: datetime
    generated_by: str
    settings: FormASettings
    #: accounts with at least one successful check that day, and the checks
    accounts_checked: int
    checks: int
    raised: int
    dismissed: int
    findings: tuple[Finding, ...]

    @property
    def day_label(self) -> str:
        return long_date(self.day)

    @property
    def stages(self) -> list[str]:
        """The election stages of the day's findings, as labels, in order of appearance."""
        seen: list[str] = []
        for f in self.findings:
            if f.stage and label(STAGE, f.stage) not in seen:
                seen.append(label(STAGE, f.stage))
        return seen

    @property
    def escalated(self) -> int:
        return sum(1 for f in self.findings if f.status == "escalated")

    def by_destination(self, destination: str) -> list[Finding]:
        return [f for f in self.findings if f.destination == destination]


def _changes(session: Session, post_id: int, tz: ZoneInfo) -> tuple[Change, ...]:
    rows = session.scalars(
        select(PostObservationRow)
        .where(PostObservationRow.post_id == post_id)
        .order_by(PostObservationRow.observed_at, PostObservationRow.id)
    )
    return tuple(Change(r.kind, r.observed_at.astimezone(tz), r.text) for r in rows)


def _rules(
    matches: Sequence[Mapping[str, Any]], rule_bases: Mapping[str, Sequence[str]]
) -> tuple[RuleBasis, ...]:
    found = []
    for m in matches:
        rule_id = str(m.get("rule_id", ""))
        basis = m.get("legal_basis") or rule_bases.get(rule_id) or ()
        found.append(RuleBasis(rule_id, str(m.get("title", rule_id)), tuple(basis)))
    return tuple(found)


def finding_route(decided: str | None, category: str) -> str | None:
    """The decision's route, with the reviewer's category applied: money politics is
    criminal at every stage (monitor.rules.calendar.route_for), also when a reviewer
    re-categorised the alert as such, and when no election calendar gave a route."""
    return "criminal" if category == "money_politics" else decided


def _default_basis(category: str, route: str | None) -> tuple[str, ...]:
    return CATEGORY_BASIS.get(category, (_NEUTRALITY,)) + ROUTE_BASIS.get(route or "", ())


def _legal_basis(
    rules: tuple[RuleBasis, ...], category: str, route: str | None
) -> tuple[tuple[str, ...], bool]:
    declared: list[str] = []
    for rule in rules:
        declared.extend(b for b in rule.legal_basis if b not in declared)
    if declared:
        return tuple(declared), False
    return _default_basis(category, route), True


def _terlapor(post: PostRow) -> Terlapor:
    account = post.account
    person = account.person if account is not None else None
    if person is None:
        return Terlapor(
            "(tidak di daftar pantauan)", "", "", "", "", "", "", post.author, None, False
        )
    assert account is not None
    employment = EmploymentType(person.employment_type)
    return Terlapor(
        name=person.name,
        nip=format_nip(person.nip),
        position=person.position,
        agency=person.agency,
        employment=employment.label,
        employment_code=employment.value,
        region=person.region,
        handle=account.handle,
        account_url=account.url,
        listed=True,
    )


def _finding(
    session: Session,
    number: int,
    alert: AlertRow,
    tz: ZoneInfo,
    now: datetime,
    rule_bases: Mapping[str, Sequence[str]],
) -> Finding:
    post = alert.post
    version = flagged_version(alert)
    decision = version.decision
    category = alert.category or decision.category or ""
    route = finding_route(decision.route, category)
    rules = _rules(decision.matches or [], rule_bases)
    basis, is_default = _legal_basis(rules, category, route)
    assert alert.reviewed_at is not None
    shots = tuple(
        Screenshot(e.original_name, e.sha256, e.path, e.media_type, e.size)
        for e in evidence_files(session, post.id)
    )
    return Finding(
        number=number,
        alert_id=alert.id,
        status=alert.status,
        category=category,
        severity=alert.severity or decision.severity or "",
        rules=rules,
        platform=post.platform,
        post_url=post.url,
        posted_at=post.created_at.astimezone(tz),
        raised_at=alert.created_at.astimezone(tz),
        terlapor=_terlapor(post),
        text=version.text,
        shared_from=post.shared_from,
        changes=_changes(session, post.id, tz),
        payload_sha256=post.payload_sha256,
        collector=post.collector,
        collector_version=post.collector_version,
        first_seen=post.first_seen.astimezone(tz),
        screenshots=shots,
        legal_basis=basis,
        basis_is_default=is_default,
        stage=decision.stage,
        route=route,
        reviewer=alert.reviewer or "",
        reviewed_at=alert.reviewed_at.astimezone(tz),
        review_note=alert.note,
        escalated_to=alert.escalated_to,
        escalation_ref=alert.escalation_ref,
        escalated_at=alert.escalated_at.astimezone(tz) if alert.escalated_at else None,
        group_id=alert.group_id if alert.group_id not in (None, alert.id) else None,
        deadline=deadline(alert.created_at).astimezone(tz),
        days_left=days_left(alert.created_at, now, tz),
        edited_seen_at=version.observed_at.astimezone(tz) if version.observed_at else None,
        edited_payload_sha256=version.payload_sha256 if version.edited else None,
        first_text=post.text if version.edited else None,
    )


def confirmed_between(session: Session, start: datetime, end: datetime) -> list[AlertRow]:
    """Alerts confirmed (``reviewed_at``) in ``[start, end)`` that are still findings."""
    query = (
        select(AlertRow)
        .where(
            AlertRow.status.in_(FINDING_STATUSES),
            AlertRow.reviewed_at >= start,
            AlertRow.reviewed_at < end,
        )
        .options(
            joinedload(AlertRow.post).joinedload(PostRow.account).joinedload(AccountRow.person),
            joinedload(AlertRow.decision),
        )
        .order_by(AlertRow.reviewed_at, AlertRow.id)
    )
    return list(session.scalars(query).unique())


def _count(session: Session, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(AlertRow).where(*where)) or 0


def build_form_a(
    store: Store,
    day: date,
    tz: ZoneInfo,
    settings: FormASettings,
    *,
    now: datetime,
    generated_by: str,
    rule_bases: Mapping[str, Sequence[str]] | None = None,
) -> FormA:
    """The Form A draft for ``day`` (a calendar day in ``tz``)."""
    start, end = day_window(day, tz)
    bases = rule_bases or {}
    with store.session() as session:
        alerts = confirmed_between(session, start, end)
        findings = tuple(
            _finding(session, n, a, tz, now, bases) for n, a in enumerate(alerts, start=1)
        )
        ok_runs = (
            CollectionRunRow.status == "ok",
            CollectionRunRow.started_at >= start,
            CollectionRunRow.started_at < end,
        )
        checks, accounts = session.execute(
            select(func.count(), func.count(func.distinct(CollectionRunRow.account_id))).where(
                *ok_runs
            )
        ).one()
        raised = _count(session, AlertRow.created_at >= start, AlertRow.created_at < end)
        dismissed = _count(
            session,
            AlertRow.status == "dismissed",
            AlertRow.reviewed_at >= start,
            AlertRow.reviewed_at < end,
        )
    return FormA(
        day=day,
        timezone=str(tz),
        generated_at=now.astimezone(tz),
        generated_by=generated_by,
        settings=settings,
        accounts_checked=int(accounts),
        checks=int(checks),
        raised=raised,
        dismissed=dismissed,
        findings=findings,
    )
