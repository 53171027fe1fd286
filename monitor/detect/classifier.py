"""The classifier: any Hugging Face sequence-classification checkpoint in a local
directory (never a hub download), scoring posts with class probabilities over ``LABELS``.

- Candidate references are masked first when a masker is given, as in training.
- Posts are batched by length: sorted by token count, padded per batch, order restored.
- Precision: bf16 autocast on CPUs with AMX (Sapphire Rapids and later), fp32 on other
  CPUs; CUDA when present, with bf16 (or fp16 where bf16 is unsupported) autocast.
- ``version`` (``<dirname>@<first 12 hex of the weights' SHA-256>``) goes on every decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import torch

from monitor.detect.masking import CandidateMasker
from monitor.domain import Post
from monitor.errors import DetectError
from monitor.model.checkpoint import checkpoint_version, quiet_transformers, weights_sha256
from monitor.model.labels import LABELS

Precision = Literal["auto", "fp32", "bf16", "fp16"]
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@lru_cache(maxsize=1)
def cpu_has_amx() -> bool:
    """Whether the CPU has AMX tiles: torch's reported capability, else the kernel's
    ``amx_tile`` flag in ``/proc/cpuinfo``."""
    try:
        if "AMX" in torch.backends.cpu.get_cpu_capability().upper():
            return True
    except (AttributeError, RuntimeError):  # pragma: no cover - older torch
        pass
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return "amx_tile" in line.split()
    except OSError:
        pass
    return False


def pick_device(name: str) -> torch.device:
    """``auto``: CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DetectError("perangkat 'cuda' diminta tetapi CUDA tidak tersedia")
    if name not in ("cpu", "cuda"):
        raise DetectError(f"perangkat {name!r} tidak dikenal (auto, cpu, cuda)")
    return torch.device(name)


def pick_precision(device: torch.device, precision: Precision) -> torch.dtype | None:
    """The autocast dtype, or None for fp32."""
    if precision == "fp32":
        return None
    if precision != "auto":
        return _DTYPES[precision]
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_has_amx() else None


@dataclass(frozen=True)
class Batch:
    """Posts of similar length, padded together: their input positions and tensors."""

    indexes: tuple[int, ...]
    input_ids: torch.Tensor
    attention_mask: torch.Tensor


