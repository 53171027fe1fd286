"""A Telegram bot (Bot API ``sendMessage`` and ``sendDocument``): notices and the digest
in a chat or group of the reviewers.

Text goes as plain text (``parse_mode`` unset), the safest choice: a digest is not
written for Telegram's markup, and a stray ``<`` or ``_`` would make the API refuse it.
Telegram takes at most 4096 characters per message, so a longer text is split on line
boundaries into numbered parts ("(1/3)"); attachments follow as documents.

A message of several parts is delivered in steps. When a step fails (Telegram's flood
limit, 429, is likely in a group), the parts already delivered are remembered in this
process and the retry starts at the first part not delivered, so reviewers do not get
parts twice. (After a restart of the service in between, the parts are sent again.)

The bot token is part of the request path (``/bot<token>/sendMessage``); it is read from
the environment variable ``token_env`` and never appears in errors or logs.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx
from loguru import logger
from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.alerts.notifiers import http
from monitor.alerts.notifiers.base import Attachment, Message, Notifier, redact
from monitor.errors import NotifyError

#: characters per message (Telegram counts UTF-16 code units)
MAX_CHARS = 4096
#: characters per document caption
MAX_CAPTION = 1024
#: the largest file a bot may send
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
#: room for the "(12/34)" line in front of a part
_NUMBER_ROOM = len("(999/999)\n")


def _units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji may count two)."""
    return len(text.encode("utf-16-le")) // 2


def _cut_line(line: str, budget: int) -> list[str]:
    """A line longer than ``budget`` cut into pieces, at a space where there is one."""
    pieces: list[str] = []
    while _units(line) > budget:
        used = 0
        cut = 0
        for index, char in enumerate(line):
            used += _units(char)
            if used > budget:
                cut = max(index, 1)
                break
        space = line.rfind(" ", 0, cut + 1)
        if space > 0:
            pieces.append(line[:space])
            line = line[space + 1 :]
        else:
            pieces.append(line[:cut])
            line = line[cut:]
    pieces.append(line)
    return pieces


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """``text`` as messages of at most ``limit`` characters, split between lines (a line
    longer than a message is cut), numbered "(1/3)" when there is more than one."""
    if _units(text) <= limit:
        return [text]
    budget = limit - _NUMBER_ROOM
    parts: list[str] = []
    lines: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _cut_line(line, budget):
            grow = _units(piece) + (1 if lines else 0)
            if lines and size + grow > budget:
                parts.append("\n".join(lines))
                lines, size, grow = [], 0, _units(piece)
            lines.append(piece)
            size += grow
    parts.append("\n".join(lines))
    return [f"({i}/{len(parts)})\n{part}" for i, part in enumerate(parts, 1)]


class TelegramSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The environment variable that holds the bot token (from @BotFather).
    token_env: str = Field(min_length=1)
    #: The chat: a number (groups are negative, e.g. -1001234567890) or "@channelname".
    chat_id: int | str
    #: null: plain text (safest). HTML or MarkdownV2 only for texts written for it.
    parse_mode: Literal["HTML", "MarkdownV2", "Markdown"] | None = None
    #: Send attachments (the digest CSV) as documents after the text.
    send_attachments: bool = True
    #: Show previews of the links in the text (off: a digest full of links stays short).
    link_preview: bool = False
    #: Seconds for connecting and for each answer.
    timeout: float = Field(default=30.0, gt=0)
    #: The Bot API's address (a test server may stand in for it).
    api_base: str = "https://api.telegram.org"

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("api_base harus diawali http:// atau https://")
        return value.rstrip("/")

    @field_validator("chat_id")
    @classmethod
    def _chat_id(cls, value: int | str) -> int | str:
        if isinstance(value, str) and not value.strip():
            raise ValueError("chat_id kosong")
        return value


_progress: dict[tuple[str, str, str], int] = {}
_progress_lock = threading.Lock()
#: messages whose progress is remembered at most (the oldest are forgotten)
_PROGRESS_KEPT = 1000


