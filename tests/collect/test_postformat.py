"""monitor.collect.postformat: the JSONL post format, one JSON object per line.

A malformed line gives located problems (line, and column where JSON says it) and never a
post; a good line gives a Post whose payload is the exact line."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from monitor.collect.postformat import parse_post, read_posts
from monitor.domain import Post
from monitor.errors import Problem
from tests.conftest import post_line, write_lines

WIB = timezone(timedelta(hours=7))


def record(**changes: Any) -> str:
    """A good line with keys changed; ``...`` removes a key."""
    data: dict[str, Any] = json.loads(post_line("1", "Selamat pagi"))
    for key, value in changes.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    return json.dumps(data, ensure_ascii=False)


def problems_of(line: str) -> list[Problem]:
    result = parse_post(line, path="posts.jsonl", lineno=7)
    assert isinstance(result, list), f"expected problems, got {result!r}"
    return result


def post_of(line: str) -> Post:
    result = parse_post(line, path="posts.jsonl", lineno=7)
    assert isinstance(result, Post), f"expected a post, got {result!r}"
    return result


# --- good lines --------------------------------------------------------------------------


def test_a_minimal_line() -> None:
    line = post_line("1830383324100912216", "Senin pagi upacara dulu ☀️", author="@agus_stwn")
    post = post_of(line)
    assert (post.platform, post.post_id, post.author) == ("x", "1830383324100912216", "@agus_stwn")
    assert post.text == "Senin pagi upacara dulu ☀️"
    assert post.created_at == datetime(2024, 10, 1, 8, 0, tzinfo=WIB)
    assert post.created_at.utcoffset() == timedelta(hours=7)
    assert (post.url, post.shared_from, post.media) == (None, None, ())
    assert post.raw == {"raw": None, "extra": {}}
    assert post.cursor is None


def test_every_optional_key() -> None:
    line = post_line(
        "CTgM2l_8a6c",
        "Perekaman KTP-el",
        platform="instagram",
        url="https://www.instagram.com/p/CTgM2l_8a6c/",
        shared_from="@dukcapil",
        media=["https://media.example/1.jpg", "https://media.example/2.jpg"],
        raw={"like_count": 12, "lang": "in"},
    )
    post = post_of(line)
    assert post.url == "https://www.instagram.com/p/CTgM2l_8a6c/"
    assert post.shared_from == "@dukcapil"
    assert post.media == ("https://media.example/1.jpg", "https://media.example/2.jpg")
    assert post.raw == {"raw": {"like_count": 12, "lang": "in"}, "extra": {}}


def test_unknown_keys_are_kept() -> None:
    line = record(likes=5, lang="id", source={"tool": "exporter", "v": 2})
    post = post_of(line)
    assert post.raw["extra"] == {"likes": 5, "lang": "id", "source": {"tool": "exporter", "v": 2}}
    assert '"source"' in post.payload  # and in the evidence itself


@pytest.mark.parametrize(
    ("line_end", "payload_end"),
    [("", ""), ("\n", ""), ("\r\n", ""), ("  ", "  ")],
    ids=["none", "lf", "crlf", "trailing-spaces"],
)
def test_the_payload_is_the_exact_line(line_end: str, payload_end: str) -> None:
    # key order, spacing and escapes as written: the evidence is the bytes received
    line = '{"text": "Halo\\u0020semua",  "id":"9", "platform":"X", "author":"@b",'
    line += '"created_at":"2024-10-01T08:00:00+07:00", "extra": 1.50}'
    post = post_of(line + line_end)
    assert post.payload == line + payload_end
    assert post.sha256 == hashlib.sha256((line + payload_end).encode("utf-8")).hexdigest()
    assert post.text == "Halo semua"
    assert post.platform == "x"


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2024-10-01T08:00:00+07:00", datetime(2024, 10, 1, 1, 0, tzinfo=UTC)),
        ("2024-10-01T01:00:00Z", datetime(2024, 10, 1, 1, 0, tzinfo=UTC)),
        ("2024-10-01T01:00:00+00:00", datetime(2024, 10, 1, 1, 0, tzinfo=UTC)),
        ("2024-10-01T10:00:00.250+09:00", datetime(2024, 10, 1, 1, 0, 0, 250000, tzinfo=UTC)),
        ("2024-10-01 08:00:00+07:00", datetime(2024, 10, 1, 1, 0, tzinfo=UTC)),
    ],
    ids=["wib", "zulu", "utc", "wit-fraction", "space"],
)
def test_created_at_with_an_offset(created_at: str, expected: datetime) -> None:
    post = post_of(record(created_at=created_at))
    assert post.created_at == expected
    assert post.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("written", "expected"),
    [("1830383324100912216", "1830383324100912216"), (1830383324100912216, "1830383324100912216")],
    ids=["string", "integer"],
)
def test_ids_are_text(written: str | int, expected: str) -> None:
    assert post_of(record(id=written)).post_id == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [("twitter", "x"), ("X", "x"), ("fb", "facebook"), ("IG", "instagram"), ("yt", "youtube")],
)
def test_platform_aliases(written: str, expected: str) -> None:
    assert post_of(record(platform=written)).platform == expected


def test_empty_text_is_a_post() -> None:
    # a photo-only post has no caption; it is still evidence
    assert post_of(record(text="")).text == ""


# --- malformed lines ----------------------------------------------------------------------

#: line -> [(column, code, words in the message)], one entry per problem
MALFORMED = {
    "bad-json": ('{"id": "1", "text": ', [(21, "bad-json", ["JSON tidak valid"])]),
    "bad-json-column": ('{"id": "1",, "x": 2}', [(12, "bad-json", ["JSON"])]),
    "truncated": (record()[:-5], [(None, "bad-json", ["JSON"])]),
    "single-quotes": ("{'id': '1'}", [(2, "bad-json", ["JSON"])]),
    "trailing-garbage": (record() + " x", [(None, "bad-json", ["JSON"])]),
    "bom-not-on-line-1": ("\ufeff" + record(), [(1, "bad-json", ["BOM"])]),
    "array": ("[1, 2, 3]", [(1, "not-object", ["objek"])]),
    "string": ('"halo"', [(1, "not-object", ["objek"])]),
    "number": ("42", [(1, "not-object", ["objek"])]),
    "null": ("null", [(1, "not-object", ["objek"])]),
    "missing-id": (record(id=...), [(0, "bad-post", ["id", "wajib"])]),
    "missing-text": (record(text=...), [(0, "bad-post", ["text", "wajib"])]),
    "missing-three": (
        record(id=..., author=..., created_at=...),
        [
            (0, "bad-post", ["'id'", "wajib"]),
            (0, "bad-post", ["'author'", "wajib"]),
            (0, "bad-post", ["'created_at'", "wajib"]),
        ],
    ),
    "empty-object": ("{}", [(0, "bad-post", ["wajib"])] * 5),
    "naive-time": (
        record(created_at="2024-10-01T08:00:00"),
        [(0, "bad-post", ["created_at", "zona waktu", "+07:00"])],
    ),
    "date-only": (record(created_at="2024-10-01"), [(0, "bad-post", ["zona waktu"])]),
    "not-a-time": (record(created_at="kemarin sore"), [(0, "bad-post", ["ISO 8601"])]),
    "time-not-text": (record(created_at=True), [(0, "bad-post", ["created_at", "ISO 8601"])]),
    "bad-platform": (record(platform="friendster"), [(0, "bad-post", ["friendster"])]),
    "platform-not-text": (record(platform=5), [(0, "bad-post", ["platform", "teks"])]),
    "media-not-a-list": (
        record(media="https://media.example/1.jpg"),
        [(0, "bad-post", ["media", "daftar"])],
    ),
    "media-item-not-text": (record(media=[{"url": "x"}]), [(0, "bad-post", ["media", "teks"])]),
    "id-float": (record(id=1.5), [(0, "bad-post", ["id", "teks"])]),
    "id-bool": (record(id=True), [(0, "bad-post", ["id", "teks"])]),
    "id-empty": (record(id=""), [(0, "bad-post", ["id", "kosong"])]),
    "author-empty": (record(author=""), [(0, "bad-post", ["author", "kosong"])]),
    "text-null": (record(text=None), [(0, "bad-post", ["text", "teks"])]),
    "url-not-text": (record(url=["a"]), [(0, "bad-post", ["url", "teks"])]),
}


@pytest.mark.parametrize(("line", "expected"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_line_gives_located_problems(
    line: str, expected: list[tuple[int | None, str, list[str]]]
) -> None:
    problems = problems_of(line)
    assert len(problems) == len(expected), problems
    for problem, (col, code, words) in zip(problems, expected, strict=True):
        assert (problem.path, problem.line, problem.code) == ("posts.jsonl", 7, code)
        if col is not None:
            assert problem.col == col
        assert problem.severity == "error"
        assert str(problem).startswith("posts.jsonl:7")
        for word in words:
            assert word in problem.message, (word, problem.message)
        assert "should" not in problem.message  # Indonesian, not pydantic's English


# --- files -----------------------------------------------------------------------------------


def read(path: Path) -> list[tuple[int, Post | list[Problem]]]:
    return list(read_posts(path))


def test_read_posts_numbers_lines_and_skips_blank_ones(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "posts.jsonl",
        [post_line("1", "satu"), "", "   ", post_line("2", "dua"), "\t", post_line("3", "tiga")],
    )
    result = read(path)
    assert [(n, item.post_id) for n, item in result if isinstance(item, Post)] == [
        (1, "1"),
        (4, "2"),
        (6, "3"),
    ]
    assert len(result) == 3


def test_read_posts_reports_bad_lines_and_keeps_going(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "posts.jsonl",
        [
            post_line("1", "satu"),
            "{rusak",
            post_line("2", "dua", created_at="2024-10-01T08:00:00"),
            post_line("3", "tiga"),
        ],
    )
    result = read(path)
    posts = [(n, p.post_id) for n, p in result if isinstance(p, Post)]
    problems = [p for _, item in result if isinstance(item, list) for p in item]
    assert posts == [(1, "1"), (4, "3")]
    assert [(p.path, p.line, p.code) for p in problems] == [
        (str(path), 2, "bad-json"),
        (str(path), 3, "bad-post"),
    ]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_json_columns_count_on_the_line_itself(tmp_path: Path, newline: bytes) -> None:
    # an error at the end of a line is at its end, not at "line 2, column 1" of the newline
    lines = ['{"id": "9", "platform": "x"', "{rusak", '{"a": 1,, "b": 2}']
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"".join(line.encode() + newline for line in lines))
    problems = [p for _, item in read(path) if isinstance(item, list) for p in item]
    assert [(p.line, p.col, p.code) for p in problems] == [
        (1, 28, "bad-json"),
        (2, 2, "bad-json"),
        (3, 9, "bad-json"),
    ]


def test_a_bom_on_line_1_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    line = post_line("1", "satu")
    path.write_bytes(b"\xef\xbb\xbf" + line.encode("utf-8") + b"\n")
    [(lineno, post)] = read(path)
    assert lineno == 1
    assert isinstance(post, Post)
    assert post.payload == line


def test_a_line_that_is_not_utf8_is_reported_with_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    good = post_line("1", "satu").encode()
    bad = b'{"id": "2", "text": "caf\xe9"}'
    path.write_bytes(good + b"\n" + bad + b"\n" + post_line("3", "tiga").encode() + b"\n")
    result = read(path)
    assert [n for n, _ in result] == [1, 2, 3]
    [problem] = result[1][1]  # type: ignore[misc]
    assert (problem.line, problem.col, problem.code) == (2, bad.index(b"\xe9") + 1, "encoding")
    assert "UTF-8" in problem.message
    assert isinstance(result[2][1], Post)


def test_crlf_files_give_the_same_payloads(tmp_path: Path) -> None:
    lines = [post_line("1", "satu"), post_line("2", "dua")]
    lf = write_lines(tmp_path / "lf.jsonl", lines)
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(b"".join(line.encode() + b"\r\n" for line in lines))
    assert [p.payload for _, p in read(lf)] == [p.payload for _, p in read(crlf)] == lines  # type: ignore[union-attr]


def test_a_line_separator_inside_text_does_not_split_the_line(tmp_path: Path) -> None:
    # U+2028 and U+0085 are line breaks to str.splitlines, not to JSONL
    path = write_lines(tmp_path / "posts.jsonl", [post_line("1", "satu\u2028dua\x85tiga")])
    [(lineno, post)] = read(path)
    assert lineno == 1
    assert isinstance(post, Post)
    assert post.text == "satu\u2028dua\x85tiga"
