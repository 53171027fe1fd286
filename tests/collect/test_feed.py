"""monitor.collect.feed: RSS/Atom feeds (YouTube, Mastodon account RSS, RSS-Bridge) served
from a local HTTP server, using the recorded bodies in ../shared/fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from lxml import etree  # type: ignore[import-untyped]
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from werkzeug import Response

from monitor import plugins
from monitor.collect.base import CollectorOptions
from monitor.collect.feed import FeedCollector, FeedSettings
from monitor.domain import Account, Post
from monitor.errors import (
    AccountUnavailable,
    CollectError,
    MalformedResponse,
    RateLimited,
    TransientError,
)
from tests.collect.slow import LateAnswer

FOREVER = 100 * 365 * 86400.0
XML = "text/xml; charset=UTF-8"
ATOM = "application/atom+xml"
RSS = "application/rss+xml"

YOUTUBE = "youtube-feed/videos_xml_user_Kurzgesagt.xml"
YOUTUBE_404 = "youtube-feed/videos_xml_channel_id_404.html"
MASTODON = "mastodon-rss/nova_at_m.cmx.im.rss"
BRIDGE_ATOM = "rss-bridge/atom_feed_common.xml"
BRIDGE_MICROBLOG = "rss-bridge/atom_feed_microblog.xml"
BRIDGE_MRSS = "rss-bridge/mrss_feed_common.xml"


def options(**overrides: Any) -> CollectorOptions:
    values: dict[str, Any] = {"rate": None, "timeout": 2, "max_wait": 0.5, "lookback": FOREVER}
    values.update(overrides)
    return CollectorOptions(**values)


def make(
    server: HTTPServer,
    template: str = "/feed?u={user}",
    *,
    platforms: tuple[str, ...] = ("youtube", "mastodon", "instagram", "x"),
    use_account_url: bool = False,
    **opts: Any,
) -> FeedCollector:
    url = template if "://" in template else server.url_for(template)
    settings = FeedSettings.model_validate(
        {"platforms": list(platforms), "url": url, "use_account_url": use_account_url}
    )
    return FeedCollector(settings, instance="uji", base_dir=Path(), options=options(**opts))


def account(handle: str = "@budi", platform: str = "youtube", url: str | None = None) -> Account:
    return Account(platform, handle, "P01", url=url, id=1)


def serve(server: HTTPServer, body: bytes | str, content_type: str = XML, **kw: Any) -> None:
    server.expect_request("/feed").respond_with_data(body, content_type=content_type, **kw)


def fixture(shared: Path, name: str) -> bytes:
    return (shared / "fixtures" / name).read_bytes()


def fetch(collector: FeedCollector, acct: Account, cursor: str | None = None) -> list[Post]:
    return list(collector.fetch(acct, cursor))


def atom(*entries: tuple[str, str, str]) -> str:
    """A small Atom feed of (id, published, title) entries."""
    items = "".join(
        f"<entry><id>{i}</id><title>{t}</title><published>{p}</published>"
        f'<link rel="alternate" href="https://example.org/{i}"/></entry>'
        for i, p, t in entries
    )
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{items}</feed>'


# -- the recorded feeds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "count", "oldest", "newest"),
    [
        pytest.param(YOUTUBE, XML, 15, "ZSch_NgZpQs", "zg40FHOAqC0", id="youtube"),
        pytest.param(
            MASTODON,
            RSS,
            20,
            None,
            "https://m.cmx.im/@nova/111949503705606861",
            id="mastodon-rss",
        ),
        pytest.param(
            BRIDGE_ATOM,
            ATOM,
            4,
            "http://liftoff.msfc.nasa.gov/news/2003/news-starcity.asp",
            "http://example.com/blog/test-entry",
            id="rss-bridge-atom",
        ),
        pytest.param(
            BRIDGE_MICROBLOG,
            ATOM,
            2,
            "urn:sha1:e62189168a06dfa74f61c621c79c33c4c8517e1f",
            "urn:sha1:1918f084648b82057c1dd3faa3d091da82a6fac2",
            id="rss-bridge-microblog",
        ),
        pytest.param(
            BRIDGE_MRSS,
            RSS,
            4,
            "http://liftoff.msfc.nasa.gov/news/2003/news-starcity.asp",
            "http://example.com/blog/test-entry",
            id="rss-bridge-mrss",
        ),
    ],
)
def test_feeds_oldest_first_with_cursors(
    httpserver: HTTPServer,
    shared: Path,
    name: str,
    content_type: str,
    count: int,
    oldest: str | None,
    newest: str,
) -> None:
    serve(httpserver, fixture(shared, name), content_type)
    posts = fetch(make(httpserver), account())
    assert len(posts) == count
    times = [p.created_at for p in posts]
    assert times == sorted(times)
    assert all(t.tzinfo is not None for t in times)
    if oldest is not None:
        assert posts[0].post_id == oldest
    assert posts[-1].post_id == newest
    assert {p.author for p in posts} == {"@budi"}
    assert len({p.post_id for p in posts}) == count
    for post in posts:
        assert post.cursor == json.dumps(
            {"published": post.created_at.isoformat(), "id": post.post_id}
        )
        assert post.payload.startswith(("<entry", "<item"))


@pytest.mark.parametrize(
    ("name", "post_id", "url", "text", "media"),
    [
        pytest.param(
            YOUTUBE,
            "zg40FHOAqC0",
            "https://www.youtube.com/shorts/zg40FHOAqC0",
            "Jupiter Made Earth Possible\n\nJupiter once wandered deep into the inner",
            ("https://i3.ytimg.com/vi/zg40FHOAqC0/hqdefault.jpg",),  # not the old flash URL
            id="youtube-short-title-and-description",
        ),
        pytest.param(
            MASTODON,
            "https://m.cmx.im/@nova/111949503705606861",
            "https://m.cmx.im/@nova/111949503705606861",
            "早上发现自己一直在梦里哭，哭到连眼罩都湿了。\n\n梦里一直在重现上海封城的片段",
            (),
            id="mastodon-no-title-paragraphs",
        ),
        pytest.param(
            MASTODON,
            "https://m.cmx.im/@nova/111938270628753868",
            "https://m.cmx.im/@nova/111938270628753868",
            "Daily Productive Sharing 915 - Letter of 2022\n\n",
            (
                "https://media.cmx.edu.kg/media_attachments/files/111/938/270/488/646/976/"
                "original/f3d7c5cb67b67ea3.jpeg",
            ),
            id="mastodon-media-content",
        ),
        pytest.param(
            BRIDGE_MICROBLOG,
            "urn:sha1:1918f084648b82057c1dd3faa3d091da82a6fac2",
            None,
            "Oh 😲 I found three monkeys 🙈🙉🙊",
            (),
            id="bridge-microblog-title-not-repeated",
        ),
        pytest.param(
            BRIDGE_ATOM,
            "urn:sha1:dd6b6c920d3b340ab9e07faf6682f2a7c4f70134",
            "http://example.org/2005/04/02/atom",
            "Atom draft-07 snapshot\n\n[Update: The Atom draft is finished.]",
            ("http://example.org/audio/ph34r_my_podcast.mp3",),
            id="bridge-atom-enclosure",
        ),
        pytest.param(
            BRIDGE_ATOM,
            "https://jsonfeed.org/2017/05/17/announcing_json_feed",
            "https://jsonfeed.org/2017/05/17/announcing_json_feed",
            "Announcing JSON Feed\n\nWe — Manton Reece and Brent Simmons — have noticed",
            (),
            id="bridge-atom-html-content",
        ),
        pytest.param(
            BRIDGE_MRSS,
            "dd6b6c920d3b340ab9e07faf6682f2a7c4f70134",
            "http://example.org/2005/04/02/atom",
            "Atom draft-07 snapshot\n\n[Update: The Atom draft is finished.]",
            ("http://example.org/audio/ph34r_my_podcast.mp3",),
            id="bridge-mrss-media-content",
        ),
    ],
)
def test_entry_fields(
    httpserver: HTTPServer,
    shared: Path,
    name: str,
    post_id: str,
    url: str | None,
    text: str,
    media: tuple[str, ...],
) -> None:
    serve(httpserver, fixture(shared, name))
    post = {p.post_id: p for p in fetch(make(httpserver), account())}[post_id]
    assert post.url == url
    assert post.text.startswith(text)
    assert post.media == media
    assert post.shared_from is None


def test_text_keeps_lines(httpserver: HTTPServer, shared: Path) -> None:
    serve(httpserver, fixture(shared, YOUTUBE))
    post = {p.post_id: p for p in fetch(make(httpserver), account())}["zg40FHOAqC0"]
    assert "\n#kurzgesagt\n#inanutshell" in post.text
    assert "OUR CHANNELS\n▀▀▀" in post.text
    announcing = "https://jsonfeed.org/2017/05/17/announcing_json_feed"
    httpserver.clear()
    serve(httpserver, fixture(shared, BRIDGE_ATOM))
    post = {p.post_id: p for p in fetch(make(httpserver), account())}[announcing]
    assert "it’s less prone to bugs.\n\nSo we developed JSON Feed" in post.text
    assert "\n\nNotes\n\n" in post.text


@pytest.mark.parametrize(
    ("name", "tag", "id_path"),
    [
        pytest.param(YOUTUBE, "{http://www.w3.org/2005/Atom}entry", "yt:videoId", id="atom"),
        pytest.param(MASTODON, "item", "guid", id="rss"),
    ],
)
def test_payload_is_the_entry_xml(
    httpserver: HTTPServer, shared: Path, name: str, tag: str, id_path: str
) -> None:
    serve(httpserver, fixture(shared, name))
    collector = make(httpserver)
    first = fetch(collector, account())
    second = fetch(collector, account())
    assert [p.sha256 for p in first] == [p.sha256 for p in second]
    namespaces = {"yt": "http://www.youtube.com/xml/schemas/2015"}
    for post in first:
        element = etree.fromstring(post.payload.encode())
        assert element.tag == tag
        found = element.find(id_path, namespaces)
        assert found is not None and found.text in (post.post_id,)


def test_unparseable_xml_falls_back_to_entry_json(httpserver: HTTPServer) -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<item><guid>a1</guid><title>Tom & Jerry</title>"
        "<pubDate>Sat, 01 Dec 2018 12:00:00 +0000</pubDate></item></channel></rss>"
    )
    serve(httpserver, body)
    [post] = fetch(make(httpserver), account())
    assert post.post_id == "a1"
    assert json.loads(post.payload)["title"] == "Tom & Jerry"


# -- cursors and the first poll -------------------------------------------------------------


def test_cursor_yields_only_newer(httpserver: HTTPServer, shared: Path) -> None:
    serve(httpserver, fixture(shared, YOUTUBE))
    collector = make(httpserver)
    posts = fetch(collector, account())
    again = fetch(collector, account(), posts[9].cursor)
    assert [p.post_id for p in again] == [p.post_id for p in posts[10:]]
    assert fetch(collector, account(), posts[-1].cursor) == []


def test_cursor_ties_broken_by_id(httpserver: HTTPServer) -> None:
    same = "2024-10-01T08:00:00+07:00"
    serve(
        httpserver,
        atom(("b", same, "two"), ("a", same, "one"), ("c", "2024-10-02T08:00:00+07:00", "x")),
    )
    collector = make(httpserver)
    posts = fetch(collector, account())
    assert [p.post_id for p in posts] == ["a", "b", "c"]
    assert [p.post_id for p in fetch(collector, account(), posts[0].cursor)] == ["b", "c"]


def test_bad_cursor_polls_afresh(httpserver: HTTPServer) -> None:
    serve(httpserver, atom(("a", "2024-10-01T08:00:00+07:00", "one")))
    assert [p.post_id for p in fetch(make(httpserver), account(), "not json")] == ["a"]


def test_first_poll_goes_back_lookback(httpserver: HTTPServer, shared: Path) -> None:
    serve(httpserver, fixture(shared, YOUTUBE))
    collector = make(httpserver, lookback=10 * 86400)
    with time_machine.travel(datetime(2026, 1, 23, tzinfo=UTC), tick=False):
        posts = fetch(collector, account())
    assert [p.created_at.date().isoformat() for p in posts] == [
        "2026-01-15",
        "2026-01-16",
        "2026-01-22",
    ]


# -- reposts -------------------------------------------------------------------------------

NITTER = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>budi</title>
<item><title>RT by @budi: Coblos nomor 2!</title><dc:creator>@caleg2</dc:creator>
<description>&lt;p&gt;Coblos nomor 2!&lt;/p&gt;</description>
<pubDate>Tue, 01 Oct 2024 01:00:00 GMT</pubDate><guid>https://x.com/caleg2/status/11</guid>
<link>https://x.com/caleg2/status/11</link></item>
<item><title>RT @caleg1: Ayo pilih!</title><dc:creator>@budi</dc:creator>
<description>RT @caleg1: Ayo pilih!</description>
<pubDate>Tue, 01 Oct 2024 02:00:00 GMT</pubDate><guid>https://x.com/budi/status/12</guid></item>
<item><title>Selamat pagi</title><dc:creator>@budi</dc:creator>
<pubDate>Tue, 01 Oct 2024 03:00:00 GMT</pubDate><guid>https://x.com/budi/status/13</guid></item>
</channel></rss>"""


