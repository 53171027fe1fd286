"""The collection engine: backoff, the circuit breaker, rate limits, re-scans for edits and
deletions, coverage state, concurrency. The collector here is scripted (a real Collector
subclass); the database is real (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from monitor.collect.base import Collector, CollectorOptions, Listing, Schedule
from monitor.domain import Account, EmploymentType, Person, Post
from monitor.errors import (
    AccountUnavailable,
    CollectError,
    CollectorBroken,
    RateLimited,
    TransientError,
)
from monitor.service.collecting import (
    Breaker,
    backoff_delay,
    collect_all,
    poll_interval,
)
from monitor.service.writer import Writer
from monitor.store import Store
from monitor.store.models import (
    AccountStateRow,
    CollectionRunRow,
    CollectorStateRow,
    PostObservationRow,
    PostRow,
)
from monitor.store.people import upsert_account, upsert_person

T0 = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Script(BaseModel):
    pass


class ScriptedCollector(Collector):
    """Posts and failures per handle, set by the test; thread-safe counters."""

    name: ClassVar[str] = "scripted"
    Settings: ClassVar[type[BaseModel]] = Script

    def __init__(self, *, schedule: Schedule | None = None, max_wait: float = 60.0) -> None:
        super().__init__(
            Script(),
            instance="scripted",
            base_dir=Path(),
            options=CollectorOptions(max_wait=max_wait, lookback=3 * 86400),
        )
        if schedule is not None:
            self.schedule = schedule
        self.posts: dict[str, list[Post]] = {}
        self.errors: dict[str, Exception] = {}
        self.calls: list[str] = []
        self.broken_reason: str | None = None
        self.billed_source = False
        self._lock = threading.Lock()

    @property  # type: ignore[override]
    def billed(self) -> bool:  # a property on the instance, for the test only
        return self.billed_source

    def serves(self, account: Account) -> bool:
        return account.platform == "x"

    def add(self, handle: str, post_id: str, text: str, *, at: datetime = T0) -> None:
        post = Post(
            platform="x",
            post_id=post_id,
            author=handle,
            text=text,
            created_at=at,
            payload=f'{{"id": "{post_id}", "text": "{text}"}}',
        )
        self.posts.setdefault(handle, []).append(post)

    def fetch(self, account: Account, cursor: str | None) -> Iterator[Post]:
        with self._lock:
            self.calls.append(account.handle)
        if account.handle in self.errors:
            raise self.errors[account.handle]
        after = int(cursor) if cursor else 0
        for index, post in enumerate(self.posts.get(account.handle, []), start=1):
            if index > after:
                yield Post(**{**post.__dict__, "cursor": str(index)})

    def rescan(self, account: Account, since: datetime) -> Listing | None:
        listed = [p for p in self.posts.get(account.handle, []) if p.created_at >= since]
        return Listing(listed, since, reads=len(listed))

    def broken(self) -> str | None:
        return self.broken_reason


def watch(store: Store, *handles: str) -> None:
    with store.session() as session:
        for i, handle in enumerate(handles):
            person = Person(key=f"P{i}", name=f"Orang {i}", employment_type=EmploymentType.PNS)
            row, _ = upsert_person(session, person)
            upsert_account(session, Account(platform="x", handle=handle, person_key=f"P{i}"), row)


def states(store: Store) -> dict[str, AccountStateRow]:
    from monitor.store.models import AccountRow

    with store.session() as session:
        rows = session.execute(
            select(AccountRow.handle, AccountStateRow).join(
                AccountStateRow, AccountStateRow.account_id == AccountRow.id
            )
        ).all()
        return {handle: state for handle, state in rows}


def run(store: Store, collector: Collector, clock: Clock, **kwargs: bool) -> object:
    [report] = collect_all(
        store,
        {collector.instance: collector},
        batch_size=2,
        clock=clock,
        rng=random.Random(7),
        **kwargs,
    )
    return report


# --- pure scheduling arithmetic ------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [(1, 150, 300), (2, 300, 600), (3, 600, 1200), (10, 3600, 7200), (30, 3600, 7200)],
    ids=["first", "second", "third", "capped", "far-capped"],
)
def test_backoff_doubles_with_jitter_up_to_the_cap(failures: int, low: float, high: float) -> None:
    schedule = Schedule(backoff_base=300, backoff_max=7200)
    rng = random.Random(1)
    delays = [backoff_delay(failures, schedule, rng) for _ in range(200)]
    assert all(low <= d <= high for d in delays)
    assert max(delays) - min(delays) > (high - low) / 4  # jitter spreads them


def test_poll_interval_spreads_by_the_jitter() -> None:
    rng = random.Random(3)
    values = [poll_interval(Schedule(interval=600, jitter=0.2), rng) for _ in range(500)]
    assert 480 <= min(values) < 520 and 680 < max(values) <= 720


# --- the circuit breaker --------------------------------------------------------------------


def breaker(clock: Clock, threshold: int = 3, cooldown: float = 600) -> Breaker:
    row = CollectorStateRow(collector="c", state="closed", failures=0, trips=0)
    return Breaker(row, Schedule(breaker_threshold=threshold, breaker_cooldown=cooldown), clock)


def test_breaker_opens_after_the_threshold_and_lets_one_trial_through_after_cooldown() -> None:
    clock = Clock()
    b = breaker(clock)
    for _ in range(2):
        b.failure(TransientError("503"))
    assert b.state == "closed" and b.allow()
    b.failure(TransientError("503"))
    assert b.state == "open" and not b.allow()
    clock.advance(seconds=599)
    assert not b.allow()
    clock.advance(seconds=2)
    assert b.needs_trial()
    assert b.allow() and b.state == "half_open"
    assert not b.allow()  # only one trial at a time
    b.failure(TransientError("503"))  # the trial failed: open again, twice as long
    assert b.state == "open" and b.open_until == clock.now + timedelta(seconds=1200)
    clock.advance(seconds=1201)
    assert b.allow()
    b.success()
    assert (b.state, b.failures, b.trips) == ("closed", 0, 0)


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (CollectorBroken("token ditolak"), "open"),
        (AccountUnavailable("akun hilang"), "closed"),
        (TransientError("503"), "closed"),
    ],
    ids=["broken-opens-at-once", "gone-account-is-not-the-route", "one-5xx-is-not-enough"],
)
def test_what_one_failure_does_to_the_breaker(error: CollectError, state: str) -> None:
    b = breaker(Clock())
    if error.counts_against_collector:
        b.failure(error)
    else:
        b.neutral()
    assert b.state == state


# --- the engine against a real database --------------------------------------------------


def test_one_failing_account_backs_off_while_the_others_are_collected(store: Store) -> None:
    watch(store, "@ani", "@budi", "@citra")
    clock = Clock()
    collector = ScriptedCollector()
    collector.add("@ani", "1", "satu")
    collector.add("@citra", "2", "dua")
    collector.errors["@budi"] = TransientError("HTTP 503 dari sumber")
    report = run(store, collector, clock)
    assert (report.accounts, report.failed_accounts, report.stored.new) == (3, 1, 2)  # type: ignore[attr-defined]
    budi = states(store)["@budi"]
    assert budi.failures == 1 and budi.last_error_kind == "transient"
    assert timedelta(seconds=150) <= budi.next_poll_at - clock.now <= timedelta(seconds=300)  # type: ignore[operator]
    assert states(store)["@ani"].last_success_at == clock.now

    collector.calls.clear()
    clock.advance(seconds=60)
    report = run(store, collector, clock)
    assert sorted(collector.calls) == ["@ani", "@citra"]  # @budi is still waiting
    assert report.backing_off == 1  # type: ignore[attr-defined]
    report = run(store, collector, clock, force=True)
    assert "@budi" in collector.calls
    assert states(store)["@budi"].failures == 2


def test_every_poll_is_recorded_with_the_error_kind(store: Store) -> None:
    watch(store, "@ani", "@budi")
    collector = ScriptedCollector()
    collector.errors["@budi"] = AccountUnavailable("@budi: tidak ditemukan (HTTP 404)")
    collector.add("@ani", "1", "satu")
    run(store, collector, Clock())
    with store.session() as session:
        runs = session.execute(
            select(
                CollectionRunRow.status, CollectionRunRow.error_kind, CollectionRunRow.fetched
            ).order_by(CollectionRunRow.status)
        ).all()
    assert [tuple(r) for r in runs] == [("error", "unavailable", 0), ("ok", None, 1)]


def test_a_rate_limit_defers_the_remaining_accounts_without_counting_failures(
    store: Store,
) -> None:
    handles = [f"@a{i}" for i in range(6)]
    watch(store, *handles)
    clock = Clock()
    collector = ScriptedCollector(schedule=Schedule(concurrency=1), max_wait=30)
    collector.errors["@a1"] = RateLimited("HTTP 429", retry_after=900)
    run_report = run(store, collector, clock)
    assert collector.calls == ["@a0", "@a1"]
    assert run_report.deferred == 4  # type: ignore[attr-defined]
    a1 = states(store)["@a1"]
    assert a1.failures == 0 and a1.next_poll_at == clock.now + timedelta(seconds=900)
    del collector.errors["@a1"]
    collector.calls.clear()
    run(store, collector, clock)
    assert "@a1" not in collector.calls  # Retry-After is honoured on the next run too
    clock.advance(seconds=901)
    collector.calls.clear()
    run(store, collector, clock)
    assert "@a1" in collector.calls


def test_the_breaker_stops_a_failing_route_and_remembers_it(store: Store) -> None:
    handles = [f"@a{i}" for i in range(8)]
    watch(store, *handles)
    clock = Clock()
    collector = ScriptedCollector(
        schedule=Schedule(concurrency=1, breaker_threshold=3, breaker_cooldown=600)
    )
    for h in handles:
        collector.errors[h] = TransientError("HTTP 502")
    report = run(store, collector, clock)
    assert len(collector.calls) == 3 and report.deferred == 5  # type: ignore[attr-defined]
    assert report.breaker == "open" and "502" in (report.stopped or "")  # type: ignore[attr-defined]
    with store.session() as session:
        row = session.get(CollectorStateRow, "scripted")
        assert row is not None and row.state == "open" and row.trips == 1
    collector.calls.clear()
    collector.errors.clear()
    clock.advance(seconds=601)
    report = run(store, collector, clock, force=False)
    # backing-off accounts wait, the others are polled after one trial succeeded
    assert collector.calls and report.breaker == "closed"  # type: ignore[attr-defined]


def test_a_broken_collector_is_reported_never_silently_empty(store: Store) -> None:
    watch(store, "@ani")
    collector = ScriptedCollector()
    collector.broken_reason = "modul snscrape 'twitter' rusak di hulu (snscrape issue #996)"
    report = run(store, collector, Clock())
    assert collector.calls == []
    assert report.stopped == collector.broken_reason and report.deferred == 1  # type: ignore[attr-defined]
    with store.session() as session:
        row = session.get(CollectorStateRow, "scripted")
        assert row is not None and row.state == "open" and row.reason == collector.broken_reason


def test_a_plugin_bug_is_recorded_and_the_others_go_on(store: Store) -> None:
    watch(store, "@ani", "@budi")
    collector = ScriptedCollector()
    collector.errors["@ani"] = ZeroDivisionError("oops")
    collector.add("@budi", "1", "satu")
    report = run(store, collector, Clock())
    assert report.failed_accounts == 1 and report.stored.new == 1  # type: ignore[attr-defined]
    assert "ZeroDivisionError" in report.errors[0]  # type: ignore[attr-defined]


def test_due_only_polls_accounts_whose_interval_has_passed(store: Store) -> None:
    watch(store, "@ani")
    clock = Clock()
    collector = ScriptedCollector(schedule=Schedule(interval=600, jitter=0.1))
    run(store, collector, clock, due_only=True)
    assert collector.calls == ["@ani"]
    clock.advance(seconds=500)
    report = run(store, collector, clock, due_only=True)
    assert collector.calls == ["@ani"] and report.not_due == 1  # type: ignore[attr-defined]
    run(store, collector, clock)  # run --once polls regardless of the interval
    assert collector.calls == ["@ani", "@ani"]
    clock.advance(seconds=700)
    run(store, collector, clock, due_only=True)
    assert collector.calls == ["@ani", "@ani", "@ani"]


def test_rescan_records_edits_deletions_and_restorations_keeping_evidence(store: Store) -> None:
    watch(store, "@ani")
    clock = Clock()
    collector = ScriptedCollector(schedule=Schedule(rescan_every=3600))
    collector.add("@ani", "1", "ayo coblos", at=T0 - timedelta(hours=2))
    collector.add("@ani", "2", "selamat pagi", at=T0 - timedelta(hours=1))
    collector.add("@ani", "old", "lama sekali", at=T0 - timedelta(days=10))
    run(store, collector, clock)
    with store.session() as session:
        first = {r.post_id: r.payload_sha256 for r in session.scalars(select(PostRow))}

    # the author deletes post 1 and edits post 2; "old" is outside the window
    collector.posts["@ani"] = [
        p if p.post_id != "2" else Post(**{**p.__dict__, "text": "selamat siang"})
        for p in collector.posts["@ani"]
        if p.post_id not in ("1", "old")
    ]
    clock.advance(seconds=600)  # not yet time to re-scan
    report = run(store, collector, clock)
    assert report.listing.deleted == 0  # type: ignore[attr-defined]
    clock.advance(seconds=3600)
    report = run(store, collector, clock)
    assert (report.listing.deleted, report.stored.edited) == (1, 1)  # type: ignore[attr-defined]
    with store.session() as session:
        posts = {r.post_id: r for r in session.scalars(select(PostRow))}
        kinds = sorted(
            (posts_id, kind)
            for posts_id, kind in session.execute(
                select(PostRow.post_id, PostObservationRow.kind).join(
                    PostObservationRow, PostObservationRow.post_id == PostRow.id
                )
            )
        )
    assert kinds == [("1", "deleted"), ("2", "edited")]
    assert posts["1"].deleted_at == clock.now and posts["1"].text == "ayo coblos"
    assert {k: r.payload_sha256 for k, r in posts.items()} == first  # evidence unchanged
    assert posts["old"].deleted_at is None  # outside the window: not judged

    collector.add("@ani", "1", "ayo coblos", at=T0 - timedelta(hours=2))  # it is back
    clock.advance(seconds=3601)
    report = run(store, collector, clock)
    assert report.listing.restored == 1  # type: ignore[attr-defined]


def test_billed_reads_are_counted_per_poll(store: Store) -> None:
    watch(store, "@ani")
    collector = ScriptedCollector()
    collector.billed_source = True
    for i in range(3):
        collector.add("@ani", str(i), f"unggahan {i}")
    report = run(store, collector, Clock())
    assert report.reads == 3  # type: ignore[attr-defined]
    with store.session() as session:
        assert session.scalar(select(func.sum(CollectionRunRow.reads))) == 3


def test_concurrent_polls_store_every_post_once_with_grouped_commits(store: Store) -> None:
    handles = [f"@a{i:02}" for i in range(40)]
    watch(store, *handles)
    collector = ScriptedCollector(schedule=Schedule(concurrency=8))
    for h in handles:
        for j in range(5):
            collector.add(h, f"{h}-{j}", f"unggahan {j}")
    report = run(store, collector, Clock())
    assert report.stored.new == 200 and report.failed_accounts == 0  # type: ignore[attr-defined]
    report = run(store, collector, Clock())
    assert report.stored.new == 0  # type: ignore[attr-defined]
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(PostRow)) == 200


def test_the_writer_runs_jobs_in_groups_and_isolates_a_failing_job(store: Store) -> None:
    results: list[int] = []
    with Writer(store) as writer:

        def ok(value: int) -> object:
            return lambda session: value

        def bad(session: object) -> int:
            raise ValueError("rusak")

        threads = [
            threading.Thread(target=lambda v=v: results.append(writer.submit(ok(v))))
            for v in range(50)
        ]
        for t in threads:
            t.start()
        with pytest.raises(ValueError, match="rusak"):
            writer.submit(bad)
        for t in threads:
            t.join()
    assert sorted(results) == list(range(50))
    assert writer.transactions <= 51
