"""One pass of the pipeline: collect -> store posts -> detect -> decide -> store alerts.

Every step commits in batches that are safe to cut off: posts and the cursor that covers
them commit together; decisions and their alerts commit together. Killing the process at
any point and running again loses nothing and duplicates nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from loguru import logger

from monitor.collect.base import Collector
from monitor.detect.decider import Decider
from monitor.domain import Account, Post
from monitor.errors import CollectError, Problem
from monitor.store import Store
from monitor.store.alerts import save_decisions
from monitor.store.models import utcnow
from monitor.store.people import list_accounts
from monitor.store.posts import (
    StoreResult,
    get_cursor,
    pending_posts,
    set_cursor,
    store_posts,
    to_post,
)
from monitor.store.runs import finish_run, mark_interrupted, start_run

Clock = Callable[[], datetime]


@dataclass
class CollectReport:
    instance: str
    accounts: int = 0
    failed_accounts: int = 0
    stored: StoreResult = field(default_factory=StoreResult)
    errors: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class DetectReport:
    decided: int = 0
    flagged: int = 0


@dataclass
class RunReport:
    collected: list[CollectReport] = field(default_factory=list)
    detected: DetectReport = field(default_factory=DetectReport)
    interrupted_runs: int = 0


def collect_account(
    store: Store, collector: Collector, account: Account, *, batch_size: int, clock: Clock = utcnow
) -> StoreResult:
    """Fetch one account and store its posts in batches, each with its cursor."""
    assert account.id is not None
    with store.session() as session:
        cursor = get_cursor(session, collector.instance, account.id)
        run_id = start_run(session, collector.instance, account.id, now=clock())
    total = StoreResult()
    fetched = 0
    batch: list[Post] = []

    def flush() -> None:
        nonlocal batch
        if not batch:
            return
        assert account.id is not None
        with store.session() as session:
            ids: dict[tuple[str, str], int | None] = {
                (p.platform, p.post_id): account.id for p in batch
            }
            total.__iadd__(
                store_posts(
                    session,
                    batch,
                    collector=collector.instance,
                    collector_version=f"{collector.name}/{collector.version}",
                    account_ids=ids,
                    now=clock(),
                )
            )
            last = batch[-1].cursor
            if last is not None:
                set_cursor(session, collector.instance, account.id, last, now=clock())
        batch = []

    try:
        for post in collector.fetch(account, cursor):
            fetched += 1
            batch.append(post)
            if len(batch) >= batch_size:
                flush()
        flush()
    except CollectError as exc:
        with store.session() as session:
            finish_run(
                session,
                run_id,
                status="error",
                fetched=fetched,
                new=total.new,
                error=str(exc),
                now=clock(),
            )
        raise
    with store.session() as session:
        finish_run(session, run_id, status="ok", fetched=fetched, new=total.new, now=clock())
    return total


def collect(
    store: Store, collector: Collector, *, batch_size: int, clock: Clock = utcnow
) -> CollectReport:
    """Collect every active account the collector serves; one account's failure never
    stops another's."""
    report = CollectReport(collector.instance)
    with store.session() as session:
        accounts = [v.account for v in list_accounts(session, active_only=True)]
    for account in accounts:
        if not collector.serves(account):
            continue
        report.accounts += 1
        try:
            report.stored += collect_account(
                store, collector, account, batch_size=batch_size, clock=clock
            )
        except CollectError as exc:
            report.failed_accounts += 1
            report.errors.append(f"{account.platform}:{account.handle}: {exc}")
            logger.warning(
                "collector {} failed for {}:{}: {}",
                collector.instance,
                account.platform,
                account.handle,
                exc,
            )
    report.problems = list(getattr(collector, "problems", []))
    return report


def detect_pending(
    store: Store, decider: Decider, *, batch_size: int, clock: Clock = utcnow
) -> DetectReport:
    """Decide every post that has no decision yet, batch by batch."""
    report = DetectReport()
    while True:
        with store.session() as session:
            rows = pending_posts(session, batch_size)
            if not rows:
                return report
            posts = [to_post(r) for r in rows]
            decided = list(zip(rows, decider.decide(posts), strict=True))
            report.flagged += save_decisions(session, decided, now=clock())
            report.decided += len(decided)


def run_once(
    store: Store,
    collectors: dict[str, Collector],
    decider: Decider,
    *,
    batch_size: int,
    clock: Clock = utcnow,
) -> RunReport:
    report = RunReport()
    with store.session() as session:
        report.interrupted_runs = mark_interrupted(session, now=clock())
    for collector in collectors.values():
        report.collected.append(collect(store, collector, batch_size=batch_size, clock=clock))
    report.detected = detect_pending(store, decider, batch_size=batch_size, clock=clock)
    logger.info(
        "run finished: {} collectors, {} posts decided, {} alerts",
        len(collectors),
        report.detected.decided,
        report.detected.flagged,
    )
    return report
