"""Candidate registries: one YAML file per election, written by operators.

A file holds ``election:`` (id, name, region, level, timezone, calendar, and optionally the
``province`` a kabupaten/kota belongs to and ``aliases``, other spellings of the region) and
``pairs:``, the candidate pairs with the words that refer to them. Several files load at
once: a Pilkada elects a governor and a bupati/wali kota on the same day.

``load_registry`` reports every problem with ``path:line:col``, like the rule loader; the
checks that span several items (pair numbers, references two pairs share, region names two
elections claim, election ids two files use) are made there, where the file's positions are
known.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from monitor.errors import InputError, Problem, YamlError
from monitor.rules.loader import rule_files
from monitor.settings import known_timezone
from monitor.yamlfile import Loc, YamlDocument, load_yaml, validation_problems

Level = Literal["nasional", "provinsi", "kabupaten", "kota"]
ReferenceKind = Literal[
    "name",
    "short_name",
    "nickname",
    "tagline",
    "hashtag",
    "account_official",
    "account_winning_team",
    "gesture",
]
REFERENCE_KINDS: tuple[ReferenceKind, ...] = get_args(ReferenceKind)

#: How each kind of reference reads in a problem message.
_KIND_LABELS: dict[str, str] = {
    "name": "nama",
    "short_name": "nama pendek",
    "nickname": "julukan",
    "tagline": "tagline",
    "hashtag": "tagar",
    "account_official": "akun resmi",
    "account_winning_team": "akun tim pemenangan",
    "gesture": "gestur",
}

_ELECTION_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The calendar's dates, in the order they must come.
CALENDAR_ORDER = ("candidates_named", "campaign_start", "campaign_end", "quiet_start", "vote")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _text(value: object) -> str:
    if value is None:
        raise ValueError("tidak boleh kosong")
    if isinstance(value, bool):  # the YAML loader adds which word (no, on, yes) to quote
        raise ValueError(f"{value!r} bukan teks")
    if not isinstance(value, str):
        raise ValueError(f"{value!r} bukan teks; beri tanda kutip")
    text = value.strip()
    if not text:
        raise ValueError("tidak boleh kosong")
    return text


def _prefixed(sign: str, what: str, example: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value.startswith(sign):
            raise ValueError(f"{what} {value!r} harus diawali '{sign}' (contoh: {example})")
        if len(value) == 1 or any(ch.isspace() for ch in value):
            raise ValueError(f"{what} {value!r} harus satu kata tanpa spasi (contoh: {example})")
        return value

    return AfterValidator(check)


def _election_id(value: str) -> str:
    if not _ELECTION_ID.fullmatch(value):
        raise ValueError(
            f"id pemilihan {value!r} hanya boleh huruf kecil, angka, dan tanda hubung "
            "(contoh: pilbup-sukamaju-2024)"
        )
    return value


def _date(value: object) -> object:
    """A YAML date (``2024-09-22`` unquoted); a quoted ``"2024-09-22"`` is accepted too."""
    if isinstance(value, datetime):
        raise ValueError("harus berupa tanggal saja (YYYY-MM-DD), tanpa jam")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"tanggal {value!r} tidak ada di kalender") from None
    raise ValueError("harus berupa tanggal YYYY-MM-DD")


Text = Annotated[str, BeforeValidator(_text)]
Hashtag = Annotated[str, BeforeValidator(_text), _prefixed("#", "tagar", "#HeStiMenang")]
Handle = Annotated[str, BeforeValidator(_text), _prefixed("@", "akun", "@hesti.official")]
ElectionId = Annotated[str, BeforeValidator(_text), AfterValidator(_election_id)]
YamlDate = Annotated[date, BeforeValidator(_date)]


class Calendar(_Strict):
    """The stages' dates, as calendar days in the election's timezone."""

    candidates_named: YamlDate
    campaign_start: YamlDate
    campaign_end: YamlDate
    quiet_start: YamlDate
    vote: YamlDate

    @field_validator("campaign_start", "campaign_end", "quiet_start", "vote")
    @classmethod
    def _in_order(cls, value: date, info: ValidationInfo) -> date:
        name = str(info.field_name)
        index = CALENDAR_ORDER.index(name)
        # compare with the nearest earlier date that is itself valid
        for previous in reversed(CALENDAR_ORDER[:index]):
            if previous not in info.data:
                continue
            before: date = info.data[previous]
            # the quiet period starts the day after the campaign ends, at the earliest
            strict = CALENDAR_ORDER.index(previous) <= 2 < index
            if strict and value <= before:
                raise ValueError(f"{name} ({value}) harus sesudah {previous} ({before})")
            if value < before:
                raise ValueError(f"{name} ({value}) tidak boleh sebelum {previous} ({before})")
            break
        return value


class Accounts(_Strict):
    #: The pair's own accounts: following them to learn the programme is allowed.
    official: list[Handle] = Field(default_factory=list)
    #: Winning-team (tim pemenangan, relawan) accounts: the SKB bans joining/following them.
    winning_team: list[Handle] = Field(default_factory=list)


@dataclass(frozen=True)
class Reference:
    """One word or sign that refers to a pair, for the detection engine to compile."""

    kind: ReferenceKind
    text: str
    pair_number: int
    election_id: str


class Pair(_Strict):
    number: int = Field(strict=True, ge=1)
    head: Text
    deputy: Text
    #: Weaker name references, e.g. "Hendra", "Bu Siti".
    short_names: list[Text] = Field(default_factory=list)
    nicknames: list[Text] = Field(default_factory=list)
    taglines: list[Text] = Field(default_factory=list)
    hashtags: list[Hashtag] = Field(default_factory=list)
    coalition: list[Text] = Field(default_factory=list)
    incumbent: bool = Field(default=False, strict=True)
    gesture: Text | None = None
    accounts: Accounts = Field(default_factory=Accounts)

    def located_terms(self) -> Iterator[tuple[Loc, ReferenceKind, str]]:
        """Every reference term with its key path inside the pair, in file order."""
        yield ("head",), "name", self.head
        yield ("deputy",), "name", self.deputy
        lists: tuple[tuple[str, ReferenceKind, list[str]], ...] = (
            ("short_names", "short_name", self.short_names),
            ("nicknames", "nickname", self.nicknames),
            ("taglines", "tagline", self.taglines),
            ("hashtags", "hashtag", self.hashtags),
        )
        for key, kind, terms in lists:
            for i, term in enumerate(terms):
                yield (key, i), kind, term
        for i, handle in enumerate(self.accounts.official):
            yield ("accounts", "official", i), "account_official", handle
        for i, handle in enumerate(self.accounts.winning_team):
            yield ("accounts", "winning_team", i), "account_winning_team", handle
        if self.gesture is not None:
            yield ("gesture",), "gesture", self.gesture

    def references(self, election_id: str) -> list[Reference]:
        """The pair's reference terms by kind, each (kind, text) once, in file order."""
        seen: set[tuple[str, str]] = set()
        found: list[Reference] = []
        for _, kind, text in self.located_terms():
            if (kind, text) not in seen:
                seen.add((kind, text))
                found.append(Reference(kind, text, self.number, election_id))
        return found


