"""The decision policy: rule matches and class probabilities become one decision that
explains itself.

- A rule match counts when its severity reaches ``rule_min_severity``. A rule that needs
  the model (``requires_model``, or a status listed in ``model_agree_statuses``) counts only
  when P(violation) reaches ``model_agree_threshold``; with no model configured it counts as
  a plain rule. With ``model_veto_threshold``, non-critical matches are set aside when
  P(violation) is below it.
- The model flags on its own when P(violation) reaches ``model_flag_threshold``.
- The most severe counted match sets category and severity (the first rule wins a tie, so
  the rule files' order is the analysts' priority); a model-only decision takes the most
  probable violation class and ``model_severity``.
- With a candidate registry, the decision records the election stage of the post's time
  and the route it implies (domain.md: ethics before candidates are named, discipline after,
  money politics and content marked criminal to Gakkumdu).

P(violation) is the sum of the four violation classes' probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from monitor.domain import SEVERITIES, Decision, Match, Post, severity_rank
from monitor.model.labels import VIOLATIONS
from monitor.rules.calendar import route_for, stage_of
from monitor.rules.registry import Election, Registry
from monitor.settings import PolicySettings

RULES_ONLY = PolicySettings()


def _election(post: Post, top: Match | None, registry: Registry | None) -> Election | None:
    if registry is None or not registry.elections:
        return None
    if top is not None and top.election_id is not None:
        referenced = registry.election(top.election_id)
        if referenced is not None:
            return referenced
    relevant = registry.elections_for(post.author_region)
    return relevant[0] if relevant else None


def violation_probability(probabilities: Mapping[str, float]) -> float:
    return sum(probabilities.get(label, 0.0) for label in VIOLATIONS)


def _counted(
    matches: Sequence[Match],
    probabilities: Mapping[str, float] | None,
    policy: PolicySettings,
    notes: list[str],
) -> list[Match]:
    p_violation = violation_probability(probabilities) if probabilities is not None else None
    counted = []
    for match in matches:
        known = match.severity in SEVERITIES  # a plugin's own severity ranks lowest but counts
        if known and severity_rank(match.severity) < severity_rank(policy.rule_min_severity):
            notes.append(f"{match.rule_id}: di bawah tingkat minimum {policy.rule_min_severity}")
            continue
        if p_violation is not None:
            needs_model = match.requires_model or match.status in policy.model_agree_statuses
            if needs_model and p_violation < policy.model_agree_threshold:
                notes.append(
                    f"{match.rule_id}: model tidak setuju (P(pelanggaran)={p_violation:.2f} "
                    f"< {policy.model_agree_threshold:.2f})"
                )
                continue
            veto = policy.model_veto_threshold
            if veto is not None and match.severity != "critical" and p_violation < veto:
                notes.append(
                    f"{match.rule_id}: disisihkan model "
                    f"(P(pelanggaran)={p_violation:.2f} < {veto:.2f})"
                )
                continue
        counted.append(match)
    return counted


def decide(
    post: Post,
    matches: Sequence[Match],
    versions: dict[str, str],
    registry: Registry | None = None,
    probabilities: Mapping[str, float] | None = None,
    policy: PolicySettings = RULES_ONLY,
) -> Decision:
    """One decision for ``post`` from its rule matches and, when a model ran, its class
    probabilities."""
    mine = tuple(m for m in matches if m.post_key == (post.platform, post.post_id))
    notes: list[str] = []
    counted = _counted(mine, probabilities, policy, notes)
    top = None
    for match in counted:
        if top is None or severity_rank(match.severity) > severity_rank(top.severity):
            top = match
    category, severity = (top.category, top.severity) if top is not None else (None, None)
    score = None
    scores: dict[str, float] = {}
    if probabilities is not None:
        score = violation_probability(probabilities)
        scores = {
            **{k: round(v, 4) for k, v in probabilities.items()},
            "violation": round(score, 4),
        }
        threshold = policy.model_flag_threshold
        if top is None and threshold is not None and score >= threshold:
            category = max(VIOLATIONS, key=lambda label: probabilities.get(label, 0.0))
            severity = policy.model_severity
            notes.append(f"model: P(pelanggaran)={score:.2f} >= {threshold:.2f}, kelas {category}")
    election = _election(post, top, registry)
    stage = stage_of(post.created_at, election) if election is not None else None
    route = None
    if stage is not None and category is not None:
        route = route_for(stage, category, criminal=any(m.criminal for m in counted)).value
    return Decision(
        post_key=(post.platform, post.post_id),
        flagged=category is not None,
        category=category,
        severity=severity,
        score=score,
        matches=tuple(counted),
        scores=scores,
        versions=versions,
        stage=stage.value if stage is not None else None,
        route=route,
        notes=tuple(notes),
    )
