"""The JSONL post format: one JSON object per line.

Keys: ``id`` (string, unique per platform), ``platform``, ``author`` (handle), ``text``,
``created_at`` (ISO 8601 with an offset; a naive time is an error), optional ``url``,
``shared_from``, ``media`` (list of URLs) and ``raw`` (anything). Unknown keys are kept:
the exact line is stored as the evidence payload, and they are also in ``Post.raw``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.domain import Post, parse_platform
from monitor.errors import Problem

KNOWN_KEYS = (
    "id",
    "platform",
    "author",
    "text",
    "created_at",
    "url",
    "shared_from",
    "media",
    "raw",
)


class PostRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    platform: str
    author: str = Field(min_length=1)
    text: str
    created_at: AwareDatetime
    url: str | None = None
    shared_from: str | None = None
    media: list[str] = Field(default_factory=list)
    raw: Any = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        # numeric ids from exports are accepted; JSON floats are not (they lose digits)
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str) -> str:
        return parse_platform(value)

    @field_validator("created_at", mode="before")
    @classmethod
    def _offset_required(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(
                    f"created_at {value!r} bukan waktu ISO 8601 (contoh: 2024-10-01T08:00:00+07:00)"
                ) from None
            if parsed.tzinfo is None:
                raise ValueError(
                    f"created_at {value!r} tanpa zona waktu; tulis offsetnya, mis. +07:00 untuk WIB"
                )
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                f"created_at {value!r} harus teks ISO 8601 (contoh: 2024-10-01T08:00:00+07:00), "
                "bukan angka detik"
            )
        return value


def _message(error: dict[str, Any]) -> str:
    field = ".".join(str(p) for p in error["loc"]) or "baris"
    kind = error["type"]
    if kind == "missing":
        return f"kunci wajib {field!r} tidak ada"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "string_type":
        return f"{field!r} harus berupa teks"
    if kind == "list_type":
        return f"{field!r} harus berupa daftar"
    if kind == "string_too_short":
        return f"{field!r} tidak boleh kosong"
    if kind.startswith("datetime_"):
        return f"{field!r} harus berupa waktu ISO 8601 dengan zona waktu (+07:00 untuk WIB)"
    if kind == "timezone_aware":
        return f"{field!r} tanpa zona waktu; tulis offsetnya, mis. +07:00 untuk WIB"
    return f"{field!r}: {error['msg']}"


def parse_post(line: str, *, path: str = "<baris>", lineno: int = 0) -> Post | list[Problem]:
    """Parse one line; return the Post, or every problem of that line."""
    line = line.rstrip("\r\n")  # with the newline, an error at the end would be "line 2, col 1"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return [Problem(path, lineno, exc.pos + 1, f"JSON tidak valid: {exc.msg}", "bad-json")]
    if not isinstance(data, dict):
        return [
            Problem(path, lineno, 1, "setiap baris harus berupa objek JSON {...}", "not-object")
        ]
    try:
        record = PostRecord.model_validate(data)
    except ValidationError as exc:
        return [
            Problem(path, lineno, 0, _message(dict(e)), "bad-post")
            for e in exc.errors(include_url=False)
        ]
    extra = dict(record.model_extra or {})
    return Post(
        platform=record.platform,
        post_id=record.id,
        author=record.author,
        text=record.text,
        created_at=record.created_at,
        payload=line,
        url=record.url,
        shared_from=record.shared_from,
        media=tuple(record.media),
        raw={"raw": record.raw, "extra": extra},
    )


def read_posts(path: Path) -> Iterator[tuple[int, Post | list[Problem]]]:
    """Yield ``(line number, Post or problems)`` for every non-blank line of a JSONL file.

    A line that is not valid UTF-8 is reported, not fatal."""
    with path.open("rb") as handle:
        for lineno, raw_line in enumerate(handle, start=1):
            try:
                line = raw_line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, [Problem(str(path), lineno, exc.start + 1, "bukan UTF-8", "encoding")]
                continue
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip():
                continue
            yield lineno, parse_post(line, path=str(path), lineno=lineno)
