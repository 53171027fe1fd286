"""monitor.collect.importers: snscrape JSONL records and CSV rows with a mapping, as posts.

The snscrape lines are written as ``snscrape --jsonl`` writes them (json.dumps of the
dataclass fields plus the deprecated properties, a ``_type`` on every dataclass, and
``_snscrape`` at the end), with the field names of snscrape 0.7.0.20230622."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.collect.importers import (
    CsvMapping,
    load_mapping,
    parse_snscrape_line,
    read_csv,
    read_snscrape,
    value_column,
)
from monitor.domain import Post
from monitor.errors import InputError, Problem

WIB = ZoneInfo("Asia/Jakarta")
VERSION = "0.7.0.20230622"


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2024, 10, day, hour, minute, tzinfo=UTC)


# --- where a value is in a JSON line ---------------------------------------------------

LINE = '{"_type": "x", "url": "u", "user": {"username": "budi", "id": 1}, "m": [{"a": 1}, {"b": [1, 2]}]}'  # noqa: E501


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (("_type",), LINE.index('"x"') + 1),
        (("user", "username"), LINE.index('"budi"') + 1),
        (("user", "id"), LINE.index("1}") + 1),
        (("m", 1, "b"), LINE.index("[1, 2]") + 1),
        (("m", 1, "b", 1), LINE.index("2]") + 1),
        (("missing",), 1),  # an absent key: the object that lacks it
        (("user", "missing"), LINE.index('{"username"') + 1),
        ((), 1),
        (("_type", "deeper"), LINE.index('"x"') + 1),  # not an object: where it stops
    ],
    ids=["top", "nested", "number", "in-list", "list-item", "absent", "absent-nested", "root",
         "scalar"],
)  # fmt: skip
def test_value_column(where: tuple[str | int, ...], expected: int) -> None:
    assert value_column(LINE, where) == expected


def test_value_column_of_a_broken_line_is_1() -> None:
    assert value_column('{"a": [1, ', ("a", 5)) == 1


# --- snscrape records ------------------------------------------------------------------


def sns(kind: str, **fields: Any) -> str:
    """A line as snscrape writes it: _type first, _snscrape last, json.dumps defaults."""
    return json.dumps({"_type": f"snscrape.modules.{kind}", **fields, "_snscrape": VERSION})


def twitter_user(username: str, user_id: int) -> dict[str, Any]:
    return {
        "_type": "snscrape.modules.twitter.User",
        "username": username,
        "id": user_id,
        "displayname": username.title(),
        "rawDescription": None,
        "renderedDescription": None,
        "verified": None,
        "created": None,
        "followersCount": None,
        "protected": None,
        "description": None,
        "url": f"https://twitter.com/{username}",
    }


def tweet(tweet_id: int, username: str, text: str, when: datetime, **extra: Any) -> dict[str, Any]:
    record = {
        "_type": "snscrape.modules.twitter.Tweet",
        "url": f"https://twitter.com/{username}/status/{tweet_id}",
        "date": when.isoformat(),
        "rawContent": text,
        "renderedContent": text,
        "id": tweet_id,
        "user": twitter_user(username, 1000 + len(username)),
        "replyCount": 0,
        "retweetCount": 0,
        "likeCount": 0,
        "quoteCount": 0,
        "conversationId": tweet_id,
        "lang": "in",
        "links": None,
        "media": None,
        "retweetedTweet": None,
        "quotedTweet": None,
        "inReplyToTweetId": None,
    }
    record.update(extra)
    record |= {"content": record["rawContent"], "outlinks": [], "username": username}
    return record


ORIGINAL = tweet(
    1840000000000000001,
    "paslon02",
    "Bersama kita menang! #Nomor2",
    at(12, day=30 - 29),
    media=[
        {
            "_type": "snscrape.modules.twitter.Photo",
            "previewUrl": "https://pbs.twimg.com/media/A.jpg?name=small",
            "fullUrl": "https://pbs.twimg.com/media/A.jpg?name=large",
            "altText": None,
        }
    ],
)
VIDEO = {
    "_type": "snscrape.modules.twitter.Video",
    "thumbnailUrl": "https://pbs.twimg.com/thumb.jpg",
    "variants": [
        {"_type": "snscrape.modules.twitter.VideoVariant", "url": "https://video.twimg.com/low.mp4",
         "contentType": "video/mp4", "bitrate": 256000},
        {"_type": "snscrape.modules.twitter.VideoVariant", "url": "https://video.twimg.com/hi.mp4",
         "contentType": "video/mp4", "bitrate": 2176000},
        {"_type": "snscrape.modules.twitter.VideoVariant", "url": "https://video.twimg.com/pl.m3u8",
         "contentType": "application/x-mpegURL", "bitrate": None},
    ],
    "duration": 12.5,
}  # fmt: skip


def tweet_line(record: dict[str, Any]) -> str:
    return json.dumps({**record, "_snscrape": VERSION})


MASTODON_USER = {
    "_type": "snscrape.modules.mastodon.User",
    "account": "@budi@mastodon.social",
    "displayName": "Budi",
    "displayNameWithCustomEmojis": None,
    "avatarUrl": None,
    "url": "https://mastodon.social/@budi",
}


def toot(toot_id: str, text: str, when: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "_type": "snscrape.modules.mastodon.Toot",
        "url": f"https://mastodon.social/@budi/{toot_id}",
        "id": toot_id,
        "user": MASTODON_USER,
        "date": when.isoformat(),
        "text": text,
        "spoilerText": None,
        "attachments": None,
        "links": None,
        "mentionedUsers": None,
        "hashtags": None,
        "poll": None,
    } | extra


TELEGRAM = sns(
    "telegram.TelegramPost",
    url="https://t.me/s/DinasKominfoSukamaju/1502",
    date="2024-10-01T01:30:00+00:00",
    content="Apel pagi bersama Bupati.\nAyo dukung paslon nomor 2!",
    outlinks=["https://sukamaju.go.id/berita/1"],
    linkPreview={
        "_type": "snscrape.modules.telegram.LinkPreview",
        "href": "https://sukamaju.go.id/berita/1",
        "siteName": "Sukamaju",
        "title": "Berita",
        "description": None,
        "image": None,
    },
    outlinksss="https://sukamaju.go.id/berita/1",
)
RETWEET = tweet_line(
    tweet(
        1840000000000000099,
        "budi_s",
        "RT @paslon02: Bersama kita menang! #No\u2026",
        at(2),
        retweetedTweet=ORIGINAL,
    )
)
QUOTE = tweet_line(
    tweet(1840000000000000101, "budi_s", "Setuju sekali", at(4), quotedTweet=ORIGINAL)
)
VIDEO_TWEET = tweet_line(
    tweet(1840000000000000100, "budi_s", "Upacara hari Kesaktian Pancasila", at(3), media=[VIDEO])
)
OLD_TWEET = json.dumps(  # snscrape before 0.5: ``content``, no ``rawContent``, no ``user``
    {
        "_type": "snscrape.modules.twitter.Tweet",
        "url": "https://twitter.com/budi_s/status/1200000000000000000",
        "date": "2019-12-11T02:00:00+00:00",
        "content": "Selamat pagi",
        "id": 1200000000000000000,
        "username": "budi_s",
    }
)
TOOT = json.dumps(
    toot(
        "113000000000000001",
        "Pilih yang terbaik\n\nuntuk Sukamaju",
        at(5),
        attachments=[
            {
                "_type": "snscrape.modules.mastodon.Attachment",
                "url": "https://files.mastodon.social/a.png",
                "name": "a.png",
            }
        ],
    )
    | {"_snscrape": VERSION}
)
TOOT_CW = json.dumps(
    toot("113000000000000002", "Politik", at(6), spoilerText="Dukung nomor 2")
    | {"_snscrape": VERSION}
)
TOOT_HTML = json.dumps(  # other exporters write the HTML ``content`` instead of ``text``
    {
        "_type": "snscrape.modules.mastodon.Toot",
        "url": "https://mastodon.social/@budi/113000000000000004",
        "id": "113000000000000004",
        "user": MASTODON_USER,
        "date": "2024-10-01T06:30:00+00:00",
        "content": "<p>Baris satu<br>baris dua</p><p>Paragraf dua</p>",
    }
)
BOOST = sns(
    "mastodon.Boost",
    user=MASTODON_USER,
    toot={
        **toot("113000000000000003", "Kampanye akbar besok", at(7)),
        "url": "https://kolektiva.social/@paslon02/113000000000000003",
        "user": {**MASTODON_USER, "account": "@paslon02@kolektiva.social"},
    },
)
INSTAGRAM = sns(
    "instagram.InstagramPost",
    url="https://www.instagram.com/p/CxYz_12-ab/",
    date="2024-10-01T08:00:00+00:00",
    content="Senam pagi",
    thumbnailUrl="https://scontent/t.jpg",
    displayUrl="https://scontent/d.jpg",
    username="budi.ig",
    likes=10,
    comments=1,
    commentsDisabled=False,
    isVideo=False,
)
FACEBOOK = sns(
    "facebook.FacebookPost",
    cleanUrl="https://www.facebook.com/budi.santoso/posts/1234567890",
    dirtyUrl="https://www.facebook.com/budi.santoso/posts/1234567890?__cft__[0]=AZ",
    date="2024-10-01T09:00:00+00:00",
    content="Rapat koordinasi",
    outlinks=[],
    outlinksss="",
)
REDDIT = sns(
    "reddit.Submission",
    author="budi",
    date="2024-10-01T10:00:00+00:00",
    id="abc12",
    link=None,
    selftext="Isi",
    subreddit="indonesia",
    title="Judul",
    url="https://www.reddit.com/r/indonesia/comments/abc12/judul/",
    created="2024-10-01T10:00:00+00:00",
)
REDDIT_COMMENT = sns(
    "reddit.Comment",
    author="budi",
    body="Komentar",
    date="2024-10-01T11:00:00+00:00",
    id="def34",
    parentId="t3_abc12",
    subreddit="indonesia",
    url="https://www.reddit.com/r/indonesia/comments/abc12/judul/def34/",
    created="2024-10-01T11:00:00+00:00",
)
VK = sns(
    "vkontakte.VKontaktePost",
    url="https://vk.com/wall-12345_678",
    date="2024-10-01T12:00:00+00:00",
    content="\u041f\u0440\u0438\u0432\u0435\u0442",
    outlinks=None,
    photos=[
        {
            "_type": "snscrape.modules.vkontakte.Photo",
            "variants": [
                {"_type": "snscrape.modules.vkontakte.PhotoVariant",
                 "url": "https://sun.userapi.com/s.jpg", "width": 130, "height": 100},
                {"_type": "snscrape.modules.vkontakte.PhotoVariant",
                 "url": "https://sun.userapi.com/l.jpg", "width": 1280, "height": 960},
            ],
            "url": None,
        }
    ],
    video=None,
    quotedPost={"_type": "snscrape.modules.vkontakte.VKontaktePost",
                "url": "https://vk.com/wall777_1", "date": None, "content": "asal"},
)  # fmt: skip
VK_DATE_ONLY = sns(
    "vkontakte.VKontaktePost", url="https://vk.com/wall1_2", date="2024-10-01", content="hari"
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            TELEGRAM,
            ("telegram", "DinasKominfoSukamaju/1502", "@DinasKominfoSukamaju",
             "Apel pagi bersama Bupati.\nAyo dukung paslon nomor 2!", at(1, 30),
             "https://t.me/DinasKominfoSukamaju/1502", None, ()),
        ),
        (
            RETWEET,
            ("x", "1840000000000000099", "@budi_s", "Bersama kita menang! #Nomor2", at(2),
             "https://x.com/budi_s/status/1840000000000000099", "@paslon02",
             ("https://pbs.twimg.com/media/A.jpg?name=large",)),
        ),
        (
            QUOTE,
            ("x", "1840000000000000101", "@budi_s",
             "Setuju sekali\n\nBersama kita menang! #Nomor2", at(4),
             "https://x.com/budi_s/status/1840000000000000101", "@paslon02", ()),
        ),
        (
            VIDEO_TWEET,
            ("x", "1840000000000000100", "@budi_s", "Upacara hari Kesaktian Pancasila", at(3),
             "https://x.com/budi_s/status/1840000000000000100", None,
             ("https://video.twimg.com/hi.mp4",)),
        ),
        (
            OLD_TWEET,
            ("x", "1200000000000000000", "@budi_s", "Selamat pagi",
             datetime(2019, 12, 11, 2, tzinfo=UTC),
             "https://x.com/budi_s/status/1200000000000000000", None, ()),
        ),
        (
            TOOT,
            ("mastodon", "113000000000000001", "@budi@mastodon.social",
             "Pilih yang terbaik\n\nuntuk Sukamaju", at(5),
             "https://mastodon.social/@budi/113000000000000001", None,
             ("https://files.mastodon.social/a.png",)),
        ),
        (
            TOOT_CW,
            ("mastodon", "113000000000000002", "@budi@mastodon.social",
             "Politik\n\nDukung nomor 2", at(6),
             "https://mastodon.social/@budi/113000000000000002", None, ()),
        ),
        (
            TOOT_HTML,
            ("mastodon", "113000000000000004", "@budi@mastodon.social",
             "Baris satu\nbaris dua\n\nParagraf dua", at(6, 30),
             "https://mastodon.social/@budi/113000000000000004", None, ()),
        ),
        (
            BOOST,
            ("mastodon", "boost:budi@mastodon.social:113000000000000003",
             "@budi@mastodon.social", "Kampanye akbar besok", at(7),
             "https://kolektiva.social/@paslon02/113000000000000003",
             "@paslon02@kolektiva.social", ()),
        ),
        (
            INSTAGRAM,
            ("instagram", "CxYz_12-ab", "@budi.ig", "Senam pagi", at(8),
             "https://www.instagram.com/p/CxYz_12-ab/", None, ("https://scontent/d.jpg",)),
        ),
        (
            FACEBOOK,
            ("facebook", "1234567890", "@budi.santoso", "Rapat koordinasi", at(9),
             "https://www.facebook.com/budi.santoso/posts/1234567890", None, ()),
        ),
        (
            REDDIT,
            ("reddit", "t3_abc12", "@budi", "Judul\n\nIsi", at(10),
             "https://www.reddit.com/r/indonesia/comments/abc12/judul/", None, ()),
        ),
        (
            REDDIT_COMMENT,
            ("reddit", "t1_def34", "@budi", "Komentar", at(11),
             "https://www.reddit.com/r/indonesia/comments/abc12/judul/def34/", None, ()),
        ),
        (
            VK,
            ("vkontakte", "-12345_678", "@club12345", "Привет", at(12),
             "https://vk.com/wall-12345_678", "@id777", ("https://sun.userapi.com/l.jpg",)),
        ),
        (
            VK_DATE_ONLY,  # a date without time is read in the given time zone
            ("vkontakte", "1_2", "@id1", "hari", datetime(2024, 10, 1, tzinfo=WIB),
             "https://vk.com/wall1_2", None, ()),
        ),
    ],
    ids=[
        "telegram", "retweet", "quote", "video", "old-tweet", "toot", "toot-cw", "toot-html",
        "boost", "instagram", "facebook", "reddit", "reddit-comment", "vk", "vk-date-only",
    ],
)  # fmt: skip
def test_snscrape_records_become_posts(line: str, expected: tuple[Any, ...]) -> None:
    post = parse_snscrape_line(line, path="x.jsonl", lineno=1, tz=WIB)
    assert isinstance(post, Post), post
    assert (
        post.platform,
        post.post_id,
        post.author,
        post.text,
        post.created_at,
        post.url,
        post.shared_from,
        post.media,
    ) == expected
    assert post.payload == line  # the exact line is the evidence
    assert post.created_at.utcoffset() is not None
    assert post.raw["type"] == json.loads(line)["_type"]


def col(line: str, needle: str) -> int:
    return line.index(needle) + 1


NAIVE = sns("telegram.TelegramPost", url="https://t.me/s/budi/1", date="2024-10-01T08:00:00",
            content="x", outlinks=[])  # fmt: skip
NO_DATE = sns("telegram.TelegramPost", url="https://t.me/s/budi/1", content="x", outlinks=[])
BAD_URL = sns("telegram.TelegramPost", url="https://t.me/budi", date="2024-10-01T08:00:00+00:00")
NO_USERNAME = sns("instagram.InstagramPost", url="https://www.instagram.com/p/A/",
                  date="2024-10-01T08:00:00+00:00", content="x", username=None)  # fmt: skip
BAD_TEXT = tweet_line(tweet(5, "budi_s", "x", at(1)) | {"rawContent": 5, "content": 5,
                                                         "renderedContent": ["x"]})  # fmt: skip
BOOST_NO_DATE = sns(
    "mastodon.Boost",
    user=MASTODON_USER,
    toot={k: v for k, v in toot("9", "x", at(1)).items() if k != "date"},
)
UNKNOWN = sns("weibo.Post", url="https://m.weibo.cn/status/1")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"_type": "snscrape.modules.telegram.TelegramPost", "url": ', (60, "bad-json", "error")),
        ('["bukan objek"]', (1, "not-object", "error")),
        ('{"url": "https://t.me/s/budi/1"}', (1, "no-type", "error")),
        (UNKNOWN, (col(UNKNOWN, '"snscrape.modules.weibo'), "unknown-type", "error")),
        ('{"_type": "Tweet"}', (col('{"_type": "Tweet"}', '"Tweet"'), "unknown-type", "error")),
        (
            sns("telegram.Channel", username="budi", title="Budi"),
            (11, "not-a-post", "warning"),
        ),
        (NAIVE, (col(NAIVE, '"2024-10-01T08:00:00"'), "bad-record", "error")),
        (NO_DATE, (1, "bad-record", "error")),
        (BAD_URL, (col(BAD_URL, '"https://t.me/budi"'), "bad-record", "error")),
        (NO_USERNAME, (col(NO_USERNAME, "null"), "bad-record", "error")),
        (BAD_TEXT, (1, "bad-record", "error")),
        (BOOST_NO_DATE, (col(BOOST_NO_DATE, '{"_type": "snscrape.modules.mastodon.Toot"'),
                         "bad-record", "error")),
    ],
    ids=[
        "bad-json", "not-object", "no-type", "unknown-type", "bare-type", "profile", "naive-date",
        "no-date", "not-a-message-url", "no-username", "text-not-string", "boost-without-date",
    ],
)  # fmt: skip
def test_bad_snscrape_records_are_located_problems(
    line: str, problem: tuple[int, str, str]
) -> None:
    result = parse_snscrape_line(line, path="x.jsonl", lineno=7)
    assert isinstance(result, list)
    [found] = result
    assert (found.path, found.line) == ("x.jsonl", 7)
    assert (found.col, found.code, found.severity) == problem


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (NAIVE, ["telegram.TelegramPost", "'date'", "tanpa zona waktu"]),
        (NO_DATE, ["kunci 'date' tidak ada"]),
        (UNKNOWN, ["'snscrape.modules.weibo.Post' tidak dikenal", "telegram.TelegramPost"]),
        (NO_USERNAME, ["'username'", "pengunggah tidak diketahui"]),
        (BOOST_NO_DATE, ["mastodon.Boost", "toot:", "'date'"]),
    ],
    ids=["naive", "missing", "unknown", "no-username", "boost"],
)
def test_problem_messages_name_the_field(line: str, words: list[str]) -> None:
    [found] = parse_snscrape_line(line)  # type: ignore[misc]
    assert isinstance(found, Problem)
    for word in words:
        assert word in found.message


def test_naive_dates_are_read_in_the_given_zone() -> None:
    post = parse_snscrape_line(NAIVE, tz=ZoneInfo("Asia/Makassar"))
    assert isinstance(post, Post)
    assert post.created_at == datetime(2024, 10, 1, 0, tzinfo=UTC)


def test_buggy_int_parser_output_uses_the_string_id() -> None:
    record = json.loads(VIDEO_TWEET)
    record["id"] = 1840000000000000000  # what a float-based writer could leave
    record["id.str"] = "1840000000000000100"
    post = parse_snscrape_line(json.dumps(record))
    assert isinstance(post, Post)
    assert post.post_id == "1840000000000000100"


def test_a_snscrape_file_is_read_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "telegram.jsonl"
    lines = [TELEGRAM, "", TOOT, "{rusak", RETWEET]
    path.write_bytes(
        b"\xef\xbb\xbf"
        + "\n".join(lines).encode()
        + b"\n"
        + b'{"content": "\xff"}\r\n'
        + (INSTAGRAM + "\r\n").encode()
    )
    records = list(read_snscrape(path, WIB))
    assert [lineno for lineno, _ in records] == [1, 3, 4, 5, 6, 7]
    kinds = [
        item.post_id if isinstance(item, Post) else [p.code for p in item] for _, item in records
    ]
    assert kinds == [
        "DinasKominfoSukamaju/1502",
        "113000000000000001",
        ["bad-json"],
        "1840000000000000099",
        ["encoding"],
        "CxYz_12-ab",
    ]
    first = records[0][1]
    assert isinstance(first, Post) and first.payload == TELEGRAM  # no BOM, no newline
    last = records[-1][1]
    assert isinstance(last, Post) and last.payload == INSTAGRAM  # no CR


# --- CSV with a mapping ----------------------------------------------------------------


def mapping(**columns: str) -> CsvMapping:
    return CsvMapping(columns=columns, platform="facebook", timezone="Asia/Jakarta")


INDONESIAN = {
    "id": "ID Unggahan",
    "author": "Akun",
    "text": "Isi Unggahan",
    "created_at": "Waktu Unggah",
    "url": "Tautan",
}


def write_csv(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def read(path: Path, csv_mapping: CsvMapping) -> list[tuple[int, Post | list[Problem]]]:
    return list(read_csv(path, csv_mapping))


def test_a_semicolon_csv_with_bom_indonesian_columns_and_day_first_dates(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "ekspor.csv",
        "ID Unggahan;Akun;Isi Unggahan;Waktu Unggah;Tautan\r\n"
        '101;budi;"Ayo pilih; nomor 2";01/10/2024 08:30;https://www.facebook.com/budi/posts/101\r\n'
        ";@budi;Tanpa id;02/10/2024 21:05;https://www.facebook.com/budi/posts/103?fbclid=Iw\r\n",
        bom=True,
    )
    csv_mapping = CsvMapping(columns=INDONESIAN, platform="facebook", date_format="%d/%m/%Y %H:%M")
    records = read(path, csv_mapping)
    assert [lineno for lineno, _ in records] == [2, 3]
    first, second = (item for _, item in records)
    assert isinstance(first, Post) and isinstance(second, Post)
    assert (first.platform, first.post_id, first.author, first.text) == (
        "facebook",
        "101",
        "@budi",
        "Ayo pilih; nomor 2",
    )
    assert first.created_at == datetime(2024, 10, 1, 8, 30, tzinfo=WIB)
    assert first.created_at.utcoffset() == timedelta(hours=7)
    assert json.loads(first.payload) == {
        "ID Unggahan": "101",
        "Akun": "budi",
        "Isi Unggahan": "Ayo pilih; nomor 2",
        "Waktu Unggah": "01/10/2024 08:30",
        "Tautan": "https://www.facebook.com/budi/posts/101",
    }
    assert first.payload == json.dumps(json.loads(first.payload), ensure_ascii=False)
    assert (second.post_id, second.author) == ("103", "@budi")  # the id from the URL
    assert second.created_at == datetime(2024, 10, 2, 21, 5, tzinfo=WIB)


def test_a_tab_csv_with_platform_media_and_iso_times(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "ekspor.tsv",
        "id\tplatform\takun\tisi\twaktu\tberbagi\tmedia\n"
        "1\tInstagram\tbudi.ig\tSenam pagi\t2024-10-01T08:00:00+08:00\t\t"
        "https://m.example/1.jpg https://m.example/2.jpg\n"
        "2\tig\tbudi.ig\tRepost\t2024-10-01 09:00\t@paslon02\thttps://m.example/3.jpg|x\n",
    )
    csv_mapping = CsvMapping(
        columns={"id": "id", "platform": "platform", "author": "akun", "text": "isi",
                 "created_at": "waktu", "shared_from": "berbagi", "media": "media"},
        timezone="Asia/Makassar",
    )  # fmt: skip
    [(_, first), (_, second)] = read(path, csv_mapping)
    assert isinstance(first, Post) and isinstance(second, Post)
    assert (first.platform, first.media, first.shared_from) == (
        "instagram",
        ("https://m.example/1.jpg", "https://m.example/2.jpg"),
        None,
    )
    assert first.created_at == datetime(2024, 10, 1, tzinfo=UTC)  # its own offset kept
    assert second.created_at == datetime(2024, 10, 1, 1, tzinfo=UTC)  # naive: Asia/Makassar
    assert (second.shared_from, second.media) == ("@paslon02", ("https://m.example/3.jpg", "x"))


def test_line_numbers_are_physical_lines(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "ekspor.csv",
        "id,author,text,created_at\n"
        '1,budi,"baris satu\nbaris dua\nbaris tiga",2024-10-01T08:00:00+07:00\n'  # lines 2-4
        "\n"  # line 5: blank
        "2,budi,kedua,kemarin\n"  # line 6
        "3,budi,ketiga,2024-10-01T09:00:00+07:00\n",  # line 7
    )
    records = read(path, mapping(id="id", author="author", text="text", created_at="created_at"))
    assert [lineno for lineno, _ in records] == [2, 6, 7]
    first = records[0][1]
    assert isinstance(first, Post) and first.text == "baris satu\nbaris dua\nbaris tiga"
    bad = records[1][1]
    assert isinstance(bad, list)
    assert [(p.line, p.code) for p in bad] == [(6, "bad-date")]


BAD_ROWS = (
    "ID;Akun;Isi;Waktu;Platform;Tautan\n"
    "1;budi;baik;01/10/2024 08:00;facebook;\n"  # 2
    "2;budi;jam salah;31/02/2024 08:00;facebook;\n"  # 3
    "3;;tanpa akun;01/10/2024 08:00;facebook;\n"  # 4
    "4;budi;platform asing;01/10/2024 08:00;myspace;\n"  # 5
    ";budi;tanpa id dan url;01/10/2024 08:00;facebook;\n"  # 6
    "6;budi;kurang kolom\n"  # 7
    "7;;;;;\n"  # 8: empty cells everywhere
    ";budi;url buruk;01/10/2024 08:00;facebook;ftp://x/1\n"  # 9
    "10;budi;baik juga;02/10/2024 08:00;fb;\n"  # 10
)


def test_bad_rows_are_reported_with_their_line_and_column_and_skipped(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ekspor.csv", BAD_ROWS)
    csv_mapping = CsvMapping(
        columns={"id": "ID", "author": "Akun", "text": "Isi", "created_at": "Waktu",
                 "platform": "Platform", "url": "Tautan"},
        date_format="%d/%m/%Y %H:%M",
    )  # fmt: skip
    records = read(path, csv_mapping)
    good = [(n, item.post_id) for n, item in records if isinstance(item, Post)]
    assert good == [(2, "1"), (10, "10")]
    problems = [p for _, item in records if isinstance(item, list) for p in item]
    assert [(p.path, p.line, p.code) for p in problems] == [
        (str(path), 3, "bad-date"),
        (str(path), 4, "bad-row"),
        (str(path), 5, "bad-row"),
        (str(path), 6, "bad-row"),
        (str(path), 7, "bad-row"),
        (str(path), 8, "bad-row"),  # no platform
        (str(path), 8, "bad-row"),  # no author
        (str(path), 8, "bad-date"),
        (str(path), 9, "bad-row"),
    ]
    messages = [p.message for p in problems]
    assert messages[0] == (
        "baris 3, kolom \"Waktu\": waktu '31/02/2024 08:00' tidak sesuai format %d/%m/%Y %H:%M"
    )
    assert messages[1].startswith('baris 4, kolom "Akun": kosong')
    assert messages[2].startswith('baris 5, kolom "Platform": ') and "myspace" in messages[2]
    assert messages[3].startswith('baris 6, kolom "ID": kosong')
    assert messages[4] == "baris 7: 3 kolom, seharusnya 6"
    assert messages[5] == 'baris 8, kolom "Platform": kosong; isi kolomnya atau pakai --platform'
    assert messages[8].startswith('baris 9, kolom "Tautan": ')


@pytest.mark.parametrize(
    ("columns", "header", "words"),
    [
        ({"text": "Isi"}, "id,Akun,Waktu", ["'Isi' (untuk text) tidak ada", "id, Akun, Waktu"]),
        ({"text": "isi"}, "id,ISI,Isi", ["'isi' (untuk text) ada 2 kali"]),
    ],
    ids=["missing-column", "ambiguous-column"],
)
def test_a_mapping_naming_a_column_the_file_lacks_fails_before_any_row(
    tmp_path: Path, columns: dict[str, str], header: str, words: list[str]
) -> None:
    path = write_csv(tmp_path / "ekspor.csv", header + "\n" + "1,2,3\n" * 3)
    with pytest.raises(InputError) as caught:
        read_csv(path, CsvMapping(columns=columns))
    [problem] = caught.value.problems
    assert (problem.path, problem.line, problem.code) == (str(path), 1, "unknown-column")
    for word in words:
        assert word in problem.message


def test_column_names_match_without_case_when_unambiguous(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", "ID,AKUN,ISI,WAKTU\n1,budi,x,2024-10-01T08:00+07:00\n")
    [(_, post)] = read(path, mapping(id="id", author="akun", text="isi", created_at="waktu"))
    assert isinstance(post, Post) and post.post_id == "1"


@pytest.mark.parametrize(
    ("content", "line", "code"),
    [
        ("id,teks\n1,caf\xe9\n".encode("cp1252"), 2, "encoding"),
        (b"", 1, "empty"),
        (b"\n\n", 1, "empty"),
    ],
    ids=["cp1252", "empty", "blank"],
)
def test_unreadable_csv_files(tmp_path: Path, content: bytes, line: int, code: str) -> None:
    path = tmp_path / "ekspor.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_csv(path, mapping(text="teks"))
    [problem] = caught.value.problems
    assert (problem.line, problem.code) == (line, code)


# --- loading the mapping ---------------------------------------------------------------

REQUIRED_MAPS = ["text=Isi", "author=Akun", "created_at=Waktu", "id=ID"]


@pytest.mark.parametrize(
    ("maps", "options", "problems"),
    [
        (["text"], {"platform": "fb"}, [("--map", "bad-map")]),
        (["judul=Isi", "text="], {"platform": "fb"}, [("--map", "bad-map")] * 2),
        ([*REQUIRED_MAPS, "text=Teks"], {"platform": "fb"}, [("--map", "bad-map")]),
        (["text=Isi", "id=ID"], {"platform": "fb"}, [("--map", "missing-map")]),
        (["text=Isi", "author=Akun", "created_at=Waktu"], {"platform": "fb"},
         [("--map", "missing-map")]),
        (REQUIRED_MAPS, {}, [("--map", "missing-map")]),
        (REQUIRED_MAPS, {"platform": "myspace"}, [("--platform", "bad-option")]),
        (REQUIRED_MAPS, {"platform": "fb", "timezone": "Asia/Bandung"},
         [("--timezone", "bad-option")]),
    ],
    ids=["no-equals", "unknown-and-empty", "twice", "missing-required", "no-id-or-url",
         "no-platform", "bad-platform", "bad-timezone"],
)  # fmt: skip
def test_bad_map_options(
    maps: list[str], options: dict[str, str], problems: list[tuple[str, str]]
) -> None:
    with pytest.raises(InputError) as caught:
        load_mapping(maps=maps, **options)
    assert [(p.path, p.code) for p in caught.value.problems] == problems


def test_map_options_make_a_mapping() -> None:
    loaded = load_mapping(
        maps=[" text = Isi Unggahan ", "author=Akun", "created_at=Waktu", "url=Tautan"],
        platform="FB",
        date_format="%d/%m/%Y",
        default_timezone="Asia/Makassar",
    )
    assert loaded == CsvMapping(
        columns={"text": "Isi Unggahan", "author": "Akun", "created_at": "Waktu", "url": "Tautan"},
        platform="facebook",
        timezone="Asia/Makassar",
        date_format="%d/%m/%Y",
    )


MAPPING_FILE = """\
columns:
  id: ID Unggahan
  author: Akun
  text: Isi
  created_at: Waktu
