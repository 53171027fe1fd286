"""Labelled posts for the classifier: one JSON object per line,
``{"id", "platform", "author", "text", "created_at", "label", "template", "kind", "election",
"shared_from"?}``. Reading reports every bad line as ``path:line``; texts are masked with
the candidate registries (``monitor.detect.masking``) exactly as at scoring time. Nothing
here needs a tokenizer or torch.

A data directory holds ``train.jsonl``, ``valid.jsonl``, ``test.jsonl`` and
``registries/`` (the candidate registries the posts name).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.detect.masking import CandidateMasker
from monitor.errors import InputError, Problem
from monitor.model.labels import LABELS
from monitor.rules.registry import Registry, load_registry


@dataclass(frozen=True)
class Example:
    """One labelled post."""

    id: str
    text: str
    label: str
    platform: str = ""
    shared_from: str | None = None
    #: the election the post is about (its registry id), which picks the author's region
    election: str | None = None


@dataclass(frozen=True)
class LabelledSet:
    """One split, masked: ``texts[i]`` has label ``labels[i]``."""

    path: Path
    examples: tuple[Example, ...]
    texts: tuple[str, ...]
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.texts)


def _problem(path: Path, line: int, message: str) -> Problem:
    return Problem(str(path), line, 0, message, "bad-example")


def _optional_text(record: dict[str, object], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) and value.strip() else None


def read_examples(path: Path) -> list[Example]:
    """Every example of a JSONL file; InputError lists every bad line (``path:line``)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([_problem(path, 0, f"tidak dapat dibaca: {exc}")]) from None
    examples: list[Example] = []
    problems: list[Problem] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(_problem(path, lineno, f"JSON tidak valid: {exc.msg}"))
            continue
        if not isinstance(record, dict):
            problems.append(_problem(path, lineno, "baris harus berupa objek JSON"))
            continue
        missing = [k for k in ("id", "text", "label") if k not in record]
        if missing:
            problems.append(_problem(path, lineno, f"kunci hilang: {', '.join(missing)}"))
            continue
        text, label = record["text"], record["label"]
        if not isinstance(text, str):
            problems.append(_problem(path, lineno, "'text' harus berupa teks"))
            continue
        if label not in LABELS:
            choices = ", ".join(LABELS)
            problems.append(_problem(path, lineno, f"label {label!r} tidak dikenal ({choices})"))
            continue
        examples.append(
            Example(
                id=str(record["id"]),
                text=text,
                label=str(label),
                platform=str(record.get("platform", "")),
                shared_from=_optional_text(record, "shared_from"),
                election=_optional_text(record, "election"),
            )
        )
    if problems:
        raise InputError(problems)
    if not examples:
        raise InputError([_problem(path, 0, "tidak ada contoh berlabel")])
    return examples


def mask_examples(examples: Iterable[Example], masker: CandidateMasker | None) -> list[str]:
    """The texts the model sees: masked, with the author's region taken from the election."""
    if masker is None:
        return [e.text for e in examples]
    texts = []
    for example in examples:
        election = masker.registry.election(example.election) if example.election else None
        region = election.region if election is not None else None
        texts.append(masker.mask(example.text, example.shared_from, region))
    return texts


def load_split(path: Path, masker: CandidateMasker | None) -> LabelledSet:
    """Read and mask one split."""
    examples = read_examples(path)
    return LabelledSet(
        path,
        tuple(examples),
        tuple(mask_examples(examples, masker)),
        tuple(e.label for e in examples),
    )


@dataclass(frozen=True)
class DataFiles:
    """Where the training run's data lives."""

    train: Path
    valid: Path | None
    registries: tuple[Path, ...]


def resolve_data(
    data: Path, valid: Path | None = None, registries: Sequence[Path] = ()
) -> DataFiles:
    """``data`` is a directory (``train.jsonl``, ``valid.jsonl``, ``registries/``) or a
    training file; explicit ``valid`` and ``registries`` win over the directory's."""
    if data.is_dir():
        train = data / "train.jsonl"
        if not train.is_file():
            raise InputError([_problem(data, 0, "direktori data tidak berisi train.jsonl")])
        if valid is None and (data / "valid.jsonl").is_file():
            valid = data / "valid.jsonl"
        if not registries and (data / "registries").is_dir():
            registries = (data / "registries",)
        return DataFiles(train, valid, tuple(registries))
    return DataFiles(data, valid, tuple(registries))


def default_registries(data_file: Path) -> tuple[Path, ...]:
    """``registries/`` beside a data file, when there is one."""
    beside = data_file.parent / "registries"
    return (beside,) if beside.is_dir() else ()


def load_masker(registries: Sequence[Path]) -> CandidateMasker | None:
    """A masker over the registries, or None without registries (texts as written)."""
    if not registries:
        return None
    registry: Registry = load_registry(registries)
    return CandidateMasker(registry)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def holdout(labels: Sequence[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Split indexes into (train, valid), stratified by label: ``fraction`` of each label
    with at least two examples (at least one) goes to valid. Seeded."""
    import random

    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    train: list[int] = []
    valid: list[int] = []
    for label in sorted(by_label):
        indexes = by_label[label]
        rng.shuffle(indexes)
        take = max(1, round(fraction * len(indexes))) if len(indexes) >= 2 else 0
        valid.extend(indexes[:take])
        train.extend(indexes[take:])
    return sorted(train), sorted(valid)
