"""Immediate notices: at or above the severity floor, once per account and rule within the
suppression window, queued in the transaction that raised the alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from monitor.alerts.notices import plan_notices, render_notice
from monitor.domain import Account, EmploymentType, Person
from monitor.store import Store
from monitor.store.models import AccountRow, AlertRow, DecisionRow, NoticeRow, OutboxRow, PostRow
from monitor.store.people import upsert_account, upsert_person

WIB = ZoneInfo("Asia/Jakarta")
T = datetime(2024, 11, 20, 1, 0, tzinfo=UTC)


def raise_alert(
    store: Store, n: int, *, handle: str, rule: str, severity: str, at: datetime
) -> list[str]:
    """One alert, then the notice plan for it; returns the outbox keys it queued."""
    with store.session() as session:
        person, _ = upsert_person(
            session,
            Person(key=handle, name="Budi", employment_type=EmploymentType.PNS, agency="Dinas"),
        )
        account, _ = upsert_account(session, Account("x", handle, handle), person)
        post = PostRow(
            platform="x", post_id=str(n), account_id=account.id, author=handle, created_at=at,
            text="besok serangan fajar\ndi posko 7", url=f"https://x.com/b/status/{n}",
            payload="{}", payload_sha256="0" * 64, collector="uji", collector_version="uji/1",
        )  # fmt: skip
        session.add(post)
        session.flush()
        decision = DecisionRow(
            post_id=post.id,
            flagged=True,
            decided_at=at,
            matches=[{"rule_id": rule, "title": "Serangan fajar", "spans": []}],
        )
        session.add(decision)
        session.flush()
        alert = AlertRow(
            post_id=post.id, decision_id=decision.id, created_at=at, updated_at=at,
            severity=severity, category="money_politics",
        )  # fmt: skip
        session.add(alert)
        session.flush()
        loaded = session.scalars(
            select(AlertRow)
            .where(AlertRow.id == alert.id)
            .options(
                joinedload(AlertRow.post).joinedload(PostRow.account).joinedload(AccountRow.person)
            )
        ).one()
        before = set(session.scalars(select(OutboxRow.key)))
        plan_notices(
            session, [loaded], min_severity="high", suppress_for=timedelta(hours=6),
            notifiers=["mail", "tg"], tz=WIB, now=at,
        )  # fmt: skip
        return sorted(set(session.scalars(select(OutboxRow.key))) - before)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([("@budi", "money.dawn", "critical", 0)], [2]),
        ([("@budi", "money.dawn", "medium", 0)], [0]),
        ([("@budi", "money.dawn", "high", 0), ("@budi", "money.dawn", "high", 1)], [2, 0]),
        ([("@budi", "money.dawn", "high", 0), ("@budi", "support.appeal", "high", 1)], [2, 2]),
        ([("@budi", "money.dawn", "high", 0), ("@siti", "money.dawn", "high", 1)], [2, 2]),
        ([("@budi", "money.dawn", "high", 0), ("@budi", "money.dawn", "high", 7)], [2, 2]),
    ],
    ids=[
        "critical-sent-to-both", "below-floor", "same-account-rule-suppressed",
        "other-rule-sent", "other-account-sent", "after-the-window-sent",
    ],
)  # fmt: skip
def test_notice_or_suppression(
    store: Store, steps: list[tuple[str, str, str, int]], expected: list[int]
) -> None:
    queued = [
        len(raise_alert(store, i, handle=h, rule=r, severity=s, at=T + timedelta(hours=hours)))
        for i, (h, r, s, hours) in enumerate(steps)
    ]
    assert queued == expected
    with store.session() as session:
        notices = session.scalars(select(NoticeRow).order_by(NoticeRow.id)).all()
    floor_met = [s for _, _, s, _ in steps if s in ("high", "critical")]
    assert len(notices) == len(floor_met)
    assert [n.suppressed for n in notices] == [
        q == 0 for q, (_, _, s, _) in zip(queued, steps, strict=True) if s in ("high", "critical")
    ]


def test_the_notice_says_who_where_what_and_the_deadline(store: Store) -> None:
    [key, _] = raise_alert(store, 1, handle="@budi", rule="money.dawn", severity="critical", at=T)
    assert key.startswith("notice:") and key.endswith(":mail")
    with store.session() as session:
        alert = session.scalars(
            select(AlertRow).options(
                joinedload(AlertRow.post).joinedload(PostRow.account).joinedload(AccountRow.person)
            )
        ).one()
        message = render_notice(alert, WIB)
    assert message.subject == "[Kritis] Politik uang: Budi (Dinas), X (Twitter) @budi"
    assert "> besok serangan fajar\n> di posko 7" in message.text
    assert "https://x.com/b/status/1" in message.text
    assert "Batas penyampaian temuan: Rabu, 27 November 2024 08.00 WIB" in message.text
    assert f"asn-monitor alerts show {alert.id}" in message.text
