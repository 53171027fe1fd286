"""A JSON webhook: one POST per message, for a receiver that files alerts elsewhere (a
ticket system, a chat bridge, the office's own database).

The body is ``{"key", "kind", "subject", "text", "data", "attachments": [{"name",
"media_type"}]}`` and the ``Idempotency-Key`` header repeats ``key``: a receiver that got
the same key before can answer 2xx and do nothing, so a message sent again after a crash
is not filed twice. A 2xx answer is delivery; 408, 425, 429 and 5xx are tried again
(``Retry-After`` honoured); any other answer is permanent (a wrong address or a refused
key will not improve by waiting). The address may come from an environment variable
(``url_env``) when it carries a secret, as chat webhooks do; extra headers (an
``Authorization``) come only from the environment (``headers_env``, a JSON object).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

from loguru import logger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.alerts.notifiers import http
from monitor.alerts.notifiers.base import Message, Notifier
from monitor.errors import NotifyError

RETRYABLE = frozenset({408, 425, 429})


def _check_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("alamat webhook harus diawali http:// atau https://")
    return value


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The receiver's address (or url_env, when the address itself is a secret).
    url: str | None = None
    #: The environment variable that holds the address.
    url_env: str | None = Field(default=None, min_length=1)
    #: The environment variable that holds extra headers as a JSON object, e.g.
    #: ``{"Authorization": "Bearer ..."}``.
    headers_env: str | None = Field(default=None, min_length=1)
    #: Seconds for connecting and for the answer.
    timeout: float = Field(default=30.0, gt=0)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)

    @model_validator(mode="after")
    def _one_address(self) -> WebhookSettings:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("isi salah satu: url atau url_env")
        return self


class WebhookNotifier(Notifier):
    name: ClassVar[str] = "webhook"
    summary: ClassVar[str] = "webhook JSON (POST, Idempotency-Key) ke sistem lain"
    Settings: ClassVar[type[BaseModel]] = WebhookSettings

    def __init__(self, settings: BaseModel, *, instance: str, base_dir: Path) -> None:
        super().__init__(settings, instance=instance, base_dir=base_dir)
        assert isinstance(settings, WebhookSettings)
        self.config = settings

    def _url(self) -> str:
        config = self.config
        if config.url is not None:
            return config.url
        assert config.url_env is not None
        url = os.environ.get(config.url_env, "").strip()
        if not url:
            raise NotifyError(
                f"webhook {self.instance!r}: variabel lingkungan {config.url_env} kosong "
                "atau tidak ada",
                permanent=True,
            )
        try:
            _check_url(url)
        except ValueError as exc:
            raise NotifyError(
                f"webhook {self.instance!r}: {exc} (variabel lingkungan {config.url_env})",
                permanent=True,
            ) from None
        return url

    def _headers(self) -> dict[str, str]:
        env = self.config.headers_env
        if env is None:
            return {}
        raw = os.environ.get(env, "").strip()
        if not raw:
            raise NotifyError(
                f"webhook {self.instance!r}: variabel lingkungan {env} kosong atau tidak ada",
                permanent=True,
            )
        try:
            headers = json.loads(raw)
        except ValueError:
            headers = None
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            # the value is a secret: say what is wrong with it, never what it holds
            raise NotifyError(
                f"webhook {self.instance!r}: variabel lingkungan {env} harus berisi objek "
                'JSON {"Nama-Header": "nilai"}',
                permanent=True,
            )
        return headers

    def broken(self) -> str | None:
        try:
            self._url()
            self._headers()
        except NotifyError as exc:
            return str(exc)
        return None

    def payload(self, message: Message) -> dict[str, Any]:
        return {
            "key": message.key,
            "kind": message.kind,
            "subject": message.subject,
            "text": message.text,
            "data": message.data,
            "attachments": [
                {"name": a.name, "media_type": a.media_type} for a in message.attachments
            ],
        }

    def send(self, message: Message) -> None:
        url = self._url()
        extra = self._headers()
        secrets = tuple(extra.values())
        if self.config.url_env is not None:
            secrets += http.url_forms(url)
            http.hide_in_logs(*http.url_forms(url))
        where = f"webhook {self.instance!r} ({http.origin(url)})"
        headers = {**extra, "Idempotency-Key": message.key}
        with http.client(self.config.timeout) as client:
            response = http.post(
                client,
                url,
                where=where,
                secrets=secrets,
                json=self.payload(message),
                headers=headers,
            )
        status = response.status_code
        if response.is_success:
            logger.debug("webhook {}: sent {} ({})", self.instance, message.key, status)
            return
        answer = http.answer_text(response, *secrets)
        detail = f"{where}: penerima menjawab HTTP {status}" + (f": {answer}" if answer else "")
        if status in RETRYABLE or status >= 500:
            raise NotifyError(detail, retry_after=http.retry_after(response.headers))
        if response.is_redirect:
            detail += "; alamat dialihkan, tulis alamat tujuannya di pengaturan"
        raise NotifyError(detail, permanent=True)