def test_reposts_name_the_original(httpserver: HTTPServer) -> None:
    serve(httpserver, NITTER, RSS)
    posts = fetch(make(httpserver), account(platform="x"))
    assert [(p.post_id.rsplit("/", 1)[1], p.shared_from) for p in posts] == [
        ("11", "@caleg2"),
        ("12", "@caleg1"),
        ("13", None),
    ]
    assert posts[0].text == "RT by @budi: Coblos nomor 2!\n\nCoblos nomor 2!"


# -- faults --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("respond", "error", "retry_after"),
    [
        pytest.param(
            {"status": 429, "headers": {"Retry-After": "120"}}, RateLimited, 120.0, id="429"
        ),
        pytest.param({"status": 503}, TransientError, None, id="503"),
        pytest.param({"status": 500, "response_data": "oops"}, TransientError, None, id="500"),
        pytest.param({"status": 410}, AccountUnavailable, None, id="410-gone"),
        pytest.param({"status": 403}, AccountUnavailable, None, id="403-private"),
        pytest.param(
            {"response_data": '{"error": "x"}', "content_type": "application/json"},
            MalformedResponse,
            None,
            id="json-body",
        ),
        pytest.param(
            {"response_data": "<rss><channel><item>", "content_type": XML},
            MalformedResponse,
            None,
            id="truncated-xml",
        ),
        pytest.param(
            {"response_data": "", "content_type": XML}, MalformedResponse, None, id="empty-body"
        ),
        pytest.param(
            {
                "response_data": atom(("e1", "2024-10-01T08:00:00Z", "Bridge returned error 0!")),
                "content_type": ATOM,
            },
            TransientError,
            None,
            id="rss-bridge-error-item",
        ),
    ],
)
def test_faults(
    httpserver: HTTPServer,
    respond: dict[str, Any],
    error: type[CollectError],
    retry_after: float | None,
) -> None:
    httpserver.expect_request("/feed").respond_with_data(**respond)
    with pytest.raises(error) as caught:
        fetch(make(httpserver), account())
    assert "@budi" in str(caught.value)
    if retry_after is not None:
        assert caught.value.retry_after == retry_after


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(404, AccountUnavailable, id="404-channel-gone"),
        pytest.param(200, MalformedResponse, id="200-but-html"),
    ],
)
def test_youtube_html_pages(
    httpserver: HTTPServer, shared: Path, status: int, error: type[CollectError]
) -> None:
    serve(httpserver, fixture(shared, YOUTUBE_404), "text/html; charset=UTF-8", status=status)
    with pytest.raises(error, match="@budi"):
        fetch(make(httpserver), account())


