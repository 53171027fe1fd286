"""One pass of the pipeline: collect -> store posts -> detect -> decide -> store alerts.

Every step commits in batches that are safe to cut off: posts and the cursor that covers
them commit together (see collecting.py); decisions and their alerts commit together.
Killing the process at any point and running again loses nothing and duplicates nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from loguru import logger
from sqlalchemy.orm import Session

from monitor.collect.base import Collector
from monitor.detect.decider import Decider
from monitor.service.collecting import CollectReport, collect_all
from monitor.store import Store
from monitor.store.alerts import save_decisions
from monitor.store.models import AlertRow, utcnow
from monitor.store.posts import pending_posts, to_post
from monitor.store.runs import mark_interrupted

Clock = Callable[[], datetime]


@dataclass
class DetectReport:
    decided: int = 0
    flagged: int = 0


@dataclass
class RunReport:
    collected: list[CollectReport] = field(default_factory=list)
    detected: DetectReport = field(default_factory=DetectReport)
    interrupted_runs: int = 0


#: called in the transaction that raised the alerts (grouping, immediate notices)
AlertHook = Callable[[Session, list[AlertRow], datetime], None]


def detect_pending(
    store: Store,
    decider: Decider,
    *,
    batch_size: int,
    clock: Clock = utcnow,
    on_alerts: AlertHook | None = None,
    stop: threading.Event | None = None,
) -> DetectReport:
    """Decide every post that has no decision yet, batch by batch. ``on_alerts`` runs in
    the same transaction as the decisions and alerts it is given."""
    report = DetectReport()
    while stop is None or not stop.is_set():
        with store.session() as session:
            rows = pending_posts(session, batch_size)
            if not rows:
                return report
            posts = [to_post(r) for r in rows]
            decided = list(zip(rows, decider.decide(posts), strict=True))
            now = clock()
            raised = save_decisions(session, decided, now=now)
            if raised and on_alerts is not None:
                on_alerts(session, raised, now)
            report.flagged += len(raised)
            report.decided += len(decided)
    return report


def run_once(
    store: Store,
    collectors: dict[str, Collector],
    decider: Decider,
    *,
    batch_size: int,
    due_only: bool = False,
    force: bool = False,
    clock: Clock = utcnow,
    on_alerts: AlertHook | None = None,
) -> RunReport:
    report = RunReport()
    with store.session() as session:
        report.interrupted_runs = mark_interrupted(session, now=clock())
    report.collected = collect_all(
        store, collectors, batch_size=batch_size, due_only=due_only, force=force, clock=clock
    )
    report.detected = detect_pending(
        store, decider, batch_size=batch_size, clock=clock, on_alerts=on_alerts
    )
    logger.info(
        "run finished: {} collectors, {} posts decided, {} alerts",
        len(collectors),
        report.detected.decided,
        report.detected.flagged,
    )
    return report
