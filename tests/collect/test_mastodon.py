"""monitor.collect.mastodon: the Mastodon REST collector, against a local HTTP server that
serves recorded Mastodon responses (../shared/fixtures/mastodon-api) and small timelines
paged as Mastodon pages them: newest first, ``max_id``/``min_id`` exclusive, and a ``Link``
header whose ``rel="next"`` goes older and ``rel="prev"`` goes newer."""

from __future__ import annotations

import json
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
from monitor.collect.mastodon import MastodonCollector, MastodonSettings, read_cursor
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

ENV = "ASNMON_TEST_MASTODON_TOKEN"
BUDI = Account("mastodon", "@budi@contoh.id", "P01", id=1)
LOOKUP = "/api/v1/accounts/lookup"
STATUSES = "/api/v1/accounts/7/statuses"
BUDI_ACCOUNT = {"id": "7", "username": "budi", "acct": "budi", "locked": False}
T0 = datetime(2024, 10, 1, 1, 0, tzinfo=UTC)
FAST = CollectorOptions(rate=None, timeout=2, max_wait=0.5, lookback=3650 * 86400.0)
RECORDED_ACCOUNT = "117020565966271181"
DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}
Builder = Callable[..., MastodonCollector]


# -- helpers ---------------------------------------------------------------------------


def make(
    httpserver: HTTPServer, *, options: CollectorOptions = FAST, **settings: Any
) -> MastodonCollector:
    config = MastodonSettings.model_validate(
        {"instance": httpserver.url_for("").rstrip("/"), **settings}
    )
    return MastodonCollector(config, instance="uji", base_dir=Path(), options=options)


@pytest.fixture
def build(httpserver: HTTPServer) -> Iterator[Builder]:
    """Collectors on the local server; closed after."""
    made: list[MastodonCollector] = []

    def build(**kwargs: Any) -> MastodonCollector:
        made.append(make(httpserver, **kwargs))
        return made[-1]

    yield build
    for c in made:
        c.close()


@pytest.fixture
def collector(build: Builder) -> MastodonCollector:
    return build()


@pytest.fixture
def logs() -> Iterator[list[str]]:
    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(str(m)), level="DEBUG")
    yield messages
    logger.remove(sink)


def base_url(httpserver: HTTPServer) -> str:
    return httpserver.url_for("").rstrip("/")


