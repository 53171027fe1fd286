"""SIGKILL part-way through ``asn-monitor run --once``, then run again: no post, decision
or alert is lost or duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.store import Store
from monitor.store.models import AlertRow, CollectionRunRow, DecisionRow, PostRow
from monitor.watchlist.sync import import_watchlist
from tests.conftest import ROOT, run_cli
from tests.service.helpers import expected_alerts, make_project, many_posts

N = 1500

TABLES = {"posts": PostRow, "decisions": DecisionRow, "alerts": AlertRow}


def counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in TABLES.items()
        }


def duplicates(store: Store) -> dict[str, int]:
    """Rows sharing a natural key; the schema forbids them, the test checks anyway."""
    with store.session() as session:
        posts = session.execute(
            select(PostRow.platform, PostRow.post_id)
            .group_by(PostRow.platform, PostRow.post_id)
            .having(func.count() > 1)
        ).all()
        decisions = session.execute(
            select(DecisionRow.post_id).group_by(DecisionRow.post_id).having(func.count() > 1)
        ).all()
        alerts = session.execute(
            select(AlertRow.post_id).group_by(AlertRow.post_id).having(func.count() > 1)
        ).all()
    return {"posts": len(posts), "decisions": len(decisions), "alerts": len(alerts)}


@pytest.mark.slow
@pytest.mark.parametrize(
    "phase", ["posts", "decisions"], ids=["during-collection", "during-detection"]
)
def test_sigkill_part_way_loses_and_duplicates_nothing(
    tmp_path: Path, store: Store, database_url: str, phase: str
) -> None:
    config = make_project(tmp_path, posts=many_posts(N), batch_size=5)
    import_watchlist(store, tmp_path / "watchlist.csv")
    env = {**os.environ, "MONITOR_DATABASE_URL": database_url, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "-c", str(config), "run", "--once"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed_at = None
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            seen = counts(store)[phase]
            if 0 < seen < N:
                proc.send_signal(signal.SIGKILL)
                killed_at = seen
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert killed_at is not None, f"the run ended before any kill point in phase {phase}"
    assert proc.returncode == -signal.SIGKILL

    after_kill = counts(store)
    assert after_kill[phase] < N  # the kill really was part-way

    second = run_cli("-c", str(config), "run", "--once", database_url=database_url)
    assert second.returncode == 0, second.stderr

    assert counts(store) == {"posts": N, "decisions": N, "alerts": expected_alerts(N)}
    assert duplicates(store) == {"posts": 0, "decisions": 0, "alerts": 0}
    with store.session() as session:
        statuses = set(session.scalars(select(CollectionRunRow.status)))
    assert "running" not in statuses
    if phase == "posts":
        assert "interrupted" in statuses