class TelegramNotifier(Notifier):
    name: ClassVar[str] = "telegram"
    summary: ClassVar[str] = "bot Telegram: pesan teks (dipecah per 4096 karakter) + dokumen"
    Settings: ClassVar[type[BaseModel]] = TelegramSettings

    def __init__(self, settings: BaseModel, *, instance: str, base_dir: Path) -> None:
        super().__init__(settings, instance=instance, base_dir=base_dir)
        assert isinstance(settings, TelegramSettings)
        self.config = settings

    @property
    def where(self) -> str:
        return f"telegram {self.instance!r} (chat {self.config.chat_id})"

    def broken(self) -> str | None:
        if not os.environ.get(self.config.token_env, "").strip():
            return (
                f"{self.where}: token bot belum diatur: variabel lingkungan "
                f"{self.config.token_env} kosong atau tidak ada"
            )
        return None

    def _token(self) -> str:
        token = os.environ.get(self.config.token_env, "").strip()
        if not token:
            raise NotifyError(
                f"{self.where}: token bot belum diatur (variabel lingkungan "
                f"{self.config.token_env})",
                permanent=True,
            )
        http.hide_in_logs(token)
        return token

    def texts(self, message: Message) -> list[str]:
        """The messages that carry ``message``'s text, the subject as the first line."""
        text = message.text.strip("\n")
        subject = message.subject.strip()
        if subject and not text.startswith(subject):
            text = f"{subject}\n\n{text}" if text.strip() else subject
        return split_text(text)

    def send(self, message: Message) -> None:
        token = self._token()
        steps: list[str | Attachment] = [*self.texts(message)]
        if self.config.send_attachments:
            steps.extend(message.attachments)
        progress_key = (self.instance, str(self.config.chat_id), message.key)
        with _progress_lock:
            done = _progress.get(progress_key, 0)
        if done:
            logger.info(
                "telegram {}: {} resumes at step {}/{}",
                self.instance,
                message.key,
                done + 1,
                len(steps),
            )
        with http.client(self.config.timeout) as client:
            for index in range(done, len(steps)):
                step = steps[index]
                if isinstance(step, str):
                    self._send_text(client, token, step)
                else:
                    self._send_document(client, token, step)
                with _progress_lock:
                    _progress[progress_key] = index + 1
                    while len(_progress) > _PROGRESS_KEPT:
                        del _progress[next(iter(_progress))]
        with _progress_lock:
            _progress.pop(progress_key, None)
        logger.debug("telegram {}: sent {} in {} steps", self.instance, message.key, len(steps))

    def _url(self, token: str, method: str) -> str:
        return f"{self.config.api_base}/bot{token}/{method}"

    def _send_text(self, client: httpx.Client, token: str, text: str) -> None:
        body: dict[str, Any] = {"chat_id": self.config.chat_id, "text": text}
        if self.config.parse_mode is not None:
            body["parse_mode"] = self.config.parse_mode
        if not self.config.link_preview:
            body["link_preview_options"] = {"is_disabled": True}
        response = http.post(
            client,
            self._url(token, "sendMessage"),
            where=self.where,
            secrets=(token,),
            json=body,
        )
        self._check(response, token, "sendMessage")

    def _send_document(self, client: httpx.Client, token: str, attachment: Attachment) -> None:
        if len(attachment.data) > MAX_DOCUMENT_BYTES:
            logger.warning(
                "telegram {}: attachment {} skipped ({} bytes, the Bot API takes 50 MB)",
                self.instance,
                attachment.name,
                len(attachment.data),
            )
            return
        response = http.post(
            client,
            self._url(token, "sendDocument"),
            where=self.where,
            secrets=(token,),
            data={
                "chat_id": str(self.config.chat_id),
                "caption": f"Lampiran: {attachment.name}"[:MAX_CAPTION],
            },
            files={"document": (attachment.name, attachment.data, attachment.media_type)},
        )
        self._check(response, token, f"sendDocument {attachment.name}")

    def _check(self, response: httpx.Response, token: str, what: str) -> None:
        """Nothing when Telegram said ok; otherwise the NotifyError its answer calls for."""
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            answer = {}
        if response.is_success and answer.get("ok") is True:
            return
        code = answer.get("error_code")
        if not isinstance(code, int):
            code = response.status_code
        description = answer.get("description")
        if not isinstance(description, str):
            description = http.answer_text(response, token) or f"HTTP {response.status_code}"
        description = redact(description, token)[:300]
        parameters = answer.get("parameters")
        if not isinstance(parameters, dict):
            parameters = {}
        detail = f"{self.where}: {what} ditolak Telegram ({code}: {description})"
        new_chat = parameters.get("migrate_to_chat_id")
        if new_chat is not None:
            raise NotifyError(
                f"{detail}; grup ini sudah menjadi supergrup: ubah chat_id menjadi {new_chat}",
                permanent=True,
            )
        if code == 429 or code >= 500:
            wait = parameters.get("retry_after")
            retry = float(wait) if isinstance(wait, int | float) else None
            raise NotifyError(detail, retry_after=retry or http.retry_after(response.headers))
        if code in (401, 404):
            detail += f"; periksa token bot di variabel lingkungan {self.config.token_env}"
        elif code == 403 or "chat" in description.lower():
            detail += "; periksa chat_id dan apakah bot masih anggota chat itu"
        elif "entities" in description.lower():
            detail += "; teks tidak cocok dengan parse_mode: kosongkan parse_mode"
        raise NotifyError(detail, permanent=True)
