"""The Notifier interface and the message every notifier delivers.

A message is rendered once, stored in the outbox (``monitor.store.outbox``) in the
transaction that decided to send it, and handed to the notifier as it was stored, so a
retry after a crash sends exactly the same thing. ``key`` identifies the message for
good: e-mail uses it for the Message-ID, the webhook sends it as an idempotency key, so a
receiver can recognise a message it got twice after a crash between sending and
recording.
"""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel


@dataclass(frozen=True)
class Attachment:
    name: str
    media_type: str
    #: the bytes; stored in the outbox as base64
    data: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "media_type": self.media_type,
            "data": base64.b64encode(self.data).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        return cls(str(data["name"]), str(data["media_type"]), base64.b64decode(data["data"]))


@dataclass(frozen=True)
class Message:
    """A digest or a notice, rendered: plain text always, HTML for e-mail, attachments."""

    key: str
    kind: str  # "digest" or "notice"
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    #: small structured facts for machine receivers (the webhook): counts, alert ids, ...
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "html": self.html,
            "attachments": [a.to_json() for a in self.attachments],
            "data": self.data,
        }

    @classmethod
    def from_json(cls, key: str, kind: str, subject: str, body: dict[str, Any]) -> Message:
        return cls(
            key=key,
            kind=kind,
            subject=subject,
            text=str(body.get("text", "")),
            html=body.get("html"),
            attachments=tuple(Attachment.from_json(a) for a in body.get("attachments", [])),
            data=dict(body.get("data") or {}),
        )


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every given secret (a password, a token, a URL from the environment)
    replaced by ``***``: for error messages built from what a library or a server said."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class Notifier(ABC):
    """Delivers a message to one destination. Raises only ``NotifyError`` (``permanent``
    when retrying cannot help). Secrets come from environment variables the settings name,
    never from the file, and never appear in messages or logs."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    Settings: ClassVar[type[BaseModel]]
    summary: ClassVar[str] = ""

    def __init__(self, settings: BaseModel, *, instance: str, base_dir: Path) -> None:
        self.settings = settings
        self.instance = instance
        self.base_dir = base_dir

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise NotifyError."""

    def broken(self) -> str | None:
        """Why this notifier cannot work at all (a missing credential), or None."""
        return None