class ElectionInfo(_Strict):
    """The ``election:`` block of a registry file."""

    id: ElectionId = Field(max_length=100)
    name: Text
    region: Text
    #: The province a kabupaten/kota belongs to (links it to the provincial race).
    province: Text | None = None
    #: Other spellings of the region, e.g. "Kab. Sukamaju".
    aliases: list[Text] = Field(default_factory=list)
    level: Level
    timezone: str
    calendar: Calendar

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return known_timezone(value)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class RegistryFile(_Strict):
    """One registry file as written: ``election:`` and ``pairs:``."""

    election: ElectionInfo
    pairs: list[Pair] = Field(min_length=1)


class Election(ElectionInfo):
    """An election and its pairs: the ``election:`` block with ``pairs`` added."""

    pairs: list[Pair] = Field(min_length=1)

    @classmethod
    def from_file(cls, parsed: RegistryFile) -> Election:
        return cls.model_validate({**dict(parsed.election), "pairs": parsed.pairs})

    def pair(self, number: int) -> Pair | None:
        return next((p for p in self.pairs if p.number == number), None)

    def references(self) -> list[Reference]:
        return [ref for pair in self.pairs for ref in pair.references(self.id)]


def fold(text: str) -> str:
    """Region names compare case-insensitively with whitespace collapsed."""
    return " ".join(text.casefold().split())


def _fold_term(text: str) -> str:
    # "☝️" and "☝" are the same gesture; "HeSti" and "hesti" the same nickname
    return fold(text.replace("\ufe0f", ""))


_EMPTY_VERSION = hashlib.sha256().hexdigest()


@dataclass(frozen=True)
class Registry:
    """Every loaded election. ``version`` is a SHA-256 over the files' bytes."""

    elections: tuple[Election, ...]
    files: tuple[Path, ...] = ()
    version: str = _EMPTY_VERSION
    _canonical: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        canonical: dict[str, str] = {}
        for election in self.elections:
            canonical.setdefault(fold(election.region), fold(election.region))
        for election in self.elections:
            for alias in election.aliases:
                canonical.setdefault(fold(alias), fold(election.region))
        object.__setattr__(self, "_canonical", canonical)

    @classmethod
    def empty(cls) -> Registry:
        return cls(())

    def election(self, election_id: str) -> Election | None:
        return next((e for e in self.elections if e.id == election_id), None)

    def references(self) -> list[Reference]:
        return [ref for election in self.elections for ref in election.references()]

    def _region(self, name: str) -> str:
        key = fold(name)
        return self._canonical.get(key, key)

    def elections_for(self, region: str | None) -> list[Election]:
        """The elections a post by an author from ``region`` is checked against.

        An election matches when it is held in the region, when the region is the
        election's province (provincial staff: every race in the province), or when it is
        the provincial race of the region's kabupaten/kota. A national election matches
        every known region, and national staff are checked against everything. With no
        region, or one no election knows, every election is returned."""
        if region is None or not region.strip():
            return list(self.elections)
        where = self._region(region)
        national = [e for e in self.elections if e.level == "nasional"]
        if any(self._region(e.region) == where for e in national):
            return list(self.elections)
        provinces = {
            self._region(e.province)
            for e in self.elections
            if e.province is not None and self._region(e.region) == where
        }
        local = [
            e
            for e in self.elections
            if e.level != "nasional"
            and (
                self._region(e.region) in provinces | {where}
                or (e.province is not None and self._region(e.province) == where)
            )
        ]
        if not local:
            return list(self.elections)
        chosen = {id(e) for e in local}
        return [e for e in self.elections if id(e) in chosen or e.level == "nasional"]


def load_registry(paths: Iterable[Path]) -> Registry:
    """Load every registry file (files, or directories of ``*.yaml``/``*.yml``); raise
    InputError with all problems if any. Nothing is half-loaded."""
    files = rule_files(paths)
    problems: list[Problem] = []
    elections: list[Election] = []
    ids: dict[str, str] = {}
    regions: dict[str, tuple[str, str]] = {}  # folded name -> (folded region, where)
    digest = hashlib.sha256()
    for path in files:
        try:
            doc = load_yaml(path)
        except YamlError as exc:
            problems.extend(exc.problems)
            continue
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
        if doc.data is None:
            problems.append(Problem(str(path), 0, 0, "berkas daftar calon kosong", "empty-file"))
            continue
        try:
            parsed = RegistryFile.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(validation_problems(doc, exc))
            continue
        found = _pair_problems(doc, parsed.pairs)
        info = parsed.election
        if info.id in ids:
            found.append(
                doc.problem(
                    ("election", "id"),
                    f"id pemilihan {info.id!r} ganda (pertama di {ids[info.id]})",
                    "duplicate-election-id",
                )
            )
        else:
            ids[info.id] = _where(doc, ("election", "id"))
        found.extend(_region_problems(doc, info, regions))
        problems.extend(found)
        if not found:
            elections.append(Election.from_file(parsed))
    if problems:
        raise InputError(problems)
    return Registry(tuple(elections), tuple(files), digest.hexdigest())


def _where(doc: YamlDocument, loc: Loc) -> str:
    return f"{doc.path}:{doc.position(loc).line}"


def _pair_problems(doc: YamlDocument, pairs: list[Pair]) -> list[Problem]:
    """Pair numbers used twice, and a term two pairs share (it would be ambiguous)."""
    problems: list[Problem] = []
    numbers: dict[int, int] = {}
    terms: dict[str, tuple[int, int]] = {}  # folded term -> (pair number, line)
    for index, pair in enumerate(pairs):
        loc: Loc = ("pairs", index, "number")
        if pair.number in numbers:
            message = f"nomor urut {pair.number} ganda (pertama di baris {numbers[pair.number]})"
            problems.append(doc.problem(loc, message, "duplicate-pair-number"))
        else:
            numbers[pair.number] = doc.position(loc).line
        for sub, kind, text in pair.located_terms():
            term_loc: Loc = ("pairs", index, *sub)
            key = _fold_term(text)
            owner = terms.get(key)
            if owner is None:
                terms[key] = (pair.number, doc.position(term_loc).line)
            elif owner[0] != pair.number:
                message = (
                    f"{_KIND_LABELS[kind]} {text!r} sudah dipakai paslon nomor {owner[0]} "
                    f"(baris {owner[1]}); rujukan ke paslon jadi ambigu"
                )
                problems.append(doc.problem(term_loc, message, "ambiguous-reference"))
    return problems


def _region_problems(
    doc: YamlDocument, info: ElectionInfo, regions: dict[str, tuple[str, str]]
) -> list[Problem]:
    """A region name or alias that already names another election's region."""
    problems: list[Problem] = []
    own = fold(info.region)
    names: list[tuple[Loc, str]] = [(("election", "region"), info.region)]
    names += [(("election", "aliases", i), alias) for i, alias in enumerate(info.aliases)]
    for loc, name in names:
        owner = regions.get(fold(name))
        if owner is None:
            regions[fold(name)] = (own, _where(doc, loc))
        elif owner[0] != own:
            message = (
                f"nama wilayah {name!r} sudah dipakai untuk wilayah lain ({owner[1]}); "
                "wilayah penulis jadi ambigu"
            )
            problems.append(doc.problem(loc, message, "ambiguous-region"))
    return problems
