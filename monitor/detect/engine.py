"""The rule engine: every term of every rule and every candidate reference in one
Aho-Corasick automaton; regexes in RE2 (linear time, so no pattern can hang the daemon);
expressions evaluated only for the rules a post could fire.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

import ahocorasick
import yaml

from monitor.detect.expr import (
    AllNode,
    AnyNode,
    Atom,
    CandidateNode,
    EmojiNode,
    HashtagNode,
    Hit,
    NearNode,
    Node,
    NoneNode,
    Program,
    RegexNode,
    TermNode,
    conjunction,
)
from monitor.detect.normalize import Kind, Normalized, emoji_symbol, normalize, normalize_term
from monitor.detect.scan import RefHit, RegexSet, Scan
from monitor.rules.schema import Exception_, Expr, Rule

#: How close (in tokens) a weak reference (a gesture emoji, a one-word slogan such as
#: "Lanjutkan!") must be to another reference of the same election to count.
WEAK_WINDOW = 8


@dataclass(frozen=True)
class CandidateTerm:
    """One way a post can refer to a candidate pair."""

    election_id: str
    pair: int
    kind: str
    text: str

    @property
    def exact_case(self) -> bool:
        """An all-capitals nickname such as "DAMAI" or "SAKTI" is also an everyday word
        ("Pilkada damai"): it refers to the pair only when written in capitals too."""
        letters = [c for c in self.text if c.isalpha()]
        return (
            self.kind in ("nickname", "short_name")
            and len(letters) >= 3
            and all(c.isupper() for c in letters)
        )


def _word_in_tag(written: str, tag: str, start: int, end: int) -> bool:
    """Whether ``tag[start:end]`` is a word of a hashtag: at the tag's start or end
    (#darmajimenang, #tolakdarmaji) or a capitalised word inside it (#AyoDarmajiMenang),
    not the inside of another word (#positivity does not name "Siti"). ``written`` is the
    tag as written, which gives the capitals; ``tag`` the folded tag."""
    if start == 0 or end == len(tag):
        return True
    if len(written) != len(tag):  # folding changed the length: no capitals to go by
        return False

    def boundary(i: int) -> bool:
        before, at = written[i - 1], written[i]
        if not before.isalpha() or not at.isalpha():
            return True  # a digit or "_" between words
        if at.isupper() and not before.isupper():
            return True  # camelCase: "...Darmaji"
        # an all-capitals word before a capitalised one: "DAMAIMenang"
        return (
            before.isupper() and at.isupper() and i + 1 < len(written) and written[i + 1].islower()
        )

    return boundary(start) and boundary(end)


@lru_cache(maxsize=1)
def emoji_classes() -> dict[str, frozenset[str]]:
    """Emoji classes from ``data/emoji.yaml``: class name -> emoji (without selectors)."""
    data = yaml.safe_load(files("monitor.detect").joinpath("data/emoji.yaml").read_text("utf-8"))
    return {
        name: frozenset(emoji_symbol(entry["emoji"]) for entry in entries)
        for name, entries in data["classes"].items()
    }


def number_phrases(number: int) -> list[str]:
    """How a post names ballot number N (after normalisation "no. 02" is "nomor 2")."""
    return [
        f"nomor {number}", f"nomor urut {number}", f"paslon {number}", f"paslon nomor {number}",
        f"coblos {number}", f"pilih {number}", f"#coblos{number}", f"#nomor{number}",
        f"#paslon{number}", f"#no{number}", f"#0{number}", f"{number} jari", f"salam {number} jari",
    ]  # fmt: skip


@dataclass
class CompiledRule:
    rule: Rule
    node: Node
    unless: Node | None
    exceptions: tuple[int, ...]  # indexes into Engine.exceptions that apply


@dataclass
class CompiledException:
    exception: Exception_
    node: Node


@dataclass(frozen=True)
class Fired:
    rule: Rule
    hits: tuple[Hit, ...]


@dataclass
class Evaluation:
    scan: Scan
    fired: list[Fired] = field(default_factory=list)
    #: (rule id, exception id) for rules an exception silenced
    suppressed: list[tuple[str, str]] = field(default_factory=list)

    def spans(self, hits: Iterable[Hit]) -> list[tuple[int, int]]:
        """Original-text spans of the text hits, merged and sorted."""
        norm = self.scan.norm
        spans = sorted(
            {norm.token_span(first, last) for first, last, where in hits if where == "text"}
        )
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged


class Engine:
    def __init__(
        self,
        rules: Sequence[Rule],
        exceptions: Sequence[Exception_] = (),
        candidates: Sequence[CandidateTerm] = (),
    ) -> None:
        self.program = Program()
        self._regexes: set[str] = set()
        self._classes = emoji_classes()
        self.exceptions = [CompiledException(e, self._compile(e.match)) for e in exceptions]
        exception_ids = {e.id: i for i, e in enumerate(exceptions)}
        self.rules = []
        for rule in rules:
            applicable = tuple(
                i
                for i, e in enumerate(exceptions)
                if rule.category in e.applies_to and e.id not in rule.ignore_exceptions
            )
            self.rules.append(
                CompiledRule(
                    rule,
                    self._compile(rule.match),
                    self._compile(rule.unless) if rule.unless else None,
                    applicable,
                )
            )
        self.unknown_exceptions = {
            (r.id, name) for r in rules for name in r.ignore_exceptions if name not in exception_ids
        }
        self._index_triggers()
        self.candidates = list(candidates)
        self._gestures = {
            (c.election_id, c.pair): normalize_term(c.text)
            for c in self.candidates
            if c.kind == "gesture"
        }
        self._automaton = self._build_automaton()
        self._regex_set = RegexSet(sorted(self._regexes))
        self._in_hashtags = self._hashtag_keys()

    # -- compilation -----------------------------------------------------------------

    def _item(self, item: str | Expr) -> Node:
        if isinstance(item, Expr):
            return self._compile(item)
        prefix = item.endswith("*")
        text = normalize_term(item.rstrip("*"))
        return TermNode(self.program.term_id(text, prefix), item)

    def _compile(self, expr: Expr) -> Node:
        parts: list[Node] = []
        if expr.any is not None:
            parts.append(AnyNode(tuple(self._item(i) for i in expr.any)))
        if expr.all is not None:
            parts.append(AllNode(tuple(self._item(i) for i in expr.all)))
        if expr.near is not None:
            parts.append(NearNode(expr.near.within, tuple(self._item(i) for i in expr.near.all)))
        if expr.regex is not None:
            parts.append(RegexNode(tuple(expr.regex)))
            self._regexes.update(expr.regex)
        if expr.hashtags is not None:
            # folded as the normaliser folds a post's hashtags ("#ＨｅＳｔｉ" is "#hesti")
            exact = frozenset(normalize_term(t) for t in expr.hashtags if not t.endswith("*"))
            prefixes = tuple(normalize_term(t[:-1]) for t in expr.hashtags if t.endswith("*"))
            parts.append(HashtagNode(exact, prefixes))
        if expr.emoji is not None:
            symbols: set[str] = set()
            for name in expr.emoji:
                symbols |= self._classes.get(name, frozenset({emoji_symbol(name)}))
            parts.append(EmojiNode(frozenset(symbols)))
        if expr.candidate is not None:
            ref = expr.candidate
            parts.append(
                CandidateNode(
                    None if ref.pair == "any" else int(ref.pair),
                    frozenset(ref.kinds),
                    frozenset(ref.in_),
                )
            )
        if expr.none is not None:
            parts.append(NoneNode(tuple(self._item(i) for i in expr.none)))
        return conjunction(parts)

    def _index_triggers(self) -> None:
        self._always: list[int] = []
        self._by_atom: dict[Atom, list[int]] = defaultdict(list)
        for index, compiled in enumerate(self.rules):
            trigger = compiled.node.trigger()
            if trigger is None:
                self._always.append(index)
                continue
            for atom in trigger:
                self._by_atom[atom].append(index)

    def _build_automaton(self) -> ahocorasick.Automaton | None:
        keys: dict[str, list[tuple[str, int, bool]]] = defaultdict(list)
        for (text, prefix), term_id in self.program.terms.items():
            if text:
                keys[text].append(("t", term_id, prefix))
        for ref_id, cand in enumerate(self.candidates):
            for phrase in self._ref_phrases(cand):
                keys[phrase].append(("r", ref_id, False))
        if not keys:
            return None
        automaton = ahocorasick.Automaton()
        for key, payloads in keys.items():
            automaton.add_word(key, (len(key), tuple(payloads)))
        automaton.make_automaton()
        return automaton

    def _hashtag_keys(self) -> list[tuple[str, int]]:
        """Names and nicknames as they appear glued inside hashtags (#TolakDarmaji)."""
        keys: list[tuple[str, int]] = []
        for ref_id, cand in enumerate(self.candidates):
            if cand.kind == "nickname":
                words = [cand.text]
            elif cand.kind == "name":
                words = [cand.text, *cand.text.split()]
            else:
                continue
            for word in words:
                key = "".join(c for c in normalize_term(word) if c.isalnum())
                if len(key) >= 4:
                    keys.append((key, ref_id))
        return keys

    def _hashtag_refs(
        self, norm: Normalized, where: str, elections: frozenset[str] | None
    ) -> list[RefHit]:
        found = []
        for index, hashtag in norm.hashtags:
            tag = hashtag[1:]
            raw = ""
            for key, ref_id in self._in_hashtags:
                at = tag.find(key)
                if at < 0:
                    continue
                raw = raw or norm.original[norm.wstarts[index] + 1 : norm.ends[index]]
                while at >= 0 and not _word_in_tag(raw, tag, at, at + len(key)):
                    at = tag.find(key, at + 1)
                if at < 0:
                    continue
                cand = self.candidates[ref_id]
                if elections is not None and cand.election_id not in elections:
                    continue
                if cand.exact_case:
                    begin = norm.wstarts[index] + 1 + at
                    written = norm.original[begin : begin + len(key)]
                    if not written.isupper():
                        continue
                found.append(
                    RefHit(cand.election_id, cand.pair, cand.kind, index, index, where, cand.text)
                )
        return found

    @staticmethod
    def _ref_phrases(cand: CandidateTerm) -> list[str]:
        if cand.kind == "number":
            return [normalize_term(p) for p in number_phrases(int(cand.text))]
        phrase = normalize_term(cand.text)
        return [phrase] if phrase else []

    # -- scanning --------------------------------------------------------------------

    def _hits(self, norm: Normalized) -> tuple[dict[int, list[Hit]], list[tuple[int, int, int]]]:
        terms: dict[int, list[Hit]] = defaultdict(list)
        refs: list[tuple[int, int, int]] = []
        if self._automaton is None or not norm.text:
            return terms, refs
        text = norm.text
        for end, (length, payloads) in self._automaton.iter(text):
            start = end - length + 1
            whole = norm.at_boundaries(start, end + 1)
            first = last = -1
            for kind, ident, prefix in payloads:
                if not (whole or (prefix and norm.at_boundaries(start, end + 1, prefix=True))):
                    continue
                if first < 0:
                    first, last = norm.token_index(start), norm.token_index(end)
                if kind == "t":
                    terms[ident].append((first, last, "text"))
                else:
                    refs.append((ident, first, last))
        return terms, refs

    def scan(
        self, text: str, *, shared_from: str | None = None, elections: frozenset[str] | None = None
    ) -> Scan:
        """``elections``: the elections that concern the author (None: every election)."""
        norm = normalize(text)
        term_lists, ref_spots = self._hits(norm)
        refs = self._refs(norm, ref_spots, "text", elections)
        refs.extend(self._hashtag_refs(norm, "text", elections))
        shared = None
        if shared_from:
            shared = normalize(shared_from)
            _, shared_spots = self._hits(shared)
            refs.extend(self._refs(shared, shared_spots, "shared_from", elections))
            refs.extend(self._account_refs_in_urls(shared, elections))
        refs = self._resolve_weak(refs)
        return Scan(
            norm,
            {k: tuple(v) for k, v in term_lists.items()},
            refs,
            shared,
            self._regex_set.matching(norm.text),
        )

    @staticmethod
    def _written_in_capitals(norm: Normalized, first: int, last: int) -> bool:
        start, end = norm.token_span(first, last)
        letters = [c for c in norm.original[start:end] if c.isalpha()]
        return bool(letters) and all(c.isupper() for c in letters)

    def _refs(
        self,
        norm: Normalized,
        spots: list[tuple[int, int, int]],
        where: str,
        elections: frozenset[str] | None,
    ) -> list[RefHit]:
        found = []
        for ref_id, first, last in spots:
            cand = self.candidates[ref_id]
            if elections is not None and cand.election_id not in elections:
                continue
            if cand.exact_case and not self._written_in_capitals(norm, first, last):
                continue
            found.append(
                RefHit(cand.election_id, cand.pair, cand.kind, first, last, where, cand.text)
            )
        return found

    def _account_refs_in_urls(
        self, shared: Normalized, elections: frozenset[str] | None
    ) -> list[RefHit]:
        """``https://x.com/relawan.hesti/status/1`` names the account ``@relawan.hesti``."""
        found = []
        accounts = [
            (i, c) for i, c in enumerate(self.candidates) if c.kind in ("account", "winning_team")
        ]
        for index, (word, kind) in enumerate(zip(shared.words, shared.kinds, strict=True)):
            if kind is not Kind.URL:
                continue
            segments = {s.lstrip("@") for s in word.split("?")[0].split("/")}
            for _, cand in accounts:
                if elections is not None and cand.election_id not in elections:
                    continue
                if cand.text.lstrip("@").casefold() in segments:
                    found.append(
                        RefHit(
                            cand.election_id,
                            cand.pair,
                            cand.kind,
                            index,
                            index,
                            "shared_from",
                            cand.text,
                        )
                    )
        return found

    @staticmethod
    def _weak(ref: RefHit) -> bool:
        return ref.kind == "gesture" or (ref.kind == "tagline" and ref.first == ref.last)

    def _resolve_weak(self, refs: list[RefHit]) -> list[RefHit]:
        """A gesture emoji, or a one-word slogan ("Lanjutkan!"), refers to a pair only next
        to another reference of the same election: alone it is an everyday sign or word."""
        if not any(self._weak(r) for r in refs):
            return refs
        strong = [r for r in refs if not self._weak(r)]
        kept = list(strong)
        for ref in refs:
            if self._weak(ref) and any(
                o.where == ref.where
                and o.election_id == ref.election_id
                # distance to the nearer end of the other reference, before or after it
                and max(o.first - ref.last, ref.first - o.last, 0) <= WEAK_WINDOW
                for o in strong
            ):
                kept.append(ref)
        return kept

    # -- evaluation ------------------------------------------------------------------

    def evaluate(self, scan: Scan) -> Evaluation:
        evaluation = Evaluation(scan)
        if scan.regex_matched is None:
            scan.regex_matched = self._regex_set.matching(scan.norm.text)
        atoms: set[Atom] = {("term", str(t)) for t in scan.term_hits}
        atoms.update(("regex", p) for p in scan.regex_matched)
        if scan.refs:
            atoms.add(("ref",))
        if scan.hashtags:
            atoms.add(("hashtag",))
        if scan.emoji:
            atoms.add(("emoji",))
        candidates = set(self._always)
        for atom in atoms:
            candidates.update(self._by_atom.get(atom, ()))
        exception_results: dict[int, bool] = {}
        for index in sorted(candidates):
            compiled = self.rules[index]
            result = compiled.node.eval(scan)
            if not result.ok:
                continue
            if compiled.unless is not None and compiled.unless.eval(scan).ok:
                continue
            silenced = None
            for exc_index in compiled.exceptions:
                if exc_index not in exception_results:
                    exception_results[exc_index] = self.exceptions[exc_index].node.eval(scan).ok
                if exception_results[exc_index]:
                    silenced = self.exceptions[exc_index].exception.id
                    break
            if silenced is not None:
                evaluation.suppressed.append((compiled.rule.id, silenced))
                continue
            evaluation.fired.append(Fired(compiled.rule, result.hits))
        return evaluation

    def match(
        self, text: str, *, shared_from: str | None = None, elections: frozenset[str] | None = None
    ) -> Evaluation:
        return self.evaluate(self.scan(text, shared_from=shared_from, elections=elections))
