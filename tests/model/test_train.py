"""Fine-tuning: best epoch saved as safetensors with training.json, early stopping,
class weights, reproducible seeds, markers added to a base that lacks them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.errors import DetectError
from monitor.model.data import resolve_data
from monitor.model.labels import LABELS
from tests.model.fixtures import TINY_TRAIN

torch = pytest.importorskip("torch")

from monitor.model.train import TrainConfig, fine_tune, train_files  # noqa: E402

FAST = TrainConfig(**{**TINY_TRAIN, "epochs": 3, "patience": 3})


def _weights(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(path / "model.safetensors")


def test_training_saves_best_epoch_and_record(tiny_model: Path, data_dir: Path) -> None:
    assert (tiny_model / "model.safetensors").is_file()
    assert not (tiny_model / "pytorch_model.bin").exists()
    record = json.loads((tiny_model / "training.json").read_text(encoding="utf-8"))
    assert record["base"].endswith("tiny-init")
    assert len(record["base_sha256"]) == 64
    assert record["data"]["train"]["path"] == str(data_dir / "train.jsonl")
    assert len(record["data"]["train"]["sha256"]) == 64
    assert record["data"]["valid"]["path"] == str(data_dir / "valid.jsonl")
    assert record["masked"] is True and record["registries"]["version"]
    assert record["hyperparameters"]["lr"] == TINY_TRAIN["lr"]
    assert record["seed"] == TINY_TRAIN["seed"]
    assert record["labels"] == list(LABELS)
    epochs = record["epochs"]
    assert [e["epoch"] for e in epochs] == list(range(1, len(epochs) + 1))
    best = max(epochs, key=lambda e: e["valid_macro_f1"])
    assert record["best_valid_macro_f1"] == best["valid_macro_f1"]
    assert epochs[record["best_epoch"] - 1]["valid_macro_f1"] == best["valid_macro_f1"]
    assert record["duration_s"] > 0
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]


def test_early_stopping_on_no_improvement(tiny_init: Path, data_dir: Path, tmp_path: Path) -> None:
    # lr 0: macro-F1 never improves after epoch 1, so training stops after `patience` more
    config = replace(FAST, lr=0.0, epochs=10, patience=2)
    record = train_files(tiny_init, resolve_data(data_dir), tmp_path / "m", config)
    assert len(record["epochs"]) == 3
    assert record["best_epoch"] == 1 and record["stopped_early"] is True


def test_same_seed_same_weights(tiny_init: Path, data_dir: Path, tmp_path: Path) -> None:
    files = resolve_data(data_dir)
    for name in ("a", "b"):
        train_files(tiny_init, files, tmp_path / name, FAST)
    first, second = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)
    other = train_files(tiny_init, files, tmp_path / "c", replace(FAST, seed=99))
    third = _weights(tmp_path / "c")
    assert other["seed"] == 99
    assert any(not torch.equal(first[k], third[k]) for k in first)


def test_class_weights_follow_the_training_labels(tiny_init: Path, tmp_path: Path) -> None:
    texts = ["dukung [PASLON]"] * 6 + ["selamat pagi"] * 2 + ["amplop [NOMOR]"]
    labels = ["support"] * 6 + ["non_political"] * 2 + ["money_politics"]
    record = fine_tune(tiny_init, texts, labels, texts, labels, tmp_path / "m", FAST)
    weights = record["class_weights"]
    assert weights["support"] == pytest.approx(9 / (3 * 6))
    assert weights["non_political"] == pytest.approx(9 / (3 * 2))
    assert weights["money_politics"] == pytest.approx(9 / (3 * 1))
    assert weights["attack"] == 1.0  # absent


def test_without_validation_file_a_split_is_held_out(
    tiny_init: Path, data_dir: Path, tmp_path: Path
) -> None:
    files = resolve_data(data_dir / "train.jsonl", registries=[data_dir / "registries"])
    record = train_files(tiny_init, files, tmp_path / "m", replace(FAST, epochs=1))
    assert record["valid_examples"] == 6  # one of each label's ten
    assert record["train_examples"] == 54
    assert "held out" in record["data"]["valid"]


def test_a_base_without_markers_gets_them(tiny_init: Path, data_dir: Path, tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from tokenizers.trainers import WordPieceTrainer
    from transformers import AutoModelForSequenceClassification, PreTrainedTokenizerFast

    base = tmp_path / "base"
    backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    trainer = WordPieceTrainer(vocab_size=200, special_tokens=specials, show_progress=False)
    backend.train_from_iterator(["ayo dukung paslon nomor satu", "selamat pagi"], trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="[PAD]")
    tokenizer.save_pretrained(base)
    # a generic two-label head: re-initialised to our six labels
    model = AutoModelForSequenceClassification.from_pretrained(
        tiny_init, num_labels=2, ignore_mismatched_sizes=True
    )
    model.resize_token_embeddings(len(tokenizer))
    model.save_pretrained(base)
    record = train_files(base, resolve_data(data_dir), tmp_path / "m", replace(FAST, epochs=1))
    assert "[PASLON]" in record["added_tokens"]
    tuned = AutoModelForSequenceClassification.from_pretrained(tmp_path / "m")
    assert tuned.config.num_labels == len(LABELS)
    assert tuned.get_input_embeddings().num_embeddings == len(tokenizer) + len(
        record["added_tokens"]
    )


def test_cuda_requested_without_cuda(tiny_init: Path, data_dir: Path, tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA is present")
    with pytest.raises(DetectError, match="CUDA"):
        train_files(tiny_init, resolve_data(data_dir), tmp_path / "m", replace(FAST, device="cuda"))