def test_timeout_is_transient(httpserver: HTTPServer) -> None:
    late = LateAnswer(lambda: Response("<rss/>", content_type=XML))
    httpserver.expect_request("/feed").respond_with_handler(late)
    with pytest.raises(TransientError, match="batas waktu"):
        fetch(make(httpserver, timeout=0.2), account())
    late.finish(httpserver, "/feed")


# -- which URL -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "handle", "path", "query"),
    [
        pytest.param("/feed/{user}.rss", "@nova@m.cmx.im", "/feed/nova.rss", "", id="user"),
        pytest.param(
            "/videos.xml?channel_id={handle}",
            "UCsXVk37",
            "/videos.xml",
            "channel_id=UCsXVk37",
            id="handle",
        ),
        pytest.param(
            "/?bridge=InstagramBridge&u={user}",
            "@budi.ig",
            "/",
            "bridge=InstagramBridge&u=budi.ig",
            id="bridge",
        ),
    ],
)
def test_url_template(
    httpserver: HTTPServer, shared: Path, template: str, handle: str, path: str, query: str
) -> None:
    httpserver.expect_request(path, query_string=query).respond_with_data(
        fixture(shared, BRIDGE_MICROBLOG), content_type=ATOM
    )
    assert len(fetch(make(httpserver, template), account(handle))) == 2


