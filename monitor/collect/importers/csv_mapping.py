"""CSV exports as posts, with a mapping from our fields to the file's column names.

The file is UTF-8 (with or without BOM); cells are separated by ``,`` ``;`` or a tab (the
one that splits the header line best); the first line names the columns. The mapping
comes from ``--map FIELD=COLUMN`` options and/or a YAML file::

    columns: {id: ID Unggahan, author: Akun, text: Isi, created_at: Waktu, url: Tautan}
    platform: facebook            # unless a platform column says otherwise
    timezone: Asia/Jakarta        # for times without an offset
    date_format: "%d/%m/%Y %H:%M" # strptime; ISO 8601 when absent

Line numbers are physical lines (the header is line 1). The payload of a row is the JSON
object ``{header: cell}``. A mapping that names a column the file lacks stops the import
before any row is read; a bad row is reported with its line and column name and skipped.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from monitor.collect.submit import url_post_id
from monitor.domain import Post, parse_platform
from monitor.errors import InputError, Problem, YamlError
from monitor.settings import known_timezone
from monitor.yamlfile import load_yaml, validation_problems

Record = tuple[int, Post | list[Problem]]


#: Our fields a CSV column can be mapped to.
FIELDS = ("id", "platform", "author", "text", "created_at", "url", "shared_from", "media")
REQUIRED = ("text", "created_at", "author")


@dataclass(frozen=True)
class CsvMapping:
    """Which column holds which field, and how to read what the columns do not say."""

    columns: Mapping[str, str]
    #: the platform of every row, unless a ``platform`` column says otherwise
    platform: str | None = None
    #: naive times are read in this zone
    timezone: str = "Asia/Jakarta"
    #: ``strptime`` format of ``created_at``; ISO 8601 when empty
    date_format: str | None = None


class _Columns(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    platform: str | None = None
    author: str | None = None
    text: str | None = None
    created_at: str | None = None
    url: str | None = None
    shared_from: str | None = None
    media: str | None = None


class _MappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    columns: _Columns = _Columns()
    platform: str | None = None
    timezone: str | None = None
    date_format: str | None = None

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str | None) -> str | None:
        return None if value is None else parse_platform(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else known_timezone(value)

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError(f"format tanggal {value!r} tanpa kode %, mis. '%d/%m/%Y %H:%M'")
        return value


def _mapping_file(path: Path, problems: list[Problem]) -> _MappingFile | None:
    try:
        doc = load_yaml(path)
    except YamlError as exc:
        problems.extend(exc.problems)
        return None
    if not isinstance(doc.data, dict):
        message = "berkas pemetaan harus berupa pemetaan, mis. 'columns: {text: Isi}'"
        problems.append(doc.problem((), message, "not-mapping"))
        return None
    try:
        return _MappingFile.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(validation_problems(doc, exc))
        return None


def load_mapping(
    *,
    mapping_file: Path | None = None,
    maps: Sequence[str] = (),
    platform: str | None = None,
    timezone: str | None = None,
    date_format: str | None = None,
    default_timezone: str = "Asia/Jakarta",
) -> CsvMapping:
    """The mapping from a YAML file and/or ``--map FIELD=COLUMN`` options (the options
    win), checked whole: InputError with every problem, located."""
    problems: list[Problem] = []
    columns: dict[str, str] = {}
    loaded = _mapping_file(mapping_file, problems) if mapping_file else None
    if loaded is not None:
        columns.update(loaded.columns.model_dump(exclude_none=True))
    given: set[str] = set()
    for item in maps:
        field, sep, column = (part.strip() for part in item.partition("="))
        if not sep or not field or not column:
            message = f"{item!r}: tulis BIDANG=KOLOM, mis. --map 'text=Isi Unggahan'"
            problems.append(Problem("--map", 0, 0, message, "bad-map"))
        elif field not in FIELDS:
            message = f"bidang {field!r} tidak dikenal (pilihan: {', '.join(FIELDS)})"
            problems.append(Problem("--map", 0, 0, message, "bad-map"))
        elif field in given:
            problems.append(
                Problem("--map", 0, 0, f"bidang {field!r} dipetakan dua kali", "bad-map")
            )
        else:
            given.add(field)
            columns[field] = column
    for option, value, check in (
        ("--platform", platform, parse_platform),
        ("--timezone", timezone, known_timezone),
    ):
        if value is not None:
            try:
                check(value)
            except ValueError as exc:
                problems.append(Problem(option, 0, 0, str(exc), "bad-option"))
    where = str(mapping_file) if mapping_file else "--map"
    if not problems:
        missing = [f for f in REQUIRED if f not in columns]
        if missing:
            message = f"bidang wajib belum dipetakan: {', '.join(missing)} (--map BIDANG=KOLOM)"
            problems.append(Problem(where, 0, 0, message, "missing-map"))
        if "id" not in columns and "url" not in columns:
            message = "petakan kolom id, atau url (id diambil dari URL)"
            problems.append(Problem(where, 0, 0, message, "missing-map"))
        if "platform" not in columns and not platform and not (loaded and loaded.platform):
            message = "platform tidak diketahui: petakan kolom platform atau pakai --platform"
            problems.append(Problem(where, 0, 0, message, "missing-map"))
    if problems:
        raise InputError(problems)
    return CsvMapping(
        columns=columns,
        platform=parse_platform(platform) if platform else (loaded.platform if loaded else None),
        timezone=timezone or (loaded.timezone if loaded else None) or default_timezone,
        date_format=date_format or (loaded.date_format if loaded else None),
    )


def _delimiter(header: str) -> str:
    """The one of ``,`` ``;`` tab that splits the header line into the most cells."""
    return max(",;\t", key=lambda d: len(next(csv.reader([header], delimiter=d), [])))


def _column_index(header: list[str], column: str, field: str) -> int | str:
    """The position of ``column``, exactly or else ignoring case; or why not."""
    exact = [i for i, name in enumerate(header) if name == column]
    loose = exact or [i for i, name in enumerate(header) if name.casefold() == column.casefold()]
    if len(loose) == 1:
        return loose[0]
    if loose:
        return f"kolom {column!r} (untuk {field}) ada {len(loose)} kali di baris judul"
    return f"kolom {column!r} (untuk {field}) tidak ada di berkas; kolomnya: {', '.join(header)}"


def read_csv(path: Path, mapping: CsvMapping) -> Iterator[Record]:
    """Check the header against the mapping (InputError before any row is read), then
    yield every non-blank row as a Post or its problems."""

    def fail(line: int, message: str, code: str) -> InputError:
        return InputError([Problem(str(path), line, 0, message, code)])

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise fail(0, f"tidak bisa dibaca: {exc.strerror}", "io") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = "bukan UTF-8; simpan ulang sebagai 'CSV UTF-8' dari spreadsheet"
        raise fail(line, message, "encoding") from None
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise fail(1, "berkas kosong: baris judul kolom tidak ada", "empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    header = [name.strip() for name in next(reader)]
    index: dict[str, int] = {}
    problems: list[Problem] = []
    for field, column in mapping.columns.items():
        found = _column_index(header, column, field)
        if isinstance(found, str):
            problems.append(Problem(str(path), 1, 0, found, "unknown-column"))
        else:
            index[field] = found
    if problems:
        raise InputError(problems)
    return _rows(reader, str(path), header, index, mapping)


def _rows(
    reader: Any, path: str, header: list[str], index: dict[str, int], mapping: CsvMapping
) -> Iterator[Record]:
    tz = ZoneInfo(mapping.timezone)
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            message = f"baris {start}: {len(row)} kolom, seharusnya {len(header)}"
            yield start, [Problem(path, start, 0, message, "bad-row")]
            continue
        payload = json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False)
        yield start, _row_post(row, start, path, header, index, mapping, tz, payload)


def _row_post(
    row: list[str],
    lineno: int,
    path: str,
    header: list[str],
    index: dict[str, int],
    mapping: CsvMapping,
    tz: ZoneInfo,
    payload: str,
) -> Post | list[Problem]:
    problems: list[Problem] = []

    def cell(field: str) -> str:
        return row[index[field]].strip() if field in index else ""

    def bad(field: str, message: str, code: str = "bad-row") -> None:
        column = f'kolom "{header[index[field]]}"' if field in index else f"({field})"
        where = f"baris {lineno}, {column}"
        problems.append(Problem(path, lineno, 0, f"{where}: {message}", code))

    platform = cell("platform") or mapping.platform or ""
    try:
        platform = parse_platform(platform)
    except ValueError as exc:
        bad("platform", str(exc) if platform else "kosong; isi kolomnya atau pakai --platform")
    author = cell("author").lstrip("@")
    if not author:
        bad("author", "kosong: pengunggah tidak diketahui")
    created_at = None
    value = cell("created_at")
    try:
        created_at = _parse_time(value, mapping.date_format, tz)
    except ValueError:
        expected = mapping.date_format or "ISO 8601 (2024-10-01 08:00 atau 2024-10-01T08:00+07:00)"
        message = f"waktu {value!r} tidak sesuai format {expected}" if value else "kosong"
        bad("created_at", message, "bad-date")
    url = cell("url") or None
    post_id = cell("id")
    if not post_id and url:
        try:
            post_id = url_post_id(url)
        except ValueError as exc:
            bad("url", str(exc))
    elif not post_id:
        bad("id", "kosong, dan tidak ada URL untuk menurunkannya")
    if problems or created_at is None:
        return problems
    return Post(
        platform=platform,
        post_id=post_id,
        author=author if platform == "youtube" else f"@{author}",
        text=cell("text"),
        created_at=created_at,
        payload=payload,
        url=url,
        shared_from=cell("shared_from") or None,
        media=tuple(m for m in re.split(r"[\s|,;]+", cell("media")) if m),
        raw={"line": lineno},
    )


def _parse_time(value: str, date_format: str | None, tz: ZoneInfo) -> datetime:
    if not value:
        raise ValueError("empty")
    parsed = datetime.strptime(value, date_format) if date_format else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)
