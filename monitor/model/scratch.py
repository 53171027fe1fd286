"""A checkpoint from nothing: a WordPiece tokenizer trained on the (masked) training
texts and a randomly initialised BERT for sequence classification over ``LABELS``, saved
as a local Hugging Face directory that ``asn-monitor model train --base DIR`` fine-tunes.

Useful where no pretrained Indonesian checkpoint may be used, and for tests (a tiny BERT
in seconds). The candidate markers are special tokens, so they are never split.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from monitor.detect.masking import MARKERS
from monitor.model.labels import ID2LABEL, LABEL2ID

#: BERT's own special tokens, first in the vocabulary (``[PAD]`` is id 0).
BERT_SPECIALS: tuple[str, ...] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


@dataclass(frozen=True)
class ScratchConfig:
    """Size of the tokenizer and the model."""

    vocab: int = 8000
    layers: int = 4
    hidden: int = 256
    heads: int = 4
    max_length: int = 128
    seed: int = 13

    def __post_init__(self) -> None:
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be a multiple of heads ({self.heads})")


def train_tokenizer(texts: Sequence[str], vocab_size: int, max_length: int) -> Any:
    """A lower-casing WordPiece tokenizer (BERT pre-tokenisation) trained on ``texts``,
    wrapped as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    # NFKC folds the "fancy font" letters of social media (𝗗𝗨𝗞𝗨𝗡𝗚 -> DUKUNG), then lower case
    backend.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # The trainer numbers the "##x" pieces in hash-map order, which breaks ties between
    # merges differently from run to run (huggingface/tokenizers#1794). Numbered up front,
    # as special tokens, they make training deterministic; they are then made ordinary
    # vocabulary again.
    continuing = _continuing_pieces(backend, texts)
    trainer = WordPieceTrainer(
        vocab_size=vocab_size,
        special_tokens=[*BERT_SPECIALS, *MARKERS, *continuing],
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer, length=len(texts))
    backend = _unspecial(backend, set(continuing))
    cls, sep = backend.token_to_id("[CLS]"), backend.token_to_id("[SEP]")
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    backend.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_length,
    )


def _continuing_pieces(backend: Any, texts: Sequence[str]) -> list[str]:
    """``##c`` for every character that occurs inside a word (after normalisation)."""
    chars: set[str] = set()
    for text in texts:
        normalized = backend.normalizer.normalize_str(text)
        for word, _ in backend.pre_tokenizer.pre_tokenize_str(normalized):
            chars.update(word[1:])
    return sorted("##" + c for c in chars)


def _unspecial(backend: Any, pieces: set[str]) -> Any:
    """The tokenizer with ``pieces`` kept in the vocabulary but no longer added tokens."""
    from tokenizers import Tokenizer

    data = json.loads(backend.to_str())
    data["added_tokens"] = [t for t in data["added_tokens"] if t["content"] not in pieces]
    return Tokenizer.from_str(json.dumps(data))


def build_model(config: ScratchConfig, vocab_size: int, pad_token_id: int) -> Any:
    """A randomly initialised ``BertForSequenceClassification`` (seeded)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(config.seed)
    bert = BertConfig(
        vocab_size=vocab_size,
        hidden_size=config.hidden,
        num_hidden_layers=config.layers,
        num_attention_heads=config.heads,
        intermediate_size=4 * config.hidden,
        max_position_embeddings=max(512, config.max_length),
        # BERT's 0.02 suits 768 wide and pretraining; a narrow model from scratch stalls
        # with it (hidden 32: the loss sticks at ln 3), so scale with the width
        initializer_range=1 / math.sqrt(config.hidden),
        pad_token_id=pad_token_id,
        id2label=dict(ID2LABEL),
        label2id=dict(LABEL2ID),
    )
    return BertForSequenceClassification(bert)


def init_checkpoint(
    texts: Sequence[str], out: Path, config: ScratchConfig, provenance: dict[str, Any]
) -> dict[str, Any]:
    """Train the tokenizer on ``texts``, build the model, save both into ``out``; write
    ``init.json`` (the configuration and ``provenance``) and return it."""
    import random

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    random.seed(config.seed)
    tokenizer = train_tokenizer(texts, config.vocab, config.max_length)
    model = build_model(config, len(tokenizer), tokenizer.pad_token_id)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    summary = {
        "kind": "scratch",
        **asdict(config),
        "vocab_size": len(tokenizer),
        "parameters": sum(p.numel() for p in model.parameters()),
        "texts": len(texts),
        **provenance,
    }
    (out / "init.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary
