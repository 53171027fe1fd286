"""Scores of a classifier's probabilities against labels (numpy only): per-class
precision/recall/F1, macro-F1, the confusion matrix, calibration (expected calibration
error and a reliability table on the max probability), and the threshold on P(violation)
that meets a target false-positive rate on non-violations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.model.labels import LABELS, VIOLATIONS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int], classes: int) -> IntArray:
    """``m[i, j]``: how many posts labelled i were predicted j."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(truth, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return matrix


def per_class(matrix: IntArray) -> list[dict[str, float | int]]:
    """Precision, recall, F1 and support of each class (0.0 where undefined)."""
    rows: list[dict[str, float | int]] = []
    for i in range(matrix.shape[0]):
        tp = int(matrix[i, i])
        predicted, support = int(matrix[:, i].sum()), int(matrix[i, :].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"precision": precision, "recall": recall, "f1": f1, "support": support})
    return rows


def macro_f1(truth: Sequence[int], predicted: Sequence[int], classes: int) -> float:
    """Mean F1 over the classes that occur in ``truth``."""
    rows = per_class(confusion_matrix(truth, predicted, classes))
    present = [float(r["f1"]) for r in rows if r["support"]]
    return float(np.mean(present)) if present else 0.0


def calibration(
    probabilities: FloatArray, truth: Sequence[int], bins: int = 10
) -> tuple[float, list[dict[str, float | int]]]:
    """Expected calibration error on the max probability, and the reliability table
    (per equal-width bin: count, mean confidence, accuracy)."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(truth)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    table: list[dict[str, float | int]] = []
    ece = 0.0
    total = len(confidence)
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        row: dict[str, float | int] = {"low": float(edges[b]), "high": float(edges[b + 1])}
        row["count"] = count
        if count:
            mean_conf, accuracy = float(confidence[inside].mean()), float(correct[inside].mean())
            row.update(confidence=mean_conf, accuracy=accuracy)
            ece += abs(accuracy - mean_conf) * count / total
        table.append(row)
    return ece, table


def violation_scores(probabilities: FloatArray, labels: Sequence[str] = LABELS) -> FloatArray:
    """P(violation) per post: the sum of the violation classes' probabilities."""
    columns = [labels.index(v) for v in VIOLATIONS]
    return np.asarray(probabilities[:, columns].sum(axis=1), dtype=np.float64)


def threshold_for_fpr(
    scores: FloatArray, is_violation: npt.NDArray[np.bool_], target: float
) -> float:
    """The lowest threshold t such that at most ``target`` of the non-violations have
    P(violation) >= t (so recall is as high as the target allows). 1.0 without any
    non-violation to measure on."""
    negatives = np.sort(scores[~is_violation])[::-1]
    if negatives.size == 0:
        return 1.0
    allowed = int(np.floor(target * negatives.size + 1e-9))
    if allowed >= negatives.size:
        return 0.0
    return float(min(np.nextafter(negatives[allowed], np.inf), 1.0))


def rates_at(
    scores: FloatArray, is_violation: npt.NDArray[np.bool_], threshold: float
) -> dict[str, float]:
    """False-positive rate on non-violations and recall on violations at ``threshold``."""
    flagged = scores >= threshold
    negatives, positives = int((~is_violation).sum()), int(is_violation.sum())
    fpr = float((flagged & ~is_violation).sum() / negatives) if negatives else 0.0
    recall = float((flagged & is_violation).sum() / positives) if positives else 0.0
    return {"threshold": threshold, "fpr": fpr, "violation_recall": recall}


def score(probabilities: FloatArray, truth: Sequence[str]) -> dict[str, Any]:
    """Every metric of one set of probabilities (columns in ``LABELS`` order)."""
    y = [LABELS.index(label) for label in truth]
    predicted = probabilities.argmax(axis=1).tolist()
    matrix = confusion_matrix(y, predicted, len(LABELS))
    rows = per_class(matrix)
    ece, table = calibration(probabilities, y)
    accuracy = float(np.trace(matrix) / max(len(y), 1))
    return {
        "posts": len(y),
        "accuracy": accuracy,
        "macro_f1": macro_f1(y, predicted, len(LABELS)),
        "per_class": {label: row for label, row in zip(LABELS, rows, strict=True)},
        "confusion_matrix": matrix.tolist(),
        "ece": ece,
        "reliability": table,
    }


def is_violation(truth: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Whether each label is a violation."""
    return np.asarray([label in VIOLATIONS for label in truth], dtype=np.bool_)
