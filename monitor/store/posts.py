"""Posts, their later observations, and collectors' cursors.

``store_posts`` is idempotent: a post is unique on (platform, post_id); storing it again
only moves ``last_seen``, and a changed text is recorded as an ``edited`` observation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.domain import Post
from monitor.store.models import CursorRow, DecisionRow, PostObservationRow, PostRow, utcnow


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
        raise NotImplementedError(dialect)
    inserted = 0
    for row in values:  # one statement per row keeps rowcount exact on both backends
        inserted += session.execute(stmt.values(**row)).rowcount or 0  # type: ignore[attr-defined]
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
    unique: dict[tuple[str, str], Post] = {}
    for post in posts:  # a batch may repeat a post; the first sighting is the evidence
        unique.setdefault((post.platform, post.post_id), post)
    if not unique:
        return result
    keys = list(unique)
    existing = {
        (r.platform, r.post_id): r
        for r in session.scalars(
            select(PostRow).where(
                or_(*(and_(PostRow.platform == p, PostRow.post_id == i) for p, i in keys))
            )
        )
    }
    values = []
    for key, post in unique.items():
        if key in existing:
            continue
        values.append(
            {
                "platform": post.platform,
                "post_id": post.post_id,
                "account_id": account_ids.get(key),
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
        )
    result.new = _insert_ignoring_duplicates(session, values)
    for key, row in existing.items():
        post = unique[key]
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
            row.edited_at = now
            result.edited += 1
    return result


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


def pending_posts(session: Session, limit: int) -> list[PostRow]:
    """Posts no decision has been made on yet, oldest first."""
    query = (
        select(PostRow)
        .where(~exists().where(DecisionRow.post_id == PostRow.id))
        .order_by(PostRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))


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
    )
