"""Reading labelled JSONL: every bad line located; texts masked as at scoring time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.errors import InputError
from monitor.model.data import (
    holdout,
    load_masker,
    load_split,
    read_examples,
    resolve_data,
)
from tests.conftest import write_lines


def _row(**fields: object) -> str:
    record = {"id": "1", "platform": "x", "text": "Selamat pagi", "label": "non_political"}
    record.update(fields)
    return json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "JSON tidak valid"),
        ("[1, 2]", "objek JSON"),
        (_row(label=None), "kunci hilang: label"),
        (_row(text=None, id=None), "kunci hilang: id, text"),
        (_row(text=5), "'text' harus berupa teks"),
        (_row(label="dukungan"), "label 'dukungan' tidak dikenal"),
    ],
)
def test_bad_lines_are_located(tmp_path: Path, line: str, message: str) -> None:
    path = write_lines(tmp_path / "train.jsonl", [_row(), "", line, _row(id="3")])
    with pytest.raises(InputError) as caught:
        read_examples(path)
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == (str(path), 3)
    assert message in problem.message
    assert str(problem).startswith(f"{path}:3: error:")


def test_every_bad_line_is_reported(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", ["{", _row(), _row(label="x"), "nope"])
    with pytest.raises(InputError) as caught:
        read_examples(path)
    assert [p.line for p in caught.value.problems] == [1, 3, 4]


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="tidak ada contoh"):
        read_examples(write_lines(tmp_path / "t.jsonl", [""]))


def test_split_is_masked_with_the_registries(data_dir: Path) -> None:
    masker = load_masker([data_dir / "registries"])
    split = load_split(data_dir / "train.jsonl", masker)
    assert len(split) == len(split.labels) == len(split.examples) == 60
    first = split.examples[0]
    assert first.text.startswith("Ayo dukung Hendra Wijaya")
    assert split.texts[0] == "Ayo dukung [PASLON] dan [PASLON], pilih nomor [NOMOR]!"
    unmasked = load_split(data_dir / "train.jsonl", load_masker([]))
    assert unmasked.texts[0] == first.text


def test_shared_from_is_masked(tmp_path: Path, data_dir: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", [_row(text="Mantap", shared_from="@relawan.fara")])
    split = load_split(path, load_masker([data_dir / "registries"]))
    assert split.texts == ("Mantap [DIBAGIKAN_DARI_PEMENANGAN]",)


def test_resolve_data_directory_and_file(data_dir: Path, tmp_path: Path) -> None:
    files = resolve_data(data_dir)
    assert files.train == data_dir / "train.jsonl"
    assert files.valid == data_dir / "valid.jsonl"
    assert files.registries == (data_dir / "registries",)
    explicit = resolve_data(data_dir / "train.jsonl", data_dir / "test.jsonl")
    assert (explicit.valid, explicit.registries) == (data_dir / "test.jsonl", ())
    with pytest.raises(InputError, match=r"train\.jsonl"):
        resolve_data(tmp_path)


def test_holdout_is_stratified_and_seeded() -> None:
    labels = ["a"] * 20 + ["b"] * 10 + ["c"]
    train, valid = holdout(labels, 0.1, seed=1)
    assert sorted(train + valid) == list(range(len(labels)))
    assert sorted(labels[i] for i in valid) == ["a", "a", "b"]  # "c" has one example: kept
    assert holdout(labels, 0.1, seed=1) == (train, valid)
