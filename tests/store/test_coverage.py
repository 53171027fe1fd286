"""Coverage: which watched accounts the team can trust it sees, and which it cannot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain import Account, EmploymentType, Person
from monitor.store import Store
from monitor.store.coverage import CollectorInfo, _status, coverage
from monitor.store.models import AccountStateRow, CollectionRunRow, CollectorStateRow, PostRow
from monitor.store.people import upsert_account, upsert_person

NOW = datetime(2024, 11, 20, 7, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def state(
    *,
    attempt: timedelta | None = None,
    success: timedelta | None = None,
    failures: int = 0,
) -> AccountStateRow:
    return AccountStateRow(
        collector="c",
        account_id=1,
        failures=failures,
        last_attempt_at=NOW - attempt if attempt is not None else None,
        last_success_at=NOW - success if success is not None else None,
    )


@pytest.mark.parametrize(
    ("collectors", "states", "last_post", "expected"),
    [
        ((), [], None, "uncovered"),
        (("x",), [], None, "never"),
        (("x",), [state(attempt=DAY / 24, success=DAY / 24)], NOW - DAY, "ok"),
        (("x",), [state(attempt=DAY / 24, success=DAY / 24)], NOW - 20 * DAY, "silent"),
        (("x",), [state(attempt=DAY / 24, success=DAY / 24)], None, "silent"),
        (("x",), [state(attempt=DAY / 24, success=DAY, failures=2)], NOW - DAY, "failing"),
        (("x",), [state(attempt=DAY / 24, success=3 * DAY, failures=9)], NOW, "unreachable"),
        (("x",), [state(attempt=DAY / 24, failures=1)], None, "failing"),
        (("x",), [state(attempt=3 * DAY, failures=30)], None, "unreachable"),
        (
            ("x", "feed"),
            [state(attempt=DAY / 24, failures=5), state(attempt=DAY / 24, success=DAY / 24)],
            NOW - DAY,
            "ok",
        ),
    ],
    ids=[
        "no-collector", "never-polled", "ok", "silent-20-days", "silent-never-posted",
        "failing-recently", "unreachable-3-days", "failing-new", "unreachable-never-worked",
        "one-route-works",
    ],
)  # fmt: skip
def test_status(
    collectors: tuple[str, ...],
    states: list[AccountStateRow],
    last_post: datetime | None,
    expected: str,
) -> None:
    assert _status(collectors, states, last_post, NOW, 14, 2) == expected


def test_coverage_reads_the_database(store: Store) -> None:
    with store.session() as session:
        ids = {}
        for platform, handle in [("x", "@ani"), ("facebook", "ani.fb")]:
            person, _ = upsert_person(
                session,
                Person(key="P1", name="Ani", employment_type=EmploymentType.PNS, agency="Dinas"),
            )
            row, _ = upsert_account(session, Account(platform, handle, "P1"), person)
            ids[handle] = row.id
        session.add(
            AccountStateRow(
                collector="x_api",
                account_id=ids["@ani"],
                failures=0,
                last_attempt_at=NOW - timedelta(hours=1),
                last_success_at=NOW - timedelta(hours=1),
            )
        )
        session.add(
            PostRow(
                platform="x",
                post_id="1",
                account_id=ids["@ani"],
                author="@ani",
                created_at=NOW - DAY,
                text="halo",
                payload="{}",
                payload_sha256="0" * 64,
                collector="x_api",
                collector_version="x_api/1",
            )
        )
        session.add(
            CollectionRunRow(
                collector="x_api",
                account_id=ids["@ani"],
                started_at=NOW - timedelta(hours=1),
                status="ok",
                reads=40,
            )
        )
        session.add(
            CollectorStateRow(
                collector="rss",
                state="open",
                failures=5,
                trips=1,
                reason="HTTP 502",
                updated_at=NOW,
            )
        )
    infos = [
        CollectorInfo("x_api", "x_api", billed=True, cost_per_read=0.005),
        CollectorInfo("rss", "feed"),
    ]
    with store.session() as session:
        report = coverage(
            session,
            now=NOW,
            served={ids["@ani"]: ["x_api"], ids["ani.fb"]: []},
            collectors=infos,
        )
    statuses = {a.handle: a.status for a in report.accounts}
    assert statuses == {"@ani": "ok", "ani.fb": "uncovered"}
    assert report.checked == 1
    assert report.reads == 40 and report.cost == pytest.approx(0.2)
    assert [c.info.instance for c in report.stopped_collectors] == ["rss"]
    assert report.stopped_collectors[0].reason == "HTTP 502"
