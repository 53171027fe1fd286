"""One post, scanned once: its normalised text, which terms and candidate references
occur where, its hashtags and emoji. Rule expressions are evaluated against this."""

from __future__ import annotations

from dataclasses import dataclass, field

import re2

from monitor.detect.expr import Hit
from monitor.detect.normalize import Kind, Normalized

RE2_OPTIONS = re2.Options()
RE2_OPTIONS.log_errors = False


@dataclass(frozen=True, slots=True)
class RefHit:
    """A reference to candidate pair ``pair`` of ``election_id`` at tokens first..last."""

    election_id: str
    pair: int
    kind: str
    first: int
    last: int
    where: str  # "text" or "shared_from"
    text: str


@dataclass
class Scan:
    norm: Normalized
    term_hits: dict[int, tuple[Hit, ...]]
    refs: list[RefHit]
    shared: Normalized | None = None
    hashtags: list[tuple[int, str]] = field(default_factory=list)
    emoji: list[tuple[int, str]] = field(default_factory=list)
    _regex: dict[str, tuple[Hit, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, token in enumerate(self.norm.tokens):
            if token.kind is Kind.HASHTAG:
                self.hashtags.append((i, token.text))
            elif token.kind is Kind.EMOJI:
                self.emoji.append((i, token.symbol))

    def regex_hits(self, pattern: str) -> tuple[Hit, ...]:
        cached = self._regex.get(pattern)
        if cached is None:
            compiled = compile_regex(pattern)
            text = self.norm.text
            hits = []
            for found in compiled.finditer(text):
                start, end = found.span()
                if end > start:
                    hits.append(
                        (self.norm.token_index(start), self.norm.token_index(end - 1), "text")
                    )
            cached = self._regex[pattern] = tuple(hits)
        return cached


_COMPILED: dict[str, re2._Regexp] = {}


def compile_regex(pattern: str) -> re2._Regexp:
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re2.compile(pattern, RE2_OPTIONS)
    return compiled
