"""monitor.collect.xapi: the X API v2 collector, against a local HTTP server that serves
recorded X responses (../shared/fixtures/x-api-v2) and small pages built in the documented
format: newest first, ``since_id`` exclusive, ``meta.next_token`` linking the pages."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from loguru import logger
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor import plugins
from monitor.collect.base import CollectorOptions
from monitor.collect.xapi import XApiCollector, XApiSettings, read_cursor
from monitor.domain import Account, Post
from monitor.errors import (
    AccountUnavailable,
    CollectError,
    CollectorBroken,
    MalformedResponse,
    RateLimited,
    TransientError,
)
from tests.collect.slow import LateAnswer

ENV = "ASNMON_TEST_X_BEARER"
TOKEN = "uji-token-rahasia"
BUDI = Account("x", "@budi_asn", "P01", id=1)
USER = {"data": {"id": "42", "name": "Budi", "username": "Budi_ASN", "protected": False}}
USERS = "/2/users/by/username/budi_asn"
TWEETS = "/2/users/42/tweets"
T0 = datetime(2024, 10, 1, 1, 0, tzinfo=UTC)
FAST = CollectorOptions(rate=None, timeout=2, max_wait=0.5, lookback=3650 * 86400.0)
DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "set-cookie"}

Builder = Callable[..., XApiCollector]


# -- helpers ---------------------------------------------------------------------------


def make(
    httpserver: HTTPServer, *, options: CollectorOptions = FAST, **settings: Any
) -> XApiCollector:
    config = XApiSettings.model_validate(
        {"base_url": httpserver.url_for("").rstrip("/"), "token_env": ENV, **settings}
    )
    return XApiCollector(config, instance="uji", base_dir=Path(), options=options)


@pytest.fixture
def build(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Builder]:
    """Collectors on the local server, with the token in the environment; closed after."""
    monkeypatch.setenv(ENV, TOKEN)
    made: list[XApiCollector] = []

    def build(**kwargs: Any) -> XApiCollector:
        made.append(make(httpserver, **kwargs))
        return made[-1]

    yield build
    for c in made:
        c.close()


@pytest.fixture
def collector(build: Builder) -> XApiCollector:
    return build()


@pytest.fixture
def logs() -> Iterator[list[str]]:
    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(str(m)), level="DEBUG")
    yield messages
    logger.remove(sink)


def recorded(shared: Path, name: str) -> tuple[str, dict[str, str]]:
    """A recorded body and its headers (the body is stored decompressed, so the encoding
    and length headers are left out)."""
    base = shared / "fixtures/x-api-v2" / name
    sidecar = json.loads(base.with_suffix(".headers.json").read_text(encoding="utf-8"))
    headers = {
        k.lower(): ", ".join(v)
        for k, v in sidecar["headers"].items()
        if k.lower() not in DROPPED_HEADERS
    }
    return base.with_suffix(".json").read_text(encoding="utf-8"), headers


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = body if isinstance(body, str) else json.dumps(body)
    headers = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
    return Response(text, status=status, headers=headers, content_type="application/json")


def serve(httpserver: HTTPServer, path: str, body: Any, status: int = 200, **headers: str) -> None:
    httpserver.expect_request(path, method="GET").respond_with_response(
        json_response(body, status, dict(headers))
    )


def tweet(tweet_id: int, text: str, minutes: int, **extra: Any) -> dict[str, Any]:
    created = (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "id": str(tweet_id),
        "text": text,
        "created_at": created,
        "author_id": "42",
        "edit_history_tweet_ids": [str(tweet_id)],
        **extra,
    }


class Timeline:
    """``GET /2/users/:id/tweets`` as X documents it: newest first, ``since_id`` and
    ``until_id`` exclusive, ``start_time`` inclusive, ``max_results`` per page,
    ``next_token`` to the next page."""

    def __init__(self, tweets: list[dict[str, Any]], includes: dict[str, Any] | None = None):
        self.tweets = sorted(tweets, key=lambda t: int(t["id"]), reverse=True)
        self.includes = includes or {}

    def __call__(self, request: Request) -> Response:
        args = request.args
        found = [t for t in self.tweets if int(t["id"]) > int(args.get("since_id", "0"))]
        if "until_id" in args:
            found = [t for t in found if int(t["id"]) < int(args["until_id"])]
        if "start_time" in args:
            start = datetime.fromisoformat(args["start_time"].replace("Z", "+00:00"))
            found = [t for t in found if datetime.fromisoformat(t["created_at"]) >= start]
        offset = int(args.get("pagination_token", "0"))
        size = int(args["max_results"])
        page = found[offset : offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(found):
            meta["next_token"] = str(offset + size)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
            if self.includes:
                body["includes"] = self.includes
        return json_response(body)


def serve_timeline(httpserver: HTTPServer, timeline: Timeline, *, user: Any = USER) -> None:
    serve(httpserver, USERS, user)
    httpserver.expect_request(TWEETS, method="GET").respond_with_handler(timeline)


def requests_to(httpserver: HTTPServer, path: str) -> list[Request]:
    return [r for r, _ in httpserver.log if r.path == path]


def fetch(
    collector: XApiCollector, cursor: str | None = None, account: Account = BUDI
) -> list[Post]:
    return list(collector.fetch(account, cursor))


TWELVE = [tweet(100 + i, f"cuitan {i}", i) for i in range(12)]


# -- the plugin ------------------------------------------------------------------------


def test_registered_as_a_billed_collector(httpserver: HTTPServer) -> None:
    assert plugins.load("collectors", "x_api") is XApiCollector
    c = make(httpserver, cost_per_read_usd=0.01)
    assert (c.name, c.billed, c.cost_per_read()) == ("x_api", True, 0.01)
    assert c.summary and c.version
    assert c.serves(BUDI) and not c.serves(Account("mastodon", "budi@contoh.id", "P01"))
    c.close()


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"max_results": 4}, "max_results"),
        ({"max_results": 101}, "max_results"),
        ({"max_pages": 0}, "max_pages"),
        ({"cost_per_read_usd": -1}, "cost_per_read_usd"),
        ({"base_url": "ftp://api.x.com"}, "base_url"),
        ({"token": "rahasia"}, "token"),
        ({"token_env": ""}, "token_env"),
    ],
    ids=[
        "page-too-small",
        "page-too-big",
        "no-pages",
        "negative-cost",
        "not-http",
        "secret-key",
        "empty-env-name",
    ],
)
def test_settings_refused(settings: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        XApiSettings.model_validate(settings)


def test_settings_defaults() -> None:
    s = XApiSettings()
    assert (s.base_url, s.token_env, s.max_results, s.max_pages) == (
        "https://api.x.com",
        "X_BEARER_TOKEN",
        100,
        10,
    )
    assert (s.cost_per_read_usd, s.include_replies, s.include_retweets) == (0.005, True, True)
    assert (
        XApiSettings(base_url="https://proxy.contoh.id/x/").base_url == "https://proxy.contoh.id/x"
    )


def test_missing_token_is_broken(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    c = make(httpserver)
    reason = c.broken()
    assert reason is not None and ENV in reason
    with pytest.raises(CollectorBroken, match=ENV):
        fetch(c)
    with pytest.raises(CollectorBroken, match=ENV):
        c.rescan(BUDI, T0)
    assert httpserver.log == []
    monkeypatch.setenv(ENV, TOKEN)  # read at request time, not at construction
    assert c.broken() is None
    c.close()


# -- recorded responses ----------------------------------------------------------------


def test_recorded_lookup_and_default_fields_page(
    collector: XApiCollector, httpserver: HTTPServer, shared: Path
) -> None:
    user_body, user_headers = recorded(shared, "users_by_username_Twitter")
    page_body, page_headers = recorded(shared, "users_783214_tweets_default_fields")
    httpserver.expect_request("/2/users/by/username/Twitter").respond_with_response(
        json_response(user_body, headers=user_headers)
    )
    pages = {"": page_body, "7140dibdnow9c7btw4232poeq0wapgnwgwqwvuwn3peex": {"meta": {}}}
    httpserver.expect_request("/2/users/783214/tweets").respond_with_handler(
        lambda r: json_response(pages[r.args.get("pagination_token", "")], headers=page_headers)
    )
    account = Account("x", "@Twitter", "P09")

    posts = fetch(collector, account=account)

    assert [p.post_id for p in posts] == ["1565318587736285184", "1577730467436138524"]
    first = posts[0]
    # default fields carry no created_at: the snowflake id says when
    assert first.created_at == datetime(2022, 9, 1, 12, 40, 8, 186000, tzinfo=UTC)
    assert first.text.startswith("if you see an edited Tweet")
    assert first.url == "https://x.com/Twitter/status/1565318587736285184"
    assert first.author == "@Twitter" and first.shared_from is None
    assert json.loads(first.payload) == json.loads(page_body)["data"][1]
    assert json.loads(posts[1].cursor or "") == {
        "user_id": "783214",
        "username": "Twitter",
        "since_id": "1577730467436138524",
    }
    lookup, page1, page2 = (r for r, _ in httpserver.log)
    assert lookup.headers["Authorization"] == f"Bearer {TOKEN}"
    assert lookup.args["user.fields"] == "protected"
    assert page1.headers["Authorization"] == f"Bearer {TOKEN}"
    assert page1.args["max_results"] == "100" and "start_time" in page1.args
    assert "since_id" not in page1.args and "exclude" not in page1.args
    assert set(page1.args["expansions"].split(",")) == {
        "referenced_tweets.id",
        "referenced_tweets.id.author_id",
        "attachments.media_keys",
    }
    assert {"created_at", "referenced_tweets", "attachments", "note_tweet"} <= set(
        page1.args["tweet.fields"].split(",")
    )
    assert page2.args["pagination_token"] == "7140dibdnow9c7btw4232poeq0wapgnwgwqwvuwn3peex"


def test_recorded_rate_limit_headers_pause_the_host(
    collector: XApiCollector, httpserver: HTTPServer, shared: Path
) -> None:
    body, headers = recorded(shared, "users_by_username_Twitter")
    headers.update(
        {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(time.time()) + 600)}
    )
    httpserver.expect_request("/2/users/by/username/Twitter").respond_with_response(
        json_response(body, headers=headers)
    )
    httpserver.expect_request("/2/users/783214/tweets").respond_with_json({"meta": {}})
    account = Account("x", "Twitter", "P09")
    host = urlsplit(httpserver.url_for("")).netloc

    # the lookup's answer says the window is spent: the timeline waits, the host is paused
    with pytest.raises(RateLimited) as caught:
        fetch(collector, account=account)
    assert caught.value.retry_after is not None and caught.value.retry_after > 500
    assert collector.http.limiter.paused_for(host) > 500
    assert len(requests_to(httpserver, "/2/users/783214/tweets")) == 0


def test_recorded_expanded_page(
    collector: XApiCollector, httpserver: HTTPServer, shared: Path, logs: list[str]
) -> None:
    page_text, _ = recorded(shared, "users_2351222345_tweets_expanded_page")
    page = json.loads(page_text)
    serve(
        httpserver,
        "/2/users/by/username/PhillyNEFL",
        {"data": {"id": "2351222345", "username": "PhillyNEFL"}},
    )
    httpserver.expect_request("/2/users/2351222345/tweets").respond_with_handler(
        lambda r: json_response({"meta": {}} if "pagination_token" in r.args else page_text)
    )
    account = Account("x", "@PhillyNEFL", "P07")

    posts = fetch(collector, account=account)

    assert len(posts) == 100
    assert [int(p.post_id) for p in posts] == sorted(int(t["id"]) for t in page["data"])
    assert all(json.loads(p.cursor or "")["since_id"] == p.post_id for p in posts)
    assert any("partial errors" in m and "1252320537600299008" in m for m in logs)
    originals = {t["id"]: t for t in page["includes"]["tweets"]}
    users = {u["id"]: u["username"] for u in page["includes"]["users"]}
    by_id = {t["id"]: t for t in page["data"]}
    retweets = [p for p in posts if p.raw["kind"] == "retweet"]
    assert len(retweets) == 34
    for post in retweets:
        source = by_id[post.post_id]
        assert source["text"].startswith("RT @")
        original = originals[source["referenced_tweets"][0]["id"]]
        name = users[original["author_id"]]
        assert not post.text.startswith("RT @")
        assert post.shared_from == f"@{name} https://x.com/{name}/status/{original['id']}"
        evidence = json.loads(post.payload)
        assert original in evidence["includes"]["tweets"]
        assert any(u["id"] == original["author_id"] for u in evidence["includes"]["users"])
    first_rt = next(p for p in retweets if p.post_id == "1257786232978968578")
    assert first_rt.text.startswith("#Year16 ✈️✈️✈️")
    assert sum(p.raw["kind"] == "reply" for p in posts) == 41
    with_media = [p for p in posts if p.media]
    assert with_media and all(
        m.startswith("https://pbs.twimg.com/") for p in with_media for m in p.media
    )
    for post in posts:  # the evidence is the tweet as received, with what it refers to
        evidence = json.loads(post.payload)
        evidence.pop("includes", None)
        assert evidence == by_id[post.post_id]
    unescaped = {p.post_id: p.text for p in posts}["1257321286520303624"]
    assert "&amp;" not in unescaped and "&" in unescaped
    indonesian = {p.post_id: p for p in posts}["1252617764315041794"]
    assert indonesian.text == "@TheNBACentral Montana" and indonesian.raw["lang"] == "in"


# -- pages, cursors, order -------------------------------------------------------------


def test_pages_are_followed_and_yielded_oldest_first(
    build: Builder, httpserver: HTTPServer
) -> None:
    collector = build(max_results=5)
    serve_timeline(httpserver, Timeline(TWELVE))

    posts = fetch(collector)

    assert [p.post_id for p in posts] == [str(100 + i) for i in range(12)]
    assert [p.created_at for p in posts] == sorted(p.created_at for p in posts)
    tokens = [r.args.get("pagination_token") for r in requests_to(httpserver, TWEETS)]
    assert tokens == [None, "5", "10"]
    assert json.loads(posts[-1].cursor or "") == {
        "user_id": "42",
        "username": "Budi_ASN",
        "since_id": "111",
    }


def test_second_poll_with_the_cursor_yields_only_newer_posts(
    collector: XApiCollector, httpserver: HTTPServer
) -> None:
    timeline = Timeline(TWELVE[:4])
    serve_timeline(httpserver, timeline)
    first = fetch(collector)
    timeline.tweets = sorted(TWELVE[:7], key=lambda t: -int(t["id"]))

    second = fetch(collector, first[-1].cursor)

    assert [p.post_id for p in first] == ["100", "101", "102", "103"]
    assert [p.post_id for p in second] == ["104", "105", "106"]
    assert len(requests_to(httpserver, USERS)) == 1  # the cursor holds the user id
    last = requests_to(httpserver, TWEETS)[-1]
    assert last.args["since_id"] == "103" and "start_time" not in last.args
    assert fetch(collector, second[-1].cursor) == []


@pytest.mark.parametrize(
    ("cursor", "lookups", "since_id"),
    [
        ("103", 1, "103"),
        ('{"user_id": "42", "username": "BUDI_asn", "since_id": "103"}', 0, "103"),
        ('{"user_id": "42", "username": "someone_else", "since_id": "103"}', 1, "103"),
        ("bukan-penanda", 1, None),
        ('{"user_id": "x1", "since_id": "103"}', 1, None),
    ],
    ids=["legacy-bare-id", "json-same-user", "json-renamed-handle", "garbage", "bad-user-id"],
)
def test_cursor_forms(
    collector: XApiCollector,
    httpserver: HTTPServer,
    cursor: str,
    lookups: int,
    since_id: str | None,
) -> None:
    serve_timeline(httpserver, Timeline(TWELVE[:6]))

    posts = fetch(collector, cursor)

    assert len(requests_to(httpserver, USERS)) == lookups
    request = requests_to(httpserver, TWEETS)[0]
    assert request.args.get("since_id") == since_id
    assert [p.post_id for p in posts] == (
        ["104", "105"] if since_id else [str(100 + i) for i in range(6)]
    )


def test_read_cursor_accepts_none() -> None:
    assert read_cursor(None) == read_cursor("")
    assert read_cursor("77").since_id == "77"


@time_machine.travel(datetime(2024, 10, 1, 12, 0, tzinfo=UTC), tick=False)
def test_first_poll_goes_back_by_the_lookback(build: Builder, httpserver: HTTPServer) -> None:
    options = CollectorOptions(rate=None, timeout=2, max_wait=0.5, lookback=3600)
    collector = build(options=options)
    old_and_new = [tweet(1, "lama", 9 * 60), tweet(2, "baru", 10 * 60 + 30)]
    serve_timeline(httpserver, Timeline(old_and_new))

    posts = fetch(collector)

    assert requests_to(httpserver, TWEETS)[0].args["start_time"] == "2024-10-01T11:00:00Z"
    assert [p.text for p in posts] == ["baru"]


def ids(posts: list[Post]) -> list[int]:
    return [int(p.post_id) for p in posts]


def gaps_of(post: Post) -> list[list[str]]:
    return list(json.loads(post.cursor or "{}").get("gaps", []))


def test_max_pages_caps_a_poll_and_the_rest_is_read_later(
    build: Builder, httpserver: HTTPServer, logs: list[str]
) -> None:
    collector = build(max_results=5, max_pages=2)
    timeline = Timeline([tweet(100 + i, f"cuitan {i}", i) for i in range(30)])
    serve_timeline(httpserver, timeline)
    # (tweets posted before the poll, ids yielded, gaps in the last cursor, since_id)
    polls = [
        ([], list(range(120, 130)), [["99", "120"]], "129"),
        ([130, 131], [*range(110, 120), 130, 131], [["99", "110"]], "131"),
        ([], list(range(100, 110)), [], "131"),
        ([], [], None, None),
    ]
    cursor = '{"user_id": "42", "username": "Budi_ASN", "since_id": "99"}'
    seen: list[int] = []
    for new, expected, gaps, since_id in polls:
        timeline.tweets = sorted(
            [*timeline.tweets, *(tweet(i, f"baru {i}", i) for i in new)],
            key=lambda t: -int(t["id"]),
        )
        posts = fetch(collector, cursor)
        assert ids(posts) == expected
        if posts:
            assert gaps_of(posts[-1]) == gaps
            assert json.loads(posts[-1].cursor or "")["since_id"] == since_id
            cursor = posts[-1].cursor
        seen += ids(posts)
    assert sorted(seen) == list(range(100, 132))  # every tweet once, none skipped
    assert any("more than 2 pages since tweet 99" in m for m in logs)
    walks = [r.args.get("until_id") for r in requests_to(httpserver, TWEETS)]
    assert "120" in walks and "110" in walks


def test_a_crash_while_filling_a_gap_reads_the_range_again(
    build: Builder, httpserver: HTTPServer
) -> None:
    collector = build(max_results=5, max_pages=2)
    serve_timeline(httpserver, Timeline([tweet(100 + i, f"cuitan {i}", i) for i in range(20)]))
    cursor = '{"user_id": "42", "username": "Budi_ASN", "since_id": "119", "gaps": [["99", "110"]]}'

    posts = fetch(collector, cursor)

    assert ids(posts) == list(range(100, 110))
    # only the last filled tweet closes the gap: a crash after storing an earlier one
    # leaves a cursor that walks the whole range again
    assert [gaps_of(p) for p in posts[:-1]] == [[["99", "110"]]] * 9
    assert gaps_of(posts[-1]) == []
    assert ids(fetch(collector, posts[4].cursor)) == list(range(100, 110))


def test_an_empty_gap_is_closed_by_the_next_new_tweet(
    build: Builder, httpserver: HTTPServer, logs: list[str]
) -> None:
    collector = build(max_results=5, max_pages=2)
    serve_timeline(httpserver, Timeline([tweet(200, "baru", 1)]))
    cursor = '{"user_id": "42", "username": "Budi_ASN", "since_id": "150", "gaps": [["50", "60"]]}'

    posts = fetch(collector, cursor)

    assert ids(posts) == [200]
    assert gaps_of(posts[0]) == []
    assert any("no tweet between 50 and 60" in m for m in logs)


@pytest.mark.parametrize(
    ("gaps", "read"),
    [
        ('[["1", "2"]]', (("1", "2"),)),
        ('"99-120"', ()),
        ('[["1"]]', ()),
        ('[["a", "2"]]', ()),
    ],
    ids=["pair", "not-a-list", "short", "not-ids"],
)
def test_cursor_gaps_are_read_or_ignored(gaps: str, read: tuple[tuple[str, str], ...]) -> None:
    cursor = f'{{"user_id": "42", "username": "b", "since_id": "7", "gaps": {gaps}}}'
    state = read_cursor(cursor)
    assert (state.since_id, state.gaps) == ("7", read)


@pytest.mark.parametrize(
    ("settings", "exclude"),
    [
        ({}, None),
        ({"include_replies": False}, "replies"),
        ({"include_retweets": False}, "retweets"),
        ({"include_replies": False, "include_retweets": False}, "replies,retweets"),
    ],
    ids=["all", "no-replies", "no-retweets", "neither"],
)
def test_exclude_parameter(
    httpserver: HTTPServer,
    build: Builder,
    settings: dict[str, Any],
    exclude: str | None,
) -> None:
    collector = build(**settings)
    serve_timeline(httpserver, Timeline([]))
    assert fetch(collector) == []
    assert requests_to(httpserver, TWEETS)[0].args.get("exclude") == exclude


# -- reposts ---------------------------------------------------------------------------

SHARES = Timeline(
    [
        tweet(
            201,
            "RT @relawan_hesti: Ayo coblos nomor 2! Kita menangkan bersama di Pilkada Sukamaju…",
            1,
            referenced_tweets=[{"type": "retweeted", "id": "900"}],
        ),
        tweet(
            202,
            "Setuju sekali &amp; siap hadir https://t.co/q",
            2,
            referenced_tweets=[{"type": "quoted", "id": "901"}],
            attachments={"media_keys": ["3_1"]},
        ),
        tweet(
            203,
            "RT @hilang: teks terpotong…",
            3,
            referenced_tweets=[{"type": "retweeted", "id": "999"}],
        ),
        tweet(204, "@warga betul", 4, referenced_tweets=[{"type": "replied_to", "id": "902"}]),
        tweet(205, "teks pendek…", 5, note_tweet={"text": "teks panjang " * 30}),
    ],
    includes={
        "tweets": [
            {
                "id": "900",
                "text": "Ayo coblos nomor 2! Kita menangkan bersama di Pilkada Sukamaju 2024 &lt;3",
                "author_id": "7",
                "attachments": {"media_keys": ["7_2"]},
            },
            {"id": "901", "text": "Jadwal kampanye akbar paslon 2 besok", "author_id": "8"},
        ],
        "users": [
            {"id": "7", "username": "relawan_hesti", "name": "Hesti"},
            {"id": "8", "username": "paslon2_sukamaju", "name": "Paslon 2"},
            {"id": "99", "username": "tak_dirujuk", "name": "Lain"},
        ],
        "media": [
            {"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/a.jpg"},
            {
                "media_key": "7_2",
                "type": "video",
                "preview_image_url": "https://pbs.twimg.com/thumb/b.jpg",
            },
        ],
    },
)


def test_retweets_quotes_and_long_tweets(collector: XApiCollector, httpserver: HTTPServer) -> None:
    serve_timeline(httpserver, SHARES)

    posts = {p.post_id: p for p in fetch(collector)}

    retweet = posts["201"]
    assert retweet.text == "Ayo coblos nomor 2! Kita menangkan bersama di Pilkada Sukamaju 2024 <3"
    assert retweet.shared_from == "@relawan_hesti https://x.com/relawan_hesti/status/900"
    assert retweet.media == ("https://pbs.twimg.com/thumb/b.jpg",)
    assert retweet.url == "https://x.com/Budi_ASN/status/201"
    evidence = json.loads(retweet.payload)
    assert [t["id"] for t in evidence["includes"]["tweets"]] == ["900"]
    assert [u["username"] for u in evidence["includes"]["users"]] == ["relawan_hesti"]
    assert [m["media_key"] for m in evidence["includes"]["media"]] == ["7_2"]

    quote = posts["202"]
    assert (
        quote.text
        == "Setuju sekali & siap hadir https://t.co/q\n\nJadwal kampanye akbar paslon 2 besok"
    )
    assert quote.shared_from == "@paslon2_sukamaju https://x.com/paslon2_sukamaju/status/901"
    assert quote.media == ("https://pbs.twimg.com/media/a.jpg",)
    assert quote.raw["kind"] == "quote"

    vanished = posts["203"]  # the original was deleted: keep what the retweet shows
    assert vanished.text == "RT @hilang: teks terpotong…"
    assert vanished.shared_from == "@hilang https://x.com/hilang/status/999"

    assert posts["204"].raw["kind"] == "reply" and posts["204"].shared_from is None
    assert posts["205"].text == ("teks panjang " * 30)
    assert all(p.created_at.tzinfo is not None for p in posts.values())


# -- faults ----------------------------------------------------------------------------

# far enough ahead that it is still in the future when a long test session reaches it
SOON = str(int(time.time()) + 86_400)
EXHAUSTED = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": SOON}
SUSPENDED = {"errors": [{"title": "Forbidden", "detail": "User has been suspended: [budi_asn]."}]}
PROTECTED = {"data": {"id": "42", "username": "budi_asn", "protected": True}}
NOT_AUTHORIZED = {
    "errors": [
        {
            "title": "Authorization Error",
            "detail": "Sorry, you are not authorized to see the user with id: [42].",
            "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
        }
    ]
}
NOT_ENROLLED = {
    "title": "Client Forbidden",
    "detail": "This request must be made using an approved developer account ...",
    "reason": "client-not-enrolled",
    "required_enrollment": "Appropriate Level of API Access",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}
FORBIDDEN = {"title": "Forbidden", "detail": "Forbidden", "type": "about:blank", "status": 403}
BAD_REQUEST = {"title": "Invalid Request", "errors": [{"message": "Invalid 'since_id'"}]}
HTML = "<!DOCTYPE html><html><body>Maintenance</body></html>"
ONE = [{"id": "5", "text": "x"}]
BAD_TIME = {"data": [{"id": "5", "text": "x", "created_at": "kemarin"}]}
BAD_INCLUDES = {"data": ONE, "includes": {"users": "x"}}
p = pytest.param

FAULTS = [
    p(USERS, 429, {}, {"Retry-After": "7"}, RateLimited, "429", id="lookup-429-retry-after"),
    p(TWEETS, 429, {}, EXHAUSTED, RateLimited, "429", id="timeline-429-rate-limit-reset"),
    p(USERS, 500, {"title": "Internal"}, {}, TransientError, "500", id="lookup-500"),
    p(TWEETS, 503, "<html>Over capacity</html>", {}, TransientError, "503", id="timeline-503"),
    p(USERS, 404, {"title": "Not Found"}, {}, AccountUnavailable, "404", id="lookup-404"),
    p(USERS, 200, SUSPENDED, {}, AccountUnavailable, "suspended", id="lookup-suspended"),
    p(USERS, 200, PROTECTED, {}, AccountUnavailable, "dikunci", id="lookup-protected"),
    p(TWEETS, 200, NOT_AUTHORIZED, {}, AccountUnavailable, "not authorized", id="timeline-denied"),
    p(USERS, 401, {"title": "Unauthorized"}, {}, CollectorBroken, "401", id="lookup-401"),
    p(USERS, 403, NOT_ENROLLED, {}, CollectorBroken, "not-enrolled", id="lookup-403-not-enrolled"),
    p(TWEETS, 403, FORBIDDEN, {}, AccountUnavailable, "403", id="timeline-403-no-reason"),
    p(TWEETS, 402, {"title": "Payment Required"}, {}, CollectorBroken, "402", id="timeline-402"),
    p(TWEETS, 400, BAD_REQUEST, {}, MalformedResponse, "400", id="timeline-400"),
    p(USERS, 200, HTML, {}, MalformedResponse, "bukan JSON", id="lookup-html-200"),
    p(USERS, 200, {}, {}, MalformedResponse, "data", id="lookup-empty-object"),
    p(USERS, 200, {"data": {"id": 42}}, {}, MalformedResponse, "id", id="lookup-numeric-id"),
    p(TWEETS, 200, [], {}, MalformedResponse, "objek JSON", id="timeline-array"),
    p(TWEETS, 200, {"data": ONE[0]}, {}, MalformedResponse, "daftar", id="timeline-data-object"),
    p(TWEETS, 200, {"data": [{"text": "x"}]}, {}, MalformedResponse, "id", id="timeline-no-id"),
    p(TWEETS, 200, BAD_TIME, {}, MalformedResponse, "kemarin", id="timeline-bad-created-at"),
    p(TWEETS, 200, BAD_INCLUDES, {}, MalformedResponse, "includes", id="timeline-bad-includes"),
    p(TWEETS, 200, '{"data": [{"id": "5"', {}, MalformedResponse, "JSON", id="timeline-cut-short"),
]


@pytest.mark.parametrize(("path", "status", "body", "headers", "error", "message"), FAULTS)
def test_faults(
    collector: XApiCollector,
    httpserver: HTTPServer,
    path: str,
    status: int,
    body: Any,
    headers: dict[str, str],
    error: type[CollectError],
    message: str,
) -> None:
    serve(httpserver, path, body, status, **headers)
    if path == TWEETS:
        serve(httpserver, USERS, USER)

    with pytest.raises(error, match=message) as caught:
        fetch(collector)

    assert type(caught.value) is error
    assert "@budi_asn" in str(caught.value)
    if error is RateLimited:
        assert caught.value.retry_after is not None and caught.value.retry_after > 1


def test_retry_after_is_passed_on(collector: XApiCollector, httpserver: HTTPServer) -> None:
    serve(httpserver, USERS, {"title": "Too Many Requests"}, 429, **{"Retry-After": "7"})
    with pytest.raises(RateLimited) as caught:
        fetch(collector)
    assert caught.value.retry_after == pytest.approx(7, abs=1)


def test_timeout_is_transient(build: Builder, httpserver: HTTPServer) -> None:
    collector = build(options=CollectorOptions(rate=None, timeout=0.2, max_wait=0.5))

    late = LateAnswer(lambda: json_response(USER))
    httpserver.expect_request(USERS).respond_with_handler(late)
    with pytest.raises(TransientError, match="batas waktu"):
        fetch(collector)
    late.finish(httpserver, USERS)


@pytest.mark.parametrize(
    "handle",
    ["@budi-asn", "budi asn", "@", "https://x.com/budi"],
    ids=["dash", "space", "empty", "url"],
)
def test_invalid_username(collector: XApiCollector, httpserver: HTTPServer, handle: str) -> None:
    with pytest.raises(AccountUnavailable, match="nama pengguna X"):
        fetch(collector, account=Account("x", handle, "P01"))
    assert httpserver.log == []


# -- re-scan ---------------------------------------------------------------------------


def test_rescan_lists_every_page_since(build: Builder, httpserver: HTTPServer) -> None:
    collector = build(max_results=5)
    serve_timeline(httpserver, Timeline(TWELVE))
    since = T0 + timedelta(minutes=3)

    listing = collector.rescan(BUDI, since)

    assert listing is not None
    assert [p.post_id for p in listing.posts] == [str(100 + i) for i in range(3, 12)]
    assert listing.complete_since == since
    assert listing.reads == 9
    assert requests_to(httpserver, TWEETS)[0].args["start_time"] == "2024-10-01T01:03:00Z"


def test_rescan_cut_by_max_pages_is_complete_only_from_the_oldest_seen(
    build: Builder, httpserver: HTTPServer
) -> None:
    collector = build(max_results=5, max_pages=1)
    serve_timeline(httpserver, Timeline(TWELVE))

    listing = collector.rescan(BUDI, T0)

    assert listing is not None
    assert [p.post_id for p in listing.posts] == ["107", "108", "109", "110", "111"]
    assert listing.complete_since == T0 + timedelta(minutes=7)
    assert listing.reads == 5


def test_rescan_of_a_protected_account(collector: XApiCollector, httpserver: HTTPServer) -> None:
    serve(httpserver, USERS, {"data": {"id": "42", "username": "budi_asn", "protected": True}})
    with pytest.raises(AccountUnavailable, match="dikunci"):
        collector.rescan(BUDI, T0)
