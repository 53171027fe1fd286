"""monitor.collect.jsonl and monitor.collect.base: the JSONL collector, the seam tests and
demos use. Its cursor is the line number, so appending to the file and fetching again
after the cursor gives only the new lines."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel, ValidationError

from monitor import plugins
from monitor.collect.base import Collector
from monitor.collect.jsonl import JsonlCollector, JsonlSettings
from monitor.domain import Account, Post
from monitor.errors import CollectError
from tests.conftest import post_line, write_lines

BUDI = Account("x", "@budi", "P01", id=1)
BUDI_IG = Account("instagram", "@budi.ig", "P01", id=2)
SITI = Account("tiktok", "@siti", "P02", id=3)


def make(
    base_dir: Path, path: str | Path = "posts.jsonl", platforms: Sequence[str] = ()
) -> JsonlCollector:
    settings = JsonlSettings.model_validate({"path": str(path), "platforms": list(platforms)})
    return JsonlCollector(settings, instance="uji", base_dir=base_dir)


def fetch(collector: JsonlCollector, account: Account, cursor: str | None = None) -> list[Post]:
    return list(collector.fetch(account, cursor))


def ids_and_cursors(posts: list[Post]) -> list[tuple[str, str | None]]:
    return [(p.post_id, p.cursor) for p in posts]


def append(path: Path, lines: Sequence[str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)


LINES = [
    post_line("1", "satu"),  # line 1
    post_line("2", "dua", author="@siti", platform="tiktok"),  # 2
    post_line("3", "tiga", author="@BUDI"),  # 3: handles match without case
    "",  # 4
    post_line("4", "empat", author="budi", platform="twitter"),  # 5: no '@', alias
    post_line("5", "lima", author="@budi.ig", platform="instagram"),  # 6
]


@pytest.fixture
def posts_file(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "posts.jsonl", LINES)


def test_fetch_gives_an_accounts_posts_oldest_first_with_line_cursors(
    tmp_path: Path, posts_file: Path
) -> None:
    collector = make(tmp_path)
    assert ids_and_cursors(fetch(collector, BUDI)) == [("1", "1"), ("3", "3"), ("4", "5")]
    assert ids_and_cursors(fetch(collector, SITI)) == [("2", "2")]
    assert ids_and_cursors(fetch(collector, BUDI_IG)) == [("5", "6")]
    assert fetch(collector, Account("x", "@orang_lain", "P09")) == []
    assert fetch(collector, Account("facebook", "@budi", "P01")) == []


def test_posts_carry_the_line_as_their_payload(tmp_path: Path, posts_file: Path) -> None:
    [first, *_] = fetch(make(tmp_path), BUDI)
    assert first.payload == LINES[0]
    assert first.text == "satu"


@pytest.mark.parametrize(
    ("cursor", "expected"),
    [
        (None, ["1", "3", "4"]),
        ("", ["1", "3", "4"]),
        ("0", ["1", "3", "4"]),
        ("1", ["3", "4"]),
        ("2", ["3", "4"]),
        ("3", ["4"]),
        ("5", []),
        ("99", []),
    ],
)
def test_fetch_after_a_cursor(
    tmp_path: Path, posts_file: Path, cursor: str | None, expected: list[str]
) -> None:
    assert [p.post_id for p in fetch(make(tmp_path), BUDI, cursor)] == expected


def test_a_second_fetch_after_the_cursor_gives_only_appended_lines(
    tmp_path: Path, posts_file: Path
) -> None:
    collector = make(tmp_path)
    first = fetch(collector, BUDI)
    cursor = first[-1].cursor
    assert fetch(collector, BUDI, cursor) == []

    append(
        posts_file,
        [
            post_line("6", "enam", author="@siti", platform="tiktok"),  # line 7
            post_line("7", "tujuh"),  # line 8
            post_line("8", "delapan"),  # line 9
        ],
    )
    second = fetch(collector, BUDI, cursor)
    assert ids_and_cursors(second) == [("7", "8"), ("8", "9")]
    assert ids_and_cursors(fetch(collector, SITI, "2")) == [("6", "7")]
    assert fetch(collector, BUDI, second[-1].cursor) == []


def test_a_half_written_last_line_is_fetched_once_it_is_complete(
    tmp_path: Path, posts_file: Path
) -> None:
    collector = make(tmp_path)
    cursor = fetch(collector, BUDI)[-1].cursor
    whole = post_line("9", "sembilan")
    with posts_file.open("a", encoding="utf-8") as handle:
        handle.write(whole[:20])  # a writer is mid-line
    assert fetch(collector, BUDI, cursor) == []
    assert [(p.line, p.code) for p in collector.problems] == [(7, "bad-json")]

    with posts_file.open("a", encoding="utf-8") as handle:
        handle.write(whole[20:] + "\n")
    assert ids_and_cursors(fetch(collector, BUDI, cursor)) == [("9", "7")]
    assert collector.problems == []


def test_malformed_lines_end_up_in_problems(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "posts.jsonl",
        [
            post_line("1", "satu"),
            "{rusak",
            post_line("2", "dua", created_at="2024-10-01T08:00:00"),
            post_line("3", "tiga", platform="myspace"),
            post_line("4", "empat"),
        ],
    )
    collector = make(tmp_path)
    assert collector.problems == []  # nothing read yet
    assert ids_and_cursors(fetch(collector, BUDI)) == [("1", "1"), ("4", "5")]
    assert [(p.path, p.line, p.code) for p in collector.problems] == [
        (str(path), 2, "bad-json"),
        (str(path), 3, "bad-post"),
        (str(path), 4, "bad-post"),
    ]
    # problems belong to the file as it is now: fixed lines leave none
    write_lines(path, [post_line("1", "satu"), post_line("4", "empat")])
    fetch(collector, BUDI)
    assert collector.problems == []


@pytest.mark.parametrize(
    ("platforms", "serves"),
    [
        ([], {"x", "instagram", "tiktok"}),
        (["x"], {"x"}),
        (["twitter", "IG"], {"x", "instagram"}),
    ],
    ids=["all", "x-only", "aliases"],
)
def test_the_platforms_setting_filters_accounts(
    tmp_path: Path, platforms: list[str], serves: set[str]
) -> None:
    collector = make(tmp_path, platforms=platforms)
    assert {a.platform for a in (BUDI, BUDI_IG, SITI) if collector.serves(a)} == serves


@pytest.mark.parametrize(
    "options",
    [
        {"path": "posts.jsonl", "platforms": ["myspace"]},
        {"platforms": ["x"]},
        {"path": "posts.jsonl", "berkas": "lain.jsonl"},
    ],
    ids=["unknown-platform", "no-path", "unknown-key"],
)
def test_bad_settings_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        JsonlSettings.model_validate(options)


def test_a_relative_path_is_read_from_the_configuration_folder(tmp_path: Path) -> None:
    folder = tmp_path / "konfigurasi"
    (folder / "data").mkdir(parents=True)
    write_lines(folder / "data" / "posts.jsonl", [post_line("1", "satu")])
    collector = make(folder, "data/posts.jsonl")
    assert collector.path == folder / "data" / "posts.jsonl"
    assert [p.post_id for p in fetch(collector, BUDI)] == ["1"]


def test_an_absolute_path_is_kept(tmp_path: Path, posts_file: Path) -> None:
    collector = make(tmp_path / "elsewhere", posts_file)
    assert collector.path == posts_file
    assert len(fetch(collector, BUDI)) == 3


@pytest.mark.parametrize("make_path", ["missing", "directory"])
def test_an_unreadable_file_raises_collect_error(tmp_path: Path, make_path: str) -> None:
    path = tmp_path / "posts.jsonl"
    if make_path == "directory":
        path.mkdir()
    collector = make(tmp_path)
    with pytest.raises(CollectError, match=r"posts\.jsonl"):
        fetch(collector, BUDI)


def test_a_file_that_disappears_raises_collect_error(tmp_path: Path, posts_file: Path) -> None:
    collector = make(tmp_path)
    assert fetch(collector, BUDI)
    posts_file.unlink()
    with pytest.raises(CollectError):
        fetch(collector, BUDI)


def test_a_cursor_that_is_not_a_line_number_raises_collect_error(
    tmp_path: Path, posts_file: Path
) -> None:
    # e.g. a cursor left by another collector under the same instance name
    with pytest.raises(CollectError, match="1830383324100912216"):
        fetch(make(tmp_path), BUDI, "1830383324100912216:abc")


# --- the plugin and its interface --------------------------------------------------------


def test_jsonl_is_registered_as_a_collector_plugin() -> None:
    assert plugins.load("collectors", "jsonl") is JsonlCollector
    assert "jsonl" in {p.name for p in plugins.available("collectors")}
    assert issubclass(JsonlCollector, Collector)
    assert (JsonlCollector.name, JsonlCollector.Settings) == ("jsonl", JsonlSettings)


def test_collector_is_an_enforced_interface(tmp_path: Path) -> None:
    class NoSettings(BaseModel):
        pass

    class Incomplete(Collector):
        name: ClassVar[str] = "setengah"
        Settings: ClassVar[type[BaseModel]] = NoSettings

        def serves(self, account: Account) -> bool:
            return True

    with pytest.raises(TypeError, match="fetch"):
        Incomplete(NoSettings(), instance="a", base_dir=tmp_path)  # type: ignore[abstract]

    class Empty(Incomplete):
        def fetch(self, account: Account, cursor: str | None) -> Iterator[Post]:
            return iter(())

    collector = Empty(NoSettings(), instance="a", base_dir=tmp_path)
    assert (collector.instance, collector.base_dir, collector.version) == ("a", tmp_path, "1")
    assert list(collector.fetch(BUDI, None)) == []
