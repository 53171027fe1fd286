"""Reads watchlist files. A bad row is reported with its row number (CSV) or line:col
(YAML) and every other row is still read.

CSV: one row per account, a header naming the columns (English or Indonesian names).
YAML: ``persons:``, each with its ``accounts:``.

A person is identified by ``person_id`` when given, else by NIP, else by name + agency, so
one person's accounts on several platforms land on one person.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from monitor.domain import Account, EmploymentType, Person, parse_employment_type, parse_platform
from monitor.errors import Problem, YamlError
from monitor.yamlfile import load_yaml, validation_problems

#: Column names accepted in CSV headers, folded, mapped to the canonical column.
COLUMN_ALIASES = {
    "person_id": "person_id", "id_orang": "person_id", "id": "person_id",
    "name": "name", "nama": "name",
    "nip": "nip",
    "agency": "agency", "instansi": "agency", "opd": "agency",
    "position": "position", "jabatan": "position",
    "region": "region", "wilayah": "region", "daerah": "region",
    "employment_type": "employment_type", "jenis_pegawai": "employment_type",
    "status_kepegawaian": "employment_type", "jenis_kepegawaian": "employment_type",
    "platform": "platform",
    "handle": "handle", "akun": "handle", "username": "handle",
    "url": "url", "tautan": "url",
    "verified": "verified", "terverifikasi": "verified",
    "active": "active", "aktif": "active",
}  # fmt: skip
REQUIRED = ("name", "employment_type", "platform", "handle")
COLUMNS = (
    "person_id", "name", "nip", "agency", "position", "region", "employment_type",
    "platform", "handle", "url", "verified", "active",
)  # fmt: skip

_TRUE = {"true", "ya", "yes", "y", "1", "benar"}
_FALSE = {"false", "tidak", "no", "n", "0", "salah"}


def parse_bool(value: str | bool | None, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or not str(value).strip():
        return default
    folded = str(value).strip().casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueError(f"{value!r} bukan ya/tidak (true/false)")


def clean_nip(value: str | None) -> str | None:
    if value is None:
        return None
    nip = re.sub(r"[\s.]", "", str(value))
    if not nip:
        return None
    if not nip.isdigit() or len(nip) != 18:
        raise ValueError(f"NIP {value!r} harus 18 angka")
    return nip


def person_key(person_id: str | None, nip: str | None, name: str, agency: str) -> str:
    if person_id and person_id.strip():
        return person_id.strip()
    if nip:
        return f"nip:{nip}"
    return f"nama:{name.strip().casefold()}|{agency.strip().casefold()}"


@dataclass(frozen=True)
class Entry:
    """One account of one person, and where it was written."""

    person: Person
    account: Account
    where: Problem  # path/line/col of the row (message unused)


@dataclass
class ParseResult:
    entries: list[Entry]
    problems: list[Problem]


def _row_problem(path: str, line: int, message: str, code: str = "bad-row") -> Problem:
    return Problem(path, line, 0, message, code)


def _shown(value: object) -> object:
    """A value as the person wrote it: 'PNS', not <EmploymentType.PNS: 'pns'>."""
    return value.label if isinstance(value, EmploymentType) else value


def _merge_person(existing: Person, new: Person) -> Person | str:
    """Blank fields inherit; a field given twice with different values is a conflict."""
    merged = {}
    for name in ("name", "nip", "agency", "position", "region", "employment_type"):
        old, cur = getattr(existing, name), getattr(new, name)
        if cur in (None, "") or cur == old:
            merged[name] = old
        elif old in (None, ""):
            merged[name] = cur
        else:
            return (
                f"kolom {name!r} berbeda dengan baris sebelumnya untuk orang "
                f"{existing.key!r}: {_shown(old)!r} lawan {_shown(cur)!r}"
            )
    return replace(existing, **merged)


class _PersonBook:
    """Keeps one Person per key across rows, reporting conflicting rows."""

    def __init__(self) -> None:
        self.persons: dict[str, Person] = {}

    def add(self, person: Person) -> Person | str:
        if person.key not in self.persons:
            self.persons[person.key] = person
            return person
        merged = _merge_person(self.persons[person.key], person)
        if isinstance(merged, Person):
            self.persons[person.key] = merged
        return merged


def _sniff_format(header: str) -> dict[str, Any]:
    """The delimiter (comma, semicolon or tab) and spacing the header line uses.

    Only these are sniffed: the rest is the spreadsheet (RFC 4180) dialect, so a quote
    inside a quoted cell is written twice, as ``export`` writes it. (The sniffer cannot
    tell that from a header line, and its guess would misread such cells.)
    """
    try:
        sniffed = csv.Sniffer().sniff(header, delimiters=",;\t")
    except csv.Error:
        return {}
    return {"delimiter": sniffed.delimiter, "skipinitialspace": sniffed.skipinitialspace}


def parse_csv(path: Path) -> ParseResult:
    text = path.read_text(encoding="utf-8-sig")
    return parse_csv_text(text, str(path))


def parse_csv_text(text: str, path: str) -> ParseResult:
    problems: list[Problem] = []
    entries: list[Entry] = []
    reader = csv.reader(io.StringIO(text), csv.excel, **_sniff_format(text.split("\n", 1)[0]))
    try:
        header = next(reader)
    except StopIteration:
        return ParseResult(
            [], [_row_problem(path, 1, "berkas kosong: baris judul kolom tidak ada", "empty")]
        )
    columns: list[str | None] = []
    for position, name in enumerate(header, start=1):
        folded = name.strip().casefold().replace(" ", "_")
        canonical = COLUMN_ALIASES.get(folded)
        if canonical is None:
            problems.append(
                Problem(
                    path,
                    1,
                    0,
                    f"kolom {position} {name!r} tidak dikenal (kolom: {', '.join(COLUMNS)})",
                    "unknown-column",
                )
            )
        elif canonical in columns:  # e.g. both 'nama' and 'name': which one is meant?
            first = columns.index(canonical) + 1
            problems.append(
                Problem(
                    path,
                    1,
                    0,
                    f"kolom {position} {name!r} ganda: kolom {first} {header[first - 1]!r} "
                    f"sudah berarti {canonical!r}",
                    "duplicate-column",
                )
            )
        columns.append(canonical)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(
            Problem(path, 1, 0, f"kolom wajib tidak ada: {', '.join(missing)}", "missing-column")
        )
    if problems:  # a bad header would misread every row: stop here
        return ParseResult([], problems)
    book = _PersonBook()
    line = reader.line_num
    for row in reader:
        start_line, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            problems.append(
                _row_problem(
                    path,
                    start_line,
                    f"baris {start_line}: {len(row)} kolom, seharusnya {len(columns)}",
                )
            )
            continue
        record = {c: v.strip() for c, v in zip(columns, row, strict=True) if c}
        try:
            entry_person, account = _from_record(record)
        except ValueError as exc:
            problems.append(_row_problem(path, start_line, f"baris {start_line}: {exc}"))
            continue
        merged = book.add(entry_person)
        if isinstance(merged, str):
            problems.append(
                _row_problem(path, start_line, f"baris {start_line}: {merged}", "person-conflict")
            )
            continue
        entries.append(Entry(merged, account, Problem(path, start_line, 0, "", "")))
    return ParseResult(_with_final_persons(entries, book), problems)


def _with_final_persons(entries: list[Entry], book: _PersonBook) -> list[Entry]:
    return [replace(e, person=book.persons[e.person.key]) for e in entries]


def _from_record(record: dict[str, str]) -> tuple[Person, Account]:
    for column in REQUIRED:
        if not record.get(column):
            raise ValueError(f"kolom {column!r} kosong")
    try:
        employment = parse_employment_type(record["employment_type"])
    except ValueError as exc:
        raise ValueError(f"kolom 'employment_type': {exc}") from None
    try:
        platform = parse_platform(record["platform"])
    except ValueError as exc:
        raise ValueError(f"kolom 'platform': {exc}") from None
    try:
        nip = clean_nip(record.get("nip"))
    except ValueError as exc:
        raise ValueError(f"kolom 'nip': {exc}") from None
    try:
        verified = parse_bool(record.get("verified"), False)
        active = parse_bool(record.get("active"), True)
    except ValueError as exc:
        raise ValueError(f"kolom verified/active: {exc}") from None
    name, agency = record["name"], record.get("agency", "")
    key = person_key(record.get("person_id"), nip, name, agency)
    person = Person(
        key=key,
        name=name,
        employment_type=employment,
        agency=agency,
        position=record.get("position", ""),
        region=record.get("region", ""),
        nip=nip,
    )
    handle = record["handle"]
    account = Account(
        platform=platform,
        handle=handle if handle.startswith("@") or platform == "youtube" else f"@{handle}",
        person_key=key,
        url=record.get("url") or None,
        verified=verified,
        active=active,
    )
    return person, account


def _not_blank(value: str, key: str) -> str:
    # a validator, not min_length: pydantic's own message for that is English
    if not value.strip():
        raise ValueError(f"{key!r} tidak boleh kosong")
    return value.strip()


class _AccountModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platform: str
    handle: str
    url: str | None = None
    verified: bool = False
    active: bool = True

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str) -> str:
        return parse_platform(value)

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str) -> str:
        return _not_blank(value, "handle")


class _PersonModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    name: str
    nip: str | None = None
    agency: str = ""
    position: str = ""
    region: str = ""
    employment_type: str
    accounts: list[_AccountModel]

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _not_blank(value, "name")

    @field_validator("accounts")
    @classmethod
    def _some_account(cls, value: list[_AccountModel]) -> list[_AccountModel]:
        if not value:
            raise ValueError("'accounts' kosong: tulis paling sedikit satu akun")
        return value

    @field_validator("nip", mode="before")
    @classmethod
    def _nip(cls, value: Any) -> str | None:
        return clean_nip(None if value is None else str(value))

    @field_validator("employment_type")
    @classmethod
    def _employment(cls, value: str) -> str:
        return parse_employment_type(value).value


def parse_yaml(path: Path) -> ParseResult:
    try:
        doc = load_yaml(path)
    except YamlError as exc:
        return ParseResult([], list(exc.problems))
    data = doc.data
    if (
        not isinstance(data, dict)
        or set(data) != {"persons"}
        or not isinstance(data["persons"], list)
    ):
        return ParseResult(
            [],
            [
                doc.problem(
                    (),
                    "watchlist YAML harus berisi satu kunci 'persons:' berupa daftar",
                    "bad-shape",
                )
            ],
        )
    problems: list[Problem] = []
    entries: list[Entry] = []
    book = _PersonBook()
    for index, item in enumerate(data["persons"]):
        loc = ("persons", index)
        try:
            model = _PersonModel.model_validate(item)
        except ValidationError as exc:
            problems.extend(validation_problems(doc, exc, loc))
            continue
        person = Person(
            key=person_key(model.id, model.nip, model.name, model.agency),
            name=model.name,
            employment_type=EmploymentType(model.employment_type),
            agency=model.agency,
            position=model.position,
            region=model.region,
            nip=model.nip,
        )
        merged = book.add(person)
        if isinstance(merged, str):
            problems.append(doc.problem(loc, merged, "person-conflict"))
            continue
        for a_index, acc in enumerate(model.accounts):
            handle = (
                acc.handle
                if acc.handle.startswith("@") or acc.platform == "youtube"
                else f"@{acc.handle}"
            )
            pos = doc.position((*loc, "accounts", a_index))
            account = Account(acc.platform, handle, person.key, acc.url, acc.verified, acc.active)
            entries.append(Entry(merged, account, Problem(doc.path, pos.line, pos.col, "", "")))
    return ParseResult(_with_final_persons(entries, book), problems)


def parse_file(path: Path) -> ParseResult:
    """CSV or YAML by extension."""
    if path.suffix.casefold() in (".yaml", ".yml"):
        return parse_yaml(path)
    try:
        return parse_csv(path)
    except UnicodeDecodeError as exc:
        return ParseResult(
            [], [Problem(str(path), 0, 0, f"berkas bukan UTF-8 ({exc.reason})", "encoding")]
        )
    except FileNotFoundError:
        return ParseResult([], [Problem(str(path), 0, 0, "berkas tidak ditemukan", "not-found")])
    except OSError as exc:
        return ParseResult([], [Problem(str(path), 0, 0, f"tidak bisa dibaca: {exc}", "io")])
