"""The label schema agrees with the rules and with its documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.detect.evaluate import LABELS as RULE_LABELS
from monitor.model.labels import ID2LABEL, LABEL2ID, LABELS, VIOLATIONS, p_violation
from monitor.rules.schema import CATEGORIES

LABELS_MD = Path(__file__).resolve().parents[2] / "models" / "LABELS.md"


def test_labels_agree_with_the_rules() -> None:
    assert LABELS == RULE_LABELS
    assert VIOLATIONS == CATEGORIES
    assert [ID2LABEL[LABEL2ID[label]] for label in LABELS] == list(LABELS)


@pytest.mark.parametrize("label", LABELS)
def test_labels_md_documents_every_label(label: str) -> None:
    text = LABELS_MD.read_text(encoding="utf-8")
    assert f"`{label}`" in text


def test_labels_md_cites_the_legal_basis() -> None:
    text = LABELS_MD.read_text(encoding="utf-8")
    for basis in ("SKB", "PP 94/2021", "Ps. 71", "Ps. 69", "187A"):
        assert basis in text


@pytest.mark.parametrize(
    ("probabilities", "expected"),
    [
        ({label: 1 / 6 for label in LABELS}, 4 / 6),
        ({"support": 0.5, "attack": 0.2, "non_political": 0.3}, 0.7),
        ({"political_neutral": 1.0}, 0.0),
    ],
)
def test_p_violation(probabilities: dict[str, float], expected: float) -> None:
    assert p_violation(probabilities) == pytest.approx(expected)