def test_host_from_the_handle(httpserver: HTTPServer, shared: Path) -> None:
    httpserver.expect_request("/@nova.rss").respond_with_data(fixture(shared, MASTODON))
    collector = make(httpserver, "http://{host}/@{user}.rss")
    nova = account(f"@nova@{httpserver.host}:{httpserver.port}", "mastodon")
    assert collector.serves(nova)
    assert len(fetch(collector, nova)) == 20
    assert not collector.serves(account("@nova", "mastodon"))  # no @host to fill {host}


def test_account_url_when_asked(httpserver: HTTPServer, shared: Path) -> None:
    httpserver.expect_request("/own.xml").respond_with_data(fixture(shared, BRIDGE_MICROBLOG))
    own = account("@budi", url=httpserver.url_for("/own.xml"))
    assert len(fetch(make(httpserver, "/unused/{user}", use_account_url=True), own)) == 2


def test_serves_its_platforms(httpserver: HTTPServer) -> None:
    collector = make(httpserver, platforms=("youtube",))
    assert collector.serves(account(platform="youtube"))
    assert not collector.serves(account(platform="tiktok"))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({"platforms": [], "url": "https://a/{user}"}, "at least 1", id="no-platforms"),
        pytest.param(
            {"platforms": ["myspace"], "url": "https://a/{user}"}, "tidak dikenal", id="platform"
        ),
        pytest.param({"platforms": ["x"], "url": "https://a/{name}"}, "{name}", id="placeholder"),
        pytest.param({"platforms": ["x"], "url": "ftp://a/{user}"}, "http", id="scheme"),
        pytest.param({"platforms": ["x"], "url": "https://a/{user"}, "url", id="syntax"),
        pytest.param({"url": "https://a/{user}"}, "platforms", id="platforms-required"),
    ],
)
def test_settings_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FeedSettings.model_validate(settings)


