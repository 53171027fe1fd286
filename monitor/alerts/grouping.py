"""Coordinated sharing: the same campaign material posted by several watched accounts is
one item for the reviewer, not ten.

Alerts stay one per post; near-duplicates share ``alerts.group_id`` (the id of the first
alert of the group). Two posts are near-duplicates when they repost the same post (the URL
in ``shared_from``) or when the word 3-shingles of their normalised texts (links, mentions
and punctuation removed, case folded) overlap by at least ``threshold`` of the shorter
text's shingles. Very short texts (under five words) group only when identical. Only alerts
raised within ``window`` of each other are compared.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from monitor.store.models import AlertRow

WINDOW = timedelta(days=7)
THRESHOLD = 0.6
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+")
_WORD = re.compile(r"\w+")


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def fingerprint(text: str) -> frozenset[int]:
    """The set of hashed word 3-shingles of a text (one hash for short texts)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = _WORD.findall(_NOISE.sub(" ", folded))
    if len(words) < 5:
        return frozenset({_hash(" ".join(words))}) if words else frozenset()
    return frozenset(_hash(" ".join(words[i : i + 3])) for i in range(len(words) - 2))


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    """The overlap coefficient: shared shingles over those of the shorter text, so a post
    that quotes the material with a line of its own still counts as the same material."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


_URL = re.compile(r"https?://\S+")


def _source(alert: AlertRow) -> str | None:
    """The URL of the post this one reposts, when ``shared_from`` names one. A bare
    account name is not enough: one campaign account posts many different materials."""
    found = _URL.search(alert.post.shared_from or "")
    return found.group(0).rstrip("/").casefold() if found else None


def assign_groups(
    session: Session,
    alerts: Sequence[AlertRow],
    *,
    now: datetime,
    window: timedelta = WINDOW,
    threshold: float = THRESHOLD,
) -> int:
    """Give each new alert the group of an earlier near-duplicate; returns how many joined a
    group. Runs in the caller's transaction (the one that raised the alerts)."""
    if not alerts:
        return 0
    new_ids = {a.id for a in alerts}
    earlier = [
        a
        for a in session.scalars(
            select(AlertRow)
            .where(AlertRow.created_at >= now - window)
            .options(joinedload(AlertRow.post))
            .order_by(AlertRow.id)
        ).unique()
        if a.id not in new_ids
    ]
    index: dict[int, list[AlertRow]] = defaultdict(list)
    prints: dict[int, frozenset[int]] = {}
    sources: dict[str, AlertRow] = {}

    def remember(alert: AlertRow) -> None:
        prints[alert.id] = fingerprint(alert.post.text)
        for shingle in prints[alert.id]:
            index[shingle].append(alert)
        source = _source(alert)
        if source is not None:
            sources.setdefault(source, alert)

    for alert in earlier:
        remember(alert)
    joined = 0
    for alert in sorted(alerts, key=lambda a: a.id):
        match = _best_match(alert, index, prints, sources, threshold)
        if match is not None:
            if match.group_id is None:
                match.group_id = match.id
            alert.group_id = match.group_id
            joined += 1
        remember(alert)
    session.flush()
    return joined


def _best_match(
    alert: AlertRow,
    index: dict[int, list[AlertRow]],
    prints: dict[int, frozenset[int]],
    sources: dict[str, AlertRow],
    threshold: float,
) -> AlertRow | None:
    source = _source(alert)
    if source is not None and source in sources:
        return sources[source]
    mine = fingerprint(alert.post.text)
    overlap: dict[int, AlertRow] = {}
    for shingle in mine:
        for other in index.get(shingle, ()):
            overlap[other.id] = other
    best, best_score = None, threshold
    for other in overlap.values():
        score = similarity(mine, prints[other.id])
        if score >= best_score and (best is None or other.id < best.id or score > best_score):
            best, best_score = other, score
    return best
