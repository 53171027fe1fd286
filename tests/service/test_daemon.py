"""``asn-monitor run``, the service, as systemd runs it: SIGKILLed at 20 random moments and
restarted each time, it loses and duplicates nothing (posts, decisions, alerts, digests,
notices); SIGTERM stops it within the timeout; SIGHUP reloads rules and keeps the last
good set when a file is broken."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.store import Store
from monitor.store.models import (
    AlertRow,
    DecisionRow,
    DigestRow,
    JobRunRow,
    NoticeRow,
    OutboxRow,
    PostRow,
)
from monitor.watchlist.sync import import_watchlist
from tests.conftest import ROOT
from tests.service.helpers import RULES, expected_alerts, make_project, many_posts

N = 600


def project(tmp_path: Path, store: Store) -> Path:
    config = make_project(tmp_path, posts=many_posts(N), batch_size=5)
    import_watchlist(store, tmp_path / "watchlist.csv")
    with config.open("a", encoding="utf-8") as out:
        out.write(
            """\
daemon: {collect_every: 1, detect_every: 1, deliver_every: 1, shutdown_timeout: 20}
notifiers:
  kotak: {type: file, dir: kotak}
notices: {min_severity: critical, suppress_for: 1s}
"""
        )
    return config


def start(config: Path, database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MONITOR_DATABASE_URL": database_url, "HF_HUB_OFFLINE": "1"}
    env.pop("NOTIFY_SOCKET", None)
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "-c", str(config), "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def count(store: Store, table: type) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def wait_for(check: Callable[[], bool], timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def duplicates(store: Store) -> dict[str, int]:
    with store.session() as session:

        def dup(*columns: object) -> int:
            return len(
                session.execute(
                    select(*columns).group_by(*columns).having(func.count() > 1)  # type: ignore[arg-type]
                ).all()
            )

        return {
            "posts": dup(PostRow.platform, PostRow.post_id),
            "decisions": dup(DecisionRow.post_id),
            "alerts": dup(AlertRow.post_id),
            "digests": dup(DigestRow.kind, DigestRow.window_start),
            "notices": dup(NoticeRow.alert_id),
            "outbox": dup(OutboxRow.key),
        }


def finished(store: Store) -> bool:
    with store.session() as session:
        pending = session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status != "sent")
        )
    return (
        count(store, PostRow) == N
        and count(store, DecisionRow) == N
        and count(store, DigestRow) == 1
        and pending == 0
    )


@pytest.mark.slow
def test_twenty_sigkills_lose_and_duplicate_nothing(
    tmp_path: Path, store: Store, database_url: str
) -> None:
    config = project(tmp_path, store)
    log = tmp_path / "daemon.log"
    rng = random.Random(20)
    for _ in range(20):
        proc = start(config, database_url, log)
        time.sleep(rng.uniform(0.3, 3.0))
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        assert duplicates(store) == dict.fromkeys(duplicates(store), 0)
    proc = start(config, database_url, log)
    try:
        assert wait_for(lambda: finished(store)), log.read_text(encoding="utf-8")[-3000:]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert count(store, AlertRow) == expected_alerts(N)
    assert duplicates(store) == dict.fromkeys(duplicates(store), 0)
    sent = count(store, OutboxRow)
    notices = count(store, NoticeRow)
    assert sent == notices_sent(store) + 1  # one digest, one message per notice not held back
    assert notices > 0
    drop = tmp_path / "kotak"
    assert len(list(drop.glob("*.eml"))) == sent  # each message written once (same key, same file)
    with store.session() as session:
        digest_runs = session.scalars(select(JobRunRow).where(JobRunRow.job == "digest")).all()
    assert [r.status for r in digest_runs] == ["ok"]


def notices_sent(store: Store) -> int:
    with store.session() as session:
        return (
            session.scalar(
                select(func.count()).select_from(NoticeRow).where(NoticeRow.suppressed.is_(False))
            )
            or 0
        )


@pytest.mark.slow
def test_sigterm_finishes_the_batch_and_exits_in_time(
    tmp_path: Path, store: Store, database_url: str
) -> None:
    config = project(tmp_path, store)
    log = tmp_path / "daemon.log"
    proc = start(config, database_url, log)
    assert wait_for(lambda: count(store, PostRow) > 0, timeout=60)
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert time.monotonic() - began < 30
    text = log.read_text(encoding="utf-8")
    assert "stopping after the current batch" in text and "service stopped" in text
    with store.session() as session:
        running = session.scalar(
            select(func.count()).select_from(JobRunRow).where(JobRunRow.status == "running")
        )
    assert running == 0


@pytest.mark.slow
def test_sighup_reloads_rules_and_keeps_the_last_good_set(
    tmp_path: Path, store: Store, database_url: str
) -> None:
    config = project(tmp_path, store)
    log = tmp_path / "daemon.log"
    rules = tmp_path / "rules" / "rules.yaml"
    proc = start(config, database_url, log)
    try:
        assert wait_for(lambda: "service started" in log.read_text(encoding="utf-8"), 60)
        rules.write_text(RULES.replace("severity: critical", "severity: catastrophic"), "utf-8")
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "reload refused" in log.read_text(encoding="utf-8"), 30)
        assert proc.poll() is None  # still running on the last good rules
        rules.write_text(RULES, encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "reloaded 2 rules" in log.read_text(encoding="utf-8"), 30)
        assert wait_for(lambda: count(store, DecisionRow) == N, 120)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert count(store, AlertRow) == expected_alerts(N)
