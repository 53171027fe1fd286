"""Collection throughput: many accounts against a local server that answers every request
after a fixed latency, polled sequentially (concurrency 1) and concurrently (concurrency
16) in the same run, each into a fresh SQLite database. Goal (issue #5): at least 10x
sequential at a concurrency of 16, with no duplicate post.

The server speaks the Mastodon REST API (account lookup, then the account's statuses), and
the real Mastodon collector and the real collection engine (worker threads, one writing
thread with group commit, SQLite WAL with full fsync) do the work; the server runs in a
process of its own so that it does not compete with them for the interpreter lock. The
per-host request rate is switched off (``rate: null``) because every account lives on the
same local host; on real servers the rate, not the concurrency, is the limit.

    .venv/bin/python bench/collect.py [--accounts 2000] [--latency 0.05] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fakeserver
from sqlalchemy import func, select

from monitor.collect.base import CollectorOptions, Schedule
from monitor.collect.mastodon import MastodonCollector, MastodonSettings
from monitor.domain import Account, EmploymentType, Person
from monitor.service.collecting import collect_all
from monitor.store import Store
from monitor.store.models import CollectionRunRow, PostRow
from monitor.store.people import upsert_account, upsert_person

POSTS_PER_ACCOUNT = 3


NOW = datetime.now(UTC)


def respond(path: str, query: dict[str, list[str]]) -> object | None:
    """Account lookup, then three statuses; nothing newer or older."""
    if path == "/api/v1/accounts/lookup":
        user = query["acct"][0]
        number = user.removeprefix("user")
        return {"id": number, "username": user, "acct": user, "url": f"/@{user}"}
    if not path.endswith("/statuses"):
        return None
    number = path.split("/")[-2]
    if "min_id" in query or "max_id" in query:
        return []
    return [
        {
            "id": f"{number}{i:03d}",
            "created_at": (NOW - timedelta(minutes=i)).isoformat(),
            "content": f"<p>unggahan {i} dari akun {number}</p>",
            "url": f"http://bench.local/@user{number}/{number}{i:03d}",
            "uri": f"http://bench.local/users/user{number}/statuses/{i}",
            "account": {"acct": f"user{number}", "url": "http://bench.local"},
            "reblog": None,
            "spoiler_text": "",
            "media_attachments": [],
        }
        for i in range(POSTS_PER_ACCOUNT)
    ]


def make_store(folder: Path, accounts: int) -> Store:
    store = Store(f"sqlite:///{folder / 'bench.db'}")
    store.upgrade()
    with store.session() as session:
        person, _ = upsert_person(
            session, Person(key="P", name="Bench", employment_type=EmploymentType.PNS)
        )
        for i in range(accounts):
            upsert_account(session, Account("mastodon", f"user{i}", "P"), person)
    return store


def measure(base_url: str, accounts: int, concurrency: int) -> tuple[float, int, int, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = make_store(Path(tmp), accounts)
        collector = MastodonCollector(
            MastodonSettings(instance=base_url),
            instance="mastodon",
            base_dir=Path(tmp),
            options=CollectorOptions(rate=None, timeout=30, max_wait=60),
        )
        collector.schedule = Schedule(concurrency=concurrency)
        started = time.perf_counter()
        [report] = collect_all(store, {"mastodon": collector}, batch_size=200)
        elapsed = time.perf_counter() - started
        collector.close()
        with store.session() as session:
            posts = session.scalar(select(func.count()).select_from(PostRow)) or 0
            distinct = (
                session.scalar(
                    select(func.count()).select_from(
                        select(PostRow.platform, PostRow.post_id).distinct().subquery()
                    )
                )
                or 0
            )
            polls = session.scalar(select(func.count()).select_from(CollectionRunRow)) or 0
        store.dispose()
        return elapsed, posts, distinct, polls, report.failed_accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    server, base_url = fakeserver.start(respond, args.latency)
    expected = args.accounts * POSTS_PER_ACCOUNT
    print(
        f"{args.accounts} accounts, {args.latency * 1000:.0f} ms per request, "
        f"{POSTS_PER_ACCOUNT} posts each, 2 requests per account"
    )
    results = {}
    for concurrency in (1, args.concurrency):
        elapsed, posts, distinct, polls, failed = measure(base_url, args.accounts, concurrency)
        results[concurrency] = elapsed
        print(
            f"concurrency {concurrency:>3}: {elapsed:8.1f} s, "
            f"{args.accounts / elapsed:7.1f} accounts/s, {posts} posts "
            f"({distinct} distinct, expected {expected}), {polls} polls recorded, "
            f"{failed} failed"
        )
        if posts != expected or distinct != posts or failed:
            raise SystemExit("FAILED: missing, duplicate or failed polls")
    ratio = results[1] / results[args.concurrency]
    goal = "met" if ratio >= 10 else "NOT met"
    print(f"concurrent / sequential: {ratio:.1f}x (goal >= 10x at 16: {goal})")
    server.terminate()


if __name__ == "__main__":
    main()
