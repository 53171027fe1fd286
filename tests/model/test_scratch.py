"""``model init``: a WordPiece tokenizer with the markers whole, and a random BERT with
our labels, loadable as any local checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.detect.masking import MARKERS
from monitor.model.labels import LABELS
from monitor.model.scratch import ScratchConfig, init_checkpoint

transformers = pytest.importorskip("transformers")


def test_init_writes_a_loadable_checkpoint(tiny_init: Path) -> None:
    assert {p.name for p in tiny_init.iterdir()} >= {
        "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
        "init.json",
    }  # fmt: skip
    config = json.loads((tiny_init / "config.json").read_text(encoding="utf-8"))
    assert config["id2label"] == {str(i): label for i, label in enumerate(LABELS)}
    assert (config["hidden_size"], config["num_hidden_layers"]) == (32, 2)
    info = json.loads((tiny_init / "init.json").read_text(encoding="utf-8"))
    assert info["vocab_size"] <= 300 and info["texts"] == 60
    assert len(info["data"]["sha256"]) == 64
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        tiny_init, local_files_only=True
    )
    assert model.config.num_labels == len(LABELS)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Dukung [PASLON]!", ["dukung", "[PASLON]", "!"]),
        ("coblos [NOMOR][SLOGAN]", ["coblos", "[NOMOR]", "[SLOGAN]"]),
        ("#Tolak[PASLON]", ["#", "tolak", "[PASLON]"]),
        ("Ayo [DIBAGIKAN_DARI_PEMENANGAN]", ["ayo", "[DIBAGIKAN_DARI_PEMENANGAN]"]),
    ],
)
def test_tokenizer_lowercases_and_keeps_markers_whole(
    tiny_init: Path, text: str, tokens: list[str]
) -> None:
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_init, local_files_only=True)
    assert tokenizer.tokenize(text) == tokens
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert all(tokenizer.tokenize(m) == [m] for m in MARKERS)


def test_init_is_seeded(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    texts = ["ayo dukung [PASLON] nomor [NOMOR]", "selamat pagi semua", "jangan golput"] * 3
    config = ScratchConfig(vocab=120, layers=1, hidden=16, heads=2, max_length=32, seed=3)
    for name in ("a", "b"):
        init_checkpoint(texts, tmp_path / name, config, {})
    first, second = (load_file(tmp_path / n / "model.safetensors") for n in ("a", "b"))
    assert first.keys() == second.keys()
    assert all(first[k].equal(second[k]) for k in first)
    tokenizers = [(tmp_path / n / "tokenizer.json").read_text(encoding="utf-8") for n in "ab"]
    assert tokenizers[0] == tokenizers[1]


def test_heads_must_divide_hidden() -> None:
    with pytest.raises(ValueError, match="multiple of heads"):
        ScratchConfig(hidden=30, heads=4)
