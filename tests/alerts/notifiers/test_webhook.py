"""monitor.alerts.notifiers.webhook: JSON POSTs to a local HTTP server, and what each
answer means for the outbox (delivered, try again, give up)."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from loguru import logger
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor import __version__, plugins
from monitor.alerts.notifiers import http
from monitor.alerts.notifiers.webhook import WebhookNotifier, WebhookSettings
from monitor.errors import NotifyError
from tests.alerts.notifiers import samples
from tests.collect.slow import LateAnswer

URL_ENV = "ASNMON_TEST_WEBHOOK_URL"
HEADERS_ENV = "ASNMON_TEST_WEBHOOK_HEADERS"
SECRET_PATH = "/hooks/T0001/B0002/rahasiaXYZ"
BEARER = "Bearer token-rahasia-uji"


def notifier(**settings: Any) -> WebhookNotifier:
    values: dict[str, Any] = {"timeout": 5, **settings}
    return WebhookNotifier(
        WebhookSettings.model_validate(values), instance="tiket", base_dir=Path()
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Logs:
    """Everything logged, through loguru and the standard library (httpx logs there)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.loguru: list[str] = []

    def lines(self) -> list[str]:
        # the test server's own request log is not ours
        std = [r.getMessage() for r in self.caplog.records if not r.name.startswith("werkzeug")]
        return self.loguru + std


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[Logs]:
    caplog.set_level(logging.DEBUG)
    captured = Logs(caplog)
    sink = logger.add(lambda m: captured.loguru.append(str(m)), level="DEBUG")
    yield captured
    logger.remove(sink)


def test_registered_as_a_plugin() -> None:
    assert plugins.load("notifiers", "webhook") is WebhookNotifier


def test_posts_the_message_as_json(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HEADERS_ENV, json.dumps({"Authorization": BEARER}))
    received: list[Request] = []

    def handler(request: Request) -> Response:
        received.append(request)
        return Response(status=204)

    httpserver.expect_request("/peringatan", method="POST").respond_with_handler(handler)
    message = samples.digest()
    notifier(url=httpserver.url_for("/peringatan"), headers_env=HEADERS_ENV).send(message)

    (request,) = received
    assert request.headers["Idempotency-Key"] == message.key
    assert request.headers["Authorization"] == BEARER
    assert request.headers["User-Agent"] == f"asn-monitor/{__version__}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.get_data()) == {
        "key": "digest:2024-10-01:kantor",
        "kind": "digest",
        "subject": message.subject,
        "text": message.text,
        "data": {"new": 2, "alert_ids": [12, 13]},
        "attachments": [
            {"name": "peringatan-2024-10-01.csv", "media_type": "text/csv; charset=utf-8"}
        ],
    }


@pytest.mark.parametrize(
    ("status", "headers", "permanent", "retry_after"),
    [
        pytest.param(429, {"Retry-After": "30"}, False, 30.0, id="429-retry-after"),
        pytest.param(503, {"Retry-After": "120"}, False, 120.0, id="503-retry-after"),
        pytest.param(500, {}, False, None, id="500"),
        pytest.param(502, {}, False, None, id="502"),
        pytest.param(408, {}, False, None, id="408-request-timeout"),
        pytest.param(400, {}, True, None, id="400"),
        pytest.param(401, {}, True, None, id="401"),
        pytest.param(404, {}, True, None, id="404"),
        pytest.param(410, {}, True, None, id="410"),
        pytest.param(422, {}, True, None, id="422"),
        pytest.param(301, {"Location": "https://baru.contoh/x"}, True, None, id="301"),
    ],
)
def test_answers(
    httpserver: HTTPServer,
    status: int,
    headers: dict[str, str],
    permanent: bool,
    retry_after: float | None,
) -> None:
    httpserver.expect_request("/h", method="POST").respond_with_data(
        "ditolak", status=status, headers=headers
    )
    with pytest.raises(NotifyError) as caught:
        notifier(url=httpserver.url_for("/h")).send(samples.notice())
    error = caught.value
    assert error.permanent is permanent
    assert error.retry_after == retry_after
    origin = http.origin(httpserver.url_for("/"))
    assert str(error).startswith(f"webhook 'tiket' ({origin}): penerima menjawab HTTP {status}")


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_is_delivery(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/h", method="POST").respond_with_data("", status=status)
    notifier(url=httpserver.url_for("/h")).send(samples.notice())


def test_redirect_says_to_fix_the_address(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/h").respond_with_data("", status=308, headers={"Location": "/baru"})
    with pytest.raises(NotifyError, match="alamat dialihkan") as caught:
        notifier(url=httpserver.url_for("/h")).send(samples.notice())
    assert caught.value.permanent


def test_receiver_down_is_retried() -> None:
    with pytest.raises(NotifyError, match="tidak bisa tersambung") as caught:
        notifier(url=f"http://127.0.0.1:{closed_port()}/h").send(samples.notice())
    assert not caught.value.permanent


def test_slow_receiver_times_out_and_is_retried(httpserver: HTTPServer) -> None:
    late = LateAnswer(lambda: Response(status=204))
    httpserver.expect_request("/lambat").respond_with_handler(late)
    try:
        with pytest.raises(NotifyError, match=r"tidak ada jawaban dalam 0\.2 detik") as caught:
            notifier(url=httpserver.url_for("/lambat"), timeout=0.2).send(samples.notice())
        assert not caught.value.permanent
    finally:
        late.finish(httpserver, "/lambat")


# -- secrets ------------------------------------------------------------------------------


def test_secret_address_stays_out_of_errors_and_logs(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, logs: Logs
) -> None:
    monkeypatch.setenv(URL_ENV, httpserver.url_for(SECRET_PATH))
    monkeypatch.setenv(HEADERS_ENV, json.dumps({"Authorization": BEARER}))
    httpserver.expect_request(SECRET_PATH).respond_with_data(
        f"error at {SECRET_PATH} with {BEARER}", status=500
    )
    webhook = notifier(url_env=URL_ENV, headers_env=HEADERS_ENV)
    with pytest.raises(NotifyError) as caught:
        webhook.send(samples.notice())
    error = str(caught.value)
    assert "rahasiaXYZ" not in error and "token-rahasia" not in error
    assert "error at *** with ***" in error

    httpserver.clear()
    httpserver.expect_request(SECRET_PATH).respond_with_data("", status=204)
    webhook.send(samples.notice())
    lines = logs.lines()
    assert any("HTTP Request: POST ***" in line for line in lines)  # httpx's own line
    assert not any("rahasiaXYZ" in line or "token-rahasia" in line for line in lines)


def test_secret_address_of_a_receiver_that_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_ENV, f"http://127.0.0.1:{closed_port()}{SECRET_PATH}")
    with pytest.raises(NotifyError) as caught:
        notifier(url_env=URL_ENV).send(samples.notice())
    assert "rahasiaXYZ" not in str(caught.value)
    assert not caught.value.permanent
    # the httpx exception (its message, its request URL) does not ride along
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("env", "value", "says"),
    [
        pytest.param(URL_ENV, None, f"variabel lingkungan {URL_ENV} kosong", id="url-unset"),
        pytest.param(URL_ENV, "ftp://x/rahasiaXYZ", "harus diawali http", id="url-scheme"),
        pytest.param(HEADERS_ENV, None, f"variabel lingkungan {HEADERS_ENV} kosong",
                     id="headers-unset"),
        pytest.param(HEADERS_ENV, "Authorization: rahasiaXYZ", "objek JSON", id="headers-not-json"),
        pytest.param(HEADERS_ENV, '["rahasiaXYZ"]', "objek JSON", id="headers-a-list"),
        pytest.param(HEADERS_ENV, '{"X-Token": 123}', "objek JSON", id="headers-a-number"),
    ],
)  # fmt: skip
def test_broken_environment(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str | None, says: str
) -> None:
    monkeypatch.setenv(URL_ENV, "https://contoh.go.id/h")
    monkeypatch.setenv(HEADERS_ENV, "{}")
    if value is None:
        monkeypatch.delenv(env)
    else:
        monkeypatch.setenv(env, value)
    webhook = notifier(url_env=URL_ENV, headers_env=HEADERS_ENV)
    problem = webhook.broken()
    assert problem is not None and says in problem and "rahasiaXYZ" not in problem
    with pytest.raises(NotifyError) as caught:
        webhook.send(samples.notice())
    assert caught.value.permanent and "rahasiaXYZ" not in str(caught.value)


def test_not_broken_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    assert notifier(url="https://contoh.go.id/h").broken() is None
    monkeypatch.setenv(URL_ENV, "https://contoh.go.id/h")
    assert notifier(url_env=URL_ENV).broken() is None


# -- settings and helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({}, "url atau url_env", id="neither"),
        pytest.param({"url": "https://a/", "url_env": "X"}, "url atau url_env", id="both"),
        pytest.param({"url": "ftp://a/"}, "http:// atau https://", id="scheme"),
        pytest.param({"url": "https://a/", "timeout": 0}, "greater than 0", id="timeout"),
        pytest.param({"url": "https://a/", "headers": {"A": "b"}}, "Extra inputs", id="headers"),
    ],
)
def test_settings_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WebhookSettings.model_validate(settings)


NOW = datetime(2024, 10, 1, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        pytest.param({"Retry-After": "17"}, 17.0, id="seconds"),
        pytest.param({"retry-after": " 2.5 "}, 2.5, id="lower-case-fraction"),
        pytest.param({"Retry-After": "Tue, 01 Oct 2024 07:01:30 GMT"}, 90.0, id="http-date"),
        pytest.param({"Retry-After": "Tue, 01 Oct 2024 06:00:00 GMT"}, 0.0, id="date-past"),
        pytest.param({"Retry-After": "-5"}, 0.0, id="negative"),
        pytest.param({"Retry-After": "besok"}, None, id="nonsense"),
        pytest.param({}, None, id="absent"),
    ],
)
def test_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    assert http.retry_after(headers, NOW) == seconds
