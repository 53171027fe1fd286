"""monitor.alerts.notifiers.telegram: the Bot API on a local HTTP server (``api_base``):
texts split at 4096 characters, documents, Telegram's error answers, resuming after a
failed part, and the bot token kept out of errors and logs."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor import plugins
from monitor.alerts.notifiers import telegram
from monitor.alerts.notifiers.base import Attachment
from monitor.alerts.notifiers.telegram import (
    MAX_CHARS,
    TelegramNotifier,
    TelegramSettings,
    split_text,
)
from monitor.errors import NotifyError
from tests.alerts.notifiers import samples

TOKEN_ENV = "ASNMON_TEST_TELEGRAM_TOKEN"
TOKEN = "123456789:AAH-rahasia_token-uji"
CHAT = -1001234567890
SEND = f"/bot{TOKEN}/sendMessage"
DOCUMENT = f"/bot{TOKEN}/sendDocument"
OK = {"ok": True, "result": {"message_id": 1}}


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def notifier(server: HTTPServer | str, **settings: Any) -> TelegramNotifier:
    base = server if isinstance(server, str) else server.url_for("/").rstrip("/")
    values: dict[str, Any] = {"token_env": TOKEN_ENV, "chat_id": CHAT, "api_base": base}
    values.update(settings, timeout=5)
    return TelegramNotifier(
        TelegramSettings.model_validate(values), instance="grup", base_dir=Path()
    )


class Bot:
    """Records what the bot was asked to send; answers from a list, then ok."""

    def __init__(self, answers: list[tuple[int, Any]] | None = None) -> None:
        self.answers = list(answers or [])
        self.texts: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.documents: list[tuple[str, str, bytes, dict[str, str]]] = []

    def message(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        self.bodies.append(body)
        self.texts.append(body["text"])
        return self._answer()

    def document(self, request: Request) -> Response:
        file = request.files["document"]
        self.documents.append((file.filename or "", file.mimetype, file.read(), dict(request.form)))
        return self._answer()

    def _answer(self) -> Response:
        status, body = self.answers.pop(0) if self.answers else (200, OK)
        text = body if isinstance(body, str) else json.dumps(body)
        return Response(text, status=status, content_type="application/json")


@pytest.fixture
def bot(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Bot:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    recorder = Bot()
    httpserver.expect_request(SEND, method="POST").respond_with_handler(recorder.message)
    httpserver.expect_request(DOCUMENT, method="POST").respond_with_handler(recorder.document)
    return recorder


class Logs:
    """Everything logged, through loguru and the standard library (httpx logs there)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.loguru: list[str] = []

    def text(self) -> str:
        # the test server's own request log is not ours
        std = [r.getMessage() for r in self.caplog.records if not r.name.startswith("werkzeug")]
        return "\n".join(self.loguru + std)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[Logs]:
    caplog.set_level(logging.DEBUG)
    captured = Logs(caplog)
    sink = logger.add(lambda m: captured.loguru.append(str(m)), level="DEBUG")
    yield captured
    logger.remove(sink)


@pytest.fixture(autouse=True)
def no_parts_remembered() -> Iterator[None]:
    """Each test starts with no half-delivered message in this process."""
    telegram._progress.clear()
    yield
    telegram._progress.clear()


def test_registered_as_a_plugin() -> None:
    assert plugins.load("notifiers", "telegram") is TelegramNotifier


# -- sending ------------------------------------------------------------------------------


def test_notice_is_one_plain_text_message(httpserver: HTTPServer, bot: Bot) -> None:
    message = samples.notice()
    notifier(httpserver).send(message)
    assert bot.bodies == [
        {
            "chat_id": CHAT,
            "text": f"{message.subject}\n\n{message.text}",
            "link_preview_options": {"is_disabled": True},
        }
    ]


def test_subject_is_not_repeated_when_the_text_starts_with_it(
    httpserver: HTTPServer, bot: Bot
) -> None:
    message = samples.Message("notice:1", "notice", "Peringatan #1", "Peringatan #1\nTinjau.")
    notifier(httpserver, parse_mode="HTML", link_preview=True, chat_id="@pengawas").send(message)
    assert bot.bodies == [
        {"chat_id": "@pengawas", "text": "Peringatan #1\nTinjau.", "parse_mode": "HTML"}
    ]


def test_digest_text_then_its_csv_as_a_document(httpserver: HTTPServer, bot: Bot) -> None:
    message = samples.digest()
    notifier(httpserver).send(message)
    assert bot.texts == [f"{message.subject}\n\n{message.text.strip()}"]
    assert bot.documents == [
        (
            "peringatan-2024-10-01.csv",
            "text/csv",
            samples.CSV.encode(),
            {"chat_id": str(CHAT), "caption": "Lampiran: peringatan-2024-10-01.csv"},
        )
    ]


