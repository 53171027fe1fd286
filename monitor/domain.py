"""Plain data shared by every layer: people, accounts, posts, matches, decisions.

Datetimes are always timezone-aware; storage keeps them in UTC, people see them in the
election's timezone.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EmploymentType(StrEnum):
    """Who the neutrality duty binds (domain.md section 1)."""

    PNS = "pns"
    PPPK = "pppk"
    NON_ASN = "non_asn"
    TNI = "tni"
    POLRI = "polri"
    BUMD = "bumd"
    BUMN = "bumn"
    VILLAGE = "village"

    @property
    def label(self) -> str:
        return _EMPLOYMENT_LABELS[self]


_EMPLOYMENT_LABELS = {
    EmploymentType.PNS: "PNS",
    EmploymentType.PPPK: "PPPK",
    EmploymentType.NON_ASN: "Non-ASN",
    EmploymentType.TNI: "TNI",
    EmploymentType.POLRI: "Polri",
    EmploymentType.BUMD: "BUMD",
    EmploymentType.BUMN: "BUMN",
    EmploymentType.VILLAGE: "Perangkat desa",
}

#: Spellings people use in watchlists, folded to lower case without spaces or dashes.
EMPLOYMENT_ALIASES: dict[str, EmploymentType] = {
    "pns": EmploymentType.PNS,
    "pppk": EmploymentType.PPPK,
    "nonasn": EmploymentType.NON_ASN,
    "ppnpn": EmploymentType.NON_ASN,
    "honorer": EmploymentType.NON_ASN,
    "tni": EmploymentType.TNI,
    "polri": EmploymentType.POLRI,
    "bumd": EmploymentType.BUMD,
    "bumn": EmploymentType.BUMN,
    "village": EmploymentType.VILLAGE,
    "desa": EmploymentType.VILLAGE,
    "kepaladesa": EmploymentType.VILLAGE,
    "perangkatdesa": EmploymentType.VILLAGE,
    "kades": EmploymentType.VILLAGE,
    "lurah": EmploymentType.VILLAGE,
}


def parse_employment_type(value: str) -> EmploymentType:
    key = "".join(ch for ch in value.casefold() if ch.isalnum())
    try:
        return EMPLOYMENT_ALIASES[key]
    except KeyError:
        choices = ", ".join(sorted({t.label for t in EmploymentType}))
        raise ValueError(
            f"jenis kepegawaian {value!r} tidak dikenal (pilihan: {choices})"
        ) from None


#: Platforms asn-monitor knows, and the names people also use for them.
PLATFORMS = ("x", "facebook", "instagram", "tiktok", "youtube", "telegram", "mastodon", "threads")
PLATFORM_ALIASES = {"twitter": "x", "fb": "facebook", "ig": "instagram", "yt": "youtube"}


def parse_platform(value: str) -> str:
    key = value.strip().casefold()
    key = PLATFORM_ALIASES.get(key, key)
    if key not in PLATFORMS:
        raise ValueError(f"platform {value!r} tidak dikenal (pilihan: {', '.join(PLATFORMS)})")
    return key


def handle_key(handle: str) -> str:
    """The form of a handle used to match posts to accounts: NFKC, case-folded, no '@'."""
    return unicodedata.normalize("NFKC", handle).strip().lstrip("@").casefold()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    employment_type: EmploymentType
    agency: str = ""
    position: str = ""
    region: str = ""
    nip: str | None = None


@dataclass(frozen=True)
class Account:
    platform: str
    handle: str
    person_key: str
    url: str | None = None
    verified: bool = False
    active: bool = True
    id: int | None = None

    @property
    def key(self) -> str:
        return handle_key(self.handle)


@dataclass(frozen=True)
class Post:
    """One public post as a collector saw it.

    ``payload`` is the exact text received (a JSONL line, an API object); its SHA-256 is
    the evidence hash. ``raw`` holds the source's own fields, including unknown keys.
    ``cursor`` is the collector's position after this post, stored with it atomically.
    """

    platform: str
    post_id: str
    author: str
    text: str
    created_at: datetime
    payload: str
    url: str | None = None
    shared_from: str | None = None
    media: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    cursor: str | None = None
    #: the watched author's region (from the watchlist), to pick the elections that apply
    author_region: str | None = None

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise ValueError("created_at must be timezone-aware")

    @property
    def sha256(self) -> str:
        return sha256_text(self.payload)


@dataclass(frozen=True)
class Span:
    """A half-open range ``[start, end)`` in the post's original text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Match:
    """One rule (or model label) that fired on one post, with the words that made it fire."""

    post_key: tuple[str, str]
    rule_id: str
    title: str
    category: str
    severity: str
    spans: tuple[Span, ...] = ()
    score: float | None = None
    #: the election whose candidate the post refers to, when it refers to one
    election_id: str | None = None
    #: the rule marks content for the criminal route (insult, incitement)
    criminal: bool = False
    #: the rule's status (experimental, test, stable) and whether it needs the model to agree
    status: str = "stable"
    requires_model: bool = False


SEVERITIES = ("low", "medium", "high", "critical")


def severity_rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


@dataclass(frozen=True)
class Decision:
    """What the detection step concluded about one post, able to explain itself."""

    post_key: tuple[str, str]
    flagged: bool
    category: str | None
    severity: str | None
    score: float | None
    matches: tuple[Match, ...]
    scores: dict[str, float]
    versions: dict[str, str]
    stage: str | None = None
    route: str | None = None
    #: why rules were set aside or the model flagged alone, in words a reviewer can read
    notes: tuple[str, ...] = ()
