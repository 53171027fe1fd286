"""Throughput of the classifier stage against the bare model forward, measured in one run.

The stage is everything ``Classifier.predict_posts`` does to a batch of posts: mask the
candidate references, tokenise, sort by length and pad per batch, run the model, turn the
logits into probabilities in input order. The bare forward runs the same model, in the
same precision, on the same batches tokenised beforehand. Their ratio shows what the
stage costs on top of the model; the goal is at least 0.85.

Models: an IndoBERT-base-sized BERT with random weights (12 layers, hidden 768, 12 heads,
vocabulary 50,000; its tokenizer is a WordPiece trained on the posts), and the model in
``--model DIR`` when given (e.g. ``models/starter``). Posts are the demo posts (they name
the demo pairs, so the masker has work to do), joined, then cut to the fewest words whose
masked text fills ``--tokens`` tokens: every post is that long, none much longer.
Precision: bf16 on CPUs with AMX, fp32 elsewhere (the classifier's own choice). Peak
memory is the process's max RSS.

    .venv/bin/python bench/classifier.py [--posts 512] [--tokens 48] [--model models/starter]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import torch

from monitor.detect.classifier import Classifier, cpu_has_amx
from monitor.detect.masking import CandidateMasker
from monitor.domain import Post
from monitor.model.checkpoint import quiet_transformers
from monitor.model.labels import ID2LABEL, LABEL2ID
from monitor.model.scratch import train_tokenizer
from monitor.rules.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"


def make_posts(count: int, tokens: int) -> list[Post]:
    """Demo posts joined until each has at least ``tokens`` words (more than ``tokens``
    tokens); ``trim`` then cuts them to the model's tokenizer."""
    lines = (DEMO / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    when = datetime(2024, 10, 1, tzinfo=UTC)
    posts = []
    for i in range(count):
        parts: list[str] = []
        j = i
        while sum(len(p.split()) for p in parts) < tokens:
            parts.append(texts[j % len(texts)])
            j += 7
        posts.append(Post("x", str(i), "@bench", " ".join(parts), when, "{}"))
    return posts


def trim(posts: list[Post], classifier: Classifier, tokens: int) -> list[Post]:
    """Each post cut to the fewest words whose masked text still fills ``tokens`` tokens
    (special tokens included), so the stage does not mask and tokenise text the model
    never sees."""
    assert classifier.masker is not None
    masker, tokenizer = classifier.masker, classifier.tokenizer

    def count(words: list[str]) -> int:
        return len(tokenizer(masker.mask(" ".join(words)))["input_ids"])

    trimmed = []
    for post in posts:
        words = post.text.split()
        low, high = 1, len(words)
        while low < high:  # the fewest words with at least `tokens` tokens
            middle = (low + high) // 2
            if count(words[:middle]) >= tokens:
                high = middle
            else:
                low = middle + 1
        trimmed.append(replace(post, text=" ".join(words[:low])))
    return trimmed


def base_sized_model(directory: Path, texts: list[str], tokens: int) -> Path:
    """A randomly initialised IndoBERT-base-sized BERT and a WordPiece trained on ``texts``."""
    from transformers import BertConfig, BertForSequenceClassification

    quiet_transformers()
    tokenizer = train_tokenizer(texts, 50_000, tokens)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=50_000,
        num_hidden_layers=12,
        hidden_size=768,
        num_attention_heads=12,
        intermediate_size=3072,
        id2label=dict(ID2LABEL),
        label2id=dict(LABEL2ID),
        pad_token_id=tokenizer.pad_token_id,
    )
    model = BertForSequenceClassification(config)
    model.save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)
    return directory


def bare_forward(classifier: Classifier, batches: list) -> None:  # type: ignore[type-arg]
    with torch.inference_mode(), classifier.autocast():
        for batch in batches:
            classifier.model(input_ids=batch.input_ids, attention_mask=batch.attention_mask)


def measure(name: str, classifier: Classifier, posts: list[Post], rounds: int) -> float:
    """Best of ``rounds`` for the stage and the bare forward, interleaved; prints a row."""
    assert classifier.masker is not None
    masked = [classifier.masker.mask(p.text, p.shared_from, p.author_region) for p in posts]
    batches = classifier.batches(classifier.encode(masked))
    lengths = {int(b.input_ids.shape[1]) for b in batches}
    classifier.predict_posts(posts[: classifier.batch_size])  # warm-up (kernels, caches)
    bare_forward(classifier, batches[:1])
    stage_s, bare_s = float("inf"), float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        classifier.predict_posts(posts)
        stage_s = min(stage_s, time.perf_counter() - start)
        start = time.perf_counter()
        bare_forward(classifier, batches)
        bare_s = min(bare_s, time.perf_counter() - start)
    stage, bare = len(posts) / stage_s, len(posts) / bare_s
    ratio = stage / bare
    chars = sum(len(p.text) for p in posts) / len(posts)
    print(
        f"  {name:<34} {len(posts):>6} {stage:>14,.1f} {bare:>14,.1f} {ratio:>7.3f}"
        f"   (tokens per post: {'/'.join(map(str, sorted(lengths)))}; {chars:.0f} chars)"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=512, help="posts for the base-size model")
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", type=Path, help="a model directory, e.g. models/starter")
    parser.add_argument("--model-posts", type=int, default=4096)
    parser.add_argument("--skip-base", action="store_true")
    parser.add_argument(
        "--precision", choices=["auto", "fp32", "bf16"], default="auto", help="auto: bf16 on AMX"
    )
    args = parser.parse_args()

    masker = CandidateMasker(load_registry([DEMO / "candidates"]))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    amx = "AMX" if cpu_has_amx() else "no AMX"
    print(
        f"device {device} ({amx}), torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads, {args.tokens} tokens, batch {args.batch_size}, best of {args.rounds}"
    )
    print(f"  {'model':<34} {'posts':>6} {'stage posts/s':>14} {'bare posts/s':>14} {'ratio':>7}")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_base:
            posts = make_posts(args.posts, args.tokens)
            texts = [masker.mask(p.text) for p in posts]
            path = base_sized_model(Path(tmp) / "base-size", texts, args.tokens)
            classifier = Classifier(
                path,
                batch_size=args.batch_size,
                max_length=args.tokens,
                masker=masker,
                precision=args.precision,
            )
            name = f"base-size random ({classifier.precision})"
            posts = trim(posts, classifier, args.tokens)
            ratios.append(measure(name, classifier, posts, args.rounds))
            del classifier
    if args.model is not None:
        classifier = Classifier(
            args.model,
            batch_size=args.batch_size,
            max_length=args.tokens,
            masker=masker,
            precision=args.precision,
        )
        posts = trim(make_posts(args.model_posts, args.tokens), classifier, args.tokens)
        name = f"{classifier.version} ({classifier.precision})"
        ratios.append(measure(name, classifier, posts, args.rounds))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:,.0f} MiB")
    met = all(r >= 0.85 for r in ratios)
    print(f"goal stage/bare >= 0.85: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
