"""Fine-tuning any local Hugging Face sequence-classification checkpoint on labelled
posts: a plain PyTorch loop (AdamW, linear warmup and decay, class-weighted loss), early
stopping on validation macro-F1, fixed seeds, CPU or CUDA. The best epoch is saved as
safetensors with ``training.json`` beside it (base, data hashes, hyper-parameters,
per-epoch metrics, seed, duration).

Texts arrive masked (``monitor.model.data``); a base whose tokenizer lacks the candidate
markers gets them as special tokens, with its embeddings resized.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from loguru import logger
from tqdm import tqdm

from monitor.detect.classifier import pick_device
from monitor.model.checkpoint import add_markers, quiet_transformers, weights_sha256
from monitor.model.data import DataFiles, file_sha256, holdout, load_masker, load_split
from monitor.model.labels import ID2LABEL, LABEL2ID, LABELS
from monitor.model.metrics import macro_f1


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one fine-tuning run."""

    epochs: int = 10
    batch_size: int = 16
    lr: float = 5e-5
    patience: int = 2
    seed: int = 13
    max_length: int = 128
    warmup: float = 0.1
    weight_decay: float = 0.01
    device: str = "auto"


def set_seed(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and every GPU)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def class_weights(labels: Sequence[int], classes: int) -> list[float]:
    """Inverse-frequency weights ``n / (classes_present * count)``; 1.0 for a class absent
    from the training data (it has no examples to weigh)."""
    counts = Counter(labels)
    present = len(counts)
    return [len(labels) / (present * counts[c]) if counts[c] else 1.0 for c in range(classes)]


def load_base(base: Path, seed: int) -> tuple[Any, Any, list[str]]:
    """Tokenizer and model of a local checkpoint, with our labels (a head of another size
    is re-initialised, seeded) and the candidate markers (added when missing)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    set_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(
        base,
        local_files_only=True,
        num_labels=len(LABELS),
        id2label=dict(ID2LABEL),
        label2id=dict(LABEL2ID),
        ignore_mismatched_sizes=True,
    )
    model.config.problem_type = "single_label_classification"
    if tokenizer.pad_token_id is None:  # decoder-style bases: pad with end-of-sequence
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id
    return tokenizer, model, add_markers(tokenizer, model)


def encode(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids per text, truncated, not padded."""
    if not texts:
        return []
    ids: list[list[int]] = tokenizer(list(texts), truncation=True, max_length=max_length)[
        "input_ids"
    ]
    return ids


