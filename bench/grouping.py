"""Grouping a detection batch of new alerts against the alerts of the last 7 days: with the
candidates' shingles stored in ``alerts.fingerprint`` (migration 0007) against hashing
their texts again (alerts without a stored fingerprint), measured in the same run on the
same SQLite database.

    .venv/bin/python bench/grouping.py [--alerts 5000] [--batch 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from monitor.alerts.grouping import assign_groups
from monitor.domain import Account, EmploymentType, Person
from monitor.store import Store
from monitor.store.models import AlertRow, DecisionRow, PostRow
from monitor.store.people import upsert_account, upsert_person

WORDS = [
    "bapak",
    "ibu",
    "guru",
    "honorer",
    "ayo",
    "coblos",
    "nomor",
    "dua",
    "program",
    "kesejahteraan",
    "video",
    "tonton",
    "bagikan",
    "grup",
    "sekolah",
    "rapat",
    "koordinasi",
    "dinas",
    "besok",
    "pagi",
    "aula",
    "kantor",
    "kecamatan",
    "desa",
    "bantuan",
    "sembako",
    "warga",
    "relawan",
    "posko",
    "kampanye",
    "paslon",
    "visi",
    "misi",
    "debat",
]
NOW = datetime(2024, 11, 20, 8, tzinfo=UTC)


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60)))


def add_alerts(store: Store, rng: random.Random, n: int, start: int, at: datetime) -> list[int]:
    """``n`` alerts of one account, raised at ``at``; returns their ids."""
    with store.session() as session:
        person, _ = upsert_person(
            session, Person(key="P", name="Bench", employment_type=EmploymentType.PNS)
        )
        account, _ = upsert_account(session, Account("x", "@bench", "P"), person)
        ids = []
        for i in range(start, start + n):
            post = PostRow(
                platform="x", post_id=str(i), account_id=account.id, author="@bench",
                created_at=at, text=text(rng), payload="{}", payload_sha256="0" * 64,
                collector="bench", collector_version="bench/1", first_seen=at, last_seen=at,
            )  # fmt: skip
            session.add(post)
            session.flush()
            decision = DecisionRow(post_id=post.id, flagged=True, decided_at=at)
            session.add(decision)
            session.flush()
            alert = AlertRow(post_id=post.id, decision_id=decision.id, created_at=at, updated_at=at)
            session.add(alert)
            session.flush()
            ids.append(alert.id)
    return ids


def load(session: Session, ids: list[int]) -> list[AlertRow]:
    query = (
        select(AlertRow)
        .options(joinedload(AlertRow.post), joinedload(AlertRow.decision))
        .where(AlertRow.id.in_(ids))
        .order_by(AlertRow.id)
    )
    return list(session.scalars(query).unique())


def group_batch(store: Store, ids: list[int]) -> float:
    """Seconds to group the alerts ``ids`` (rolled back afterwards)."""
    with store.session() as session:
        alerts = load(session, ids)  # as the pipeline hands them over: post and decision loaded
        started = time.perf_counter()
        assign_groups(session, alerts, now=NOW)
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.upgrade()
        earlier = add_alerts(store, rng, args.alerts, 0, NOW - timedelta(days=1))
        for start in range(0, len(earlier), 500):  # stored as grouping stores them
            with store.session() as session:
                assign_groups(session, load(session, earlier[start : start + 500]), now=NOW)
        batch = add_alerts(store, rng, args.batch, args.alerts, NOW)
        stored = min(group_batch(store, batch) for _ in range(args.repeat))
        with store.session() as session:
            session.execute(update(AlertRow).values(fingerprint=None))
        hashed = min(group_batch(store, batch) for _ in range(args.repeat))
        store.dispose()
    print(f"{args.batch} new alerts against {args.alerts} of the window (best of {args.repeat})")
    print(f"  texts hashed again:   {hashed * 1000:8.1f} ms")
    print(f"  stored fingerprints:  {stored * 1000:8.1f} ms")
    print(f"  ratio: {hashed / stored:.1f}x")


if __name__ == "__main__":
    main()