def test_registered_as_plugin() -> None:
    assert plugins.load("collectors", "feed") is FeedCollector


# -- rescan --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "count", "complete_since"),
    [
        pytest.param(
            "2020-01-01T00:00:00+00:00", 15, "2025-11-25T15:00:10+00:00", id="older-than-feed"
        ),
        pytest.param("2026-01-10T00:00:00+00:00", 4, "2026-01-10T00:00:00+00:00", id="inside-feed"),
    ],
)
def test_rescan_judges_only_what_the_feed_still_covers(
    httpserver: HTTPServer, shared: Path, since: str, count: int, complete_since: str
) -> None:
    serve(httpserver, fixture(shared, YOUTUBE))
    listing = make(httpserver).rescan(account(), datetime.fromisoformat(since))
    assert listing is not None
    assert len(listing.posts) == count
    assert all(p.created_at >= datetime.fromisoformat(since) for p in listing.posts)
    assert listing.complete_since == datetime.fromisoformat(complete_since)


def test_rescan_of_an_empty_feed_judges_nothing(httpserver: HTTPServer) -> None:
    serve(httpserver, atom())
    since = datetime.now(UTC) - timedelta(days=3)
    listing = make(httpserver).rescan(account(), since)
    assert listing is not None and listing.posts == []
    assert listing.complete_since >= datetime.now(UTC) - timedelta(minutes=1)
