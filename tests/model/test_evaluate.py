"""``model eval``: the model beside the TF-IDF baseline, with the same metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from monitor.model.labels import LABELS

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from monitor.model.evaluate import EvalFiles, evaluate, write_report
from monitor.model.report import render_markdown


@pytest.fixture(scope="module")
def report(tiny_model: Path, data_dir: Path) -> dict[str, Any]:
    files = EvalFiles(
        data_dir / "test.jsonl",
        data_dir / "valid.jsonl",
        data_dir / "train.jsonl",
        (data_dir / "registries",),
    )
    return evaluate(tiny_model, files, target_fpr=0.1, device="cpu")


def test_report_names_the_model_and_data(report: dict[str, Any], tiny_model: Path) -> None:
    model = report["model"]
    assert model["name"] == "tiny"
    assert model["version"] == f"tiny@{model['sha256'][:12]}"
    assert report["data"]["test"]["posts"] == 24
    assert report["data"]["train"]["posts"] == 60
    assert len(report["data"]["valid"]["sha256"]) == 64
    assert report["registries"]["version"]


@pytest.mark.parametrize("system", ["model", "baseline"])
def test_every_system_has_every_metric(report: dict[str, Any], system: str) -> None:
    scores = report["systems"][system]
    assert set(scores["per_class"]) == set(LABELS)
    assert all(
        {"precision", "recall", "f1", "support"} <= set(v) for v in scores["per_class"].values()
    )
    assert 0.0 <= scores["macro_f1"] <= 1.0
    matrix = scores["confusion_matrix"]
    assert len(matrix) == len(LABELS) and sum(map(sum, matrix)) == 24
    assert len(scores["reliability"]) == 10
    assert sum(row["count"] for row in scores["reliability"]) == 24
    assert 0.0 <= scores["ece"] <= 1.0
    op = scores["operating_point"]
    assert op["chosen_on"] == "valid" and op["target_fpr"] == 0.1
    assert op["valid_fpr"] <= 0.1
    assert 0.0 <= op["fpr"] <= 1.0 and 0.0 <= op["violation_recall"] <= 1.0


def test_baseline_is_described(report: dict[str, Any]) -> None:
    assert "TF-IDF" in report["baseline"]["name"]
    assert report["baseline"]["C"] > 0


def test_write_report(report: dict[str, Any], tmp_path: Path) -> None:
    json_path, md_path = write_report(report, tmp_path / "out")
    assert json.loads(json_path.read_text(encoding="utf-8"))["model"] == report["model"]
    md = md_path.read_text(encoding="utf-8")
    for heading in (
        "## Ringkasan", "## Per kelas", "## Matriks kebingungan: model",
        "## Matriks kebingungan: baseline", "## Kalibrasi",
    ):  # fmt: skip
        assert heading in md
    assert report["model"]["version"] in md
    assert "| Macro-F1 |" in md and "baseline" in md


def test_without_train_and_valid(tiny_model: Path, data_dir: Path) -> None:
    files = EvalFiles(data_dir / "test.jsonl", registries=(data_dir / "registries",))
    report = evaluate(tiny_model, files, device="cpu")
    assert set(report["systems"]) == {"model"} and report["baseline"] is None
    assert report["systems"]["model"]["operating_point"]["chosen_on"] == "test"
    assert "Baseline: -" in render_markdown(report)