def collate(
    rows: Sequence[Sequence[int]], pad_id: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad ``rows`` to the longest: (input_ids, attention_mask) on ``device``."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids.to(device), mask.to(device)


def _chunks(indexes: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(indexes), size):
        yield indexes[start : start + size]


def _autocast(device: torch.device) -> Any:
    """bf16 autocast on a CUDA device that supports it; fp32 otherwise."""
    enabled = device.type == "cuda" and torch.cuda.is_bf16_supported()
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


def predict_ids(
    model: Any, encoded: Sequence[Sequence[int]], pad_id: int, device: torch.device, size: int
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Class probabilities of encoded texts, batched by length (input order kept)."""
    model.eval()
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    out = np.zeros((len(encoded), len(LABELS)), dtype=np.float64)
    with torch.inference_mode(), _autocast(device):
        for chunk in _chunks(order, size):
            ids, mask = collate([encoded[i] for i in chunk], pad_id, device)
            logits = model(input_ids=ids, attention_mask=mask).logits.float()
            out[list(chunk)] = logits.softmax(-1).cpu().numpy()
    return out


def _linear_warmup(steps: int, warmup: int) -> Any:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (steps - step) / max(1, steps - warmup))

    return factor


def _optimizer(model: Any, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW; no weight decay on biases and normalisation weights."""
    decay: list[torch.nn.Parameter] = []
    plain: list[torch.nn.Parameter] = []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (plain if param.ndim < 2 or "norm" in name.lower() else decay).append(param)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": plain, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=config.lr)


def fine_tune(
    base: Path,
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    valid_texts: Sequence[str],
    valid_labels: Sequence[str],
    out: Path,
    config: TrainConfig,
    provenance: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fine-tune ``base``; save the best epoch (validation macro-F1) and ``training.json``
    into ``out``; return what ``training.json`` holds."""
    started = time.monotonic()
    device = pick_device(config.device)
    tokenizer, model, added = load_base(base, config.seed)
    if added:
        logger.info("added {} marker tokens to the tokenizer of {}", len(added), base)
    max_length = min(config.max_length, getattr(model.config, "max_position_embeddings", 512))
    train_ids = encode(tokenizer, train_texts, max_length)
    valid_ids = encode(tokenizer, valid_texts, max_length)
    y_train = [LABEL2ID[label] for label in train_labels]
    y_valid = [LABEL2ID[label] for label in valid_labels]
    weights = class_weights(y_train, len(LABELS))
    pad_id = int(tokenizer.pad_token_id)

    set_seed(config.seed)
    model.to(device)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(weights, device=device))
    optimizer = _optimizer(model, config)
    steps = math.ceil(len(train_ids) / config.batch_size) * config.epochs
    schedule = _linear_warmup(steps, int(config.warmup * steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    shuffler = torch.Generator().manual_seed(config.seed)
    labels_tensor = torch.tensor(y_train, dtype=torch.long)

    epochs: list[dict[str, Any]] = []
    best_f1, best_epoch, stale = -1.0, 0, 0
    best_state: dict[str, torch.Tensor] = {}
    quiet = not sys.stderr.isatty()
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.monotonic()
        model.train()
        order = torch.randperm(len(train_ids), generator=shuffler).tolist()
        total_loss, batches = 0.0, 0
        bar = tqdm(
            list(_chunks(order, config.batch_size)),
            desc=f"epoch {epoch}/{config.epochs}",
            disable=quiet,
            leave=False,
        )
        for chunk in bar:
            ids, mask = collate([train_ids[i] for i in chunk], pad_id, device)
            with _autocast(device):
                logits = model(input_ids=ids, attention_mask=mask).logits
            loss = loss_fn(logits.float(), labels_tensor[list(chunk)].to(device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            total_loss += float(loss.detach())
            batches += 1
            bar.set_postfix(loss=f"{total_loss / batches:.4f}")
        probabilities = predict_ids(model, valid_ids, pad_id, device, config.batch_size * 2)
        predicted = probabilities.argmax(axis=1).tolist()
        f1 = macro_f1(y_valid, predicted, len(LABELS))
        hits = sum(p == y for p, y in zip(predicted, y_valid, strict=True))
        accuracy = hits / len(y_valid) if y_valid else 0.0
        row = {
            "epoch": epoch,
            "train_loss": total_loss / max(batches, 1),
            "valid_macro_f1": f1,
            "valid_accuracy": accuracy,
            "seconds": time.monotonic() - epoch_started,
        }
        epochs.append(row)
        improved = f1 > best_f1 + 1e-9
        logger.info(
            "epoch {}/{}: train loss {:.4f}, valid macro-F1 {:.4f}, accuracy {:.4f}, {:.1f}s{}",
            epoch, config.epochs, row["train_loss"], f1, accuracy, row["seconds"],
            " (best)" if improved else "",
        )  # fmt: skip
        if improved:
            best_f1, best_epoch, stale = f1, epoch, 0
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= config.patience:
                logger.info("early stop: no better macro-F1 for {} epochs", stale)
                break

    model.load_state_dict(best_state)
    model.to("cpu")
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    summary = {
        "base": str(base),
        **(provenance or {}),
        "hyperparameters": {**asdict(config), "max_length": max_length},
        "device": str(device),
        "seed": config.seed,
        "labels": list(LABELS),
        "class_weights": dict(zip(LABELS, weights, strict=True)),
        "train_examples": len(train_ids),
        "valid_examples": len(valid_ids),
        "added_tokens": added,
        "epochs": epochs,
        "best_epoch": best_epoch,
        "best_valid_macro_f1": best_f1,
        "stopped_early": len(epochs) < config.epochs,
        "duration_s": time.monotonic() - started,
        "versions": {"torch": torch.__version__, "transformers": _transformers_version()},
    }
    (out / "training.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


def _transformers_version() -> str:
    import transformers

    return str(transformers.__version__)


def train_files(base: Path, files: DataFiles, out: Path, config: TrainConfig) -> dict[str, Any]:
    """Read and mask the data files, hold out a validation split when there is no
    validation file, fine-tune, and record the files and their hashes."""
    masker = load_masker(files.registries)
    train_set = load_split(files.train, masker)
    train_texts, train_labels = list(train_set.texts), list(train_set.labels)
    if files.valid is not None:
        valid_set = load_split(files.valid, masker)
        valid_texts, valid_labels = list(valid_set.texts), list(valid_set.labels)
    else:
        keep, held = holdout(train_labels, 0.1, config.seed)
        logger.info("no validation file: holding out {} training examples", len(held))
        valid_texts = [train_texts[i] for i in held]
        valid_labels = [train_labels[i] for i in held]
        train_texts = [train_texts[i] for i in keep]
        train_labels = [train_labels[i] for i in keep]
    try:
        base_sha: str | None = weights_sha256(base)
    except FileNotFoundError:
        base_sha = None
    provenance = {
        "base_sha256": base_sha,
        "data": {
            "train": {"path": str(files.train), "sha256": file_sha256(files.train)},
            "valid": (
                {"path": str(files.valid), "sha256": file_sha256(files.valid)}
                if files.valid is not None
                else "held out of train (10%, stratified, seeded)"
            ),
        },
        "registries": {
            "paths": [str(p) for p in files.registries],
            "version": masker.version if masker is not None else None,
        },
        "masked": masker is not None,
    }
    return fine_tune(
        base, train_texts, train_labels, valid_texts, valid_labels, out, config, provenance
    )
