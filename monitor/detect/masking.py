"""Candidate masking: every reference to a candidate pair in a post becomes a marker
(``[PASLON]``, ``[NOMOR]``, ...), so the classifier learns how a post refers to a pair,
not which pair or whose name. Training and scoring mask alike.

References are found by the rule engine (the registry's names, nicknames, numbers,
taglines, hashtags and accounts, honorific + name, "petahana"); gestures stay as written,
since an emoji alone is an everyday sign. Where a name is glued inside a hashtag only the
name is replaced (``#TolakDarmaji`` -> ``#Tolak[PASLON]``), and in a ballot-number phrase
only the number (``coblos 02`` -> ``coblos [NOMOR]``): the verb around it is the signal.
"""

from __future__ import annotations

import re

from monitor.detect.engine import CandidateTerm, Engine
from monitor.detect.normalize import Kind, Normalized, normalize_term
from monitor.detect.rules_detector import candidate_terms
from monitor.detect.scan import RefHit
from monitor.rules.registry import Registry

PASLON = "[PASLON]"
NOMOR = "[NOMOR]"
SLOGAN = "[SLOGAN]"
TAGAR_PASLON = "[TAGAR_PASLON]"
AKUN_PASLON = "[AKUN_PASLON]"
AKUN_PEMENANGAN = "[AKUN_PEMENANGAN]"
SHARED_WINNING_TEAM = "[DIBAGIKAN_DARI_PEMENANGAN]"
SHARED_OFFICIAL = "[DIBAGIKAN_DARI_PASLON]"

#: Every marker; tokenizers keep them whole (special tokens).
MARKERS: tuple[str, ...] = (
    PASLON, NOMOR, SLOGAN, TAGAR_PASLON, AKUN_PASLON, AKUN_PEMENANGAN, SHARED_WINNING_TEAM,
    SHARED_OFFICIAL,
)  # fmt: skip

#: Reference kind (``CandidateTerm.kind``) -> marker; a kind not here stays as written.
KIND_MARKERS: dict[str, str] = {
    "name": PASLON,
    "short_name": PASLON,
    "nickname": PASLON,
    "incumbent": PASLON,
    "number": NOMOR,
    "tagline": SLOGAN,
    "hashtag": TAGAR_PASLON,
    "account": AKUN_PASLON,
    "winning_team": AKUN_PEMENANGAN,
}
#: Which marker wins when references of equal length overlap: the earlier in this list.
_PRIORITY = (AKUN_PEMENANGAN, AKUN_PASLON, TAGAR_PASLON, PASLON, SLOGAN, NOMOR)
#: Kind of the shared account -> the marker appended to the text.
SHARED_MARKERS: dict[str, str] = {
    "winning_team": SHARED_WINNING_TEAM,
    "account": SHARED_OFFICIAL,
}

_Piece = tuple[int, int, str]  # original [start, end) and its marker


def _alnum(text: str) -> str:
    return "".join(c for c in normalize_term(text) if c.isalnum())


class CandidateMasker:
    """Replaces candidate references with markers; see the module docstring."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        terms = candidate_terms(registry)
        self.engine: Engine | None = (
            Engine(rules=(), exceptions=(), candidates=terms) if terms else None
        )
        #: (election, pair, text) -> the keys a name may take glued inside a hashtag
        self._tag_keys: dict[tuple[str, int, str], list[str]] = {}
        for term in terms:
            if term.kind in ("name", "nickname"):
                self._tag_keys[(term.election_id, term.pair, term.text)] = _tag_keys(term)

    @property
    def version(self) -> str:
        """The registry's hash: masks change when the registry does."""
        return self.registry.version

    def _elections(self, region: str | None) -> frozenset[str] | None:
        if region is None:
            return None
        return frozenset(e.id for e in self.registry.elections_for(region))

    def mask(self, text: str, shared_from: str | None = None, region: str | None = None) -> str:
        """``text`` with every candidate reference replaced by its marker, and a marker
        appended when ``shared_from`` is a pair's winning-team or official account.
        ``region``: the author's region, which picks the elections that apply."""
        if self.engine is None:
            return text
        scan = self.engine.scan(text, shared_from=shared_from, elections=self._elections(region))
        pieces = [
            (*self._span(scan.norm, ref), KIND_MARKERS[ref.kind])
            for ref in scan.refs
            if ref.where == "text" and ref.kind in KIND_MARKERS
        ]
        out: list[str] = []
        position = 0
        for start, end, marker in merge_pieces(pieces):
            out.append(text[position:start])
            out.append(marker)
            position = end
        out.append(text[position:])
        shared = {r.kind for r in scan.refs if r.where == "shared_from"}
        for kind, marker in SHARED_MARKERS.items():
            if kind in shared:
                out.append(" " + marker)
        return "".join(out)

    def _span(self, norm: Normalized, ref: RefHit) -> tuple[int, int]:
        """The original span to replace: the whole reference, except a ballot number's
        digits and a name inside a hashtag."""
        start, end = norm.token_span(ref.first, ref.last)
        if ref.kind == "number":
            for index in range(ref.first, ref.last + 1):
                if norm.words[index] == str(ref.pair):
                    return norm.token_span(index, index)
            if norm.kinds[ref.first] is Kind.HASHTAG:  # "#Coblos02"
                found = re.search(rf"0*{ref.pair}$", norm.original[start:end])
                if found:
                    return start + found.start(), start + found.end()
            return start, end
        keys = self._tag_keys.get((ref.election_id, ref.pair, ref.text))
        if keys and ref.first == ref.last and norm.kinds[ref.first] is Kind.HASHTAG:
            raw = norm.original[start:end]
            folded = raw.casefold()
            if len(folded) == len(raw):  # folding kept the offsets
                for key in keys:
                    at = folded.find(key, 1)
                    if at > 0:
                        return start + at, start + at + len(key)
        return start, end


def _tag_keys(term: CandidateTerm) -> list[str]:
    """How a name or nickname appears glued in a hashtag, longest first."""
    words = [term.text, *term.text.split()] if term.kind == "name" else [term.text]
    keys = {_alnum(w) for w in words}
    return sorted((k for k in keys if len(k) >= 4), key=len, reverse=True)


def merge_pieces(pieces: list[_Piece]) -> list[_Piece]:
    """Overlapping spans merged into one, sorted; the merged span takes the marker of its
    longest piece (ties: ``_PRIORITY``)."""
    merged: list[_Piece] = []
    best: tuple[int, int] = (0, 0)  # (length, -priority) of the current span's marker
    for start, end, marker in sorted(pieces):
        rank = (end - start, -_PRIORITY.index(marker))
        if merged and start < merged[-1][1]:
            m_start, m_end, m_marker = merged[-1]
            if rank > best:
                m_marker, best = marker, rank
            merged[-1] = (m_start, max(m_end, end), m_marker)
        else:
            merged.append((start, end, marker))
            best = rank
    return merged
