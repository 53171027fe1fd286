"""Collection: every served account of every collector, concurrently, politely, and
isolated.

- Accounts are polled by ``schedule.concurrency`` worker threads per collector; their writes
  go through one ``Writer`` (group commit). Posts and the cursor that covers them commit in
  one transaction, so a crash resumes from the last stored post.
- A failing account backs off exponentially with jitter (``Retry-After`` when the source
  gave one); one account's failure never stops another's.
- A per-collector circuit breaker opens after ``breaker_threshold`` route failures in a
  row (at once for a collector that is broken), skips the collector for a cooldown that
  doubles while it keeps failing, then lets one trial poll through (half-open).
- Every poll is a ``collection_runs`` row; the account's state (next poll, failures, last
  success, last error) feeds scheduling and the coverage report.
- Within the look-back window posts are listed again (at most every ``rescan_every``) to
  record edits and deletions as observations; a deleted post keeps its evidence.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from loguru import logger
from sqlalchemy.orm import Session

from monitor.collect.base import Collector, Listing, Schedule
from monitor.domain import Account, Post
from monitor.errors import CollectError, CollectorBroken, Problem, RateLimited
from monitor.service.writer import Writer
from monitor.store import Store
from monitor.store.models import CollectorStateRow, utcnow
from monitor.store.people import list_accounts
from monitor.store.posts import (
    ListingResult,
    StoreResult,
    get_cursor,
    record_listing,
    set_cursor,
    store_posts,
)
from monitor.store.retry import is_disconnect
from monitor.store.runs import (
    account_state,
    account_states,
    collector_state,
    finish_run,
    start_run,
)

Clock = Callable[[], datetime]

#: the longest a breaker stays open before it lets a trial poll through
MAX_COOLDOWN = 24 * 3600.0


def backoff_delay(failures: int, schedule: Schedule, rng: random.Random) -> float:
    """Seconds before a failing account is tried again: base, 2x base, 4x base ... capped
    at ``backoff_max``, each drawn between half and all of it (jitter)."""
    ceiling = min(schedule.backoff_max, schedule.backoff_base * 2 ** max(0, failures - 1))
    return float(ceiling * rng.uniform(0.5, 1.0))


def poll_interval(schedule: Schedule, rng: random.Random) -> float:
    """Seconds until the next regular poll: the interval, spread by the jitter."""
    return float(schedule.interval * (1.0 + rng.uniform(-schedule.jitter, schedule.jitter)))


class Breaker:
    """The circuit breaker of one collector, shared by its worker threads."""

    def __init__(self, row: CollectorStateRow, schedule: Schedule, clock: Clock) -> None:
        self.state = row.state
        self.failures = row.failures
        self.trips = row.trips
        self.opened_at = row.opened_at
        self.open_until = row.open_until
        self.reason = row.reason
        self._schedule = schedule
        self._clock = clock
        self._lock = threading.Lock()
        self._trial_running = False
        self.changed = False

    def needs_trial(self) -> bool:
        """The cooldown is over: the next poll is a trial that decides."""
        with self._lock:
            return self.state != "closed" and not self._cooling()

    def _cooling(self) -> bool:
        return self.open_until is not None and self._clock() < self.open_until

    def allow(self) -> bool:
        with self._lock:
            if self.state == "closed":
                return True
            if self._cooling() or self._trial_running:
                return False
            self.state = "half_open"
            self._trial_running = True
            self.changed = True
            return True

    def success(self) -> None:
        with self._lock:
            self._trial_running = False
            if self.state != "closed" or self.failures or self.trips:
                self.changed = True
            self.state, self.failures, self.trips = "closed", 0, 0
            self.opened_at = self.open_until = None
            self.reason = None

    def neutral(self) -> None:
        """A poll that says nothing about the route (the account is gone)."""
        with self._lock:
            if self._trial_running:  # the trial reached the source: it works
                self._trial_running = False
                self.state, self.failures, self.trips = "closed", 0, 0
                self.opened_at = self.open_until = None
                self.reason = None
                self.changed = True

    def failure(self, error: CollectError) -> None:
        with self._lock:
            self.changed = True
            self.failures += 1
            trial, self._trial_running = self._trial_running, False
            if (
                isinstance(error, CollectorBroken)
                or trial
                or self.failures >= self._schedule.breaker_threshold
            ):
                self._open(str(error))

    def open(self, reason: str) -> None:
        with self._lock:
            self.changed = True
            self._open(reason)

    def _open(self, reason: str) -> None:
        now = self._clock()
        self.trips += 1
        cooldown = min(MAX_COOLDOWN, self._schedule.breaker_cooldown * 2 ** (self.trips - 1))
        self.state, self.opened_at = "open", now
        self.open_until = now + timedelta(seconds=cooldown)
        self.reason = reason

    def save(self, row: CollectorStateRow) -> None:
        with self._lock:
            row.state, row.failures, row.trips = self.state, self.failures, self.trips
            row.opened_at, row.open_until, row.reason = self.opened_at, self.open_until, self.reason
            row.updated_at = self._clock()


@dataclass
class CollectReport:
    instance: str
    #: accounts polled (successfully or not)
    accounts: int = 0
    failed_accounts: int = 0
    #: accounts not polled: backing off after failures, or not due yet
    backing_off: int = 0
    not_due: int = 0
    #: accounts not polled because the breaker is open or the source asked to wait
    deferred: int = 0
    stored: StoreResult = field(default_factory=StoreResult)
    listing: ListingResult = field(default_factory=ListingResult)
    reads: int = 0
    errors: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: why the collector is stopped (breaker open, broken upstream), when it is
    stopped: str | None = None
    breaker: str = "closed"


@dataclass
class _Poll:
    fetched: int = 0
    stored: StoreResult = field(default_factory=StoreResult)
    listing: ListingResult = field(default_factory=ListingResult)
    reads: int = 0
    error: CollectError | None = None


class CollectorRun:
    """One pass of one collector over its accounts."""

    def __init__(
        self,
        store: Store,
        writer: Writer,
        collector: Collector,
        *,
        batch_size: int,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.stop = stop
        self.writer = writer
        self.collector = collector
        self.schedule = collector.schedule
        self.batch_size = batch_size
        self.clock = clock
        self.rng = rng or random.Random()
        self.report = CollectReport(collector.instance)
        self._lock = threading.Lock()
        self._paused_until: datetime | None = None
        with store.session() as session:
            row = collector_state(session, collector.instance)
            self.breaker = Breaker(row, self.schedule, clock)

    def run(self, accounts: Iterable[Account], *, due_only: bool, force: bool) -> CollectReport:
        instance = self.collector.instance
        broken = self.collector.broken()
        with self.store.session() as session:
            states = account_states(session, instance)
        chosen: list[Account] = []
        now = self.clock()
        for account in accounts:
            assert account.id is not None
            state = states.get(account.id)
            next_poll = state.next_poll_at if state is not None else None
            if state is not None and next_poll is not None and now < next_poll and not force:
                if state.failures or state.last_error_kind == RateLimited.kind:
                    self.report.backing_off += 1
                    continue
                if due_only:
                    self.report.not_due += 1
                    continue
            chosen.append(account)
        if broken is not None:
            if self.breaker.state != "open" or self.breaker.reason != broken:
                self.breaker.open(broken)
            self.report.deferred += len(chosen)
            logger.warning("collector {} is broken: {}", instance, broken)
            chosen = []
        elif force and self.breaker.state != "closed":
            self.breaker.success()  # an operator asked for it: start afresh
        if chosen and self.breaker.needs_trial():
            self._poll(chosen[0])
            chosen = chosen[1:]
        if self.schedule.concurrency <= 1 or len(chosen) <= 1:
            for account in chosen:
                self._poll(account)
        else:
            with ThreadPoolExecutor(
                max_workers=self.schedule.concurrency, thread_name_prefix=f"collect-{instance}"
            ) as pool:
                list(pool.map(self._poll, chosen))
        self._save_breaker()
        self.report.breaker = self.breaker.state
        if self.breaker.state == "open":
            self.report.stopped = self.breaker.reason
        self.report.problems = list(getattr(self.collector, "problems", []))
        return self.report

    def _save_breaker(self) -> None:
        if not self.breaker.changed:
            return

        def job(session: Session) -> None:
            self.breaker.save(collector_state(session, self.collector.instance))

        self.writer.submit(job)

    def _deferred(self) -> bool:
        if self.stop is not None and self.stop.is_set():
            return True  # the service is stopping: leave the account for the next start
        with self._lock:
            paused = self._paused_until is not None and self.clock() < self._paused_until
        return paused or not self.breaker.allow()

    def _poll(self, account: Account) -> None:
        if self._deferred():
            with self._lock:
                self.report.deferred += 1
            return
        assert account.id is not None
        account_id = account.id
        instance = self.collector.instance
        started = self.clock()

        def begin(session: Session) -> tuple[int, str | None, datetime | None]:
            run_id = start_run(session, instance, account_id, now=started)
            state = account_state(session, instance, account_id)
            return run_id, get_cursor(session, instance, account_id), state.last_rescan_at

        run_id, cursor, last_rescan = self.writer.submit(begin)
        poll = _Poll()
        rescanned = cursor is None  # the first poll went back the whole window already
        try:
            self._fetch(account, cursor, poll)
            if self._rescan_due(cursor, last_rescan):
                since = self.clock() - timedelta(seconds=self.collector.options.lookback)
                listing = self.collector.rescan(account, since)
                if listing is not None:
                    self._store_listing(account, listing, poll)
                    rescanned = True
        except CollectError as exc:
            poll.error = exc
        except Exception as exc:  # a plugin bug must not stop the other accounts
            if is_disconnect(exc):  # the database, not the plugin: the service retries
                raise
            logger.exception("collector {} crashed on account {}", instance, account.handle)
            poll.error = CollectError(f"galat tak terduga di pengumpul {instance}: {exc!r}")
        self._finish(account, run_id, poll, rescanned)

    def _rescan_due(self, cursor: str | None, last_rescan: datetime | None) -> bool:
        every = self.schedule.rescan_every
        if every <= 0 or self.collector.options.lookback <= 0 or cursor is None:
            return False  # the first poll already went back the whole window
        return last_rescan is None or self.clock() - last_rescan >= timedelta(seconds=every)

    def _fetch(self, account: Account, cursor: str | None, poll: _Poll) -> None:
        batch: list[Post] = []
        for post in self.collector.fetch(account, cursor):
            poll.fetched += 1
            batch.append(post)
            if len(batch) >= self.batch_size:
                self._store_batch(account, batch, poll)
                batch = []
        self._store_batch(account, batch, poll)
        if self.collector.billed:
            poll.reads += poll.fetched

    def _store_batch(self, account: Account, batch: list[Post], poll: _Poll) -> None:
        if not batch:
            return
        assert account.id is not None
        account_id = account.id
        collector = self.collector
        now = self.clock()

        def job(session: Session) -> StoreResult:
            ids: dict[tuple[str, str], int | None] = {
                (p.platform, p.post_id): account_id for p in batch
            }
            result = store_posts(
                session,
                batch,
                collector=collector.instance,
                collector_version=f"{collector.name}/{collector.version}",
                account_ids=ids,
                now=now,
            )
            last = batch[-1].cursor
            if last is not None:
                set_cursor(session, collector.instance, account_id, last, now=now)
            return result

        poll.stored += self.writer.submit(job)

    def _store_listing(self, account: Account, listing: Listing, poll: _Poll) -> None:
        assert account.id is not None
        account_id = account.id
        collector = self.collector
        now = self.clock()

        def job(session: Session) -> tuple[StoreResult, ListingResult]:
            ids: dict[tuple[str, str], int | None] = {
                (p.platform, p.post_id): account_id for p in listing.posts
            }
            stored = store_posts(
                session,
                listing.posts,
                collector=collector.instance,
                collector_version=f"{collector.name}/{collector.version}",
                account_ids=ids,
                now=now,
            )
            judged = record_listing(
                session,
                collector=collector.instance,
                account_id=account_id,
                post_ids={p.post_id for p in listing.posts},
                complete_since=listing.complete_since,
                now=now,
            )
            return stored, judged

        stored, judged = self.writer.submit(job)
        poll.stored.new += stored.new
        poll.stored.edited += stored.edited
        poll.listing = judged
        poll.reads += listing.reads

    def _finish(self, account: Account, run_id: int, poll: _Poll, rescanned: bool) -> None:
        assert account.id is not None
        account_id = account.id
        instance = self.collector.instance
        now = self.clock()
        error = poll.error
        if error is None:
            self.breaker.success()
            wait = poll_interval(self.schedule, self.rng)
        elif isinstance(error, RateLimited):
            self.breaker.neutral()
            after = error.retry_after
            wait = after if after is not None else self.schedule.backoff_base
            if after is not None and after > self.collector.options.max_wait:
                with self._lock:  # the source asked everyone to wait: later accounts too
                    self._paused_until = now + timedelta(seconds=after)
        elif error.counts_against_collector:
            self.breaker.failure(error)
            wait = 0.0
        else:
            self.breaker.neutral()
            wait = 0.0

        def job(session: Session) -> None:
            state = account_state(session, instance, account_id)
            state.last_attempt_at = now
            delay = wait
            if error is None:
                state.failures = 0
                state.last_success_at = now
                state.last_error_kind = None
                if rescanned:
                    state.last_rescan_at = now
            else:
                if not isinstance(error, RateLimited):
                    state.failures += 1
                    delay = backoff_delay(state.failures, self.schedule, self.rng)
                    if error.retry_after is not None:
                        delay = max(delay, error.retry_after)
                state.last_error_at = now
                state.last_error = str(error)
                state.last_error_kind = error.kind
            state.next_poll_at = now + timedelta(seconds=delay)
            finish_run(
                session,
                run_id,
                status="ok" if error is None else "error",
                fetched=poll.fetched,
                new=poll.stored.new,
                error=None if error is None else str(error),
                error_kind=None if error is None else error.kind,
                reads=poll.reads,
                now=now,
            )

        self.writer.submit(job)
        with self._lock:
            report = self.report
            report.accounts += 1
            report.stored += poll.stored
            report.listing.deleted += poll.listing.deleted
            report.listing.restored += poll.listing.restored
            report.reads += poll.reads
            if error is not None:
                report.failed_accounts += 1
                report.errors.append(f"{account.platform}:{account.handle}: {error}")
        if error is not None:
            logger.warning(
                "collector {} failed for {}:{} ({}): {}",
                instance,
                account.platform,
                account.handle,
                error.kind,
                error,
            )


def collect_all(
    store: Store,
    collectors: dict[str, Collector],
    *,
    batch_size: int,
    due_only: bool = False,
    force: bool = False,
    clock: Clock = utcnow,
    rng: random.Random | None = None,
    stop: threading.Event | None = None,
) -> list[CollectReport]:
    """Poll every active account each collector serves; collectors run side by side.

    ``due_only``: only accounts whose next poll time has come (the daemon); otherwise all
    accounts except those backing off after failures (``run --once``). ``force``: also
    those, and a stopped breaker is reset. ``stop``: once set, no further account is
    polled (the service is shutting down; polls under way finish and commit)."""
    with store.session() as session:
        accounts = [v.account for v in list_accounts(session, active_only=True)]
    reports: dict[str, CollectReport] = {}
    with Writer(store) as writer:

        def one(collector: Collector) -> None:
            served = [a for a in accounts if collector.serves(a)]
            run = CollectorRun(
                store, writer, collector, batch_size=batch_size, clock=clock, rng=rng, stop=stop
            )
            reports[collector.instance] = run.run(served, due_only=due_only, force=force)

        if len(collectors) <= 1:
            for collector in collectors.values():
                one(collector)
        else:
            with ThreadPoolExecutor(max_workers=len(collectors)) as pool:
                list(pool.map(one, collectors.values()))
    return [reports[name] for name in collectors]
