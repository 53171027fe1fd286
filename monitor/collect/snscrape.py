"""snscrape behind the Collector interface: Telegram public channels today.

This is the only module of asn-monitor that imports snscrape, and only inside functions,
so ``asn-monitor rules check`` never loads it.

Of snscrape's scrapers only the Telegram channel scraper still works (2026). The others
stay selectable, but ``broken()`` says why they cannot work and ``fetch`` raises
``CollectorBroken`` with that reason: never an empty success.

Telegram: snscrape reads ``https://t.me/s/<channel>`` newest page first and pages back with
``?before=<id>``. Our subclass of its scraper sends every request through the collector's
host limiter, with our timeout and no retries of its own, and turns each answer into the
CollectError it means; it keeps the message's line breaks, which snscrape's ``.text`` drops.
A name that is not a public channel raises ``AccountUnavailable``.

- ``post_id`` is the message's ``data-post``, ``<channel>/<id>`` (e.g. ``campcode/2357``):
  message ids are numbered per channel, and posts are unique per platform. The channel
  part is the username Telegram links to, which may differ from the watched one.
- ``payload`` is the message block's HTML (``tgme_widget_message``) as received, parsed
  and serialised again by BeautifulSoup (lxml), before its line breaks are rewritten.
- The cursor is the last message id; a fetch stops paging at the cursor, at ``max_pages``
  or, on the first poll, at the look-back.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.machinery
import importlib.util
import re
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Literal
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup
from loguru import logger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.collect.base import Collector, CollectorOptions, Listing
from monitor.collect.http import HostLimiter, retry_after
from monitor.collect.telegram_html import (
    MessageDetails,
    before_link,
    is_channel_page,
    keep_line_breaks,
    message_blocks,
    message_details,
)
from monitor.domain import Account, Post, parse_platform
from monitor.errors import (
    AccountUnavailable,
    CollectError,
    CollectorBroken,
    MalformedResponse,
    RateLimited,
    TransientError,
)

Module = Literal["telegram", "twitter", "facebook", "instagram", "mastodon", "reddit", "vkontakte"]

#: the platforms a module serves unless the settings say otherwise
DEFAULT_PLATFORMS: dict[str, list[str]] = {
    "telegram": ["telegram"],
    "twitter": ["x"],
    "facebook": ["facebook"],
    "instagram": ["instagram"],
    "mastodon": ["mastodon"],
    "reddit": [],
    "vkontakte": [],
}

#: modules broken upstream: the snscrape issue and the route to use instead
BROKEN_UPSTREAM: dict[str, tuple[int, str]] = {
    "twitter": (996, "pakai pengumpul x_api atau feed RSS-Bridge"),
    "facebook": (523, "pakai feed RSS-Bridge (pengumpul feed)"),
    "instagram": (520, "pakai feed RSS-Bridge (pengumpul feed)"),
    "mastodon": (587, "pakai pengumpul mastodon atau feed RSS akun (pengumpul feed)"),
    "reddit": (1005, "asn-monitor belum punya rute pengganti"),
    "vkontakte": (737, "asn-monitor belum punya rute pengganti"),
}

_CHANNEL = re.compile(r"^[A-Za-z0-9_]{3,64}$")
_TME = re.compile(r"^(?:https?://)?(?:www\.)?t(?:elegram)?\.me/(?:s/)?([^/?#]+)", re.IGNORECASE)
_IMPORT_LOCK = threading.Lock()


def import_snscrape_module(module: str) -> ModuleType:
    """``snscrape.modules.<module>`` without running ``snscrape/modules/__init__.py``.

    That ``__init__`` imports every scraper with ``importer.find_module().load_module()``,
    which Python 3.12 removed (snscrape issue #782). A bare package module with the right
    ``__path__`` and ``__spec__`` stands in for it, on every Python version, and only the
    one scraper asked for is imported."""
    with _IMPORT_LOCK:
        if "snscrape.modules" not in sys.modules:
            import snscrape

            spec = importlib.machinery.ModuleSpec("snscrape.modules", None, is_package=True)
            spec.submodule_search_locations = [
                str(Path(path) / "modules") for path in snscrape.__path__
            ]
            package = importlib.util.module_from_spec(spec)
            sys.modules["snscrape.modules"] = package
            snscrape.modules = package
        return importlib.import_module(f"snscrape.modules.{module}")


class SnscrapeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: which snscrape scraper to use; only "telegram" works today
    module: Module = "telegram"
    #: platforms this instance serves (default: the module's own)
    platforms: list[str] = ["telegram"]
    #: the most pages (of about 20 messages) one fetch or rescan reads
    max_pages: int = Field(default=5, ge=1, le=200)

    @model_validator(mode="before")
    @classmethod
    def _default_platforms(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("platforms") is None:
            module = data.get("module", "telegram")
            return {**data, "platforms": DEFAULT_PLATFORMS.get(str(module), [])}
        return data

    @field_validator("platforms")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return [parse_platform(p) for p in value]


def _status_error(response: Any, *, what: str, limiter: HostLimiter) -> CollectError | None:
    """The CollectError for a ``requests`` response that is not a 200, else None."""
    status = int(response.status_code)
    if status == 200:
        return None
    host = urlsplit(str(response.url)).netloc
    wait = retry_after(response.headers)
    if status == 429:
        limiter.pause(host, wait if wait is not None else 60.0)
        return RateLimited(
            f"{what}: {host} membatasi laju (HTTP 429)"
            + (f", coba lagi dalam {wait:.0f} detik" if wait is not None else ""),
            retry_after=wait,
        )
    if status >= 500:
        if wait is not None:
            limiter.pause(host, wait)
        return TransientError(f"{what}: {host} gagal (HTTP {status})", retry_after=wait)
    if status in (403, 404, 410):
        return AccountUnavailable(f"{what}: tidak tersedia di {host} (HTTP {status})")
    return MalformedResponse(f"{what}: jawaban tak terduga dari {host} (HTTP {status})")


@functools.cache
def _telegram_scraper_class() -> Any:
    """snscrape's TelegramChannelScraper, made polite: our limiter, timeout and errors."""
    telegram: Any = import_snscrape_module("telegram")
    base: Any = importlib.import_module("snscrape.base")
    scraper: Any = telegram.TelegramChannelScraper

    class PoliteTelegramScraper(scraper):  # type: ignore[misc]
        def __init__(
            self, name: str, *, limiter: HostLimiter, options: CollectorOptions, what: str
        ) -> None:
            super().__init__(name, retries=0)
            self._limiter = limiter
            self._options = options
            self._what = what

        def _get(self, url: str, *args: Any, **kwargs: Any) -> Any:
            host = urlsplit(url).netloc
            self._limiter.acquire(host, max_wait=self._options.max_wait)
            kwargs["timeout"] = self._options.timeout
            try:
                response = super()._get(url, *args, **kwargs)
            except base.ScraperException as exc:  # requests' errors, timeouts included
                raise TransientError(
                    f"{self._what}: {host} tidak dapat dihubungi atau tidak menjawab ({exc})"
                ) from exc
            error = _status_error(response, what=self._what, limiter=self._limiter)
            if error is not None:
                raise error
            return response

        def _soup_to_items(self, soup: Any, pageUrl: str, onlyUsername: bool = False) -> Any:
            keep_line_breaks(soup)
            return super()._soup_to_items(soup, pageUrl, onlyUsername)

    return PoliteTelegramScraper


@dataclasses.dataclass(frozen=True)
class _Message:
    item: Any  # snscrape's TelegramPost
    details: MessageDetails


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class SnscrapeCollector(Collector):
    name: ClassVar[str] = "snscrape"
    version: ClassVar[str] = "1"
    summary: ClassVar[str] = (
        "kanal publik Telegram lewat snscrape (t.me/s); modul snscrape lain rusak di hulu"
    )
    Settings: ClassVar[type[BaseModel]] = SnscrapeSettings

    def __init__(
        self,
        settings: BaseModel,
        *,
        instance: str,
        base_dir: Path,
        options: CollectorOptions | None = None,
    ) -> None:
        super().__init__(settings, instance=instance, base_dir=base_dir, options=options)
        assert isinstance(settings, SnscrapeSettings)
        self.module: str = settings.module
        self.platforms = frozenset(settings.platforms)
        self.max_pages = settings.max_pages

    def serves(self, account: Account) -> bool:
        return account.platform in self.platforms

    def broken(self) -> str | None:
        if self.module in BROKEN_UPSTREAM:
            issue, instead = BROKEN_UPSTREAM[self.module]
            return (
                f"modul snscrape {self.module!r} rusak di hulu (snscrape issue #{issue}); {instead}"
            )
        return None

    def _check(self) -> None:
        reason = self.broken()
        if reason is not None:
            raise CollectorBroken(reason)

    @staticmethod
    def channel_name(account: Account) -> str:
        """The channel username of a watched Telegram account (``@name`` or a t.me link)."""
        handle = account.handle.strip()
        if match := _TME.match(handle):
            handle = match.group(1)
        name = handle.lstrip("@")
        if not _CHANNEL.match(name):
            raise AccountUnavailable(
                f"akun {account.handle!r}: bukan nama kanal Telegram (huruf, angka, _)"
            )
        return name

    def _messages(
        self, scraper: Any, soup: BeautifulSoup, page_url: str, what: str
    ) -> list[_Message]:
        """The messages of one page, newest first."""
        messages: list[_Message] = []
        blocks = message_blocks(soup)
        for block in blocks:
            try:
                details = message_details(block)  # before line breaks are rewritten
                items = list(scraper._soup_to_items(block.parent, page_url))
            except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
                logger.warning(
                    "{}: message {} on {} not understood, skipped: {!r}",
                    what,
                    block.get("data-post"),
                    page_url,
                    exc,
                )
                continue
            messages.extend(_Message(item, details) for item in items[:1])
        if blocks and not messages:
            raise MalformedResponse(f"{what}: tak satu pesan pun di {page_url} dapat dibaca")
        messages.sort(key=lambda m: m.details.message_id, reverse=True)
        return messages

    def _pages(self, name: str, what: str) -> Generator[tuple[list[_Message], bool], None, None]:
        """Pages of messages, newest first, each with whether older pages exist; the next
        page is fetched only when asked for."""
        scraper = _telegram_scraper_class()(
            name, limiter=self.http.limiter, options=self.options, what=what
        )
        try:
            response, soup = scraper._initial_page()
            if "/s/" not in str(response.url) or not is_channel_page(soup):
                raise AccountUnavailable(
                    f"{what}: bukan kanal publik Telegram atau tidak ditemukan ({response.url})"
                )
            while True:
                url = str(response.url)
                href = before_link(soup)
                yield self._messages(scraper, soup, url, what), href is not None
                if href is None:
                    return
                response = scraper._get(urljoin(url, href), headers=scraper._headers)
                soup = BeautifulSoup(response.text, "lxml")
        finally:
            scraper._session.close()

    def _post(self, account: Account, message: _Message, name: str) -> Post:
        item, details = message.item, message.details
        return Post(
            platform=account.platform,
            post_id=details.data_post,
            author=account.handle,
            text=(item.content or "").strip(),
            created_at=item.date,
            payload=details.html,
            url=f"https://t.me/{details.data_post}",
            shared_from=details.forwarded_from,
            media=details.media,
            raw={
                "snscrape": _jsonable(dataclasses.asdict(item)),
                "channel": details.channel,
                "message_id": details.message_id,
                "watched_name": name,
            },
            cursor=str(details.message_id),
        )

    def _walk(
        self, name: str, what: str, stop: Callable[[_Message], bool]
    ) -> tuple[dict[int, _Message], bool]:
        """Messages from the newest back to the first one where ``stop`` is true, the
        channel's first message or ``max_pages``; and whether the walk got that far (False:
        cut short by ``max_pages``)."""
        collected: dict[int, _Message] = {}
        pages = self._pages(name, what)
        try:
            for number, (page, older) in enumerate(pages, start=1):
                for message in page:
                    if stop(message):
                        return collected, True
                    collected.setdefault(message.details.message_id, message)
                if not older:
                    return collected, True
                if number >= self.max_pages:
                    return collected, False
        finally:
            pages.close()
        return collected, True

    def fetch(self, account: Account, cursor: str | None) -> Iterator[Post]:
        self._check()
        name = self.channel_name(account)
        what = f"kanal Telegram @{name}"
        after: int | None = None
        if cursor:
            try:
                after = int(cursor)
            except ValueError:
                logger.warning("{}: cursor {!r} is not a message id; polling afresh", what, cursor)
        since = datetime.now(UTC) - timedelta(seconds=self.options.lookback)

        def stop(message: _Message) -> bool:
            if after is not None:
                return bool(message.details.message_id <= after)
            return bool(message.item.date < since)

        collected, complete = self._walk(name, what, stop)
        if not complete:
            logger.warning(
                "{}: stopped after {} pages; older messages are not collected",
                what,
                self.max_pages,
            )
        for message_id in sorted(collected):
            yield self._post(account, collected[message_id], name)

    def rescan(self, account: Account, since: datetime) -> Listing | None:
        self._check()
        name = self.channel_name(account)
        what = f"kanal Telegram @{name}"
        collected, complete = self._walk(name, what, lambda m: bool(m.item.date < since))
        complete_since = since
        if not complete:  # older messages unseen: only what was read can be judged
            dates = [m.item.date for m in collected.values()]
            complete_since = max(since, min(dates)) if dates else datetime.now(UTC)
        posts = [self._post(account, collected[i], name) for i in sorted(collected)]
        return Listing(posts=posts, complete_since=complete_since)
