"""One post, scanned once: its normalised text, which terms and candidate references
occur where, its hashtags and emoji. Rule expressions are evaluated against this."""

from __future__ import annotations

from dataclasses import dataclass, field

import re2

from monitor.detect.expr import Hit
from monitor.detect.normalize import Normalized

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
    #: the regex patterns that match somewhere (one RE2 Set pass); None: not prefiltered
    regex_matched: frozenset[str] | None = None
    _regex: dict[str, tuple[Hit, ...]] = field(default_factory=dict)

    @property
    def hashtags(self) -> list[tuple[int, str]]:
        return self.norm.hashtags

    @property
    def emoji(self) -> list[tuple[int, str]]:
        return self.norm.emoji

    def regex_hits(self, pattern: str) -> tuple[Hit, ...]:
        if self.regex_matched is not None and pattern not in self.regex_matched:
            return ()
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


class RegexSet:
    """Every regex of the rule set in one RE2 Set: one pass over a post says which match."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = patterns
        self._set = re2.Set.SearchSet(RE2_OPTIONS) if patterns else None
        if self._set is not None:
            for pattern in patterns:
                self._set.Add(pattern)
            self._set.Compile()

    def matching(self, text: str) -> frozenset[str]:
        if self._set is None:
            return frozenset()
        found = self._set.Match(text)
        return frozenset(self.patterns[i] for i in found) if found else frozenset()


_COMPILED: dict[str, re2._Regexp] = {}


def compile_regex(pattern: str) -> re2._Regexp:
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re2.compile(pattern, RE2_OPTIONS)
    return compiled
