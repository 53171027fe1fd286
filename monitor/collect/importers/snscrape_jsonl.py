"""snscrape's JSONL (``snscrape --jsonl MODULE TARGET``) as posts.

Each line is one JSON object with a ``_type`` key naming snscrape's dataclass, e.g.
``snscrape.modules.telegram.TelegramPost``; nested dataclasses carry their own ``_type``,
and ``--jsonl`` adds the deprecated properties too (``content`` beside ``rawContent``).
The payload of each post is the exact line. Profile records (``--with-entity``) and
placeholders are skipped with a warning. Reddit and VKontakte records are read too, but no
watchlist account can be on those platforms, so they are only stored with
``--include-unlisted``. Field names follow snscrape 0.7.0.20230622 (``modules/*.py``);
this module reads its output and never imports snscrape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from monitor.collect.submit import url_post_id
from monitor.domain import Post, handle_key
from monitor.errors import Problem, Severity

Record = tuple[int, Post | list[Problem]]
JsonPath = tuple[str | int, ...]


class _Bad(Exception):
    """A record that cannot become a post; ``where`` is the JSON path to point at."""

    def __init__(self, message: str, where: JsonPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


# --- where a value sits in a JSON line -------------------------------------------------

_DECODER = json.JSONDecoder()


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def value_column(line: str, where: JsonPath) -> int:
    """The 1-based column of the value at ``where`` in the JSON text ``line``; for a key
    that is absent, the column of the object that lacks it (1 when nothing is known)."""
    pos = _skip(line, 0)
    try:
        for part in where:
            if isinstance(part, str) and line[pos] == "{":
                start, pos = pos, _skip(line, pos + 1)
                while line[pos] == '"':
                    key, pos = _DECODER.raw_decode(line, pos)
                    pos = _skip(line, _skip(line, pos) + 1)  # past the colon
                    if key == part:
                        break
                    pos = _skip(line, _DECODER.raw_decode(line, pos)[1])
                    pos = _skip(line, pos + 1) if line[pos] == "," else pos
                else:
                    return start + 1
            elif isinstance(part, int) and line[pos] == "[":
                pos = _skip(line, pos + 1)
                for _ in range(part):
                    pos = _skip(line, _DECODER.raw_decode(line, pos)[1])
                    pos = _skip(line, pos + 1)
            else:
                return pos + 1
    except (IndexError, ValueError):
        return 1
    return pos + 1


# --- snscrape records -----------------------------------------------------------------


def _get(data: Mapping[str, Any], key: str, where: JsonPath = ()) -> Any:
    if key not in data:
        raise _Bad(f"kunci {_dotted(where, key)!r} tidak ada", where)
    return data[key]


def _dotted(where: JsonPath, key: str) -> str:
    return ".".join(map(str, (*where, key)))


def _text(
    data: Mapping[str, Any], key: str, where: JsonPath = (), *, required: bool = False
) -> str:
    value = _get(data, key, where) if required else data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise _Bad(f"{_dotted(where, key)!r} harus berupa teks", (*where, key))
    return value


def _name(data: Mapping[str, Any], key: str, where: JsonPath = ()) -> str:
    """A handle the record must name, as ``@name``."""
    value = _get(data, key, where)
    if value is None or (isinstance(value, str) and not value.strip().lstrip("@")):
        raise _Bad(f"{_dotted(where, key)!r} kosong: pengunggah tidak diketahui", (*where, key))
    if not isinstance(value, str):
        raise _Bad(f"{_dotted(where, key)!r} harus berupa teks", (*where, key))
    return _handle(value)


def _object(data: Mapping[str, Any], key: str, where: JsonPath = ()) -> dict[str, Any]:
    value = _get(data, key, where)
    if not isinstance(value, dict):
        raise _Bad(f"{_dotted(where, key)!r} harus berupa objek", (*where, key))
    return value


def _date(data: Mapping[str, Any], tz: ZoneInfo | None, key: str = "date") -> datetime:
    value = _get(data, key)
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _Bad(f"{key!r}: {value!r} bukan waktu ISO 8601", (key,))
    if parsed.tzinfo is None:
        if tz is None:
            raise _Bad(f"{key!r}: {value!r} tanpa zona waktu", (key,))
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _id(data: Mapping[str, Any], key: str = "id") -> str:
    value = data.get(f"{key}.str", _get(data, key))  # --jsonl-for-buggy-int-parser
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _Bad(f"{key!r} harus berupa angka atau teks", (key,))


def _handle(name: str) -> str:
    return "@" + name.strip().lstrip("@")


def _segments(url: str) -> list[str]:
    return [s for s in urlsplit(url).path.split("/") if s]


def _url(data: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    where = next(((key,) for key in keys if key in data), ())
    raise _Bad(f"kunci {keys[0]!r} (URL unggahan) tidak ada atau bukan URL", where)


def _telegram(data: Mapping[str, Any], tz: ZoneInfo | None) -> dict[str, Any]:
    url = _url(data, "url")
    parts = [s for s in _segments(url) if s != "s"]
    if len(parts) != 2 or not parts[1].isdigit():
        raise _Bad(f"'url' {url!r} bukan tautan pesan Telegram (t.me/<kanal>/<id>)", ("url",))
    channel, message = parts
    return {
        "platform": "telegram",
        "post_id": f"{channel}/{message}",  # as the snscrape collector stores it
        "author": _handle(channel),
        "text": _text(data, "content"),
        "created_at": _date(data, tz),
        "url": f"https://t.me/{channel}/{message}",
    }


def _tweet_author(tweet: Mapping[str, Any], where: JsonPath) -> str:
    user = tweet.get("user")
    if isinstance(user, dict) and isinstance(user.get("username"), str):
        return _handle(user["username"])
    parts = _segments(_url(tweet, "url"))  # https://twitter.com/<user>/status/<id>
    if len(parts) >= 3 and parts[1] == "status" and parts[0] != "i":
        return _handle(parts[0])
    raise _Bad(f"kunci {_dotted((*where, 'user'), 'username')!r} tidak ada", where)


def _tweet_text(tweet: Mapping[str, Any], where: JsonPath) -> str:
    for key in ("rawContent", "content", "renderedContent"):  # content: snscrape < 0.5
        if isinstance(tweet.get(key), str):
            return str(tweet[key])
    raise _Bad(f"kunci {_dotted(where, 'rawContent')!r} tidak ada", where)


def _tweet_media(tweet: Mapping[str, Any]) -> list[str]:
    urls: list[str] = []
    for medium in tweet.get("media") or []:
        if not isinstance(medium, dict):
            continue
        if isinstance(medium.get("fullUrl"), str):  # Photo
            urls.append(medium["fullUrl"])
            continue
        variants = [v for v in medium.get("variants") or [] if isinstance(v, dict) and v.get("url")]
        if variants:  # Video, Gif: the best MP4
            urls.append(max(variants, key=lambda v: v.get("bitrate") or 0)["url"])
        elif isinstance(medium.get("thumbnailUrl"), str):
            urls.append(medium["thumbnailUrl"])
    return urls


def _tweet(data: Mapping[str, Any], tz: ZoneInfo | None) -> dict[str, Any]:
    post_id = _id(data)
    author = _tweet_author(data, ())
    text = _tweet_text(data, ())
    media = _tweet_media(data)
    shared_from = None
    retweet, quote = data.get("retweetedTweet"), data.get("quotedTweet")
    if isinstance(retweet, dict):  # the retweet's own text is cut short ("RT @user: ...")
        text = _tweet_text(retweet, ("retweetedTweet",))
        shared_from = _tweet_author(retweet, ("retweetedTweet",))
        media = media or _tweet_media(retweet)
    elif isinstance(quote, dict):
        quoted = _tweet_text(quote, ("quotedTweet",))
        text = f"{text}\n\n{quoted}" if quoted else text
        shared_from = _tweet_author(quote, ("quotedTweet",))
    return {
        "platform": "x",
        "post_id": post_id,
        "author": author,
        "text": text,
        "created_at": _date(data, tz),
        "url": f"https://x.com/{author[1:]}/status/{post_id}",
        "shared_from": shared_from,
        "media": media,
    }


def _toot(data: Mapping[str, Any], tz: ZoneInfo | None) -> dict[str, Any]:
    account = _name(_object(data, "user"), "account", ("user",))
    if "text" in data or "content" not in data:
        text = _text(data, "text", required="content" not in data)
    else:  # HTML, as other exporters write it (BeautifulSoup only when needed)
        from monitor.collect.htmltext import html_to_text

        text = html_to_text(_text(data, "content"))
    if spoiler := _text(data, "spoilerText"):  # snscrape: ``text`` is the content warning
        text = f"{text}\n\n{spoiler}" if text else spoiler
    attachments = data.get("attachments") or []
    return {
        "platform": "mastodon",
        "post_id": _id(data),
        "author": account,
        "text": text,
        "created_at": _date(data, tz),
        "url": _url(data, "url"),
        "media": [a["url"] for a in attachments if isinstance(a, dict) and a.get("url")],
    }


def _boost(data: Mapping[str, Any], tz: ZoneInfo | None) -> dict[str, Any]:
    booster = _name(_object(data, "user"), "account", ("user",))
    try:
        fields = _toot(_object(data, "toot"), tz)
    except _Bad as bad:
        raise _Bad(f"toot: {bad.message}", ("toot", *bad.where)) from None
    return fields | {
        # snscrape gives no id of the boost itself: the booster and the boosted toot
        "post_id": f"boost:{handle_key(booster)}:{fields['post_id']}",
        "author": booster,
        "shared_from": fields["author"],
    }


def _instagram(data: Mapping[str, Any], tz: ZoneInfo | None) -> dict[str, Any]:
    url = _url(data, "url")
    display = data.get("displayUrl")
    return {
        "platform": "instagram",
        "post_id": url_post_id(url),
        "author": _name(data, "username"),
        "text": _text(data, "content"),
        "created_at": _date(data, tz),
        "url": url,
        "media": [display] if isinstance(display, str) and display else [],
    }


_FB_NOT_USERS = {"permalink.php", "story.php", "photo.php", "groups", "watch", "reel", "share"}


def _facebook(data: Mapping[str, Any], tz: ZoneInfo | None) -> dict[str, Any]:
    url = _url(data, "cleanUrl", "url", "dirtyUrl")
    parts = _segments(url)
    owner = parts[0] if parts and parts[0] not in _FB_NOT_USERS else None
    owner = owner or dict(parse_qsl(urlsplit(url).query)).get("id")
    if not owner:
        raise _Bad(f"akun pengunggah tidak terbaca dari URL {url!r}", ("cleanUrl",))
    return {
        "platform": "facebook",
        "post_id": url_post_id(url),
        "author": _handle(owner),
        "text": _text(data, "content"),
        "created_at": _date(data, tz),
        "url": url,
    }


def _reddit(data: Mapping[str, Any], tz: ZoneInfo | None, comment: bool) -> dict[str, Any]:
    if comment:
        text = _text(data, "body", required=True)
    else:
        title, body = _text(data, "title", required=True), _text(data, "selftext")
        text = f"{title}\n\n{body}" if body else title
    return {
        "platform": "reddit",
        "post_id": ("t1_" if comment else "t3_") + _id(data),  # reddit's own prefixes
        "author": _name(data, "author"),
        "text": text,
        "created_at": _date(data, tz, "date" if "date" in data else "created"),
        "url": _url(data, "url"),
    }


_VK_WALL = re.compile(r"wall(-?\d+)_(\d+)")


def _vk_owner(url: str) -> tuple[str, str] | None:
    found = _VK_WALL.search(url)
    if found is None:
        return None
    owner = int(found[1])
    return f"{found[1]}_{found[2]}", f"@id{owner}" if owner > 0 else f"@club{-owner}"


def _vkontakte(data: Mapping[str, Any], tz: ZoneInfo | None) -> dict[str, Any]:
    url = _url(data, "url")
    wall = _vk_owner(url)
    if wall is None:
        raise _Bad(f"'url' {url!r} bukan tautan dinding VK (wall<pemilik>_<id>)", ("url",))
    if data.get("date") is None:
        raise _Bad("'date' kosong: waktu unggah tidak diketahui", ("date",))
    media = []
    for photo in data.get("photos") or []:
        found = photo.get("variants") if isinstance(photo, dict) else None
        variants = [v for v in found or [] if isinstance(v, dict)]
        if variants:
            media.append(max(variants, key=lambda v: v.get("width") or 0).get("url"))
    quoted = data.get("quotedPost")
    source = _vk_owner(quoted.get("url") or "") if isinstance(quoted, dict) else None
    return {
        "platform": "vkontakte",
        "post_id": wall[0],
        "author": wall[1],
        "text": _text(data, "content"),
        "created_at": _date(data, tz),
        "url": url,
        "shared_from": source[1] if source else None,
        "media": [m for m in media if isinstance(m, str)],
    }


Mapper = Callable[[Mapping[str, Any], ZoneInfo | None], dict[str, Any]]

#: ``_type`` (after ``snscrape.modules.``) -> how the record becomes a post.
MAPPERS: dict[str, Mapper] = {
    "telegram.TelegramPost": _telegram,
    "twitter.Tweet": _tweet,
    "mastodon.Toot": _toot,
    "mastodon.Boost": _boost,
    "instagram.InstagramPost": _instagram,
    "facebook.FacebookPost": _facebook,
    "reddit.Submission": lambda d, tz: _reddit(d, tz, comment=False),
    "reddit.Comment": lambda d, tz: _reddit(d, tz, comment=True),
    "vkontakte.VKontaktePost": _vkontakte,
}
#: Records snscrape writes that are not posts (profiles with --with-entity, placeholders).
NOT_POSTS = frozenset(
    {"telegram.Channel", "twitter.User", "twitter.Tombstone", "twitter.TweetRef"}
    | {"twitter.Community", "twitter.Trend", "mastodon.User", "instagram.User"}
    | {"facebook.User", "vkontakte.User"}
)
_PREFIX = "snscrape.modules."


def parse_snscrape_line(
    line: str, *, path: str = "<baris>", lineno: int = 0, tz: ZoneInfo | None = None
) -> Post | list[Problem]:
    """One line of ``snscrape --jsonl`` output; naive times are read in ``tz``."""
    line = line.rstrip("\r\n")

    def problem(col: int, message: str, code: str, severity: Severity = "error") -> list[Problem]:
        return [Problem(path, lineno, col, message, code, severity)]

    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return problem(exc.pos + 1, f"JSON tidak valid: {exc.msg}", "bad-json")
    if not isinstance(data, dict):
        return problem(1, "setiap baris harus berupa objek JSON {...}", "not-object")
    kind = data.get("_type")
    if not isinstance(kind, str):
        return problem(1, "kunci '_type' tidak ada: bukan keluaran 'snscrape --jsonl'?", "no-type")
    name = kind.removeprefix(_PREFIX)
    if name in NOT_POSTS:
        message = f"catatan {kind} bukan unggahan; dilewati"
        return problem(value_column(line, ("_type",)), message, "not-a-post", "warning")
    mapper = MAPPERS.get(name) if kind.startswith(_PREFIX) else None
    if mapper is None:
        known = ", ".join(sorted(MAPPERS))
        message = f"_type {kind!r} tidak dikenal (dikenal: {known})"
        return problem(value_column(line, ("_type",)), message, "unknown-type")
    try:
        fields = mapper(data, tz)
    except _Bad as bad:
        return problem(value_column(line, bad.where), f"{name}: {bad.message}", "bad-record")
    except ValueError as exc:  # a URL that does not parse
        return problem(1, f"{name}: {exc}", "bad-record")
    media = tuple(fields.pop("media", ()))
    raw = {"type": kind, "snscrape": data.get("_snscrape")}
    return Post(**fields, media=media, payload=line, raw=raw)


def _lines(path: Path) -> Iterator[tuple[int, str | list[Problem]]]:
    with path.open("rb") as handle:
        for lineno, raw_line in enumerate(handle, start=1):
            try:
                line = raw_line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, [Problem(str(path), lineno, exc.start + 1, "bukan UTF-8", "encoding")]
                continue
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            if line.strip():
                yield lineno, line


def read_snscrape(path: Path, tz: ZoneInfo | None = None) -> Iterator[Record]:
    """Every non-blank line of a ``snscrape --jsonl`` file as a Post or its problems."""
    for lineno, line in _lines(path):
        if isinstance(line, list):
            yield lineno, line
        else:
            yield lineno, parse_snscrape_line(line, path=str(path), lineno=lineno, tz=tz)
