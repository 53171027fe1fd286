"""The baseline a model must beat: TF-IDF (word 1-2-grams and character 2-5-grams) and
logistic regression with balanced class weights, trained on the same masked texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.model.labels import LABELS
from monitor.model.metrics import macro_f1

#: Inverse regularisation strengths tried when a validation split is given.
C_GRID = (0.5, 2.0, 8.0, 32.0)
DEFAULT_C = 8.0


def _pipeline(c: float, seed: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=seed)
    return make_pipeline(features, classifier)


def probabilities(pipeline: Any, texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Probabilities with columns in ``LABELS`` order (0 for a class absent in training)."""
    raw = pipeline.predict_proba(list(texts))
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float64)
    for column, label in enumerate(pipeline.classes_):
        out[:, LABELS.index(str(label))] = raw[:, column]
    return out


def fit(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    valid_texts: Sequence[str] = (),
    valid_labels: Sequence[str] = (),
    seed: int = 13,
) -> tuple[Any, float]:
    """The fitted pipeline and its C: chosen on validation macro-F1 from ``C_GRID`` when a
    validation split is given, else ``DEFAULT_C``."""
    grid = C_GRID if valid_texts else (DEFAULT_C,)
    best: tuple[float, float, Any] | None = None
    truth = [LABELS.index(label) for label in valid_labels]
    for c in grid:
        pipeline = _pipeline(c, seed).fit(list(train_texts), list(train_labels))
        if not valid_texts:
            return pipeline, c
        predicted = probabilities(pipeline, valid_texts).argmax(axis=1).tolist()
        f1 = macro_f1(truth, predicted, len(LABELS))
        if best is None or f1 > best[0]:
            best = (f1, c, pipeline)
    assert best is not None
    return best[2], best[1]
