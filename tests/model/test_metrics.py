"""Metrics as tables of small cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.model.labels import LABELS
from monitor.model.metrics import (
    calibration,
    confusion_matrix,
    macro_f1,
    per_class,
    rates_at,
    score,
    threshold_for_fpr,
    violation_scores,
)
from monitor.model.train import class_weights


def test_confusion_and_per_class() -> None:
    matrix = confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    rows = per_class(matrix)
    assert rows[0] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert rows[1]["precision"] == pytest.approx(2 / 3)
    assert rows[2] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


@pytest.mark.parametrize(
    ("truth", "predicted", "expected"),
    [
        ([0, 1, 2], [0, 1, 2], 1.0),
        ([0, 0, 1, 1], [0, 0, 0, 0], (0.6667 + 0.0) / 2),
        # a class never in the truth does not count (its false positives already hurt)
        ([0, 0], [0, 5], 2 / 3),
    ],
)
def test_macro_f1(truth: list[int], predicted: list[int], expected: float) -> None:
    assert macro_f1(truth, predicted, 6) == pytest.approx(expected, abs=1e-4)


def test_calibration() -> None:
    probs = np.array([[0.95, 0.05], [0.95, 0.05], [0.55, 0.45], [0.3, 0.7]])
    ece, table = calibration(probs, [0, 1, 0, 1], bins=10)
    # bin 0.9-1.0: confidence 0.95, accuracy 0.5; 0.5-0.6: 0.55 vs 1; 0.6-0.7: 0.7 vs 1
    assert ece == pytest.approx((2 * 0.45 + 0.45 + 0.3) / 4)
    assert [row["count"] for row in table] == [0, 0, 0, 0, 0, 1, 1, 0, 0, 2]
    assert table[9]["accuracy"] == 0.5


@pytest.mark.parametrize(
    ("negatives", "target", "flagged_negatives"),
    [
        ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], 0.0, 0),
        ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], 0.1, 1),
        ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], 0.25, 2),
        ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], 1.0, 10),
        ([0.5, 0.5, 0.5, 0.1], 0.5, 0),  # ties: cannot flag only two of three equal scores
    ],
)
def test_threshold_meets_the_target_fpr(
    negatives: list[float], target: float, flagged_negatives: int
) -> None:
    positives = [0.05, 0.85, 0.99]
    scores = np.array(negatives + positives)
    is_violation = np.array([False] * len(negatives) + [True] * len(positives))
    threshold = threshold_for_fpr(scores, is_violation, target)
    rates = rates_at(scores, is_violation, threshold)
    assert rates["fpr"] == pytest.approx(flagged_negatives / len(negatives))
    assert rates["fpr"] <= target
    # the lowest such threshold: every positive above the flagged negatives is caught
    assert rates["violation_recall"] == pytest.approx(np.mean([p >= threshold for p in positives]))


def test_threshold_without_negatives() -> None:
    assert threshold_for_fpr(np.array([0.2]), np.array([True]), 0.02) == 1.0


def test_score_and_violation_scores() -> None:
    probs = np.eye(len(LABELS))
    report = score(probs, list(LABELS))
    assert report["macro_f1"] == 1.0
    assert report["ece"] == pytest.approx(0.0)
    assert violation_scores(probs).tolist() == [1, 1, 1, 1, 0, 0]


@pytest.mark.parametrize(
    ("labels", "weights"),
    [
        ([0, 0, 1, 1], [1.0, 1.0, 1.0, 1.0]),
        ([0, 0, 0, 1], [4 / 6, 2.0, 1.0, 1.0]),  # n / (present classes * count)
        ([2, 2], [1.0, 1.0, 1.0, 1.0]),
    ],
)
def test_class_weights_are_inverse_frequency(labels: list[int], weights: list[float]) -> None:
    assert class_weights(labels, 4) == pytest.approx(weights)
