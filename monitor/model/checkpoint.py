"""What every user of a local Hugging Face checkpoint needs: its weights' hash and version
string, the candidate markers as whole tokens, and quiet loading (no hub, no progress
bars of transformers' own)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from monitor.detect.masking import MARKERS


def weight_files(path: Path) -> list[Path]:
    """The checkpoint's weight files: ``model.safetensors``, else its shards, else the
    PyTorch pickle."""
    single = path / "model.safetensors"
    if single.is_file():
        return [single]
    shards = sorted(path.glob("model-*.safetensors"))
    if shards:
        return shards
    return [p for p in (path / "pytorch_model.bin",) if p.is_file()]


def weights_sha256(path: Path) -> str:
    """SHA-256 over the checkpoint's weight files (one file: that file's hash)."""
    files = weight_files(path)
    if not files:
        raise FileNotFoundError(f"no weights (model.safetensors) in {path}")
    digests = []
    for file in files:
        digest = hashlib.sha256()
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 22), b""):
                digest.update(chunk)
        digests.append(digest.hexdigest())
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(digests).encode()).hexdigest()


def checkpoint_version(path: Path, sha256: str | None = None) -> str:
    """``<dirname>@<first 12 hex of the weights' SHA-256>``."""
    return f"{path.resolve().name}@{(sha256 or weights_sha256(path))[:12]}"


def quiet_transformers() -> None:
    """No progress bars or advisory warnings from transformers (we log our own)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]


def missing_markers(tokenizer: Any) -> list[str]:
    """The candidate markers the tokenizer would split (not yet single tokens)."""
    return [m for m in MARKERS if tokenizer.tokenize(m) != [m]]


def add_markers(tokenizer: Any, model: Any) -> list[str]:
    """Add the missing candidate markers as special tokens and resize the model's
    embeddings to match; returns what was added."""
    missing = missing_markers(tokenizer)
    if missing:
        tokenizer.add_tokens(missing, special_tokens=True)
        model.resize_token_embeddings(len(tokenizer))
    return missing
