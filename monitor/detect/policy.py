"""The decision policy: turns a post's matches into one decision that explains itself."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.domain import Decision, Match, Post, severity_rank


def decide(post: Post, matches: Sequence[Match], versions: dict[str, str]) -> Decision:
    """Flag a post when any rule matched; the most severe match sets category and severity
    (the first rule wins a tie, so the rule files' order is the analysts' priority)."""
    mine = tuple(m for m in matches if m.post_key == (post.platform, post.post_id))
    top = None
    for match in mine:
        if top is None or severity_rank(match.severity) > severity_rank(top.severity):
            top = match
    return Decision(
        post_key=(post.platform, post.post_id),
        flagged=top is not None,
        category=top.category if top else None,
        severity=top.severity if top else None,
        score=None,
        matches=mine,
        scores={},
        versions=versions,
    )
