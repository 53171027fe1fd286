"""The collectors' HTTP client against a local server: statuses become the CollectError
that tells the scheduler what to do; rate-limit headers pause the host."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from monitor.collect.http import HostLimiter, HttpClient, rate_limit, retry_after
from monitor.errors import (
    AccountUnavailable,
    CollectError,
    CollectorBroken,
    MalformedResponse,
    RateLimited,
    TransientError,
)
from tests.collect.slow import LateAnswer

NOW = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"retry-after": " 7 "}, 7.0),
        ({"Retry-After": format_datetime(NOW + timedelta(minutes=5), usegmt=True)}, 300.0),
        ({"Retry-After": "kapan-kapan"}, None),
        ({"x-rate-limit-reset": str(int((NOW + timedelta(seconds=90)).timestamp()))}, 90.0),
        ({"x-ratelimit-reset": (NOW + timedelta(seconds=45)).isoformat()}, 45.0),
        ({"x-ratelimit-reset": "2026-11-22T07:01:00.000Z"}, 60.0),
        ({}, None),
    ],
    ids=[
        "seconds",
        "lower-case",
        "http-date",
        "garbage",
        "x-epoch",
        "mastodon-iso",
        "iso-z",
        "none",
    ],
)
def test_retry_after_reads_every_documented_form(
    headers: dict[str, str], expected: float | None
) -> None:
    assert retry_after(headers, NOW) == expected


@pytest.mark.parametrize(
    ("headers", "limit", "remaining"),
    [
        ({"x-rate-limit-limit": "1500", "x-rate-limit-remaining": "1498"}, 1500, 1498),
        ({"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"}, 300, 0),
        ({"x-ratelimit-remaining": "lots"}, None, None),
    ],
    ids=["x", "mastodon", "garbage"],
)
def test_rate_limit_headers(
    headers: dict[str, str], limit: int | None, remaining: int | None
) -> None:
    parsed = rate_limit(headers, NOW)
    assert (parsed.limit, parsed.remaining) == (limit, remaining)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_limiter_spaces_requests_per_host() -> None:
    t = FakeTime()
    limiter = HostLimiter(2.0, clock=t.clock, sleep=t.sleep)
    for _ in range(3):
        limiter.acquire("a.example", max_wait=10)
    limiter.acquire("b.example", max_wait=10)  # another host does not wait
    assert t.slept == [0.5, 0.5]


def test_a_pause_longer_than_max_wait_is_raised_not_slept() -> None:
    t = FakeTime()
    limiter = HostLimiter(None, clock=t.clock, sleep=t.sleep)
    limiter.pause("a.example", 5)
    limiter.acquire("a.example", max_wait=10)
    assert t.slept == [5]
    limiter.pause("a.example", 900)
    with pytest.raises(RateLimited) as caught:
        limiter.acquire("a.example", max_wait=10)
    assert caught.value.retry_after == pytest.approx(900)


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(rate=None, timeout=0.5, max_wait=0.2)


@pytest.mark.parametrize(
    ("status", "headers", "error", "retry"),
    [
        (429, {"Retry-After": "600"}, RateLimited, 600.0),
        (503, {}, TransientError, None),
        (500, {"Retry-After": "0"}, TransientError, 0.0),
        (404, {}, AccountUnavailable, None),
        (410, {}, AccountUnavailable, None),
        (403, {}, AccountUnavailable, None),
        (401, {}, CollectorBroken, None),
        (418, {}, MalformedResponse, None),
    ],
    ids=["429", "503", "500-retry", "404", "410", "403", "401", "teapot"],
)
def test_statuses_become_the_error_that_says_what_to_do(
    httpserver: HTTPServer,
    client: HttpClient,
    status: int,
    headers: dict[str, str],
    error: type[CollectError],
    retry: float | None,
) -> None:
    httpserver.expect_request("/x").respond_with_data("no", status=status, headers=headers)
    with pytest.raises(error) as caught:
        client.get(httpserver.url_for("/x"), what="akun @budi")
    assert type(caught.value) is error
    assert "akun @budi" in str(caught.value)
    assert caught.value.retry_after == retry


def test_after_a_429_the_host_is_paused_and_no_request_is_sent(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    httpserver.expect_request("/x").respond_with_data("", status=429, headers={"Retry-After": "60"})
    with pytest.raises(RateLimited):
        client.get(httpserver.url_for("/x"), what="a")
    with pytest.raises(RateLimited):
        client.get(httpserver.url_for("/x"), what="b")
    assert len(httpserver.log) == 1


def test_an_exhausted_window_pauses_the_host_before_it_bites(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    reset = str(int(time.time()) + 300)
    httpserver.expect_request("/x").respond_with_json(
        {"ok": True}, headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}
    )
    assert client.json(client.get(httpserver.url_for("/x"), what="a"), what="a") == {"ok": True}
    host = httpserver.url_for("/").split("/")[2]
    assert client.limiter.paused_for(host) > 200
    with pytest.raises(RateLimited):
        client.get(httpserver.url_for("/x"), what="b")


def test_a_timeout_is_transient(httpserver: HTTPServer, client: HttpClient) -> None:
    late = LateAnswer(lambda: Response("late"))
    httpserver.expect_request("/slow").respond_with_handler(late)
    with pytest.raises(TransientError, match="batas waktu"):
        client.get(httpserver.url_for("/slow"), what="akun @budi")
    late.finish(httpserver, "/slow")


def test_a_refused_connection_is_transient(client: HttpClient) -> None:
    with pytest.raises(TransientError, match="tidak dapat dihubungi"):
        client.get("http://127.0.0.1:9/", what="akun @budi")


def test_a_body_that_is_not_json_is_malformed(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/x").respond_with_data("<html>oops</html>")
    response = client.get(httpserver.url_for("/x"), what="akun @budi")
    with pytest.raises(MalformedResponse, match="bukan JSON"):
        client.json(response, what="akun @budi")
