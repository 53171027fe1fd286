"""Keyword rules: terms and phrases from the rule files, matched as whole words on
normalised text. A rule fires when one of ``any`` (or all of ``all``) is present and none
of ``none`` is."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from monitor.detect.base import Detector
from monitor.detect.normalize import Normalized, normalize
from monitor.domain import Match, Post, Span
from monitor.rules.loader import RuleSet
from monitor.rules.model import Rule


def _term_pattern(term: str) -> re.Pattern[str]:
    folded = normalize(term).text
    return re.compile(rf"(?<!\w){re.escape(folded)}(?!\w)")


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    any: tuple[re.Pattern[str], ...]
    all: tuple[re.Pattern[str], ...]
    none: tuple[re.Pattern[str], ...]


def _compile(rule: Rule) -> _Compiled:
    return _Compiled(
        rule,
        tuple(_term_pattern(t) for t in rule.match.any),
        tuple(_term_pattern(t) for t in rule.match.all),
        tuple(_term_pattern(t) for t in rule.match.none),
    )


def _spans(norm: Normalized, patterns: Sequence[re.Pattern[str]]) -> list[Span]:
    spans = []
    for pattern in patterns:
        for found in pattern.finditer(norm.text):
            start, end = norm.span(found.start(), found.end())
            spans.append(Span(start, end, norm.original[start:end]))
    return spans


class KeywordDetector(Detector):
    name: ClassVar[str] = "keywords"

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._rules = [_compile(rule) for rule in ruleset.rules]

    @property
    def version(self) -> str:
        return f"rules:{self.ruleset.version[:16]}"

    def match_text(self, text: str) -> list[tuple[Rule, list[Span]]]:
        norm = normalize(text)
        hits = []
        for compiled in self._rules:
            if any(p.search(norm.text) for p in compiled.none):
                continue
            if compiled.all and not all(p.search(norm.text) for p in compiled.all):
                continue
            any_spans = _spans(norm, compiled.any)
            if compiled.any and not any_spans:
                continue
            spans = sorted(
                set(any_spans + _spans(norm, compiled.all)), key=lambda s: (s.start, s.end)
            )
            hits.append((compiled.rule, spans))
        return hits

    def detect(self, posts: Sequence[Post]) -> list[Match]:
        matches = []
        for post in posts:
            for rule, spans in self.match_text(post.text):
                matches.append(
                    Match(
                        post_key=(post.platform, post.post_id),
                        rule_id=rule.id,
                        title=rule.title,
                        category=rule.category,
                        severity=rule.severity,
                        spans=tuple(spans),
                    )
                )
        return matches
