"""Evaluating a model directory on a labelled test split, beside a TF-IDF + logistic
regression baseline scored on the same split with the same metrics.

The threshold on P(violation) that meets the target false-positive rate on
non-violations is chosen on the validation split (on test, and said so, without one) and
reported on test: the false-positive rate and violation recall it gives there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.model import baseline
from monitor.model.data import LabelledSet, file_sha256, load_masker, load_split
from monitor.model.metrics import is_violation, rates_at, score, threshold_for_fpr, violation_scores
from monitor.model.report import render_markdown

Probabilities = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EvalFiles:
    """The splits and registries of one evaluation."""

    test: Path
    valid: Path | None = None
    train: Path | None = None
    registries: tuple[Path, ...] = ()


def _operating_point(
    test_probs: Probabilities,
    test_labels: Sequence[str],
    valid_probs: Probabilities | None,
    valid_labels: Sequence[str],
    target_fpr: float,
) -> dict[str, Any]:
    """The P(violation) threshold (chosen on valid, or on test without it) and the rates
    it gives on test (and on the split it was chosen on)."""
    chosen_on = "valid" if valid_probs is not None else "test"
    pick_probs = valid_probs if valid_probs is not None else test_probs
    pick_labels = valid_labels if valid_probs is not None else test_labels
    pick_scores, pick_truth = violation_scores(pick_probs), is_violation(pick_labels)
    threshold = threshold_for_fpr(pick_scores, pick_truth, target_fpr)
    on_test = rates_at(violation_scores(test_probs), is_violation(test_labels), threshold)
    chosen = rates_at(pick_scores, pick_truth, threshold)
    return {
        "target_fpr": target_fpr,
        "chosen_on": chosen_on,
        "threshold": threshold,
        "fpr": on_test["fpr"],
        "violation_recall": on_test["violation_recall"],
        f"{chosen_on}_fpr": chosen["fpr"],
        f"{chosen_on}_violation_recall": chosen["violation_recall"],
    }


def _system(
    test_probs: Probabilities,
    test: LabelledSet,
    valid_probs: Probabilities | None,
    valid: LabelledSet | None,
    target_fpr: float,
) -> dict[str, Any]:
    result = score(test_probs, test.labels)
    valid_labels = valid.labels if valid is not None else ()
    result["operating_point"] = _operating_point(
        test_probs, test.labels, valid_probs, valid_labels, target_fpr
    )
    return result


def _file(path: Path | None, posts: int | None = None) -> dict[str, Any] | None:
    if path is None:
        return None
    return {"path": str(path), "sha256": file_sha256(path), "posts": posts}


def evaluate(
    model_dir: Path,
    files: EvalFiles,
    *,
    target_fpr: float = 0.02,
    device: str = "auto",
    batch_size: int = 32,
    max_length: int = 128,
    seed: int = 13,
) -> dict[str, Any]:
    """Score the model (and the baseline, when a training split is given) on test."""
    from monitor.detect.classifier import Classifier

    started = time.monotonic()
    masker = load_masker(files.registries)
    # the splits are masked here, so the classifier gets no masker of its own
    test = load_split(files.test, masker)
    valid = load_split(files.valid, masker) if files.valid else None
    train = load_split(files.train, masker) if files.train else None
    classifier = Classifier(model_dir, device=device, batch_size=batch_size, max_length=max_length)

    def model_probs(split: LabelledSet) -> Probabilities:
        return np.asarray(classifier.probabilities(split.texts), dtype=np.float64)

    valid_probs = model_probs(valid) if valid is not None else None
    systems: dict[str, Any] = {
        "model": _system(model_probs(test), test, valid_probs, valid, target_fpr)
    }
    baseline_info: dict[str, Any] | None = None
    if train is not None:
        pipeline, c = baseline.fit(
            train.texts,
            train.labels,
            valid.texts if valid is not None else (),
            valid.labels if valid is not None else (),
            seed,
        )
        base_valid = baseline.probabilities(pipeline, valid.texts) if valid is not None else None
        base_test = baseline.probabilities(pipeline, test.texts)
        systems["baseline"] = _system(base_test, test, base_valid, valid, target_fpr)
        baseline_info = {
            "name": "TF-IDF (kata 1-2, karakter 2-5) + regresi logistik (kelas seimbang)",
            "C": c,
        }
    return {
        "model": {
            "name": model_dir.resolve().name,
            "path": str(model_dir),
            "version": classifier.version,
            "sha256": classifier.sha256,
            "device": str(classifier.device),
            "precision": classifier.precision,
        },
        "baseline": baseline_info,
        "data": {
            "test": _file(files.test, len(test)),
            "valid": _file(files.valid, len(valid) if valid else None),
            "train": _file(files.train, len(train) if train else None),
        },
        "registries": {
            "paths": [str(p) for p in files.registries],
            "version": masker.version if masker is not None else None,
        },
        "target_fpr": target_fpr,
        "systems": systems,
        "duration_s": time.monotonic() - started,
    }


def write_report(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """``report.json`` and ``report.md`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "report.json", out / "report.md"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    md_path.write_text(render_markdown(report), "utf-8")
    return json_path, md_path