def test_attachments_can_be_left_out(httpserver: HTTPServer, bot: Bot) -> None:
    notifier(httpserver, send_attachments=False).send(samples.digest())
    assert len(bot.texts) == 1 and bot.documents == []


def long_digest(lines: int = 300) -> samples.Message:
    text = "\n".join(
        f"{i}. @akun_{i:03d} — Ajakan memilih pasangan calon nomor 2 (tinggi) ✌️"
        for i in range(1, lines + 1)
    )
    return samples.digest(text=text, attachments=())


def test_long_text_is_split_into_numbered_messages(httpserver: HTTPServer, bot: Bot) -> None:
    message = long_digest()
    notifier(httpserver).send(message)
    count = len(bot.texts)
    assert count == 5
    assert all(units(t) <= MAX_CHARS for t in bot.texts)
    assert [t.split("\n", 1)[0] for t in bot.texts] == [f"({i}/5)" for i in range(1, 6)]
    rejoined = "\n".join(t.split("\n", 1)[1] for t in bot.texts)
    assert rejoined == f"{message.subject}\n\n{message.text}"  # cut between lines only


def test_a_failed_part_is_resumed_not_repeated(httpserver: HTTPServer, bot: Bot) -> None:
    flood = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    bot.answers = [(200, OK), (429, flood)]  # part 2 hits the flood limit
    message = long_digest()
    with pytest.raises(NotifyError) as caught:
        notifier(httpserver).send(message)
    assert caught.value.retry_after == 7 and not caught.value.permanent

    notifier(httpserver).send(message)  # the outbox tries again (a new instance, too)
    numbers = [t.split("\n", 1)[0] for t in bot.texts]
    assert numbers == ["(1/5)", "(2/5)", "(2/5)", "(3/5)", "(4/5)", "(5/5)"]

    notifier(httpserver).send(message)  # sent in full: a later send is a new delivery
    assert len(bot.texts) == 6 + 5


# -- Telegram's refusals --------------------------------------------------------------------


def refusal(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


@pytest.mark.parametrize(
    ("status", "body", "permanent", "retry_after", "says"),
    [
        pytest.param(429, refusal(429, "Too Many Requests: retry after 35", retry_after=35),
                     False, 35.0, "429: Too Many Requests", id="flood-429"),
        pytest.param(400, refusal(400, "Bad Request: chat not found"), True, None,
                     "periksa chat_id", id="chat-not-found"),
        pytest.param(403, refusal(403, "Forbidden: bot was blocked by the user"), True, None,
                     "bot masih anggota", id="bot-blocked"),
        pytest.param(403, refusal(403, "Forbidden: bot was kicked from the supergroup chat"),
                     True, None, "bot masih anggota", id="bot-kicked"),
        pytest.param(401, refusal(401, "Unauthorized"), True, None,
                     f"periksa token bot di variabel lingkungan {TOKEN_ENV}", id="token-refused"),
        pytest.param(400, refusal(400, "Bad Request: can't parse entities"), True, None,
                     "kosongkan parse_mode", id="bad-markup"),
        pytest.param(400, refusal(400, "Bad Request: group chat was upgraded to a supergroup chat",
                                  migrate_to_chat_id=-1009876543210),
                     True, None, "ubah chat_id menjadi -1009876543210", id="migrated"),
        pytest.param(500, refusal(500, "Internal Server Error"), False, None, "500", id="500"),
        pytest.param(502, "<html>Bad Gateway</html>", False, None, "502: <html>Bad Gateway",
                     id="proxy-502-html"),
        pytest.param(200, {"ok": False, "error_code": 400, "description": "Bad Request: x"},
                     True, None, "400: Bad Request: x", id="200-but-not-ok"),
    ],
)  # fmt: skip
def test_refusals(
    httpserver: HTTPServer,
    bot: Bot,
    logs: Logs,
    status: int,
    body: Any,
    permanent: bool,
    retry_after: float | None,
    says: str,
) -> None:
    bot.answers = [(status, body)]
    with pytest.raises(NotifyError) as caught:
        notifier(httpserver).send(samples.notice())
    error = caught.value
    assert error.permanent is permanent
    assert error.retry_after == retry_after
    assert says in str(error)
    assert str(error).startswith(f"telegram 'grup' (chat {CHAT}): sendMessage ditolak Telegram")
    assert TOKEN not in str(error) and TOKEN not in logs.text()


def test_retry_after_header_when_the_body_has_none(httpserver: HTTPServer, bot: Bot) -> None:
    httpserver.clear()
    httpserver.expect_request(SEND).respond_with_data(
        "busy", status=503, headers={"Retry-After": "12"}
    )
    with pytest.raises(NotifyError) as caught:
        notifier(httpserver).send(samples.notice())
    assert caught.value.retry_after == 12.0 and not caught.value.permanent


def test_failed_document_is_reported_by_name(httpserver: HTTPServer, bot: Bot) -> None:
    bot.answers = [(200, OK), (400, refusal(400, "Bad Request: file must be non-empty"))]
    message = samples.digest(attachments=(Attachment("kosong.csv", "text/csv", b""),))
    with pytest.raises(NotifyError, match=r"sendDocument kosong\.csv ditolak Telegram"):
        notifier(httpserver).send(message)


# -- the token ------------------------------------------------------------------------------


def test_token_is_masked_in_httpx_logs(httpserver: HTTPServer, bot: Bot, logs: Logs) -> None:
    notifier(httpserver).send(samples.digest())
    text = logs.text()
    assert "HTTP Request: POST http://localhost" in text  # httpx did log the request ...
    assert "/bot***/sendMessage" in text and "/bot***/sendDocument" in text
    assert TOKEN not in text  # ... without the token


def test_server_down_is_retried_without_the_token(
    monkeypatch: pytest.MonkeyPatch, logs: Logs
) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NotifyError, match="tidak bisa tersambung") as caught:
        notifier(f"http://127.0.0.1:{port}").send(samples.notice())
    error = caught.value
    assert not error.permanent
    assert TOKEN not in str(error) and TOKEN not in logs.text()
    # the httpx exception, whose request URL holds the token, does not ride along
    assert error.__cause__ is None and error.__suppress_context__


