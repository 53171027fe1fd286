"""RSS and Atom feeds: YouTube channel feeds, Mastodon account RSS, and the RSS-Bridge feeds
an operator runs for Facebook, Instagram, TikTok or X.

A feed holds only its newest entries (YouTube 15, Mastodon 20) and has no pages. Entries
are yielded oldest first; the cursor is the newest entry's time and id
(``{"published": ISO, "id": ...}``), and the next poll yields only entries after it (ties
broken by id). The first poll takes the entries within the look-back.

``payload`` is the entry's own XML (``<entry>`` or ``<item>``, serialised by lxml with the
namespace declarations in scope, so it parses on its own); only when the body is not strict
XML (feedparser is more forgiving) is it the JSON of feedparser's entry.
"""

from __future__ import annotations

import calendar
import json
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import feedparser  # type: ignore[import-untyped]
from loguru import logger
from lxml import etree  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.collect.base import Collector, CollectorOptions, Listing
from monitor.collect.htmltext import html_to_text
from monitor.domain import Account, Post, parse_platform
from monitor.errors import AccountUnavailable, MalformedResponse, TransientError

PLACEHOLDERS = frozenset({"handle", "user", "host"})
_ENTRY_TAGS = (
    "{http://www.w3.org/2005/Atom}entry",
    "item",
    "{http://purl.org/rss/1.0/}item",
    "{http://my.netscape.com/rdf/simple/0.9/}item",
)
_TAG = re.compile(r"<[A-Za-z!/]")
_SPACE = re.compile(r"\s+")
_HOST = re.compile(r"^[A-Za-z0-9.-]+(?::\d+)?$")
#: "RT @name: ..." (X bridges) and Nitter's "RT by @watcher: ..." mark a repost
_RT = re.compile(r"^RT @([A-Za-z0-9_]{1,15}):")
_RT_BY = re.compile(r"^RT by @[A-Za-z0-9_]{1,15}:")
#: RSS-Bridge reports a failing bridge as a feed item with this title
_BRIDGE_ERROR = "Bridge returned error"
_SKIPPED_MEDIA = frozenset({"application/x-shockwave-flash"})


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


class FeedSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: platforms this instance serves (its accounts' platform)
    platforms: list[str] = Field(min_length=1)
    #: the feed URL with {handle} (as watched), {user} (without '@' and '@host') and
    #: {host} (of a user@host handle)
    url: str
    #: fetch the watchlist's URL of an account instead, when it has one
    use_account_url: bool = False

    @field_validator("platforms")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return [parse_platform(p) for p in value]

    @field_validator("url")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            unknown = _fields(value) - PLACEHOLDERS
        except ValueError as exc:
            raise ValueError(f"templat url {value!r} tidak sah ({exc})") from None
        if unknown:
            names = ", ".join(sorted(f"{{{n}}}" for n in unknown))
            raise ValueError(
                f"templat url memakai {names}; yang dikenal: {{handle}} {{user}} {{host}}"
            )
        sample = value.format(handle="h", user="u", host="example.org")
        if urlsplit(sample).scheme not in ("http", "https") or not urlsplit(sample).netloc:
            raise ValueError(f"url {value!r} harus diawali http:// atau https://")
        return value


@dataclass(frozen=True)
class _Feed:
    posts: list[Post]  # oldest first, without cursors
    oldest: datetime | None


def _plain(value: Any) -> Any:
    """feedparser's dicts as plain JSON-able data, without its struct_time copies."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if not str(k).endswith("_parsed")}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _looks_like_html(content: bytes, content_type: str) -> bool:
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")):
        return False
    return head.startswith((b"<!doctype html", b"<html")) or "text/html" in content_type


def _entry_markup(content: bytes) -> list[str] | None:
    """Each entry's XML in document order, or None when the body is not strict XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError:
        return None
    return [
        etree.tostring(el, encoding="unicode", with_tail=False) for el in root.iter(*_ENTRY_TAGS)
    ]


def _text_of(detail: Mapping[str, Any] | None) -> str:
    if not detail:
        return ""
    value = str(detail.get("value") or "")
    if "html" in str(detail.get("type") or "") and _TAG.search(value):
        return html_to_text(value)
    # plain text (YouTube's media:description): its lines as they are, without trailing blanks
    return "\n".join(line.rstrip() for line in value.strip().replace("\r\n", "\n").split("\n"))


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _entry_text(entry: Mapping[str, Any]) -> str:
    title = _text_of(entry.get("title_detail")) or str(entry.get("title") or "").strip()
    contents = entry.get("content") or []
    body = _text_of(contents[0] if contents else entry.get("summary_detail"))
    if not body:
        return title
    # microblog bridges derive the title from the text: say it once
    stem = _squash(title).removesuffix("…").removesuffix("...").strip()
    if not stem or _squash(body).startswith(stem):
        return body
    return f"{title}\n\n{body}"


def _created_at(entry: Mapping[str, Any]) -> datetime | None:
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None


def _link(entry: Mapping[str, Any]) -> str | None:
    for link in entry.get("links") or []:
        href = str(link.get("href") or "")
        if link.get("rel", "alternate") == "alternate" and href.startswith(("http://", "https://")):
            return href
    href = str(entry.get("link") or "")
    return href if href.startswith(("http://", "https://")) else None


def _media(entry: Mapping[str, Any]) -> tuple[str, ...]:
    urls: list[str] = []
    for item in entry.get("media_content") or []:
        if item.get("url") and item.get("type") not in _SKIPPED_MEDIA:
            urls.append(str(item["url"]))
    urls.extend(str(e["href"]) for e in entry.get("enclosures") or [] if e.get("href"))
    urls.extend(str(t["url"]) for t in entry.get("media_thumbnail") or [] if t.get("url"))
    return tuple(dict.fromkeys(urls))


def _shared_from(entry: Mapping[str, Any], text: str) -> str | None:
    if match := _RT.match(text):
        return f"@{match.group(1)}"
    if _RT_BY.match(text):
        author = str(entry.get("author") or "").strip()
        return author or None
    return None


def _cursor(post: Post) -> str:
    return json.dumps({"published": post.created_at.isoformat(), "id": post.post_id})


def _parse_cursor(cursor: str) -> tuple[datetime, str] | None:
    try:
        data = json.loads(cursor)
        when = datetime.fromisoformat(data["published"])
        ident = str(data["id"])
    except (ValueError, KeyError, TypeError):
        return None
    return (when, ident) if when.tzinfo is not None else None


class FeedCollector(Collector):
    name: ClassVar[str] = "feed"
    version: ClassVar[str] = "1"
    summary: ClassVar[str] = (
        "feed RSS/Atom: kanal YouTube, RSS akun Mastodon, RSS-Bridge (Facebook, Instagram, "
        "TikTok, X)"
    )
    Settings: ClassVar[type[BaseModel]] = FeedSettings

    def __init__(
        self,
        settings: BaseModel,
        *,
        instance: str,
        base_dir: Path,
        options: CollectorOptions | None = None,
    ) -> None:
        super().__init__(settings, instance=instance, base_dir=base_dir, options=options)
        assert isinstance(settings, FeedSettings)
        self.platforms = frozenset(settings.platforms)
        self.template = settings.url
        self.use_account_url = settings.use_account_url

    def feed_url(self, account: Account) -> str | None:
        """The feed URL of ``account``, or None when the template needs a part its handle
        lacks (a {host} for a handle without '@host')."""
        if self.use_account_url and account.url:
            return account.url
        handle = account.handle.strip()
        user, _, host = handle.lstrip("@").partition("@")
        if "host" in _fields(self.template) and not _HOST.match(host):
            return None
        return self.template.format(
            handle=quote(handle, safe="@"), user=quote(user, safe=""), host=host
        )

    def serves(self, account: Account) -> bool:
        return account.platform in self.platforms and self.feed_url(account) is not None

    @staticmethod
    def _what(account: Account) -> str:
        return f"akun @{account.handle.strip().lstrip('@')}"

    def _read(self, account: Account) -> _Feed:
        what = self._what(account)
        url = self.feed_url(account)
        if url is None:
            raise AccountUnavailable(f"{what}: templat url {self.template!r} butuh @host")
        response = self.http.get(url, what=what)
        host = urlsplit(url).netloc
        content_type = response.headers.get("content-type", "").lower()
        if _looks_like_html(response.content, content_type):
            raise MalformedResponse(f"{what}: {host} mengirim halaman HTML, bukan feed ({url})")
        # no base URL: feedparser would turn relative ids ("a1") into URLs
        parsed = feedparser.parse(response.content, response_headers={"content-type": content_type})
        entries: list[Mapping[str, Any]] = list(parsed.entries)
        malformed = MalformedResponse(
            f"{what}: jawaban {host} bukan feed RSS/Atom yang sah "
            f"({parsed.get('bozo_exception') or 'format tidak dikenal'}; {url})"
        )
        if not entries and (parsed.bozo or not parsed.get("version")):
            raise malformed
        if parsed.bozo:
            logger.warning("{}: feed {} is not well-formed: {}", what, url, parsed.bozo_exception)
        for entry in entries:
            if str(entry.get("title") or "").startswith(_BRIDGE_ERROR):
                raise TransientError(f"{what}: RSS-Bridge gagal: {entry.get('title')} ({url})")
        markup = _entry_markup(response.content)
        if markup is not None and len(markup) != len(entries):
            markup = None
        feed_title = str(parsed.feed.get("title") or "")
        posts: dict[str, Post] = {}
        for index, entry in enumerate(entries):
            post = self._post(account, entry, markup[index] if markup else None, feed_title)
            if post is None:
                logger.warning("{}: feed {} entry {} has no id or date, skipped", what, url, index)
            else:
                posts.setdefault(post.post_id, post)
        if parsed.bozo and not posts:  # what feedparser salvaged is not a single entry
            raise malformed
        ordered = sorted(posts.values(), key=lambda p: (p.created_at, p.post_id))
        return _Feed(ordered, ordered[0].created_at if ordered else None)

    def _post(
        self, account: Account, entry: Mapping[str, Any], markup: str | None, feed_title: str
    ) -> Post | None:
        post_id = str(entry.get("yt_videoid") or entry.get("id") or _link(entry) or "")
        created_at = _created_at(entry)
        if not post_id or created_at is None:
            return None
        text = _entry_text(entry)
        raw = _plain(entry)
        return Post(
            platform=account.platform,
            post_id=post_id,
            author=account.handle,
            text=text,
            created_at=created_at,
            payload=markup if markup is not None else json.dumps(raw, ensure_ascii=False),
            url=_link(entry),
            shared_from=_shared_from(entry, text),
            media=_media(entry),
            raw={"entry": raw, "feed_title": feed_title},
        )

    def fetch(self, account: Account, cursor: str | None) -> Iterator[Post]:
        posts = self._read(account).posts
        position = _parse_cursor(cursor) if cursor else None
        if cursor and position is None:
            logger.warning(
                "{}: cursor {!r} not understood; polling afresh", self._what(account), cursor
            )
        if position is not None:
            posts = [p for p in posts if (p.created_at, p.post_id) > position]
        else:
            since = datetime.now(UTC) - timedelta(seconds=self.options.lookback)
            posts = [p for p in posts if p.created_at >= since]
        for post in posts:
            yield replace(post, cursor=_cursor(post))

    def rescan(self, account: Account, since: datetime) -> Listing | None:
        feed = self._read(account)
        # an entry that fell off the end of the feed is not deleted: only entries newer
        # than the feed's oldest can be judged
        if feed.oldest is None:
            return Listing(posts=[], complete_since=max(since, datetime.now(UTC)))
        posts = [replace(p, cursor=_cursor(p)) for p in feed.posts if p.created_at >= since]
        return Listing(posts=posts, complete_since=max(since, feed.oldest))
