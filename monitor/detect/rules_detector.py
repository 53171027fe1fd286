"""The rules detector: the rule set and the candidate registries, compiled into one
engine, behind the Detector interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from monitor.detect.base import Detector
from monitor.detect.engine import CandidateTerm, Engine, Evaluation
from monitor.domain import Match, Post, Span
from monitor.rules.loader import RuleSet
from monitor.rules.registry import Registry

_KINDS = {"account_official": "account", "account_winning_team": "winning_team"}


#: How people address a candidate: "Pak Darmaji", "Bu Ratna", "Kang Hendra".
HONORIFICS = (
    "pak", "bapak", "bu", "ibu", "mas", "mbak", "kang", "teh", "bang", "abah", "cak", "uda",
    "bunda", "ustadz", "haji", "kak",
)  # fmt: skip
#: What people call the sitting head of region when the incumbent runs again.
INCUMBENT_WORDS = ("petahana", "incumbent")


def candidate_terms(registry: Registry) -> list[CandidateTerm]:
    """Every way a post can refer to a pair: the registry's terms, ballot numbers, the
    candidates' names with an honorific ("Pak Darmaji", "Bu Ratna"), and "petahana" for the
    incumbent."""
    terms = [
        CandidateTerm(ref.election_id, ref.pair_number, _KINDS.get(ref.kind, ref.kind), ref.text)
        for ref in registry.references()
    ]
    for election in registry.elections:
        for pair in election.pairs:
            terms.append(CandidateTerm(election.id, pair.number, "number", str(pair.number)))
            for name in (pair.head, pair.deputy):
                words = name.split()
                for word in {words[0], words[-1]} if len(words) > 1 else set():
                    for honorific in HONORIFICS:
                        terms.append(
                            CandidateTerm(
                                election.id, pair.number, "short_name", f"{honorific} {word}"
                            )
                        )
            if pair.incumbent:
                for word in INCUMBENT_WORDS:
                    terms.append(CandidateTerm(election.id, pair.number, "incumbent", word))
    return terms


class RuleDetector(Detector):
    name: ClassVar[str] = "rules"

    def __init__(self, ruleset: RuleSet, registry: Registry) -> None:
        self.ruleset = ruleset
        self.registry = registry
        self.engine = Engine(ruleset.rules, ruleset.exceptions, candidate_terms(registry))

    @property
    def version(self) -> str:
        return f"rules:{self.ruleset.version[:12]}+candidates:{self.registry.version[:12]}"

    def elections(self, region: str | None) -> frozenset[str] | None:
        if not self.registry.elections:
            return None
        return frozenset(e.id for e in self.registry.elections_for(region))

    def evaluate(
        self, text: str, *, shared_from: str | None = None, region: str | None = None
    ) -> Evaluation:
        return self.engine.match(text, shared_from=shared_from, elections=self.elections(region))

    def detect(self, posts: Sequence[Post]) -> list[Match]:
        matches = []
        for post in posts:
            evaluation = self.evaluate(
                post.text, shared_from=post.shared_from, region=post.author_region
            )
            referenced = [r.election_id for r in evaluation.scan.refs]
            for fired in evaluation.fired:
                spans = tuple(
                    Span(start, end, post.text[start:end])
                    for start, end in evaluation.spans(fired.hits)
                )
                matches.append(
                    Match(
                        post_key=(post.platform, post.post_id),
                        rule_id=fired.rule.id,
                        title=fired.rule.title,
                        category=fired.rule.category,
                        severity=fired.rule.severity,
                        spans=spans,
                        election_id=referenced[0] if referenced else None,
                        criminal=fired.rule.criminal,
                        status=fired.rule.status,
                        requires_model=fired.rule.requires_model,
                    )
                )
        return matches
