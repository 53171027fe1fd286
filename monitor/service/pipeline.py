"""One pass of the pipeline: collect -> store posts -> detect -> decide -> store alerts.

Every step commits in batches that are safe to cut off: posts and the cursor that covers
them commit together (see collecting.py); decisions and their alerts commit together.
Killing the process at any point and running again loses nothing and duplicates nothing.

Detection decides new posts first, then the edited versions of decided posts (a text
changed after it was collected): a post raises at most one alert, about the first version
that flags.
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
from monitor.domain import Decision
from monitor.service.collecting import CollectReport, collect_all
from monitor.store import Store
from monitor.store.alerts import save_decisions, save_edit_decisions
from monitor.store.models import AlertRow, PostObservationRow, utcnow
from monitor.store.posts import pending_edits, pending_posts, to_edited_post, to_post
from monitor.store.runs import mark_interrupted

Clock = Callable[[], datetime]


@dataclass
class DetectReport:
    #: posts decided on the text first collected, and the alerts raised about that text
    decided: int = 0
    flagged: int = 0
    #: edited versions decided, and the alerts raised about one of them
    edits_decided: int = 0
    edits_flagged: int = 0


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
    """Decide every post that has no decision yet, then every edited version not decided
    yet, batch by batch. ``on_alerts`` runs in the same transaction as the decisions and
    alerts it is given."""
    report = DetectReport()
    while stop is None or not stop.is_set():
        with store.session() as session:
            rows = pending_posts(session, batch_size)
            if not rows:
                break
            posts = [to_post(r) for r in rows]
            decided = list(zip(rows, decider.decide(posts), strict=True))
            now = clock()
            raised = save_decisions(session, decided, now=now)
            if raised and on_alerts is not None:
                on_alerts(session, raised, now)
            report.flagged += len(raised)
            report.decided += len(decided)
    while stop is None or not stop.is_set():
        with store.session() as session:
            edits = pending_edits(session, batch_size)
            if not edits:
                break
            decided_edits = decide_edits(decider, edits)
            now = clock()
            raised = save_edit_decisions(session, decided_edits, now=now)
            if raised and on_alerts is not None:
                on_alerts(session, raised, now)
            report.edits_flagged += len(raised)
            report.edits_decided += len(decided_edits)
    return report


def decide_edits(
    decider: Decider, edits: list[PostObservationRow]
) -> list[tuple[PostObservationRow, Decision]]:
    """Decide edited versions, each as the post with the edit's text. Rule matches are
    keyed by (platform, post id), so two versions of one post never go to the decider in
    the same call: each call takes at most one version per post, oldest first."""
    decided: list[tuple[PostObservationRow, Decision]] = []
    remaining = edits
    while remaining:
        batch: list[PostObservationRow] = []
        later: list[PostObservationRow] = []
        posts: set[int] = set()
        for edit in remaining:
            (later if edit.post_id in posts else batch).append(edit)
            posts.add(edit.post_id)
        versions = [to_edited_post(edit) for edit in batch]
        decided += zip(batch, decider.decide(versions), strict=True)
        remaining = later
    return sorted(decided, key=lambda pair: pair[0].id)


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
        "run finished: {} collectors, {} posts decided, {} alerts; {} edits decided, {} alerts",
        len(collectors),
        report.detected.decided,
        report.detected.flagged,
        report.detected.edits_decided,
        report.detected.edits_flagged,
    )
    return report
