"""``asn-monitor model init|train|eval`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, write_lines
from tests.model.fixtures import invoke

pytest.importorskip("torch")


def test_init_train_eval(tiny_init: Path, data_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    code, output = invoke(
        "model", "train", "--base", str(tiny_init), "--data", str(data_dir), "--out", str(model),
        "--epochs", "2", "--batch-size", "8", "--lr", "3e-3", "--patience", "1", "--seed", "5",
        "--device", "cpu",
    )  # fmt: skip
    assert code == 0, output
    assert "model terbaik (epoch" in output and str(model) in output
    record = json.loads((model / "training.json").read_text(encoding="utf-8"))
    assert record["seed"] == 5 and record["hyperparameters"]["batch_size"] == 8
    assert "epoch 1/2" in output  # one log line per epoch (stderr is mixed in)

    report = tmp_path / "report"
    code, output = invoke(
        "model", "eval", "--model", str(model), "--data", str(data_dir / "test.jsonl"),
        "--valid", str(data_dir / "valid.jsonl"), "--train", str(data_dir / "train.jsonl"),
        "--out", str(report), "--target-fpr", "0.05", "--device", "cpu",
    )  # fmt: skip
    assert code == 0, output
    assert "model: macro-F1" in output and "baseline: macro-F1" in output
    assert (report / "report.json").is_file() and (report / "report.md").is_file()


def test_bad_data_is_located(tiny_init: Path, tmp_path: Path) -> None:
    bad = write_lines(tmp_path / "train.jsonl", ['{"id": "1", "text": "x", "label": "nope"}'])
    code, output = invoke(
        "model", "train", "--base", str(tiny_init), "--data", str(bad), "--out", str(tmp_path / "m")
    )
    assert code == 1
    assert f"{bad}:1: error: label 'nope' tidak dikenal" in output


def test_eval_of_a_missing_model(data_dir: Path, tmp_path: Path) -> None:
    code, output = invoke(
        "model", "eval", "--model", str(tmp_path / "none"), "--data", str(data_dir / "test.jsonl"),
        "--out", str(tmp_path / "r"),
    )  # fmt: skip
    assert code == 1
    assert "direktori model tidak ada" in output


def test_init_rejects_heads_that_do_not_divide(data_dir: Path, tmp_path: Path) -> None:
    code, output = invoke(
        "model", "init", "--data", str(data_dir / "train.jsonl"), "--out", str(tmp_path / "m"),
        "--hidden", "30", "--heads", "4",
    )  # fmt: skip
    assert code == 2 and "multiple of heads" in output


def test_rules_check_does_not_import_torch() -> None:
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from monitor.cli import cli\n"
        "result = CliRunner().invoke(cli, ['rules', 'check', 'rules'])\n"
        "assert result.exit_code == 0, result.output\n"
        "CliRunner().invoke(cli, ['model', '--help'])\n"
        "heavy = {'torch', 'transformers', 'sklearn', 'tokenizers'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
