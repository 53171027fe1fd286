"""Throughput of the rule engine on one core, against a plain Python ``re`` alternation of
the same terms, measured in the same run.

The rule set is the starter pack plus a generated file of 2,000 terms (in 100 rules with
candidate references) and 50 RE2 regexes; candidates are the demo registries. Posts are
the real ordinary tweets and reviews of ../shared/eval-data when present, else the demo
posts, repeated to the requested count. The engine's stage is everything a post goes
through: normalisation, the automaton, candidate references, rule evaluation, exceptions.
Goal (issue #3): at least 20,000 posts/s.

    .venv/bin/python bench/rules.py [--posts 20000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import tempfile
import time
from pathlib import Path

from monitor.detect.rules_detector import RuleDetector
from monitor.rules.check import check_rules
from monitor.rules.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
SYLLABLES = [
    "ka",
    "ri",
    "mu",
    "ta",
    "sa",
    "na",
    "lo",
    "pe",
    "du",
    "gi",
    "ban",
    "tor",
    "sun",
    "jar",
    "wi",
]


def generated_rules(path: Path, rng: random.Random) -> list[str]:
    unique: set[str] = set()
    while len(unique) < 2000:
        unique.add("".join(rng.choices(SYLLABLES, k=rng.randint(3, 5))))
    terms = sorted(unique)
    rules = []
    for i in range(100):
        chunk = terms[i * 20 : (i + 1) * 20]
        rules.append(
            {
                "id": f"bench.terms-{i}",
                "title": f"generated {i}",
                "category": "support",
                "severity": "low",
                "legal_basis": ["benchmark"],
                "match": {"all": [{"any": chunk}, {"candidate": "any"}]},
                "examples": {"match": [f"{chunk[0]} coblos nomor 1"]},
            }
        )
    for i in range(50):
        word = terms[rng.randrange(len(terms))]
        rules.append(
            {
                "id": f"bench.regex-{i}",
                "title": f"generated regex {i}",
                "category": "attack",
                "severity": "low",
                "legal_basis": ["benchmark"],
                "match": {"regex": [rf"\b{word}\w*\s+(?:sekali|banget|\d+)\b"]},
                "examples": {"match": [f"{word} banget"]},
            }
        )
    path.write_text(json.dumps({"rules": rules}), encoding="utf-8")  # JSON is YAML
    return terms


def corpus(count: int) -> list[str]:
    shared = ROOT.parent / "shared" / "eval-data" / "indonlu-emot-smsa"
    texts: list[str] = []
    if shared.is_dir():
        with (shared / "emot_train.csv").open(encoding="utf-8") as handle:
            texts += [row["tweet"] for row in csv.DictReader(handle)]
        with (shared / "smsa_valid.tsv").open(encoding="utf-8") as handle:
            texts += [line.rsplit("\t", 1)[0] for line in handle if line.strip()]
        source = "../shared/eval-data (EmoT + SmSA)"
    else:
        posts = (ROOT / "examples/demo/posts.jsonl").read_text(encoding="utf-8").splitlines()
        texts = [json.loads(line)["text"] for line in posts]
        source = "examples/demo/posts.jsonl"
    print(f"posts: {count} from {source} ({len(texts)} distinct)")
    return [texts[i % len(texts)] for i in range(count)]


def timed(label: str, function, posts: list[str]) -> float:  # type: ignore[no-untyped-def]
    function(posts[:200])  # warm caches the way a running daemon has them
    start = time.perf_counter()
    hits = function(posts)
    seconds = time.perf_counter() - start
    rate = len(posts) / seconds
    print(f"  {label:<48} {rate:10,.0f} posts/s   ({hits} hits, {seconds:.2f} s)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(20241127)
    with tempfile.TemporaryDirectory() as tmp:
        extra = Path(tmp) / "generated.yaml"
        terms = generated_rules(extra, rng)
        report = check_rules([ROOT / "rules", extra])
        assert report.ruleset is not None and not report.errors, report.errors[:3]
        registry = load_registry([ROOT / "examples/demo/candidates"])
        detector = RuleDetector(report.ruleset, registry)
    ruleset = report.ruleset
    print(
        f"rules: {len(ruleset.rules)} ({len(terms)} generated terms, 50 regexes), "
        f"{len(ruleset.exceptions)} exceptions, {len(detector.engine.candidates)} candidate terms"
    )
    posts = corpus(args.posts)

    def engine(batch: list[str]) -> int:
        return sum(len(detector.engine.match(text).fired) for text in batch)

    all_terms = terms + [
        t for r in ruleset.rules for t in (r.match.any or []) if isinstance(t, str)
    ]
    alternation = re.compile(
        r"\b(?:" + "|".join(re.escape(t) for t in sorted(all_terms, key=len, reverse=True)) + r")\b"
    )

    def plain_re(batch: list[str]) -> int:
        return sum(1 for text in batch for _ in alternation.finditer(text.lower()))

    print("one core, same posts, same run:")
    ours = timed("asn-monitor engine (normalise + rules + refs)", engine, posts)
    theirs = timed(f"plain re alternation of {len(all_terms)} terms", plain_re, posts)
    print(
        f"ratio engine / plain re: {ours / theirs:.2f}x   "
        f"goal >= 20,000 posts/s: {'met' if ours >= 20_000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