class Classifier:
    """Class probabilities for posts from a local checkpoint directory."""

    def __init__(
        self,
        path: Path | str,
        *,
        device: str = "auto",
        batch_size: int = 32,
        max_length: int = 128,
        masker: CandidateMasker | None = None,
        precision: Precision = "auto",
    ) -> None:
        self.path = Path(path)
        self.batch_size = max(1, batch_size)
        self.masker = masker
        self.device = pick_device(device)
        self.dtype = pick_precision(self.device, precision)
        self.tokenizer, self.model = self._load()
        names = self.model.config.id2label
        self.labels = tuple(names[i] for i in range(len(names)))
        if set(self.labels) != set(LABELS):
            raise DetectError(
                f"{self.path}: label model {list(self.labels)} bukan label asn-monitor "
                f"({', '.join(LABELS)}); latih dengan 'asn-monitor model train'"
            )
        self._columns = [self.labels.index(label) for label in LABELS]
        limit = getattr(self.model.config, "max_position_embeddings", max_length)
        self.max_length = min(max_length, limit)
        self.pad_id = int(self.tokenizer.pad_token_id or 0)
        self._backend = self._fast_backend()
        try:
            self.sha256 = weights_sha256(self.path)
        except (FileNotFoundError, OSError) as exc:  # pragma: no cover - loading needs them
            raise DetectError(f"{self.path}: bobot model tidak dapat dibaca ({exc})") from exc
        self._version = checkpoint_version(self.path, self.sha256)

    def _fast_backend(self) -> Any:
        """A copy of the Rust tokenizer that truncates and never pads: encoding through it
        skips the Python-side work of ``tokenizer(...)`` (same ids). None for a tokenizer
        without one."""
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        if backend is None:
            return None
        from tokenizers import Tokenizer

        copy = Tokenizer.from_str(backend.to_str())
        copy.enable_truncation(self.max_length)
        copy.no_padding()
        return copy

    def _load(self) -> tuple[Any, Any]:
        if not self.path.is_dir():
            raise DetectError(f"{self.path}: direktori model tidak ada")
        if not (self.path / "config.json").is_file():
            raise DetectError(f"{self.path}: bukan checkpoint model (config.json tidak ada)")
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        quiet_transformers()
        try:
            tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(
                self.path, local_files_only=True
            )
        except Exception as exc:  # transformers and safetensors raise many kinds
            raise DetectError(f"{self.path}: model tidak dapat dimuat ({exc})") from exc
        model.eval()
        model.to(self.device)
        return tokenizer, model

    @property
    def version(self) -> str:
        """``<dirname>@<first 12 hex of sha256 of model.safetensors>``."""
        return self._version

    @property
    def precision(self) -> str:
        """``fp32``, ``bf16`` or ``fp16``: what the forward pass computes in."""
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text (truncated to ``max_length``, not padded)."""
        if not texts:
            return []
        if self._backend is not None:
            return [e.ids for e in self._backend.encode_batch_fast(list(texts))]
        ids: list[list[int]] = self.tokenizer(
            list(texts), truncation=True, max_length=self.max_length
        )["input_ids"]
        return ids

    def batches(self, encoded: Sequence[Sequence[int]]) -> list[Batch]:
        """Sort by token count, cut into batches, pad each to its own longest."""
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        found = []
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            lengths = np.fromiter((len(encoded[i]) for i in chunk), dtype=np.int64)
            width = int(lengths.max())
            ids = np.full((len(chunk), width), self.pad_id, dtype=np.int64)
            for row, index in enumerate(chunk):
                ids[row, : lengths[row]] = encoded[index]
            mask = (np.arange(width) < lengths[:, None]).astype(np.int64)
            found.append(Batch(tuple(chunk), torch.from_numpy(ids), torch.from_numpy(mask)))
        return found

    def autocast(self) -> Any:
        """The autocast context of the chosen precision (disabled for fp32)."""
        return torch.autocast(
            self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None
        )

    def run(self, batches: Sequence[Batch], count: int) -> npt.NDArray[np.float32]:
        """Probabilities (columns in ``LABELS`` order) for ``count`` inputs, in input order."""
        out = np.zeros((count, len(LABELS)), dtype=np.float32)
        with torch.inference_mode(), self.autocast():
            for batch in batches:
                logits = self.model(
                    input_ids=batch.input_ids.to(self.device),
                    attention_mask=batch.attention_mask.to(self.device),
                ).logits
                probs = logits.float().softmax(dim=-1)[:, self._columns]
                out[list(batch.indexes)] = probs.cpu().numpy()
        return out

    def probabilities(
        self,
        texts: Sequence[str],
        shared_from: Sequence[str | None] | None = None,
        regions: Sequence[str | None] | None = None,
    ) -> npt.NDArray[np.float32]:
        """Mask (when a masker is set), tokenise, batch by length, score: one row per text."""
        if not texts:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        if self.masker is not None:
            shared = shared_from or [None] * len(texts)
            where = regions or [None] * len(texts)
            texts = [
                self.masker.mask(t, s, r) for t, s, r in zip(texts, shared, where, strict=True)
            ]
        try:
            return self.run(self.batches(self.encode(texts)), len(texts))
        except RuntimeError as exc:  # out of memory, a broken checkpoint's shapes
            raise DetectError(f"{self.path}: klasifikasi gagal ({exc})") from exc

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Probabilities per label for each text, in input order."""
        return self._dicts(self.probabilities(texts))

    def predict_posts(self, posts: Sequence[Post]) -> list[dict[str, float]]:
        """Probabilities per label for each post (text, ``shared_from`` and the author's
        region go to the masker), in input order."""
        rows = self.probabilities(
            [p.text for p in posts],
            [p.shared_from for p in posts],
            [p.author_region for p in posts],
        )
        return self._dicts(rows)

    @staticmethod
    def _dicts(rows: npt.NDArray[np.float32]) -> list[dict[str, float]]:
        return [dict(zip(LABELS, map(float, row), strict=True)) for row in rows]
