"""Builders shared by the service tests: a watchlist, rules, posts and a config on disk."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from tests.conftest import post_line, write_lines, write_watchlist

RULES = """\
rules:
  - id: money.dawn
    title: Serangan fajar
    category: money_politics
    severity: critical
    status: test
    legal_basis: ["UU 10/2016 Ps. 187A"]
    match:
      any: [serangan fajar]
    examples:
      match: [besok serangan fajar di posko 7]
      no_match: [fajar menyingsing]
  - id: support.appeal
    title: Ajakan memilih
    category: support
    severity: high
    status: test
    legal_basis: ["SKB 2022 Lampiran II B"]
    match:
      any: [coblos nomor]
      none: [netral]
    examples:
      match: [ayo coblos nomor 2 ya]
      no_match: ["ASN netral, jangan ajak coblos nomor tertentu"]
"""

HANDLES = ["@ani", "@budi", "@citra", "@dedi", "@eka"]


def make_project(
    root: Path, *, posts: list[str], batch_size: int = 100, candidates: bool = False
) -> Path:
    """A config with a JSONL collector, the rules above, and a five-person watchlist from
    Kabupaten Sukamaju; with ``candidates``, also the Sukamaju candidate registry."""
    (root / "rules").mkdir(parents=True, exist_ok=True)
    (root / "rules" / "rules.yaml").write_text(RULES, encoding="utf-8")
    write_lines(root / "posts.jsonl", posts)
    write_watchlist(
        root / "watchlist.csv",
        [
            f"P{i},Orang {i},,Dinas {i % 2},Staf,Kabupaten Sukamaju,PNS,x,{h},,true,true"
            for i, h in enumerate(HANDLES)
        ],
    )
    config = root / "monitor.yaml"
    text = f"""\
var_dir: var
rules: {{paths: [rules]}}
collectors:
  feed: {{type: jsonl, path: posts.jsonl}}
pipeline: {{batch_size: {batch_size}}}
"""
    if candidates:
        registry = files("monitor.rules").joinpath("data/example-registry.yaml")
        (root / "candidates").mkdir(exist_ok=True)
        (root / "candidates" / "sukamaju.yaml").write_text(registry.read_text("utf-8"), "utf-8")
        text += "candidates: {paths: [candidates]}\n"
    config.write_text(text, encoding="utf-8")
    return config


def many_posts(n: int) -> list[str]:
    """``n`` posts over five authors; every 7th is money politics, every 11th support."""
    lines = []
    for i in range(n):
        if i % 7 == 0:
            text = f"besok serangan fajar di posko {i}"
        elif i % 11 == 0:
            text = f"ayo coblos nomor 2 ya {i}"
        else:
            text = f"makan siang di warung {i} enak bgt"
        minute = i % 60
        lines.append(
            post_line(
                str(1000 + i),
                text,
                author=HANDLES[i % len(HANDLES)],
                created_at=f"2024-10-{1 + i % 28:02d}T08:{minute:02d}:00+07:00",
            )
        )
    return lines


def expected_alerts(n: int) -> int:
    return sum(1 for i in range(n) if i % 7 == 0 or i % 11 == 0)
