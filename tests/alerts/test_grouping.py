"""Coordinated sharing: near-identical posts by several watched accounts share a group."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.alerts.grouping import assign_groups, fingerprint, similarity
from monitor.domain import Account, EmploymentType, Person
from monitor.store import Store
from monitor.store.models import AlertRow, DecisionRow, PostRow
from monitor.store.people import upsert_account, upsert_person

CAMPAIGN = (
    "Bapak ibu guru honorer, silakan tonton video program HeSti untuk kesejahteraan guru "
    "honorer. Bagikan ke grup sekolah ya"
)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (CAMPAIGN, CAMPAIGN, True),
        (CAMPAIGN, CAMPAIGN.upper() + " https://t.co/abc @relawan", True),
        (CAMPAIGN, CAMPAIGN.replace("Bagikan ke grup sekolah ya", "Mantap! Bagikan ya"), True),
        (CAMPAIGN, "Rapat koordinasi dinas pendidikan hari ini di aula kantor bupati", False),
        ("coblos nomor 2", "coblos nomor 2!", True),
        ("coblos nomor 2", "coblos nomor 1", False),
    ],
    ids=[
        "identical", "case-links-mentions", "edited-ending", "unrelated", "short-same",
        "short-differs",
    ],
)  # fmt: skip
def test_near_duplicates(a: str, b: str, same: bool) -> None:
    assert (similarity(fingerprint(a), fingerprint(b)) >= 0.6) is same


def make_alert(
    store: Store, n: int, text: str, *, at: datetime, shared_from: str | None = None
) -> int:
    with store.session() as session:
        person, _ = upsert_person(
            session, Person(key=f"P{n}", name=f"Orang {n}", employment_type=EmploymentType.PNS)
        )
        account, _ = upsert_account(session, Account("facebook", f"orang{n}", f"P{n}"), person)
        post = PostRow(
            platform="facebook", post_id=str(n), account_id=account.id, author=f"orang{n}",
            created_at=at, text=text, shared_from=shared_from, payload="{}",
            payload_sha256="0" * 64, collector="uji", collector_version="uji/1",
        )  # fmt: skip
        session.add(post)
        session.flush()
        decision = DecisionRow(post_id=post.id, flagged=True, decided_at=at)
        session.add(decision)
        session.flush()
        alert = AlertRow(post_id=post.id, decision_id=decision.id, created_at=at, updated_at=at)
        session.add(alert)
        session.flush()
        assign_groups(session, [alert], now=at)
        return alert.id


def groups(store: Store) -> dict[int, int | None]:
    with store.session() as session:
        return dict(session.execute(select(AlertRow.id, AlertRow.group_id)).all())


def test_the_same_material_from_three_accounts_is_one_group(store: Store) -> None:
    t = datetime(2024, 11, 20, 8, tzinfo=UTC)
    first = make_alert(store, 1, CAMPAIGN, at=t)
    second = make_alert(store, 2, CAMPAIGN + " 🙏", at=t + timedelta(hours=1))
    other = make_alert(store, 3, "Jangan lupa rapat dinas besok pagi di aula", at=t)
    third = make_alert(store, 4, "Ikut bagikan: " + CAMPAIGN, at=t + timedelta(hours=2))
    shared = make_alert(
        store, 5, "mantap", at=t, shared_from="@relawan https://x.com/relawan/status/9"
    )
    repost = make_alert(store, 6, "setuju", at=t, shared_from="https://X.com/relawan/status/9/")
    account_only = make_alert(store, 8, "ikut", at=t, shared_from="@relawan")
    late = make_alert(store, 7, CAMPAIGN, at=t + timedelta(days=9))
    assert groups(store) == {
        first: first, second: first, third: first, other: None,
        shared: shared, repost: shared, late: None, account_only: None,
    }  # fmt: skip


OTHER = "Jangan lupa rapat dinas besok pagi di aula kantor kecamatan ya bapak ibu"

# (what alerts.fingerprint of the first alert holds, the second alert's text, same group)
STORED = [
    ("as grouped", CAMPAIGN, True),
    ("NULL (raised before migration 0007)", CAMPAIGN, True),  # hashed from the text
    ("the shingles of OTHER", OTHER, True),  # the stored shingles are read, not the text
    ("the shingles of OTHER", CAMPAIGN, False),
]


@pytest.mark.parametrize(("stored", "text", "same"), STORED)
def test_grouping_reads_the_stored_fingerprint(
    store: Store, stored: str, text: str, same: bool
) -> None:
    t = datetime(2024, 11, 20, 8, tzinfo=UTC)
    first = make_alert(store, 1, CAMPAIGN, at=t)
    with store.session() as session:
        row = session.get(AlertRow, first)
        assert row is not None
        assert row.fingerprint == sorted(fingerprint(CAMPAIGN))
        if stored.startswith("NULL"):
            row.fingerprint = None
        elif stored.endswith("OTHER"):
            row.fingerprint = sorted(fingerprint(OTHER))
    second = make_alert(store, 2, text, at=t + timedelta(hours=1))
    assert (groups(store)[second] == first) is same
