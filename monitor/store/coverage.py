"""Coverage: for every watched account, whether the team can trust that they see its posts.

An account is:
- ``uncovered``  when no enabled collector serves its platform (e.g. Facebook without an
  RSS-Bridge feed): only manual submissions reach the team;
- ``never``      when a collector serves it but has not polled it yet;
- ``unreachable`` when every poll for ``unreachable_days`` failed (or none ever succeeded);
- ``failing``    when the last poll failed but one succeeded recently;
- ``silent``     when polls succeed but no new post appeared for ``silent_days``;
- ``ok``         otherwise.

The caller says which collectors serve which account (only collectors know), so this
module needs nothing above the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.models import (
    AccountRow,
    AccountStateRow,
    CollectionRunRow,
    CollectorStateRow,
    PostRow,
)

STATUSES = ("uncovered", "unreachable", "failing", "never", "silent", "ok")


@dataclass(frozen=True)
class CollectorInfo:
    """A configured collector as the coverage report shows it."""

    instance: str
    type: str
    enabled: bool = True
    #: why it cannot work at all (broken upstream, missing token), when it cannot
    broken: str | None = None
    summary: str = ""
    billed: bool = False
    cost_per_read: float | None = None


@dataclass(frozen=True)
class CollectorCoverage:
    info: CollectorInfo
    breaker: str
    reason: str | None
    open_until: datetime | None
    accounts: int
    last_poll_at: datetime | None
    polls: int
    failed_polls: int
    reads: int

    @property
    def stopped(self) -> bool:
        return self.info.broken is not None or self.breaker != "closed"

    @property
    def cost(self) -> float | None:
        if self.info.cost_per_read is None:
            return None
        return self.reads * self.info.cost_per_read


@dataclass(frozen=True)
class AccountCoverage:
    account_id: int
    platform: str
    handle: str
    person: str
    agency: str
    collectors: tuple[str, ...]
    status: str
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_post_at: datetime | None
    failures: int
    last_error: str | None
    last_error_kind: str | None


@dataclass
class Coverage:
    generated_at: datetime
    since: datetime
    silent_days: int
    unreachable_days: int
    accounts: list[AccountCoverage] = field(default_factory=list)
    collectors: list[CollectorCoverage] = field(default_factory=list)

    def with_status(self, *statuses: str) -> list[AccountCoverage]:
        return [a for a in self.accounts if a.status in statuses]

    def count(self, status: str) -> int:
        return sum(1 for a in self.accounts if a.status == status)

    @property
    def checked(self) -> int:
        """Accounts with a successful poll in the window."""
        return sum(
            1
            for a in self.accounts
            if a.last_success_at is not None and a.last_success_at >= self.since
        )

    @property
    def stopped_collectors(self) -> list[CollectorCoverage]:
        return [c for c in self.collectors if c.stopped]

    @property
    def cost(self) -> float | None:
        costs = [c.cost for c in self.collectors if c.cost is not None]
        return sum(costs) if costs else None

    @property
    def reads(self) -> int:
        return sum(c.reads for c in self.collectors if c.info.billed)


def _status(
    collectors: Sequence[str],
    states: list[AccountStateRow],
    last_post: datetime | None,
    now: datetime,
    silent_days: int,
    unreachable_days: int,
) -> str:
    if not collectors:
        return "uncovered"
    attempts = [s.last_attempt_at for s in states if s.last_attempt_at is not None]
    if not attempts:
        return "never"
    working = any(s.failures == 0 and s.last_success_at is not None for s in states)
    if not working:  # the last poll of every collector serving it failed
        successes = [s.last_success_at for s in states if s.last_success_at is not None]
        since = max(successes) if successes else min(attempts)
        return "unreachable" if since <= now - timedelta(days=unreachable_days) else "failing"
    if last_post is None or last_post <= now - timedelta(days=silent_days):
        return "silent"
    return "ok"


def coverage(
    session: Session,
    *,
    now: datetime,
    served: Mapping[int, Sequence[str]],
    collectors: Sequence[CollectorInfo],
    since: datetime | None = None,
    silent_days: int = 14,
    unreachable_days: int = 2,
) -> Coverage:
    """The coverage of every active account. ``served`` maps account ids to the enabled
    collector instances that serve them; ``since`` starts the window for poll and read
    counts (default: the last 24 hours)."""
    since = since or now - timedelta(days=1)
    report = Coverage(now, since, silent_days, unreachable_days)
    states: dict[int, list[AccountStateRow]] = {}
    enabled = {c.instance for c in collectors if c.enabled}
    for state in session.scalars(select(AccountStateRow)):
        if state.collector in enabled:
            states.setdefault(state.account_id, []).append(state)
    last_posts = dict(
        session.execute(
            select(PostRow.account_id, func.max(PostRow.created_at))
            .where(PostRow.account_id.is_not(None))
            .group_by(PostRow.account_id)
        ).all()
    )
    accounts = session.scalars(
        select(AccountRow)
        .where(AccountRow.active.is_(True))
        .order_by(AccountRow.platform, AccountRow.handle_key)
    )
    for account in accounts:
        names = tuple(served.get(account.id, ()))
        own = states.get(account.id, [])
        errors = sorted(
            (s for s in own if s.last_error_at is not None and s.failures > 0),
            key=lambda s: s.last_error_at or now,
        )
        successes = [s.last_success_at for s in own if s.last_success_at is not None]
        attempts = [s.last_attempt_at for s in own if s.last_attempt_at is not None]
        last_post = last_posts.get(account.id)
        report.accounts.append(
            AccountCoverage(
                account_id=account.id,
                platform=account.platform,
                handle=account.handle,
                person=account.person.name,
                agency=account.person.agency,
                collectors=names,
                status=_status(names, own, last_post, now, silent_days, unreachable_days),
                last_success_at=max(successes) if successes else None,
                last_attempt_at=max(attempts) if attempts else None,
                last_post_at=last_post,
                failures=max((s.failures for s in own), default=0),
                last_error=errors[-1].last_error if errors else None,
                last_error_kind=errors[-1].last_error_kind if errors else None,
            )
        )
    breaker_rows = {r.collector: r for r in session.scalars(select(CollectorStateRow))}
    run_stats = {
        row.collector: row
        for row in session.execute(
            select(
                CollectionRunRow.collector,
                func.count().label("polls"),
                func.sum(func.coalesce(CollectionRunRow.reads, 0)).label("reads"),
                func.max(CollectionRunRow.started_at).label("last"),
            )
            .where(CollectionRunRow.started_at >= since)
            .group_by(CollectionRunRow.collector)
        ).all()
    }
    failed = dict(
        session.execute(
            select(CollectionRunRow.collector, func.count())
            .where(CollectionRunRow.started_at >= since, CollectionRunRow.status != "ok")
            .group_by(CollectionRunRow.collector)
        ).all()
    )
    for info in collectors:
        breaker = breaker_rows.get(info.instance)
        stats = run_stats.get(info.instance)
        report.collectors.append(
            CollectorCoverage(
                info=info,
                breaker=breaker.state if breaker is not None else "closed",
                reason=breaker.reason if breaker is not None else None,
                open_until=breaker.open_until if breaker is not None else None,
                accounts=sum(1 for names in served.values() if info.instance in names),
                last_poll_at=stats.last if stats is not None else None,
                polls=stats.polls if stats is not None else 0,
                failed_polls=failed.get(info.instance, 0),
                reads=int(stats.reads or 0) if stats is not None else 0,
            )
        )
    return report
