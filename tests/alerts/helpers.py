"""Real alerts for the review tests: the project of tests/service/helpers.py (JSONL
collector, two rules, five watched accounts in Kabupaten Sukamaju) run through the
pipeline with a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from monitor.service.components import build_collectors, build_decider
from monitor.service.pipeline import run_once
from monitor.settings import load_settings
from monitor.store import Store
from monitor.store.models import AlertRow, PostRow
from monitor.watchlist.sync import import_watchlist
from tests.conftest import post_line
from tests.service.helpers import make_project

#: 10.00 WIB on Wednesday 20 November 2024
T0 = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)

# Dinas 0: @ani, @citra, @eka; Dinas 1: @budi, @dedi
POSTS = [
    post_line("1", "besok serangan fajar di posko 7", author="@ani"),  # critical
    post_line("2", "ayo coblos nomor 2 ya", author="@budi"),  # high
    post_line("3", "makan siang di warung enak", author="@citra"),  # no alert
    post_line("4", "serangan fajar jam 5 pagi", author="@dedi"),  # critical
]


def run(store: Store, config: Path, clock: datetime) -> None:
    settings, doc = load_settings(config)
    run_once(
        store,
        build_collectors(settings, doc),
        build_decider(settings),
        batch_size=settings.pipeline.batch_size,
        clock=lambda: clock,
    )


def alert_ids(store: Store) -> dict[str, int]:
    """Alert id by the post's id."""
    with store.session() as session:
        rows = session.execute(select(PostRow.post_id, AlertRow.id).join(AlertRow.post))
        return {post_id: alert_id for post_id, alert_id in rows}


def raise_alerts(
    store: Store, root: Path, *, posts: list[str] | None = None, clock: datetime = T0
) -> dict[str, int]:
    """A project in ``root``, its watchlist imported, one pipeline run at ``clock``."""
    config = make_project(root, posts=POSTS if posts is None else posts)
    import_watchlist(store, root / "watchlist.csv")
    run(store, config, clock)
    return alert_ids(store)


def add_posts(store: Store, root: Path, lines: list[str], clock: datetime) -> dict[str, int]:
    """Append posts to the project's JSONL file and run the pipeline again at ``clock``."""
    with (root / "posts.jsonl").open("a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)
    run(store, root / "monitor.yaml", clock)
    return alert_ids(store)