def recorded(shared: Path, name: str, httpserver: HTTPServer) -> tuple[str, dict[str, str]]:
    """A recorded body and its headers, the recording server's address in ``Link``
    rewritten to the local server's."""
    base = shared / "fixtures/mastodon-api" / name
    sidecar = json.loads(base.with_suffix(".headers.json").read_text(encoding="utf-8"))
    headers = {
        k.lower(): ", ".join(v).replace("http://localhost:3000", base_url(httpserver))
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


def status(status_id: int, html: str, minutes: float, **extra: Any) -> dict[str, Any]:
    created = (T0 + timedelta(minutes=minutes)).isoformat(timespec="milliseconds")
    return {
        "id": str(status_id),
        "created_at": created.replace("+00:00", "Z"),
        "in_reply_to_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "id",
        "uri": f"https://contoh.id/users/budi/statuses/{status_id}",
        "url": f"https://contoh.id/@budi/{status_id}",
        "edited_at": None,
        "content": html,
        "reblog": None,
        "account": {"id": "7", "username": "budi", "acct": "budi"},
        "media_attachments": [],
        "poll": None,
        **extra,
    }


class Timeline:
    """``GET /api/v1/accounts/:id/statuses`` as Mastodon answers it."""

    def __init__(self, statuses: list[dict[str, Any]]) -> None:
        self.statuses = statuses

    def __call__(self, request: Request) -> Response:
        args = request.args
        limit = int(args.get("limit", "20"))
        found = sorted(self.statuses, key=lambda s: int(s["id"]), reverse=True)
        if "max_id" in args:
            found = [s for s in found if int(s["id"]) < int(args["max_id"])]
        if "min_id" in args:  # the page right after min_id, still newest first
            newer = [s for s in reversed(found) if int(s["id"]) > int(args["min_id"])]
            found = list(reversed(newer[:limit]))
        page = found[:limit]
        headers = {}
        if page:
            url = request.base_url
            headers["Link"] = (
                f'<{url}?limit={limit}&max_id={page[-1]["id"]}>; rel="next", '
                f'<{url}?limit={limit}&min_id={page[0]["id"]}>; rel="prev"'
            )
        return json_response(page, headers=headers)


def serve_timeline(httpserver: HTTPServer, timeline: Timeline, account: Any = BUDI_ACCOUNT) -> None:
    serve(httpserver, LOOKUP, account)
    httpserver.expect_request(STATUSES, method="GET").respond_with_handler(timeline)


def requests_to(httpserver: HTTPServer, path: str) -> list[Request]:
    return [r for r, _ in httpserver.log if r.path == path]


def fetch(
    collector: MastodonCollector, cursor: str | None = None, account: Account = BUDI
) -> list[Post]:
    return list(collector.fetch(account, cursor))


NINE = [status(100 + i, f"<p>status {i}</p>", i * 10) for i in range(9)]


# -- the plugin and its settings -------------------------------------------------------


def test_registered(httpserver: HTTPServer) -> None:
    assert plugins.load("collectors", "mastodon") is MastodonCollector
    c = make(httpserver)
    assert (c.name, c.billed, c.cost_per_read()) == ("mastodon", False, None)
    assert c.summary and c.version


def test_settings_defaults() -> None:
    s = MastodonSettings()
    assert (s.instance, s.token_env, s.limit, s.max_pages) == (None, None, 40, 10)
    assert (s.exclude_replies, s.exclude_reblogs) == (False, False)
    assert MastodonSettings(instance="https://m.contoh.id/").instance == "https://m.contoh.id"


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"limit": 41}, "limit"),
        ({"limit": 0}, "limit"),
        ({"max_pages": 0}, "max_pages"),
        ({"instance": "mastodon.social"}, "instance"),
        ({"token_env": "TOKEN"}, "token_env hanya boleh"),
        ({"token": "rahasia"}, "token"),
    ],
    ids=[
        "limit-too-big",
        "limit-zero",
        "no-pages",
        "instance-without-scheme",
        "token-without-instance",
        "secret-key",
    ],
)
def test_settings_refused(settings: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        MastodonSettings.model_validate(settings)


@pytest.mark.parametrize(
    ("handle", "instance", "base", "acct"),
    [
        ("@budi@mastodon.social", None, "https://mastodon.social", "budi"),
        ("budi@Mastodon.Social", None, "https://mastodon.social", "budi"),
        ("budi", "https://m.contoh.id", "https://m.contoh.id", "budi"),
        ("@budi@m.contoh.id", "https://m.contoh.id", "https://m.contoh.id", "budi"),
        ("budi@lain.id", "https://m.contoh.id", "https://m.contoh.id", "budi@lain.id"),
        ("budi.asn_1@k.id:8443", None, "https://k.id:8443", "budi.asn_1"),
    ],
    ids=[
        "full",
        "case-of-host",
        "bare-with-instance",
        "own-instance",
        "remote-via-instance",
        "port-and-dots",
    ],
)
def test_where_an_account_is_read(handle: str, instance: str | None, base: str, acct: str) -> None:
    config = MastodonSettings(instance=instance)
    c = MastodonCollector(config, instance="uji", base_dir=Path())
    account = Account("mastodon", handle, "P01")
    where = c.where(account)
    assert (where.base, where.acct) == (base, acct)
    assert c.serves(account)


@pytest.mark.parametrize(
    ("handle", "message"),
    [("budi", "pengguna@server"), ("budi asn@contoh.id", "bukan alamat"), ("@", "bukan alamat")],
    ids=["bare-without-instance", "space", "empty"],
)
def test_unusable_handles(httpserver: HTTPServer, handle: str, message: str) -> None:
    c = MastodonCollector(MastodonSettings(), instance="uji", base_dir=Path(), options=FAST)
    with pytest.raises(AccountUnavailable, match=message):
        fetch(c, account=Account("mastodon", handle, "P01"))
    assert not c.serves(Account("mastodon", "budi", "P01"))
    assert not c.serves(Account("x", "budi@contoh.id", "P01"))
    assert httpserver.log == []


def test_token_is_read_from_the_environment(
    build: Builder, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    c = build(token_env=ENV)
    reason = c.broken()
    assert reason is not None and ENV in reason
    with pytest.raises(CollectorBroken, match=ENV):
        fetch(c)
    assert httpserver.log == []

    monkeypatch.setenv(ENV, "rahasia")
    serve_timeline(httpserver, Timeline([]))
    assert c.broken() is None
    assert fetch(c) == []
    assert all(r.headers["Authorization"] == "Bearer rahasia" for r, _ in httpserver.log)


def test_no_token_no_authorization_header(
    collector: MastodonCollector, httpserver: HTTPServer
) -> None:
    serve_timeline(httpserver, Timeline([]))
    assert collector.broken() is None
    assert fetch(collector) == []
    assert all("Authorization" not in r.headers for r, _ in httpserver.log)


# -- recorded responses ----------------------------------------------------------------


def test_recorded_lookup_and_first_page(
    build: Builder, httpserver: HTTPServer, shared: Path
) -> None:
    collector = build(limit=5)
    lookup_body, lookup_headers = recorded(shared, "accounts_lookup_mastodonpy_test", httpserver)
    page_body, page_headers = recorded(shared, "accounts_statuses_page1_limit5", httpserver)
    assert base_url(httpserver) in page_headers["link"]
    httpserver.expect_request(LOOKUP).respond_with_response(
        json_response(lookup_body, headers=lookup_headers)
    )
    path = f"/api/v1/accounts/{RECORDED_ACCOUNT}/statuses"
    httpserver.expect_request(path).respond_with_handler(
        lambda r: json_response("[]" if "max_id" in r.args else page_body, headers=page_headers)
    )
    account = Account("mastodon", "mastodonpy_test", "P09")  # a bare name on `instance`
    assert json.loads(lookup_body)["locked"] is True  # locked: its public statuses still show

    posts = fetch(collector, account=account)

    assert [p.text for p in posts] == [f"Toot number {n}!" for n in range(5, 10)]
    recorded_page = json.loads(page_body)
    assert [json.loads(p.payload) for p in posts] == list(reversed(recorded_page))
    first = posts[0]
    assert first.post_id == "117020580489281910"
    assert first.created_at == datetime(2026, 8, 1, 13, 52, 33, 658000, tzinfo=UTC)
    assert first.url == "http://localhost:3000/@mastodonpy_test/117020580489281910"
    assert first.author == "mastodonpy_test" and first.shared_from is None
    assert first.raw["visibility"] == recorded_page[-1]["visibility"]
    assert json.loads(posts[-1].cursor or "") == {
        "server": base_url(httpserver),
        "acct": "mastodonpy_test",
        "account_id": RECORDED_ACCOUNT,
        "min_id": "117020580518794573",
    }
    lookup, page1, page2 = (r for r, _ in httpserver.log)
    assert lookup.args["acct"] == "mastodonpy_test"
    assert page1.args["limit"] == "5" and "max_id" not in page1.args
    assert page2.args["max_id"] == "117020580489281910"  # from the Link header, rel="next"


def test_recorded_rate_limit_headers_pause_the_host(
    collector: MastodonCollector, httpserver: HTTPServer, shared: Path
) -> None:
    body, headers = recorded(shared, "accounts_lookup_mastodonpy_test", httpserver)
    reset = datetime.now(UTC) + timedelta(minutes=5)
    headers.update(
        {
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": reset.isoformat().replace("+00:00", "Z"),
        }
    )
    httpserver.expect_request(LOOKUP).respond_with_response(json_response(body, headers=headers))
    account = Account("mastodon", "mastodonpy_test", "P09")

    with pytest.raises(RateLimited) as caught:
        fetch(collector, account=account)

    assert caught.value.retry_after is not None and caught.value.retry_after > 200
    assert collector.http.limiter.paused_for(urlsplit(base_url(httpserver)).netloc) > 200
    assert requests_to(httpserver, f"/api/v1/accounts/{RECORDED_ACCOUNT}/statuses") == []


def test_recorded_boost_and_remote_media(
    collector: MastodonCollector, httpserver: HTTPServer, shared: Path
) -> None:
    boost_body, _ = recorded(shared, "status_boost_wrapper", httpserver)
    remote_body, _ = recorded(shared, "status_remote_media_mastodon_social", httpserver)
    boost, remote = json.loads(boost_body), json.loads(remote_body)
    serve_timeline(httpserver, Timeline([boost, remote]))
    host = urlsplit(base_url(httpserver)).netloc

    posts = {p.post_id: p for p in fetch(collector)}

    shared_post = posts["117020569768720055"]
    assert shared_post.text == "rootin tooting and shootin"
    assert shared_post.shared_from == (
        f"@mastodonpy_test_2@{host} http://localhost:3000/@mastodonpy_test_2/117020569685834492"
    )
    assert shared_post.url == boost["url"]  # the boost's own address
    assert shared_post.created_at == datetime(2026, 8, 1, 13, 49, 50, 77000, tzinfo=UTC)
    assert shared_post.raw["kind"] == "boost"
    assert shared_post.raw["reblog_id"] == "117020569685834492"
    assert json.loads(shared_post.payload) == boost

    cw = posts["110446223051565765"]
    assert cw.text == (
        "test post for mastodon.py stuff\n\n"
        "@halcy you're a doo-doo head\n\n"
        "edit: editing this to have the maximum amount of fields filled :trans_heart: "
        "#ThisIsAHashtag"
    )
    assert cw.media == (remote["media_attachments"][0]["url"],)
    assert cw.raw["edited_at"] == "2023-05-28T12:09:44.000Z"
    assert cw.url == "https://icosahedron.website/@halcy/110446222386355655"
    assert cw.shared_from is None
    assert "\\u" not in cw.payload and json.loads(cw.payload) == remote


# -- pages, cursors, order -------------------------------------------------------------


def test_first_poll_pages_back_and_yields_oldest_first(
    build: Builder, httpserver: HTTPServer
) -> None:
    collector = build(limit=4)
    serve_timeline(httpserver, Timeline(NINE))

    posts = fetch(collector)

    assert [p.post_id for p in posts] == [str(100 + i) for i in range(9)]
    assert [p.text for p in posts][:2] == ["status 0", "status 1"]
    assert [r.args.get("max_id") for r in requests_to(httpserver, STATUSES)] == [
        None,
        "105",
        "101",
        "100",
    ]
    assert [json.loads(p.cursor or "")["min_id"] for p in posts] == [p.post_id for p in posts]


@time_machine.travel(T0 + timedelta(minutes=90), tick=False)
def test_first_poll_stops_at_the_lookback(build: Builder, httpserver: HTTPServer) -> None:
    options = CollectorOptions(rate=None, timeout=2, max_wait=0.5, lookback=3600)
    collector = build(options=options, limit=2)
    serve_timeline(httpserver, Timeline(NINE))  # every 10 minutes from T0

    posts = fetch(collector)

    assert [p.post_id for p in posts] == ["103", "104", "105", "106", "107", "108"]
    assert len(requests_to(httpserver, STATUSES)) == 4  # the 4th page reached 20 minutes


def test_second_poll_with_the_cursor_yields_only_newer_posts(
    build: Builder, httpserver: HTTPServer
) -> None:
    collector = build(limit=2)
    timeline = Timeline(NINE[:3])
    serve_timeline(httpserver, timeline)
    first = fetch(collector)
    timeline.statuses = NINE

    second = fetch(collector, first[-1].cursor)

    assert [p.post_id for p in first] == ["100", "101", "102"]
    assert [p.post_id for p in second] == ["103", "104", "105", "106", "107", "108"]
    assert len(requests_to(httpserver, LOOKUP)) == 1  # the cursor holds the account id
    min_ids = [r.args.get("min_id") for r in requests_to(httpserver, STATUSES)][-4:]
    assert min_ids == ["102", "104", "106", "108"]  # rel="prev" links, then an empty page
    assert fetch(collector, second[-1].cursor) == []


def test_max_pages_leaves_the_rest_for_the_next_poll(
    build: Builder, httpserver: HTTPServer
) -> None:
    collector = build(limit=2, max_pages=2)
    serve_timeline(httpserver, Timeline(NINE))

    first = fetch(collector, "100")
    second = fetch(collector, first[-1].cursor)

    assert [p.post_id for p in first] == ["101", "102", "103", "104"]
    assert [p.post_id for p in second] == ["105", "106", "107", "108"]


@pytest.mark.parametrize(
    ("cursor", "lookups", "min_id"),
    [
        ("103", 1, "103"),
        (
            '{"server": "SERVER", "acct": "budi@contoh.id", "account_id": "7", "min_id": "103"}',
            0,
            "103",
        ),
        (
            '{"server": "https://lain.id", "acct": "budi@contoh.id", "account_id": "7", '
            '"min_id": "103"}',
            1,
            "103",
        ),
        ("{bukan json", 1, None),
        ('{"account_id": "7/../8", "min_id": "103"}', 1, None),
    ],
    ids=["legacy-bare-id", "json-same-server", "json-other-server", "garbage", "bad-id"],
)
def test_cursor_forms(
    collector: MastodonCollector,
    httpserver: HTTPServer,
    cursor: str,
    lookups: int,
    min_id: str | None,
) -> None:
    serve_timeline(httpserver, Timeline(NINE[:6]))

    posts = fetch(collector, cursor.replace("SERVER", base_url(httpserver)))

    assert len(requests_to(httpserver, LOOKUP)) == lookups
    assert requests_to(httpserver, STATUSES)[0].args.get("min_id") == min_id
    expected = ["104", "105"] if min_id else [str(100 + i) for i in range(6)]
    assert [p.post_id for p in posts] == expected


def test_read_cursor_accepts_none() -> None:
    assert read_cursor(None) == read_cursor("")
    assert read_cursor("77").min_id == "77"


@pytest.mark.parametrize(
    ("settings", "replies", "reblogs"),
    [
        ({}, None, None),
        ({"exclude_replies": True}, "true", None),
        ({"exclude_reblogs": True}, None, "true"),
    ],
    ids=["all", "no-replies", "no-boosts"],
)
def test_exclude_parameters(
    build: Builder,
    httpserver: HTTPServer,
    settings: dict[str, Any],
    replies: str | None,
    reblogs: str | None,
) -> None:
    collector = build(**settings)
    serve_timeline(httpserver, Timeline([]))
    assert fetch(collector) == []
    request = requests_to(httpserver, STATUSES)[0]
    assert (request.args.get("exclude_replies"), request.args.get("exclude_reblogs")) == (
        replies,
        reblogs,
    )
    assert request.args["limit"] == "40"


# -- what a status carries -------------------------------------------------------------

POLL = {"id": "1", "options": [{"title": "Paslon 1", "votes_count": 3}, {"title": "Paslon 2"}]}
QUOTED = status(
    50,
    "<p>Kampanye akbar besok!</p>",
    -60,
    account={"id": "9", "acct": "paslon2@kampanye.id"},
    url="https://kampanye.id/@paslon2/50",
    media_attachments=[
        {"id": "m2", "type": "image", "url": None, "remote_url": "https://k.id/a.png"}
    ],
)
SHAPES = [
    status(201, "<p>Siapa pilihanmu?</p>", 1, poll=POLL),
    status(202, "<p>Hadir ya</p>", 2, quote={"state": "accepted", "quoted_status": QUOTED}),
    status(203, "<p>@warga betul</p>", 3, in_reply_to_id="77"),
    status(
        204,
        "",
        4,
        spoiler_text="Politik",
        media_attachments=[{"id": "m1", "url": "https://contoh.id/m1.jpg"}],
    ),
    status(
        205, "<p>satu<br>dua</p><p>tiga &amp; empat</p>", 5, edited_at="2024-10-01T02:00:00.000Z"
    ),
]


def test_polls_quotes_replies_and_content_warnings(
    collector: MastodonCollector, httpserver: HTTPServer
) -> None:
    serve_timeline(httpserver, Timeline(SHAPES))

    posts = {p.post_id: p for p in fetch(collector)}

    assert posts["201"].text == "Siapa pilihanmu?\n\n- Paslon 1\n- Paslon 2"
    assert posts["202"].text == "Hadir ya\n\nKampanye akbar besok!"
    assert posts["202"].shared_from == "@paslon2@kampanye.id https://kampanye.id/@paslon2/50"
    assert posts["202"].media == ("https://k.id/a.png",)
    assert posts["202"].raw["kind"] == "quote"
    assert posts["203"].raw["kind"] == "reply" and posts["203"].raw["in_reply_to_id"] == "77"
    assert posts["204"].text == "Politik"
    assert posts["204"].media == ("https://contoh.id/m1.jpg",)
    assert posts["205"].text == "satu\ndua\n\ntiga & empat"
    assert posts["205"].raw["edited_at"] == "2024-10-01T02:00:00.000Z"
    assert all(p.author == "@budi@contoh.id" for p in posts.values())


# -- faults ----------------------------------------------------------------------------

# ISO, as Mastodon sends it; far enough ahead to stay in the future in a long test session
SOON = (datetime.now(UTC) + timedelta(days=1)).isoformat()
HTML = "<!DOCTYPE html><html><body><h1>We're sorry, but something went wrong</h1></body></html>"
NOT_FOUND = {"error": "Record not found"}
SUSPENDED = {**BUDI_ACCOUNT, "suspended": True}
ONE = [status(1, "<p>x</p>", 1)]
p = pytest.param

TOO_MANY = {"error": "Too many requests"}
RETRY_7 = {"Retry-After": "7"}
EXHAUSTED = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": SOON}
LOGIN = {"error": "This API requires an authenticated user"}
BAD_TIME = [{**ONE[0], "created_at": "kemarin"}]

FAULTS = [
    p(LOOKUP, 429, TOO_MANY, RETRY_7, RateLimited, "429", id="lookup-429-retry-after"),
    p(STATUSES, 429, TOO_MANY, EXHAUSTED, RateLimited, "429", id="statuses-429-reset"),
    p(LOOKUP, 500, HTML, {}, TransientError, "500", id="lookup-500"),
    p(STATUSES, 502, HTML, {}, TransientError, "502", id="statuses-502"),
    p(LOOKUP, 404, NOT_FOUND, {}, AccountUnavailable, "404", id="lookup-404"),
    p(LOOKUP, 410, {"error": "Gone"}, {}, AccountUnavailable, "410", id="lookup-410"),
    p(LOOKUP, 200, SUSPENDED, {}, AccountUnavailable, "ditangguhkan", id="suspended"),
    p(STATUSES, 403, {"error": "Forbidden"}, {}, AccountUnavailable, "403", id="statuses-403"),
    p(LOOKUP, 401, LOGIN, {}, CollectorBroken, "token_env", id="lookup-401-on-instance"),
    p(LOOKUP, 200, HTML, {}, MalformedResponse, "bukan JSON", id="lookup-html-200"),
    p(LOOKUP, 200, [BUDI_ACCOUNT], {}, MalformedResponse, "id", id="lookup-array"),
    p(LOOKUP, 200, {"id": 7}, {}, MalformedResponse, "id", id="lookup-numeric-id"),
    p(STATUSES, 200, HTML, {}, MalformedResponse, "bukan JSON", id="statuses-html-200"),
    p(STATUSES, 200, {"statuses": ONE}, {}, MalformedResponse, "daftar", id="statuses-object"),
    p(STATUSES, 200, [{"content": "x"}], {}, MalformedResponse, "daftar", id="status-without-id"),
    p(STATUSES, 200, BAD_TIME, {}, MalformedResponse, "kemarin", id="status-bad-created-at"),
    p(STATUSES, 200, '[{"id": "1"', {}, MalformedResponse, "JSON", id="statuses-cut-short"),
]


@pytest.mark.parametrize(("path", "status_code", "body", "headers", "error", "message"), FAULTS)
def test_faults(
    collector: MastodonCollector,
    httpserver: HTTPServer,
    path: str,
    status_code: int,
    body: Any,
    headers: dict[str, str],
    error: type[CollectError],
    message: str,
) -> None:
    serve(httpserver, path, body, status_code, **headers)
    if path == STATUSES:
        serve(httpserver, LOOKUP, BUDI_ACCOUNT)

    with pytest.raises(error, match=message) as caught:
        fetch(collector)

    assert type(caught.value) is error
    assert "@budi@contoh.id" in str(caught.value)
    if error is RateLimited:
        assert caught.value.retry_after is not None and caught.value.retry_after > 1


def test_retry_after_is_passed_on(collector: MastodonCollector, httpserver: HTTPServer) -> None:
    serve(httpserver, LOOKUP, {"error": "Too many requests"}, 429, **{"Retry-After": "7"})
    with pytest.raises(RateLimited) as caught:
        fetch(collector)
    assert caught.value.retry_after == pytest.approx(7, abs=1)


def test_a_server_that_wants_a_login_is_one_account_not_the_route(httpserver: HTTPServer) -> None:
    """Without ``instance`` each account's own server is asked; one server demanding a
    login must not open the breaker for all. The server is reached by overriding the base
    URL the handle names, since the test server is not https."""
    serve(httpserver, LOOKUP, LOGIN, 401)
    where = make(httpserver).where(BUDI)  # the local server, as the handle's own server
    collector = MastodonCollector(MastodonSettings(), instance="uji", base_dir=Path(), options=FAST)
    with pytest.raises(AccountUnavailable, match="meminta login"):
        collector._get(where, LOOKUP, {"acct": "budi"}, {})


def test_timeout_is_transient(build: Builder, httpserver: HTTPServer) -> None:
    collector = build(options=CollectorOptions(rate=None, timeout=0.2, max_wait=0.5))

    late = LateAnswer(lambda: json_response(BUDI_ACCOUNT))
    httpserver.expect_request(LOOKUP).respond_with_handler(late)
    with pytest.raises(TransientError, match="batas waktu"):
        fetch(collector)
    late.finish(httpserver, LOOKUP)


def test_a_statuses_fault_after_some_pages_keeps_what_was_yielded(
    build: Builder, httpserver: HTTPServer
) -> None:
    """Pages come oldest first with a cursor: a fault on a later page loses nothing."""
    collector = build(limit=2)
    timeline = Timeline(NINE)
    serve(httpserver, LOOKUP, BUDI_ACCOUNT)

    def flaky(request: Request) -> Response:
        if request.args.get("min_id") == "102":
            return json_response({"error": "boom"}, 503)
        return timeline(request)

    httpserver.expect_request(STATUSES).respond_with_handler(flaky)
    got: list[Post] = []
    with pytest.raises(TransientError):
        for post in collector.fetch(BUDI, "100"):
            got.append(post)
    assert [p.post_id for p in got] == ["101", "102"]
    assert json.loads(got[-1].cursor or "")["min_id"] == "102"


# -- re-scan ---------------------------------------------------------------------------


def test_rescan_lists_everything_since(build: Builder, httpserver: HTTPServer) -> None:
    collector = build(limit=3)
    serve_timeline(httpserver, Timeline(NINE))
    since = T0 + timedelta(minutes=35)

    listing = collector.rescan(BUDI, since)

    assert listing is not None
    assert [p.post_id for p in listing.posts] == ["104", "105", "106", "107", "108"]
    assert listing.complete_since == since and listing.reads == 0
    assert len(requests_to(httpserver, STATUSES)) == 2


def test_rescan_cut_by_max_pages(build: Builder, httpserver: HTTPServer) -> None:
    collector = build(limit=3, max_pages=1)
    serve_timeline(httpserver, Timeline(NINE))

    listing = collector.rescan(BUDI, T0)

    assert listing is not None
    assert [p.post_id for p in listing.posts] == ["106", "107", "108"]
    assert listing.complete_since == T0 + timedelta(minutes=60)


def test_rescan_of_the_whole_history_is_complete(build: Builder, httpserver: HTTPServer) -> None:
    collector = build(limit=40)
    serve_timeline(httpserver, Timeline(NINE))

    listing = collector.rescan(BUDI, T0 - timedelta(days=1))

    assert listing is not None and len(listing.posts) == 9
    assert listing.complete_since == T0 - timedelta(days=1)


def test_rescan_of_a_vanished_account(collector: MastodonCollector, httpserver: HTTPServer) -> None:
    serve(httpserver, LOOKUP, NOT_FOUND, 404)
    with pytest.raises(AccountUnavailable):
        collector.rescan(BUDI, T0)
