"""Compiled rule expressions, evaluated against one scanned post.

Each node returns whether it holds and the hits that made it hold (token ranges), so a
decision can show which words fired. Every node also reports its *trigger*: the atoms at
least one of which must be present for it to hold (None: it could hold on anything). The
engine uses triggers to evaluate only the rules a post could fire.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise, product
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.detect.scan import Scan

#: (first token, last token, where) -- where is "text" or "shared_from"
Hit = tuple[int, int, str]
Atom = tuple[str, ...]
NO_HITS: tuple[Hit, ...] = ()


@dataclass(frozen=True, slots=True)
class Result:
    ok: bool
    hits: tuple[Hit, ...] = NO_HITS


FALSE = Result(False)
TRUE_EMPTY = Result(True)


class Node(ABC):
    @abstractmethod
    def eval(self, scan: Scan) -> Result: ...

    @abstractmethod
    def trigger(self) -> frozenset[Atom] | None: ...


@dataclass(frozen=True)
class TermNode(Node):
    term_id: int
    text: str

    def eval(self, scan: Scan) -> Result:
        hits = scan.term_hits.get(self.term_id)
        return Result(True, hits) if hits else FALSE

    def trigger(self) -> frozenset[Atom] | None:
        return frozenset({("term", str(self.term_id))})


@dataclass(frozen=True)
class AnyNode(Node):
    children: tuple[Node, ...]

    def eval(self, scan: Scan) -> Result:
        hits: list[Hit] = []
        ok = False
        for child in self.children:
            result = child.eval(scan)
            if result.ok:
                ok = True
                hits.extend(result.hits)
        return Result(True, tuple(hits)) if ok else FALSE

    def trigger(self) -> frozenset[Atom] | None:
        atoms: set[Atom] = set()
        for child in self.children:
            t = child.trigger()
            if t is None:
                return None
            atoms |= t
        return frozenset(atoms)


@dataclass(frozen=True)
class AllNode(Node):
    children: tuple[Node, ...]

    def eval(self, scan: Scan) -> Result:
        hits: list[Hit] = []
        for child in self.children:
            result = child.eval(scan)
            if not result.ok:
                return FALSE
            hits.extend(result.hits)
        return Result(True, tuple(hits))

    def trigger(self) -> frozenset[Atom] | None:
        best: frozenset[Atom] | None = None
        for child in self.children:
            t = child.trigger()
            if t is not None and (best is None or len(t) < len(best)):
                best = t
        return best


@dataclass(frozen=True)
class NoneNode(Node):
    children: tuple[Node, ...]

    def eval(self, scan: Scan) -> Result:
        for child in self.children:
            if child.eval(scan).ok:
                return FALSE
        return TRUE_EMPTY

    def trigger(self) -> frozenset[Atom] | None:
        return None


@dataclass(frozen=True)
class NearNode(Node):
    within: int
    children: tuple[Node, ...]

    def eval(self, scan: Scan) -> Result:
        options: list[list[Hit]] = []
        for child in self.children:
            result = child.eval(scan)
            text_hits = sorted({h for h in result.hits if h[2] == "text"})
            if not result.ok or not text_hits:
                return FALSE
            options.append(text_hits)
        # Every hit of the item with the fewest hits is tried as an anchor, with the other
        # items' hits close enough to it (nearest first), so a long post that repeats a
        # word many times is searched as a whole, not only its first occurrences.
        anchor_at = min(range(len(options)), key=lambda i: len(options[i]))
        starts = [[h[0] for h in hits] for hits in options]
        longest = [max(h[1] - h[0] for h in hits) for hits in options]
        best: tuple[Hit, ...] | None = None
        best_width = self.within + 1
        for anchor in options[anchor_at]:
            nearby: list[list[Hit]] = []
            for i, hits in enumerate(options):
                if i == anchor_at:
                    nearby.append([anchor])
                    continue
                # only hits that start within reach of the anchor can be close to it
                lo = bisect_left(starts[i], anchor[0] - self.within - longest[i])
                hi = bisect_right(starts[i], anchor[1] + self.within)
                close = [h for h in hits[lo:hi] if _width((h, anchor)) <= self.within]
                if not close:
                    break
                close.sort(key=lambda h: abs(h[0] - anchor[0]))
                nearby.append(close[:_NEAREST])
            else:
                for choice in product(*nearby):
                    if _overlapping(choice):
                        continue  # one word cannot be both parts ("Lanjutkan!" is a slogan)
                    width = _width(choice)
                    if width < best_width:
                        best, best_width = choice, width
        return Result(True, best) if best is not None else FALSE

    def trigger(self) -> frozenset[Atom] | None:
        return AllNode(self.children).trigger()


#: How many hits of each other item, nearest to an anchor first, a ``near`` tries.
_NEAREST = 8


def _width(hits: tuple[Hit, ...]) -> int:
    """Tokens from the end of the earliest hit to the start of the latest one."""
    return max(h[0] for h in hits) - min(h[1] for h in hits)


def _overlapping(hits: tuple[Hit, ...]) -> bool:
    ordered = sorted(hits)
    return any(a[1] >= b[0] for a, b in pairwise(ordered))


@dataclass(frozen=True)
class RegexNode(Node):
    patterns: tuple[str, ...]

    def eval(self, scan: Scan) -> Result:
        hits: list[Hit] = []
        for pattern in self.patterns:
            hits.extend(scan.regex_hits(pattern))
        return Result(True, tuple(hits)) if hits else FALSE

    def trigger(self) -> frozenset[Atom] | None:
        return frozenset(("regex", p) for p in self.patterns)


@dataclass(frozen=True)
class HashtagNode(Node):
    exact: frozenset[str]
    prefixes: tuple[str, ...]

    def eval(self, scan: Scan) -> Result:
        hits = tuple(
            (i, i, "text")
            for i, tag in scan.hashtags
            if tag in self.exact or any(tag.startswith(p) for p in self.prefixes)
        )
        return Result(True, hits) if hits else FALSE

    def trigger(self) -> frozenset[Atom] | None:
        return frozenset({("hashtag",)})


@dataclass(frozen=True)
class EmojiNode(Node):
    symbols: frozenset[str]

    def eval(self, scan: Scan) -> Result:
        hits = tuple((i, i, "text") for i, symbol in scan.emoji if symbol in self.symbols)
        return Result(True, hits) if hits else FALSE

    def trigger(self) -> frozenset[Atom] | None:
        return frozenset({("emoji",)})


@dataclass(frozen=True)
class CandidateNode(Node):
    pair: int | None  # None: any pair
    kinds: frozenset[str]
    where: frozenset[str]

    def eval(self, scan: Scan) -> Result:
        hits = tuple(
            (ref.first, ref.last, ref.where)
            for ref in scan.refs
            if (self.pair is None or ref.pair == self.pair)
            and ref.kind in self.kinds
            and ref.where in self.where
        )
        return Result(True, hits) if hits else FALSE

    def trigger(self) -> frozenset[Atom] | None:
        return frozenset({("ref",)})


@dataclass
class Program:
    """Terms to put in the automaton, collected while compiling expressions."""

    terms: dict[tuple[str, bool], int] = field(default_factory=dict)

    def term_id(self, normalised: str, prefix: bool) -> int:
        key = (normalised, prefix)
        if key not in self.terms:
            self.terms[key] = len(self.terms)
        return self.terms[key]


def conjunction(nodes: Sequence[Node]) -> Node:
    return nodes[0] if len(nodes) == 1 else AllNode(tuple(nodes))