def test_missing_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    telegram = notifier("https://api.telegram.org")
    assert telegram.broken() == (
        f"telegram 'grup' (chat {CHAT}): token bot belum diatur: variabel lingkungan "
        f"{TOKEN_ENV} kosong atau tidak ada"
    )
    with pytest.raises(NotifyError, match=TOKEN_ENV) as caught:
        telegram.send(samples.notice())
    assert caught.value.permanent
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    assert telegram.broken() is None


# -- splitting and settings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "parts"),
    [
        pytest.param("pendek", 4096, ["pendek"], id="short"),
        pytest.param("x" * 4096, 4096, ["x" * 4096], id="exactly-the-limit"),
        pytest.param("aaa\nbbb\nccc\nddd\neee\nfff", 17,
                     ["(1/3)\naaa\nbbb", "(2/3)\nccc\nddd", "(3/3)\neee\nfff"],
                     id="between-lines"),
        pytest.param("satu dua tiga empat", 16, ["(1/4)\nsatu", "(2/4)\ndua", "(3/4)\ntiga",
                                                 "(4/4)\nempat"], id="long-line-at-spaces"),
        pytest.param("abcdefghijklmnop", 14,
                     ["(1/4)\nabcd", "(2/4)\nefgh", "(3/4)\nijkl", "(4/4)\nmnop"],
                     id="long-word-cut"),
        pytest.param("😀" * 8, 14, [f"({i}/4)\n😀😀" for i in range(1, 5)],
                     id="emoji-counts-two"),
    ],
)  # fmt: skip
def test_split_text(text: str, limit: int, parts: list[str]) -> None:
    assert split_text(text, limit) == parts


def test_split_text_keeps_every_line() -> None:
    text = "\n".join(f"baris {i} " + "kata " * (i % 50) for i in range(2000))
    parts = split_text(text)
    assert all(units(p) <= MAX_CHARS for p in parts)
    assert "\n".join(p.split("\n", 1)[1] for p in parts) == text


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({"chat_id": 1}, "token_env", id="no-token-env"),
        pytest.param({"token_env": "T"}, "chat_id", id="no-chat"),
        pytest.param({"token_env": "T", "chat_id": " "}, "chat_id kosong", id="blank-chat"),
        pytest.param({"token_env": "T", "chat_id": 1, "token": "x"}, "Extra inputs",
                     id="token-in-file"),
        pytest.param({"token_env": "T", "chat_id": 1, "parse_mode": "html"}, "'HTML'",
                     id="parse-mode"),
        pytest.param({"token_env": "T", "chat_id": 1, "api_base": "api.telegram.org"},
                     "http", id="api-base"),
    ],
)  # fmt: skip
def test_settings_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TelegramSettings.model_validate(settings)
