"""monitor.collect.snscrape: snscrape's Telegram channel scraper behind our interface.

snscrape's hosts are hard-coded (https://t.me/...), so its requests are intercepted with
``responses``; the pages are the recorded t.me/s/ bodies in ../shared/fixtures. Older
pages are made from the recorded page by moving its ids and dates back (``older_page``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
import time_machine
from pydantic import ValidationError
from responses import matchers

from monitor import plugins
from monitor.collect.base import CollectorOptions
from monitor.collect.snscrape import BROKEN_UPSTREAM, SnscrapeCollector, SnscrapeSettings
from monitor.domain import Account, Post
from monitor.errors import (
    AccountUnavailable,
    CollectError,
    CollectorBroken,
    MalformedResponse,
    RateLimited,
    TransientError,
)

FOREVER = 100 * 365 * 86400.0
PAGE = "https://t.me/s/codecamp"
CODECAMP = Account("telegram", "@codecamp", "P01", id=1)
FIRST_PAGE_IDS = list(range(2357, 2377))  # the recorded page, oldest first


def older_page(html: str, by: int = 20, days: int = 7) -> str:
    """The recorded page moved ``by`` message ids and ``days`` days into the past."""

    def older_time(match: re.Match[str]) -> str:
        when = datetime.fromisoformat(match.group(1)) - timedelta(days=days)
        return f'datetime="{when.isoformat()}"'

    html = re.sub(r"campcode/(\d+)", lambda m: f"campcode/{int(m.group(1)) - by}", html)
    html = re.sub(r"before=(\d+)", lambda m: f"before={int(m.group(1)) - by}", html)
    html = re.sub(r'data-before="(\d+)"', lambda m: f'data-before="{int(m.group(1)) - by}"', html)
    return re.sub(r'datetime="([^"]+)"', older_time, html)


@pytest.fixture
def pages(shared: Path) -> dict[str, str]:
    folder = shared / "fixtures" / "telegram-web"
    first = (folder / "tme_s_codecamp.html").read_text(encoding="utf-8")
    return {
        "first": first,
        "second": older_page(first),
        "missing": (folder / "tme_s_not_existed_channel.html").read_text(encoding="utf-8"),
    }


@pytest.fixture
def tme() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def page(mock: responses.RequestsMock, body: Any, before: int | None = None, **kw: Any) -> None:
    query = {"before": str(before)} if before is not None else {}
    mock.get(PAGE, body=body, match=[matchers.query_param_matcher(query)], **kw)


def history(mock: responses.RequestsMock, pages: dict[str, str]) -> None:
    """Page 1 (2357-2376), page 2 (2337-2356), then the start of the channel."""
    page(mock, pages["first"])
    page(mock, pages["second"], before=2357)
    page(mock, pages["missing"], before=2337)  # no messages, no older link


def make(module: str = "telegram", *, max_pages: int = 5, **opts: Any) -> SnscrapeCollector:
    values: dict[str, Any] = {"rate": None, "timeout": 2, "max_wait": 0.5, "lookback": FOREVER}
    values.update(opts)
    settings = SnscrapeSettings.model_validate({"module": module, "max_pages": max_pages})
    return SnscrapeCollector(
        settings, instance="uji", base_dir=Path(), options=CollectorOptions(**values)
    )


def fetch(collector: SnscrapeCollector, cursor: str | None = None) -> list[Post]:
    return list(collector.fetch(CODECAMP, cursor))


def ids(posts: list[Post]) -> list[int]:
    return [int(p.post_id.rsplit("/", 1)[1]) for p in posts]


# -- the import shim ------------------------------------------------------------------------

SHIM_CHECK = """
import sys
import monitor.collect.snscrape as ours
assert "snscrape" not in sys.modules, "importing the collector must not import snscrape"
telegram = ours.import_snscrape_module("telegram")
from snscrape.modules.telegram import TelegramChannelScraper
package = sys.modules["snscrape.modules"]
assert telegram.TelegramChannelScraper is TelegramChannelScraper
assert not hasattr(package, "_import_modules"), "snscrape/modules/__init__.py ran"
assert package.__spec__.name == "snscrape.modules" and package.__path__
assert "snscrape.modules.twitter" not in sys.modules
print("ok")
"""


def test_import_shim_loads_only_the_telegram_scraper() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SHIM_CHECK], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_registered_as_plugin() -> None:
    assert plugins.load("collectors", "snscrape") is SnscrapeCollector


# -- settings and broken modules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "platforms"),
    [
        pytest.param({}, {"telegram"}, id="default-telegram"),
        pytest.param({"module": "twitter"}, {"x"}, id="twitter-is-x"),
        pytest.param({"module": "instagram"}, {"instagram"}, id="instagram"),
        pytest.param({"module": "reddit"}, set(), id="reddit-no-platform"),
        pytest.param({"module": "telegram", "platforms": ["Telegram"]}, {"telegram"}, id="given"),
    ],
)
def test_default_platforms(settings: dict[str, Any], platforms: set[str]) -> None:
    assert set(SnscrapeSettings.model_validate(settings).platforms) == platforms


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"module": "tiktok"}, id="unknown-module"),
        pytest.param({"max_pages": 0}, id="no-pages"),
        pytest.param({"platforms": ["myspace"]}, id="unknown-platform"),
        pytest.param({"token": "x"}, id="unknown-key"),
    ],
)
def test_settings_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SnscrapeSettings.model_validate(settings)


@pytest.mark.parametrize(
    ("module", "issue"), [pytest.param(m, i, id=m) for m, (i, _) in BROKEN_UPSTREAM.items()]
)
def test_broken_modules_say_so(tme: responses.RequestsMock, module: str, issue: int) -> None:
    collector = make(module)
    reason = collector.broken()
    assert reason is not None
    assert f"modul snscrape {module!r} rusak di hulu (snscrape issue #{issue})" in reason
    with pytest.raises(CollectorBroken, match=f"#{issue}"):
        fetch(collector)
    with pytest.raises(CollectorBroken, match=f"#{issue}"):
        collector.rescan(CODECAMP, datetime(2023, 5, 1, tzinfo=UTC))
    assert len(tme.calls) == 0


def test_twitter_reason_names_the_alternative() -> None:
    assert make("twitter").broken() == (
        "modul snscrape 'twitter' rusak di hulu (snscrape issue #996); "
        "pakai pengumpul x_api atau feed RSS-Bridge"
    )
    assert make("telegram").broken() is None


# -- fetching -------------------------------------------------------------------------------


def test_posts_from_the_recorded_page(tme: responses.RequestsMock, pages: dict[str, str]) -> None:
    page(tme, pages["first"])
    page(tme, pages["missing"], before=2357)
    posts = fetch(make())
    assert ids(posts) == FIRST_PAGE_IDS  # oldest first
    first = posts[0]
    # the channel's posts carry its other username: that is the one Telegram links to
    assert first.post_id == "campcode/2357"
    assert first.url == "https://t.me/campcode/2357"
    assert first.author == "@codecamp"
    assert first.created_at == datetime(2023, 5, 1, 7, 45, 19, tzinfo=UTC)
    assert first.cursor == "2357"
    assert first.raw["watched_name"] == "codecamp"
    assert first.payload.startswith('<div class="tgme_widget_message')
    assert 'data-post="campcode/2357"' in first.payload
    assert "<br/>" in first.payload  # the markup as received
    assert tme.calls[0].request.req_kwargs["timeout"] == 2


@pytest.mark.parametrize(
    ("post_id", "text"),
    [
        pytest.param(
            "campcode/2357",
            "написанной на Python.\n\nТут есть встроенные эффекты",
            id="br-br-blank-line",
        ),
        pytest.param(
            "campcode/2365",
            "Неожиданно, но ловите шпаргалку по сетке CSS.\n\nВ хорошем разрешении тут.",
            id="whole-text",
        ),
    ],
)
def test_line_breaks_survive(
    tme: responses.RequestsMock, pages: dict[str, str], post_id: str, text: str
) -> None:
    page(tme, pages["first"])
    post = {p.post_id: p for p in fetch(make(max_pages=1))}[post_id]
    assert text in post.text


@pytest.mark.parametrize(
    ("post_id", "shared_from", "media"),
    [
        pytest.param(
            "campcode/2357",
            None,
            ("https://cdn4.telegram-cdn.org/file/iaZTlEHOgRhQKo3_jwLkp2m_SbRq77IPZfqpdC7Q",),
            id="photo",
        ),
        pytest.param(
            "campcode/2370",
            "Киллер-фича",
            ("https://cdn4.telegram-cdn.org/file/8e7a4172b6.mp4?token=",),
            id="forwarded-video",
        ),
        pytest.param("campcode/2364", None, (), id="document-no-media"),
    ],
)
def test_media_and_forwards(
    tme: responses.RequestsMock,
    pages: dict[str, str],
    post_id: str,
    shared_from: str | None,
    media: tuple[str, ...],
) -> None:
    page(tme, pages["first"])
    post = {p.post_id: p for p in fetch(make(max_pages=1))}[post_id]
    assert post.shared_from == shared_from
    assert len(post.media) == len(media)
    assert all(url.startswith(prefix) for url, prefix in zip(post.media, media, strict=True))


@pytest.mark.parametrize(
    ("cursor", "max_pages", "expected", "requests_made"),
    [
        pytest.param(None, 5, list(range(2337, 2377)), 3, id="first-poll-to-channel-start"),
        pytest.param(None, 2, list(range(2337, 2377)), 2, id="first-poll-max-pages"),
        pytest.param(None, 1, FIRST_PAGE_IDS, 1, id="one-page"),
        pytest.param("2370", 5, list(range(2371, 2377)), 1, id="cursor-on-first-page"),
        pytest.param("2340", 5, list(range(2341, 2377)), 2, id="cursor-on-second-page"),
        pytest.param("2376", 5, [], 1, id="nothing-new"),
        pytest.param("garbage", 1, FIRST_PAGE_IDS, 1, id="bad-cursor-polls-afresh"),
    ],
)
def test_paging_and_cursor(
    tme: responses.RequestsMock,
    pages: dict[str, str],
    cursor: str | None,
    max_pages: int,
    expected: list[int],
    requests_made: int,
) -> None:
    history(tme, pages)
    posts = fetch(make(max_pages=max_pages), cursor)
    assert ids(posts) == expected
    assert [p.cursor for p in posts] == [str(i) for i in expected]
    assert len(tme.calls) == requests_made


def test_second_fetch_with_cursor_yields_only_newer(
    tme: responses.RequestsMock, pages: dict[str, str]
) -> None:
    history(tme, pages)
    collector = make()
    posts = fetch(collector)
    assert fetch(collector, posts[-1].cursor) == []
    assert ids(fetch(collector, posts[-3].cursor)) == [2375, 2376]


def test_first_poll_goes_back_lookback(tme: responses.RequestsMock, pages: dict[str, str]) -> None:
    history(tme, pages)
    with time_machine.travel(datetime(2023, 5, 6, tzinfo=UTC), tick=False):
        posts = fetch(make(lookback=2 * 86400))
    assert ids(posts) == list(range(2369, 2377))  # from 2023-05-04 on
    assert len(tme.calls) == 1


# -- rescan ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "max_pages", "expected", "complete_since"),
    [
        pytest.param(
            datetime(2023, 5, 4, tzinfo=UTC),
            5,
            list(range(2369, 2377)),
            datetime(2023, 5, 4, tzinfo=UTC),
            id="within-first-page",
        ),
        pytest.param(
            datetime(2023, 4, 1, tzinfo=UTC),
            5,
            list(range(2337, 2377)),
            datetime(2023, 4, 1, tzinfo=UTC),
            id="to-channel-start",
        ),
        pytest.param(
            datetime(2023, 4, 1, tzinfo=UTC),
            1,
            FIRST_PAGE_IDS,
            datetime(2023, 5, 1, 7, 45, 19, tzinfo=UTC),
            id="cut-by-max-pages",
        ),
    ],
)
def test_rescan(
    tme: responses.RequestsMock,
    pages: dict[str, str],
    since: datetime,
    max_pages: int,
    expected: list[int],
    complete_since: datetime,
) -> None:
    history(tme, pages)
    listing = make(max_pages=max_pages).rescan(CODECAMP, since)
    assert listing is not None
    assert ids(listing.posts) == expected
    assert listing.complete_since == complete_since


# -- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("respond", "error", "retry_after"),
    [
        pytest.param(
            {"status": 429, "headers": {"Retry-After": "30"}}, RateLimited, 30.0, id="429"
        ),
        pytest.param({"status": 500}, TransientError, None, id="500"),
        pytest.param({"status": 502}, TransientError, None, id="502"),
        pytest.param({"status": 404}, AccountUnavailable, None, id="404"),
        pytest.param(
            {"body": requests.exceptions.ConnectionError("reset")},
            TransientError,
            None,
            id="connection-error",
        ),
        pytest.param(
            {"body": requests.exceptions.ReadTimeout("slow")},
            TransientError,
            None,
            id="timeout",
        ),
        pytest.param({"status": 418}, MalformedResponse, None, id="unexpected-status"),
    ],
)
def test_faults_on_first_page(
    tme: responses.RequestsMock,
    respond: dict[str, Any],
    error: type[CollectError],
    retry_after: float | None,
) -> None:
    page(tme, respond.pop("body", ""), **respond)
    with pytest.raises(error, match="@codecamp") as caught:
        fetch(make())
    assert caught.value.retry_after == retry_after
    assert len(tme.calls) == 1  # snscrape's own retries are off


def test_429_pauses_the_host(tme: responses.RequestsMock) -> None:
    page(tme, "", status=429, headers={"Retry-After": "30"})
    collector = make()
    with pytest.raises(RateLimited):
        fetch(collector)
    assert collector.http.limiter.paused_for("t.me") > 25
    with pytest.raises(RateLimited):  # the limiter answers; t.me is not asked again
        fetch(collector)
    assert len(tme.calls) == 1


def test_fault_on_an_older_page(tme: responses.RequestsMock, pages: dict[str, str]) -> None:
    page(tme, pages["first"])
    page(tme, "", before=2357, status=503)
    with pytest.raises(TransientError):
        fetch(make())


def test_not_a_public_channel(tme: responses.RequestsMock, pages: dict[str, str]) -> None:
    tme.get("https://t.me/s/not_existed_channel", body=pages["missing"])
    ghost = Account("telegram", "@not_existed_channel", "P02")
    with pytest.raises(AccountUnavailable, match="not_existed_channel"):
        list(make().fetch(ghost, None))
    with pytest.raises(AccountUnavailable):
        make().rescan(ghost, datetime(2023, 5, 1, tzinfo=UTC))


def test_redirect_away_from_the_message_list(tme: responses.RequestsMock) -> None:
    page(tme, "", status=302, headers={"Location": "https://t.me/codecamp"})
    tme.get("https://t.me/codecamp", body="<html></html>")
    with pytest.raises(AccountUnavailable):
        fetch(make())


def test_unreadable_page(tme: responses.RequestsMock, pages: dict[str, str]) -> None:
    broken = pages["first"].replace('class="tgme_widget_message_footer', 'class="gone')
    page(tme, broken)
    with pytest.raises(MalformedResponse, match="tak satu pesan pun"):
        fetch(make(max_pages=1))


@pytest.mark.parametrize(
    ("handle", "requested"),
    [
        pytest.param("@codecamp", PAGE, id="at-name"),
        pytest.param("codecamp", PAGE, id="bare-name"),
        pytest.param("https://t.me/codecamp", PAGE, id="link"),
        pytest.param("t.me/s/codecamp", PAGE, id="preview-link"),
    ],
)
def test_channel_names(
    tme: responses.RequestsMock, pages: dict[str, str], handle: str, requested: str
) -> None:
    page(tme, pages["first"])
    list(make(max_pages=1).fetch(Account("telegram", handle, "P01"), None))
    assert tme.calls[0].request.url == requested


def test_a_name_that_cannot_be_a_channel(tme: responses.RequestsMock) -> None:
    with pytest.raises(AccountUnavailable):
        list(make().fetch(Account("telegram", "@bad name/x", "P01"), None))
    assert len(tme.calls) == 0


def test_serves_telegram_only() -> None:
    assert make().serves(CODECAMP)
    assert not make().serves(Account("x", "@codecamp", "P01"))