platform: instagram
timezone: Asia/Jayapura
date_format: "%d/%m/%Y %H:%M"
"""


def test_a_mapping_file_and_options_that_override_it(tmp_path: Path) -> None:
    path = tmp_path / "pemetaan.yaml"
    path.write_text(MAPPING_FILE, encoding="utf-8")
    assert load_mapping(mapping_file=path) == CsvMapping(
        columns={"id": "ID Unggahan", "author": "Akun", "text": "Isi", "created_at": "Waktu"},
        platform="instagram",
        timezone="Asia/Jayapura",
        date_format="%d/%m/%Y %H:%M",
    )
    overridden = load_mapping(
        mapping_file=path,
        maps=["text=Teks"],
        platform="tiktok",
        timezone="Asia/Jakarta",
        date_format="%Y-%m-%d",
    )
    assert overridden.columns["text"] == "Teks"
    assert (overridden.platform, overridden.timezone, overridden.date_format) == (
        "tiktok",
        "Asia/Jakarta",
        "%Y-%m-%d",
    )


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (MAPPING_FILE.replace("  text: Isi", "  teks: Isi"), [(4, 3, "unknown-key")]),
        (MAPPING_FILE.replace("platform: instagram", "platform: myspace"),
         [(6, 11, "invalid-value")]),
        (MAPPING_FILE.replace("timezone: Asia/Jayapura", "timezone: WIB"),
         [(7, 11, "invalid-value")]),
        (MAPPING_FILE.replace('"%d/%m/%Y %H:%M"', "dd/mm/yyyy"), [(8, 14, "invalid-value")]),
        (MAPPING_FILE + "kolom: {}\n", [(9, 1, "unknown-key")]),
        (MAPPING_FILE.replace("  author: Akun", "  id: Akun"), [(3, 3, "duplicate-key")]),
        ("- text: Isi\n", [(1, 1, "not-mapping")]),
        ("", [(1, 1, "not-mapping")]),
        ("columns: {text: Isi\n", [(2, 1, "yaml-syntax")]),
        ("columns:\n  text: [Isi]\n", [(2, 9, "invalid-value")]),
    ],
    ids=["unknown-field", "bad-platform", "bad-timezone", "date-format-without-%",
         "unknown-key", "duplicate", "list", "empty", "syntax", "column-not-text"],
)  # fmt: skip
def test_mapping_file_errors_are_located(
    tmp_path: Path, text: str, problems: list[tuple[int, int, str]]
) -> None:
    path = tmp_path / "pemetaan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(mapping_file=path)
    found = [(p.line, p.col, p.code) for p in caught.value.problems]
    assert found == problems
    assert all(p.path == str(path) for p in caught.value.problems)


def test_a_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_mapping(mapping_file=tmp_path / "tidak-ada.yaml")
    assert [p.code for p in caught.value.problems] == ["not-found"]


def test_unknown_timezone_keeps_the_offset_of_aware_values(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", "t,a,w\nx,budi,2024-10-01T08:00:00-03:00\n")
    csv_mapping = CsvMapping(
        columns={"text": "t", "author": "a", "created_at": "w", "id": "t"},
        platform="x",
        timezone="Asia/Jayapura",
    )
    [(_, post)] = read(path, csv_mapping)
    assert isinstance(post, Post)
    assert post.created_at == datetime(2024, 10, 1, 8, tzinfo=timezone(timedelta(hours=-3)))
