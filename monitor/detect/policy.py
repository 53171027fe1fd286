"""The decision policy: turns a post's matches into one decision that explains itself.

The most severe match sets the category and severity (the first rule wins a tie, so the
rule files' order is the analysts' priority). With a candidate registry, every decision
also records the election stage of the post's time and the route it implies
(domain.md: ethics before candidates are named, discipline after, money politics and
content marked criminal to Gakkumdu).
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.domain import Decision, Match, Post, severity_rank
from monitor.rules.calendar import route_for, stage_of
from monitor.rules.registry import Election, Registry


def _election(post: Post, top: Match | None, registry: Registry | None) -> Election | None:
    if registry is None or not registry.elections:
        return None
    if top is not None and top.election_id is not None:
        referenced = registry.election(top.election_id)
        if referenced is not None:
            return referenced
    relevant = registry.elections_for(post.author_region)
    return relevant[0] if relevant else None


def decide(
    post: Post,
    matches: Sequence[Match],
    versions: dict[str, str],
    registry: Registry | None = None,
) -> Decision:
    """Flag a post when any rule matched; record stage and route when a registry is given."""
    mine = tuple(m for m in matches if m.post_key == (post.platform, post.post_id))
    top = None
    for match in mine:
        if top is None or severity_rank(match.severity) > severity_rank(top.severity):
            top = match
    election = _election(post, top, registry)
    stage = stage_of(post.created_at, election) if election is not None else None
    route = None
    if stage is not None and top is not None:
        route = route_for(stage, top.category, criminal=any(m.criminal for m in mine)).value
    return Decision(
        post_key=(post.platform, post.post_id),
        flagged=top is not None,
        category=top.category if top else None,
        severity=top.severity if top else None,
        score=None,
        matches=mine,
        scores={},
        versions=versions,
        stage=stage.value if stage is not None else None,
        route=route,
    )
