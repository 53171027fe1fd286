"""Posts, their later observations, and collectors' cursors.

``store_posts`` is idempotent: a post is unique on (platform, post_id); storing it again
only moves ``last_seen``, and a changed text is recorded as an ``edited`` observation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from monitor.domain import Post
from monitor.errors import StoreError
from monitor.store.models import (
    AccountRow,
    CursorRow,
    DecisionRow,
    PostObservationRow,
    PostRow,
    utcnow,
)


@dataclass
class StoreResult:
    new: int = 0
    seen: int = 0
    edited: int = 0

    def __iadd__(self, other: StoreResult) -> StoreResult:
        self.new += other.new
        self.seen += other.seen
        self.edited += other.edited
        return self


def _insert_ignoring_duplicates(session: Session, values: Sequence[Mapping[str, Any]]) -> int:
    """INSERT ... ON CONFLICT (platform, post_id) DO NOTHING; returns rows inserted."""
    if not values:
        return 0
    dialect = session.get_bind().dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(PostRow).on_conflict_do_nothing(
            index_elements=["platform", "post_id"]
        )
    elif dialect == "sqlite":
        stmt = sqlite.insert(PostRow).on_conflict_do_nothing(index_elements=["platform", "post_id"])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise StoreError(f"basis data {dialect} tidak didukung: pakai SQLite atau PostgreSQL")
    inserted = 0
    for row in values:  # RETURNING tells exactly which rows were new, on both backends
        if session.execute(stmt.values(**row).returning(PostRow.id)).first() is not None:
            inserted += 1
    return inserted


def _latest_text(session: Session, row: PostRow) -> str:
    latest = session.scalar(
        select(PostObservationRow.text)
        .where(PostObservationRow.post_id == row.id, PostObservationRow.kind == "edited")
        .order_by(PostObservationRow.id.desc())
        .limit(1)
    )
    return latest if latest is not None else row.text


def store_posts(
    session: Session,
    posts: Sequence[Post],
    *,
    collector: str,
    collector_version: str,
    account_ids: dict[tuple[str, str], int | None],
    now: datetime | None = None,
) -> StoreResult:
    """Store a batch in the caller's transaction. ``account_ids`` maps (platform, post_id)
    to the watched account the post belongs to (None for an unlisted author)."""
    now = now or utcnow()
    result = StoreResult()
    firsts: dict[tuple[str, str], Post] = {}
    repeats: list[Post] = []  # the same post again later in the batch: a later sighting
    for post in posts:
        key = (post.platform, post.post_id)
        if key in firsts:
            repeats.append(post)
        else:
            firsts[key] = post
    if not firsts:
        return result
    rows = _rows(session, list(firsts))
    values = [
        _values(post, account_ids.get(key), collector, collector_version, now)
        for key, post in firsts.items()
        if key not in rows
    ]
    result.new = _insert_ignoring_duplicates(session, values)
    sightings = [firsts[key] for key in rows] + repeats
    missing = [(p.platform, p.post_id) for p in repeats if (p.platform, p.post_id) not in rows]
    if missing:
        rows.update(_rows(session, missing))
    for post in sightings:
        row = rows[(post.platform, post.post_id)]
        row.last_seen = now
        result.seen += 1
        if post.text != _latest_text(session, row):
            session.add(
                PostObservationRow(
                    post_id=row.id,
                    kind="edited",
                    observed_at=now,
                    text=post.text,
                    payload=post.payload,
                    payload_sha256=post.sha256,
                    collector=collector,
                )
            )
            session.flush()
            row.edited_at = now
            result.edited += 1
    return result


def _rows(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], PostRow]:
    query = select(PostRow).where(
        or_(*(and_(PostRow.platform == p, PostRow.post_id == i) for p, i in keys))
    )
    return {(r.platform, r.post_id): r for r in session.scalars(query)}


def _values(
    post: Post, account_id: int | None, collector: str, collector_version: str, now: datetime
) -> dict[str, Any]:
    return {
        "platform": post.platform,
        "post_id": post.post_id,
        "account_id": account_id,
        "author": post.author,
        "url": post.url,
        "created_at": post.created_at,
        "text": post.text,
        "shared_from": post.shared_from,
        "media": list(post.media),
        "payload": post.payload,
        "payload_sha256": post.sha256,
        "collector": collector,
        "collector_version": collector_version,
        "first_seen": now,
        "last_seen": now,
    }


def get_cursor(session: Session, collector: str, account_id: int) -> str | None:
    return session.scalar(
        select(CursorRow.value).where(
            CursorRow.collector == collector, CursorRow.account_id == account_id
        )
    )


def set_cursor(
    session: Session, collector: str, account_id: int, value: str, now: datetime | None = None
) -> None:
    row = session.scalar(
        select(CursorRow).where(
            CursorRow.collector == collector, CursorRow.account_id == account_id
        )
    )
    if row is None:
        session.add(
            CursorRow(
                collector=collector, account_id=account_id, value=value, updated_at=now or utcnow()
            )
        )
    else:
        row.value = value
        row.updated_at = now or utcnow()


def _post_pending() -> ColumnElement[bool]:
    return ~exists().where(DecisionRow.post_id == PostRow.id)


def _edit_pending() -> ColumnElement[bool]:
    return and_(
        PostObservationRow.kind == "edited",
        PostObservationRow.decided_at.is_(None),
        exists().where(DecisionRow.post_id == PostObservationRow.post_id),
    )


def pending_posts(session: Session, limit: int) -> list[PostRow]:
    """Posts no decision has been made on yet, oldest first."""
    query = (
        select(PostRow)
        .options(joinedload(PostRow.account).joinedload(AccountRow.person))
        .where(_post_pending())
        .order_by(PostRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def detection_backlog(session: Session) -> tuple[int, int]:
    """How many posts, and edited versions of decided posts, detection has yet to decide
    (a backlog that keeps growing means detection is stuck)."""
    posts = session.scalar(select(func.count()).select_from(PostRow).where(_post_pending()))
    edits = session.scalar(
        select(func.count()).select_from(PostObservationRow).where(_edit_pending())
    )
    return int(posts or 0), int(edits or 0)


def pending_edits(session: Session, limit: int) -> list[PostObservationRow]:
    """Edited versions detection has not decided yet, oldest id first, with their posts
    (account and person loaded). Only versions of posts whose first text is decided: the
    first text is decided first, so an alert is about the earliest version that flags."""
    query = (
        select(PostObservationRow)
        .options(
            joinedload(PostObservationRow.post)
            .joinedload(PostRow.account)
            .joinedload(AccountRow.person)
        )
        .where(_edit_pending())
        .order_by(PostObservationRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def to_edited_post(observation: PostObservationRow) -> Post:
    """The domain view of an edited version: the post with the edit's text and payload
    (so its ``sha256`` is the edit's). Other fields are the post's as first collected."""
    post = to_post(observation.post)
    return replace(
        post,
        text=observation.text if observation.text is not None else post.text,
        payload=observation.payload if observation.payload is not None else post.payload,
    )


def to_post(row: PostRow) -> Post:
    """The domain view of a stored post (its first-seen evidence)."""
    return Post(
        platform=row.platform,
        post_id=row.post_id,
        author=row.author,
        text=row.text,
        created_at=row.created_at,
        payload=row.payload,
        url=row.url,
        shared_from=row.shared_from,
        media=tuple(row.media or ()),
        author_region=row.account.person.region if row.account is not None else None,
    )


@dataclass
class ListingResult:
    deleted: int = 0
    restored: int = 0


def record_listing(
    session: Session,
    *,
    collector: str,
    account_id: int,
    post_ids: set[str],
    complete_since: datetime,
    now: datetime | None = None,
) -> ListingResult:
    """Compare what the source lists now with what this collector stored for the account.

    A stored post created at or after ``complete_since`` that the listing lacks is recorded
    as ``deleted`` (a new observation; the post, its payload and hash stay as evidence); a
    post marked deleted that is listed again is recorded as ``restored``. Only posts stored
    by the same collector are judged: another route (a manual submission, an import) may
    name the same post differently."""
    now = now or utcnow()
    result = ListingResult()
    rows = session.scalars(
        select(PostRow).where(
            PostRow.account_id == account_id,
            PostRow.collector == collector,
            PostRow.created_at >= complete_since,
        )
    )
    for row in rows:
        listed = row.post_id in post_ids
        if not listed and row.deleted_at is None:
            kind = "deleted"
            row.deleted_at = now
            result.deleted += 1
        elif listed and row.deleted_at is not None:
            kind = "restored"
            row.deleted_at = None
            result.restored += 1
        else:
            continue
        session.add(
            PostObservationRow(post_id=row.id, kind=kind, observed_at=now, collector=collector)
        )
    return result
