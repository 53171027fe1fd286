"""Evaluation of the configured detection, through ``asn-monitor scan``.

1. The false-positive rate on real ordinary Indonesian posts from ../shared/eval-data (when
   present): IndoNLU EmoT tweets, SmSA reviews and comments, and the tweets of Ibrohim & Budi
   (2019) labelled neither hate speech nor abusive. Candidates: the 2019 presidential
   election (bench/registries/pilpres-2019.yaml), the election those tweets were written in.
   Also reported, without a goal: the hate-speech tweets and the 2024 political hoaxes.
2. Precision and recall per category on the project's labelled test split (data/labelled),
   and on the demo posts (examples/demo) the starter rules were written against.

With ``--model DIR`` the fused decision (rules + classifier, ``--policy`` for the
thresholds) is measured instead of the rules alone.

Goals (issue #3): flag rate at most 0.5% on the ordinary sets; violation recall at least
0.9 with at most 10% of neutral political posts flagged (issue #4 adds: at most 2% of
non-political posts flagged).

    .venv/bin/python bench/evaluate.py [--rules rules] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import csv
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from monitor.detect.evaluate import Outcome, read_labels, score
from monitor.model.labels import VIOLATIONS

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "bench" / "registries" / "pilpres-2019.yaml"
DEBUNK = re.compile(r"(?:=\s?){3,}|[—–]{3,}|-{5,}|\[?\bpenjelasan\b\]?\s*:?|\breferensi\s*:", re.I)


def emot(root: Path) -> Iterator[str]:
    for split in ("train", "valid", "test"):
        with (root / f"indonlu-emot-smsa/emot_{split}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                yield row["tweet"]


def smsa(root: Path) -> Iterator[str]:
    for split in ("train", "valid", "test"):
        with (root / f"indonlu-emot-smsa/smsa_{split}.tsv").open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield line.rsplit("\t", 1)[0]


def _tweet(text: str) -> str:
    text = text.rstrip("'").replace("\\n", "\n")
    if "\\x" in text:
        with contextlib.suppress(UnicodeDecodeError, ValueError):
            text = codecs.escape_decode(text.encode("latin-1"))[0].decode("utf-8")
    return text


def hate_speech(root: Path, *, hateful: bool) -> Iterator[str]:
    with (root / "id-multilabel-hs/re_dataset.csv").open(encoding="latin-1") as handle:
        for row in csv.DictReader(handle):
            is_hate = row["HS"] == "1"
            ordinary = row["HS"] == "0" and row["Abusive"] == "0"
            if (hateful and is_hate) or (not hateful and ordinary):
                yield _tweet(row["Tweet"])


def hoaxes(root: Path, name: str) -> Iterator[str]:
    with (root / f"turnbackhoax-2024/{name}_hoax_text.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            narrative = DEBUNK.split(row["HOAX_TEXT"] or "", maxsplit=1)[0].strip()
            if narrative:
                yield narrative


def write_posts(texts: Iterable[str], path: Path, created_at: str) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for i, text in enumerate(texts):
            record = {
                "id": str(i),
                "platform": "x",
                "author": "@eval",
                "text": text,
                "created_at": created_at,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def scan(
    source: Path, config: Path, candidates: Path | None, workdir: Path
) -> list[dict[str, object]]:
    out = workdir / (source.stem + ".out.jsonl")
    command = [
        sys.executable,
        "-m",
        "monitor",
        "-c",
        str(config),
        "scan",
        str(source),
        "--out",
        str(out),
    ]
    if candidates is not None:
        command += ["--candidates", str(candidates)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode not in (0, 1):
        raise SystemExit(f"scan failed on {source}:\n{result.stderr}")
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def labelled_scores(posts: Path, registries: Path, config: Path, work: Path) -> bool:
    """Scores of the scan output against labels (``monitor.detect.evaluate``, the code
    ``rules test --labels`` uses); labels come from the posts file itself (data/labelled)
    or from labels.jsonl beside it (the demo)."""
    beside = posts.parent / "labels.jsonl"
    labels = read_labels(beside if beside.exists() else posts)
    outcomes = [
        Outcome(
            (str(r["platform"]), str(r["id"])),
            "",
            [str(rule) for rule in r["rules"]],  # type: ignore[attr-defined]
            str(r["category"]) if r["flagged"] else None,
            labels[(str(r["platform"]), str(r["id"]))],
        )
        for r in scan(posts, config, registries, work)
    ]
    report = score(outcomes, {})
    for category in sorted(VIOLATIONS):
        scores = report.category_scores[category]
        print(
            f"   {category:<16} precision {scores.precision or 0:6.1%}  "
            f"recall {scores.recall or 0:6.1%}"
        )
    recall = report.violation.recall or 0.0
    neutral = report.flag_rate("political_neutral") or 0.0
    other = report.flag_rate("non_political") or 0.0
    print(
        f"   violation recall {recall:6.1%} (goal >= 90%); neutral political flagged "
        f"{neutral:6.1%} (goal <= 10%); non-political flagged {other:6.1%} (goal <= 2%)"
    )
    return recall >= 0.9 and neutral <= 0.10 and other <= 0.02


def ordinary_sets(shared: Path) -> list[tuple[str, Iterable[str], str, bool]]:
    data = shared / "eval-data"
    return [
        ("EmoT tweets (2018)", emot(data), "2019-03-01T12:00:00+07:00", True),
        ("SmSA reviews/comments", smsa(data), "2019-03-01T12:00:00+07:00", True),
        (
            "HS=0, Abusive=0 tweets (2019)",
            hate_speech(data, hateful=False),
            "2019-03-01T12:00:00+07:00",
            True,
        ),
        (
            "hate-speech tweets (2019)",
            hate_speech(data, hateful=True),
            "2019-03-01T12:00:00+07:00",
            False,
        ),
        ("political hoaxes (2024)", hoaxes(data, "politics"), "2019-03-01T12:00:00+07:00", False),
        (
            "other + scam hoaxes (2024)",
            (t for n in ("others", "scam") for t in hoaxes(data, n)),
            "2019-03-01T12:00:00+07:00",
            True,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument(
        "--show", type=int, default=0, help="print N flagged ordinary posts per set"
    )
    parser.add_argument("--model", type=Path, help="a classifier directory: the fused decision")
    parser.add_argument(
        "--policy",
        default="",
        help="YAML for detection.policy, e.g. '{model_flag_threshold: 0.99}'",
    )
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = work / "monitor.yaml"
        text = f"var_dir: {work / 'var'}\nrules: {{paths: [{args.rules.resolve()}]}}\n"
        if args.model is not None:
            policy = f"\n  policy: {args.policy}" if args.policy else ""
            text += f"detection:\n  model: {{path: {args.model.resolve()}}}{policy}\n"
        config.write_text(text, encoding="utf-8")
        fused = f" + model {args.model} {args.policy}" if args.model else " (rules only)"
        print(f"detection: rules {args.rules}{fused}")
        print("== 1. Flag rate on real posts (candidates: Pilpres 2019) ==")
        if not (args.shared / "eval-data").is_dir():
            print(f"   skipped: {args.shared / 'eval-data'} is absent")
        else:
            ordinary = [0, 0]
            for name, texts, created, is_ordinary in ordinary_sets(args.shared):
                source = work / (re.sub(r"\W+", "_", name).strip("_") + ".jsonl")
                total = write_posts(texts, source, created)
                results = scan(source, config, REGISTRY, work)
                flagged = [r for r in results if r["flagged"]]
                by_category = Counter(str(r["category"]) for r in flagged)
                rate = len(flagged) / max(total, 1)
                goal = "  (goal <= 0.5%)" if is_ordinary else "  (no goal: political text)"
                print(
                    f"   {name:<32} {len(flagged):5d} / {total:6d} = {rate:6.2%}{goal}  "
                    f"{dict(by_category)}"
                )
                if is_ordinary:
                    ordinary[0] += len(flagged)
                    ordinary[1] += total
                    if args.show:
                        lines = source.read_text(encoding="utf-8").splitlines()
                        for r in flagged[: args.show]:
                            print(
                                f"      [{r['rules']}] "
                                f"{json.loads(lines[int(str(r['id']))])['text'][:160]!r}"
                            )
            overall = ordinary[0] / max(ordinary[1], 1)
            ok &= overall <= 0.005
            print(
                f"   {'all ordinary posts':<32} {ordinary[0]:5d} / {ordinary[1]:6d} = "
                f"{overall:6.2%}  goal <= 0.50%: {'met' if overall <= 0.005 else 'NOT met'}"
            )
        labelled = [
            (
                "labelled test split (data/labelled)",
                ROOT / "data/labelled/test.jsonl",
                ROOT / "data/labelled/registries",
            ),
            (
                "demo posts (examples/demo; rules were written looking at these)",
                ROOT / "examples/demo/posts.jsonl",
                ROOT / "examples/demo/candidates",
            ),
        ]
        for number, (name, posts, registries) in enumerate(labelled, start=2):
            print(f"\n== {number}. {name} ==")
            ok &= labelled_scores(posts, registries, config, work)
    print("\nall goals met" if ok else "\nSOME GOALS NOT MET")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
