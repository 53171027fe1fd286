"""Storing posts is idempotent, evidence is immutable, cursors move with the posts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from monitor.domain import Account, EmploymentType, Person, Post, sha256_text
from monitor.store import Store
from monitor.store.models import DecisionRow, PostObservationRow, PostRow
from monitor.store.people import upsert_account, upsert_person
from monitor.store.posts import (
    detection_backlog,
    get_cursor,
    pending_posts,
    set_cursor,
    store_posts,
)

T0 = datetime(2024, 10, 1, 1, 0, tzinfo=UTC)


def make_post(post_id: str, text: str, *, payload: str | None = None) -> Post:
    return Post(
        platform="x",
        post_id=post_id,
        author="@budi",
        text=text,
        created_at=T0,
        payload=payload or f'{{"id": "{post_id}", "text": "{text}"}}',
    )


def add_account(store: Store) -> int:
    with store.session() as session:
        person, _ = upsert_person(session, Person("P1", "Budi", EmploymentType.PNS))
        account, _ = upsert_account(session, Account("x", "@budi", "P1"), person)
        return account.id


def save(store: Store, posts: list[Post], account_id: int | None = None):  # type: ignore[no-untyped-def]
    with store.session() as session:
        ids = {(p.platform, p.post_id): account_id for p in posts}
        return store_posts(session, posts, collector="t", collector_version="t/1", account_ids=ids)


def count(store: Store, table: type) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_storing_twice_adds_nothing(store: Store) -> None:
    posts = [make_post("1", "satu"), make_post("2", "dua")]
    first = save(store, posts)
    second = save(store, posts)
    assert (first.new, first.seen) == (2, 0)
    assert (second.new, second.seen, second.edited) == (0, 2, 0)
    assert count(store, PostRow) == 2


def test_a_batch_repeating_a_post_stores_it_once(store: Store) -> None:
    result = save(store, [make_post("1", "satu"), make_post("1", "satu")])
    assert result.new == 1
    assert count(store, PostRow) == 1


def test_changed_text_is_a_new_observation_not_an_overwrite(store: Store) -> None:
    save(store, [make_post("1", "asli")])
    result = save(store, [make_post("1", "diedit")])
    again = save(store, [make_post("1", "diedit")])
    assert result.edited == 1
    assert again.edited == 0  # the same edit seen twice is one observation
    with store.session() as session:
        row = session.scalars(select(PostRow)).one()
        observations = session.scalars(select(PostObservationRow)).all()
    assert row.text == "asli"
    assert row.payload_sha256 == sha256_text(row.payload)
    assert row.edited_at is not None
    assert [(o.kind, o.text) for o in observations] == [("edited", "diedit")]


def test_payload_hash_is_sha256_of_the_exact_payload(store: Store) -> None:
    payload = '{"id": "9", "text": "Ayo 👍"}'
    save(store, [make_post("9", "Ayo 👍", payload=payload)])
    with store.session() as session:
        row = session.scalars(select(PostRow)).one()
    assert row.payload == payload
    assert row.payload_sha256 == sha256_text(payload)


def test_cursor_round_trip(store: Store) -> None:
    account_id = add_account(store)
    with store.session() as session:
        assert get_cursor(session, "demo", account_id) is None
        set_cursor(session, "demo", account_id, "10")
    with store.session() as session:
        set_cursor(session, "demo", account_id, "25")
    with store.session() as session:
        assert get_cursor(session, "demo", account_id) == "25"
        assert get_cursor(session, "other", account_id) is None


def test_cursor_rolls_back_with_the_posts(store: Store) -> None:
    account_id = add_account(store)
    try:
        with store.session() as session:
            ids = {("x", "1"): account_id}
            store_posts(
                session,
                [make_post("1", "a")],
                collector="t",
                collector_version="1",
                account_ids=ids,
            )
            set_cursor(session, "demo", account_id, "1")
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    with store.session() as session:
        assert get_cursor(session, "demo", account_id) is None
    assert count(store, PostRow) == 0


def test_pending_posts_are_oldest_first_and_limited(store: Store) -> None:
    save(store, [make_post(str(i), f"t{i}") for i in range(5)])
    with store.session() as session:
        pending = pending_posts(session, 3)
    assert [p.post_id for p in pending] == ["0", "1", "2"]


# (posts: id -> texts seen in order, post ids decided, edits decided) -> backlog
BACKLOG = [
    ({"1": ["asli"]}, set(), False, (1, 0)),
    ({"1": ["asli"]}, {"1"}, False, (0, 0)),
    ({"1": ["asli", "diedit"]}, set(), False, (1, 0)),  # the first text is decided first
    ({"1": ["asli", "diedit"]}, {"1"}, False, (0, 1)),
    ({"1": ["asli", "diedit", "lagi"], "2": ["dua"]}, {"1"}, False, (1, 2)),
    ({"1": ["asli", "diedit"]}, {"1"}, True, (0, 0)),
]


@pytest.mark.parametrize(("texts", "decided", "edits_decided", "expected"), BACKLOG)
def test_the_detection_backlog_counts_posts_and_edits(
    store: Store,
    texts: dict[str, list[str]],
    decided: set[str],
    edits_decided: bool,
    expected: tuple[int, int],
) -> None:
    for post_id, versions in texts.items():
        for text in versions:
            save(store, [make_post(post_id, text)])
    with store.session() as session:
        for row in session.scalars(select(PostRow).where(PostRow.post_id.in_(decided))):
            session.add(DecisionRow(post_id=row.id, decided_at=T0, flagged=False))
        if edits_decided:
            session.execute(update(PostObservationRow).values(decided_at=T0))
    with store.session() as session:
        assert detection_backlog(session) == expected
