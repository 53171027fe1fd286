"""One pass of the pipeline through real parts: JSONL collector, SQLite/PostgreSQL,
the rule engine, decisions and alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from monitor.collect.base import Collector
from monitor.domain import Account, Post
from monitor.errors import CollectError, InputError
from monitor.service.components import build_collectors, build_decider
from monitor.service.pipeline import run_once
from monitor.settings import load_settings
from monitor.store import Store
from monitor.store.models import AlertRow, CollectionRunRow, CursorRow, DecisionRow, PostRow
from monitor.store.runs import start_run
from monitor.watchlist.sync import import_watchlist
from tests.conftest import post_line
from tests.service.helpers import RULES, expected_alerts, make_project, many_posts


def counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in (
                ("posts", PostRow),
                ("decisions", DecisionRow),
                ("alerts", AlertRow),
            )
        }


def run(store: Store, config: Path):  # type: ignore[no-untyped-def]
    settings, doc = load_settings(config)
    return run_once(
        store,
        build_collectors(settings, doc),
        build_decider(settings),
        batch_size=settings.pipeline.batch_size,
    )


@pytest.fixture
def project(tmp_path: Path, store: Store) -> Path:
    config = make_project(tmp_path, posts=many_posts(60), batch_size=7)
    import_watchlist(store, tmp_path / "watchlist.csv")
    return config


def test_run_collects_decides_and_alerts(store: Store, project: Path) -> None:
    report = run(store, project)
    assert report.collected[0].accounts == 5
    assert report.collected[0].stored.new == 60
    assert report.detected.decided == 60
    assert report.detected.flagged == expected_alerts(60)
    assert counts(store) == {"posts": 60, "decisions": 60, "alerts": expected_alerts(60)}


def test_second_run_adds_nothing(store: Store, project: Path) -> None:
    run(store, project)
    report = run(store, project)
    assert report.collected[0].stored.new == 0
    assert report.detected.decided == 0
    assert counts(store) == {"posts": 60, "decisions": 60, "alerts": expected_alerts(60)}


def test_appended_posts_are_collected_from_the_cursor(store: Store, project: Path) -> None:
    run(store, project)
    with (project.parent / "posts.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(post_line("9999", "serangan fajar lagi", author="@ani") + "\n")
    report = run(store, project)
    assert report.collected[0].stored == type(report.collected[0].stored)(new=1, seen=0, edited=0)
    assert counts(store)["alerts"] == expected_alerts(60) + 1


def test_decisions_explain_themselves(store: Store, project: Path) -> None:
    run(store, project)
    with store.session() as session:
        decision = session.scalars(
            select(DecisionRow).join(PostRow).where(PostRow.post_id == "1000")
        ).one()
    assert decision.flagged and decision.category == "money_politics"
    assert decision.severity == "critical"
    [match] = decision.matches
    assert match["rule_id"] == "money.dawn"
    assert match["spans"] == [[6, 20, "serangan fajar"]]
    assert decision.versions["rules"].startswith("rules:")
    assert "app" in decision.versions


def test_every_poll_is_recorded(store: Store, project: Path) -> None:
    run(store, project)
    with store.session() as session:
        runs = session.scalars(select(CollectionRunRow)).all()
        cursors = session.scalars(select(CursorRow)).all()
    assert len(runs) == 5
    assert {r.status for r in runs} == {"ok"}
    assert sum(r.new for r in runs) == 60
    assert len(cursors) == 5


def test_runs_left_running_by_a_crash_are_marked_interrupted(store: Store, project: Path) -> None:
    with store.session() as session:
        start_run(session, "feed", None)
    report = run(store, project)
    assert report.interrupted_runs == 1


class FlakySettings(BaseModel):
    broken: str


class FlakyCollector(Collector):
    """A source that fails for one account: the others must still be collected."""

    name: ClassVar[str] = "flaky"
    Settings: ClassVar[type[BaseModel]] = FlakySettings

    def serves(self, account: Account) -> bool:
        return True

    def fetch(self, account: Account, cursor: str | None) -> Iterator[Post]:
        assert isinstance(self.settings, FlakySettings)
        if account.handle == self.settings.broken:
            raise CollectError("HTTP 503 dari sumber", retry_after=30)
        yield Post(
            platform="x",
            post_id=f"flaky-{account.handle}",
            author=account.handle,
            text="serangan fajar",
            created_at=datetime(2024, 10, 1, tzinfo=UTC),
            payload="{}",
            cursor="1",
        )


def test_one_accounts_failure_never_stops_another(store: Store, project: Path) -> None:
    settings, _ = load_settings(project)
    collector = FlakyCollector(
        FlakySettings(broken="@citra"), instance="flaky", base_dir=project.parent
    )
    report = run_once(store, {"flaky": collector}, build_decider(settings), batch_size=10)
    [collected] = report.collected
    assert collected.failed_accounts == 1
    assert "@citra" in collected.errors[0] and "503" in collected.errors[0]
    assert collected.stored.new == 4
    with store.session() as session:
        statuses = sorted(session.scalars(select(CollectionRunRow.status)).all())
    assert statuses == ["error", "ok", "ok", "ok", "ok"]


def test_rules_whose_examples_fail_are_refused(tmp_path: Path) -> None:
    config = make_project(tmp_path, posts=[])
    broken = RULES.replace("match: [ayo coblos nomor 2 ya]", "match: [ayo pilih nomor 2 ya]")
    (tmp_path / "rules" / "rules.yaml").write_text(broken, encoding="utf-8")
    settings, _ = load_settings(config)
    with pytest.raises(InputError) as caught:
        build_decider(settings)
    assert [p.code for p in caught.value.problems] == ["example-failed"]


def test_decisions_record_stage_and_route_with_a_registry(store: Store, tmp_path: Path) -> None:
    posts = [
        post_line(
            "1", "besok serangan fajar", author="@ani", created_at="2024-09-10T08:00:00+07:00"
        ),
        post_line(
            "2", "ayo coblos nomor 2", author="@budi", created_at="2024-09-10T08:00:00+07:00"
        ),
        post_line(
            "3", "ayo coblos nomor 2", author="@citra", created_at="2024-10-10T08:00:00+07:00"
        ),
        post_line("4", "makan siang", author="@dedi", created_at="2024-10-10T08:00:00+07:00"),
    ]
    config = make_project(tmp_path, posts=posts, candidates=True)
    import_watchlist(store, tmp_path / "watchlist.csv")
    run(store, config)
    with store.session() as session:
        rows = session.execute(
            select(PostRow.post_id, DecisionRow.stage, DecisionRow.route)
            .join(DecisionRow, DecisionRow.post_id == PostRow.id)
            .order_by(PostRow.post_id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("1", "pre_candidacy", "criminal"),
        ("2", "pre_candidacy", "ethics"),
        ("3", "campaign", "discipline"),
        ("4", "campaign", None),
    ]
