"""Coordinated sharing: the same campaign material posted by several watched accounts is
one item for the reviewer, not ten.

Alerts stay one per post; near-duplicates share ``alerts.group_id`` (the id of the first
alert of the group). The text compared is the one the alert is about (an edited
version's when the alert names one). Two posts are near-duplicates when they repost the
same post (the URL in ``shared_from``) or when the word 3-shingles of their normalised
texts (links, mentions and punctuation removed, case folded) overlap by at least
``threshold`` of the shorter text's shingles. Very short texts (under five words) group
only when identical. Only alerts raised within ``window`` of each other are compared.

An alert's shingles are stored in ``alerts.fingerprint`` when it is grouped, so grouping a
new alert reads the candidates' stored shingles instead of hashing their texts again (an
alert raised before that column existed is hashed from its text).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from monitor.store.alerts import flagged_version
from monitor.store.models import AlertRow, PostObservationRow, PostRow

WINDOW = timedelta(days=7)
THRESHOLD = 0.6
#: the most recent alerts of the window a new alert is compared with
MAX_CANDIDATES = 5000
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


@dataclass
class _Candidate:
    """What grouping needs of an alert: a few columns, not the loaded rows."""

    id: int
    group_id: int | None
    text: str
    shared_from: str | None
    #: the stored shingles (None: hash the text)
    stored: list[int] | None = None
    row: AlertRow | None = None  # the new alerts of this transaction

    def fingerprint(self) -> frozenset[int]:
        return frozenset(self.stored) if self.stored is not None else fingerprint(self.text)


def _source(shared_from: str | None) -> str | None:
    """The URL of the post this one reposts, when ``shared_from`` names one. A bare
    account name is not enough: one campaign account posts many different materials."""
    found = _URL.search(shared_from or "")
    return found.group(0).rstrip("/").casefold() if found else None


def assign_groups(
    session: Session,
    alerts: Sequence[AlertRow],
    *,
    now: datetime,
    window: timedelta = WINDOW,
    threshold: float = THRESHOLD,
    limit: int = MAX_CANDIDATES,
) -> int:
    """Give each new alert the group of an earlier near-duplicate; returns how many joined a
    group. Runs in the caller's transaction (the one that raised the alerts). Compares with
    at most ``limit`` of the most recent alerts of the window, read as plain columns, so
    the work and memory per batch stay bounded however many alerts a campaign raises."""
    if not alerts:
        return 0
    new_ids = {a.id for a in alerts}
    flagged_text = func.coalesce(PostObservationRow.text, PostRow.text)  # the edit's, if any
    # the text only where no shingles are stored (alerts raised before migration 0007)
    text_if_needed = case((AlertRow.fingerprint.is_(None), flagged_text), else_=literal(""))
    rows = session.execute(
        select(
            AlertRow.id,
            AlertRow.group_id,
            text_if_needed,
            PostRow.shared_from,
            AlertRow.fingerprint,
        )
        .join(PostRow, PostRow.id == AlertRow.post_id)
        .outerjoin(PostObservationRow, PostObservationRow.id == AlertRow.observation_id)
        .where(AlertRow.created_at >= now - window)
        .order_by(AlertRow.id.desc())
        .limit(limit + len(new_ids))
    ).all()
    earlier = [_Candidate(*r) for r in reversed(rows) if r[0] not in new_ids]
    index: dict[int, list[_Candidate]] = defaultdict(list)
    prints: dict[int, frozenset[int]] = {}
    sources: dict[str, _Candidate] = {}

    def remember(candidate: _Candidate) -> None:
        prints[candidate.id] = candidate.fingerprint()
        for shingle in prints[candidate.id]:
            index[shingle].append(candidate)
        source = _source(candidate.shared_from)
        if source is not None:
            sources.setdefault(source, candidate)

    for candidate in earlier[-limit:]:
        remember(candidate)
    joined = 0
    for alert in sorted(alerts, key=lambda a: a.id):
        text = flagged_version(alert).text
        shingles = fingerprint(text)
        alert.fingerprint = sorted(shingles)
        mine = _Candidate(alert.id, None, text, alert.post.shared_from, alert.fingerprint, alert)
        match = _best_match(mine, shingles, index, prints, sources, threshold)
        if match is not None:
            if match.group_id is None:
                match.group_id = match.id
                if match.row is not None:
                    match.row.group_id = match.id
                else:
                    session.execute(
                        update(AlertRow).where(AlertRow.id == match.id).values(group_id=match.id)
                    )
            alert.group_id = mine.group_id = match.group_id
            joined += 1
        remember(mine)
    session.flush()
    return joined


def _best_match(
    mine: _Candidate,
    shingles: frozenset[int],
    index: dict[int, list[_Candidate]],
    prints: dict[int, frozenset[int]],
    sources: dict[str, _Candidate],
    threshold: float,
) -> _Candidate | None:
    source = _source(mine.shared_from)
    if source is not None and source in sources:
        return sources[source]
    overlap: dict[int, _Candidate] = {}
    for shingle in shingles:
        for other in index.get(shingle, ()):
            overlap[other.id] = other
    best, best_score = None, threshold
    for other in overlap.values():
        score = similarity(shingles, prints[other.id])
        if score >= best_score and (best is None or other.id < best.id or score > best_score):
            best, best_score = other, score
    return best
