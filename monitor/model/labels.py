"""The classifier's labels: the four violation categories of the rules, then the two
non-violations. ``models/LABELS.md`` gives each label's meaning, examples and legal basis."""

from __future__ import annotations

#: Every label, in the order of the model's outputs (``id2label``).
LABELS: tuple[str, ...] = (
    "support",
    "campaign_share",
    "attack",
    "money_politics",
    "political_neutral",
    "non_political",
)
#: The labels that are possible neutrality violations; P(violation) is their sum.
VIOLATIONS: tuple[str, ...] = LABELS[:4]

LABEL2ID: dict[str, int] = {label: i for i, label in enumerate(LABELS)}
ID2LABEL: dict[int, str] = dict(enumerate(LABELS))


def p_violation(probabilities: dict[str, float]) -> float:
    """P(violation): the sum of the four violation classes' probabilities."""
    return sum(probabilities.get(label, 0.0) for label in VIOLATIONS)
