"""A tiny real model for tests (design habit 7: a seam, not a mock): a WordPiece of ~300
tokens and a 2-layer BERT of hidden size 32, built with ``model init`` from the corpus in
``tests/model/corpus.py`` and fine-tuned for a second. Built once per test process."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import monitor.rules
from tests.model.corpus import write_split

EXAMPLE_REGISTRY = Path(monitor.rules.__file__).parent / "data" / "example-registry.yaml"
#: fast settings for the tiny model (learns the corpus in about a second)
TINY_TRAIN = {"epochs": 12, "batch_size": 8, "lr": 3e-3, "patience": 4, "seed": 7}


def invoke(*args: str) -> tuple[int, str]:
    """Run ``asn-monitor`` in-process; (exit code, stdout and stderr)."""
    from monitor.cli import cli

    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def make_data(root: Path) -> Path:
    """train/valid/test JSONL and ``registries/`` (the Sukamaju example) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for split in ("train", "valid", "test"):
        write_split(root / f"{split}.jsonl", split)
    (root / "registries").mkdir(exist_ok=True)
    shutil.copy(EXAMPLE_REGISTRY, root / "registries" / EXAMPLE_REGISTRY.name)
    return root


@pytest.fixture(scope="session")
def torch_threads() -> int:
    """Under pytest-xdist, each worker gets its share of the cores: torch's own threads on
    top of the workers' would oversubscribe them (ten times slower on two cores)."""
    import torch

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
    return int(torch.get_num_threads())


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_data(tmp_path_factory.mktemp("labelled"))


@pytest.fixture(scope="session")
def tiny_init(data_dir: Path, tmp_path_factory: pytest.TempPathFactory, torch_threads: int) -> Path:
    """``model init`` output: the untrained tiny BERT and its tokenizer."""
    out = tmp_path_factory.mktemp("models") / "tiny-init"
    code, output = invoke(
        "model", "init", "--data", str(data_dir / "train.jsonl"), "--out", str(out),
        "--vocab", "300", "--layers", "2", "--hidden", "32", "--heads", "2",
        "--max-length", "64",
    )  # fmt: skip
    assert code == 0, output
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_init: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny BERT fine-tuned on the corpus."""
    from monitor.model.data import resolve_data
    from monitor.model.train import TrainConfig, train_files

    out = tmp_path_factory.mktemp("models") / "tiny"
    train_files(tiny_init, resolve_data(data_dir), out, TrainConfig(**TINY_TRAIN))
    return out
