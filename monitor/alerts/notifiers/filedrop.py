"""A file drop: each message written into a folder, for an office without a mail server
or for a shared folder another tool picks up.

A message becomes ``<dir>/<name>.eml`` (the same mail the email notifier sends: it opens
in any mail client, attachments included), ``<name>.html``, ``<name>.txt`` and its
attachments beside them as ``<name>.<attachment name>``. ``<name>`` is the message key made
safe for a file name, with a short hash of the key so two keys never share a name. Every
file is written to a temporary file and renamed into place, so a reader never sees half a
file; writing the same message again replaces the same files, so a message delivered twice
still leaves one set of files. The ``.eml`` is written last: a tool that watches for it
finds the others already there. Files are readable by the owner and its group only (they
hold personal data).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import ClassVar, Literal

from loguru import logger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.alerts.notifiers import mime
from monitor.alerts.notifiers.base import Message, Notifier
from monitor.errors import NotifyError

Format = Literal["eml", "html", "txt"]
FORMATS: tuple[Format, ...] = ("eml", "html", "txt")
FILE_MODE = 0o640
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: errors that come back on every try until a person changes something
_PERMANENT = (PermissionError, NotADirectoryError, IsADirectoryError, FileExistsError)


def safe_name(key: str) -> str:
    """A file name for ``key``: its safe characters, then 8 hex digits of its hash."""
    readable = _UNSAFE.sub("_", key).strip("._-")[:100]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}" if readable else digest


def _attachment_names(names: list[str]) -> list[str]:
    """Safe, distinct file names for a message's attachments."""
    result: list[str] = []
    for index, name in enumerate(names, 1):
        safe = _UNSAFE.sub("_", Path(name).name).lstrip("._") or f"lampiran-{index}"
        if safe in result:
            safe = f"{index}-{safe}"
        result.append(safe)
    return result


def write_atomically(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """``path`` holds ``data`` or what it held before, never a part (temp file + rename)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp_path = Path(temp)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temp_path.chmod(mode)
        temp_path.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp_path.unlink()
        raise


def _sync_dir(path: Path) -> None:
    """Make the renames durable (a crash after send() must not lose the files)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class FileDropSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The folder (relative to the configuration's folder); created when missing.
    dir: Path
    #: What to write of each message: eml (the mail), html, txt.
    formats: list[Format] = Field(default_factory=lambda: list(FORMATS))
    #: Write the attachments (the digest CSV) beside them.
    attachments: bool = True
    #: From and To of the .eml (a mail client shows them).
    sender: str = "asn-monitor <asn-monitor@localhost>"
    to: list[str] = Field(default_factory=list)
    subject_prefix: str = mime.DEFAULT_SUBJECT_PREFIX

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return mime.check_address(value)

    @field_validator("to")
    @classmethod
    def _to(cls, value: list[str]) -> list[str]:
        return [mime.check_address(v) for v in value]

    @field_validator("formats")
    @classmethod
    def _distinct(cls, value: list[Format]) -> list[Format]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _something(self) -> FileDropSettings:
        if not self.formats and not self.attachments:
            raise ValueError("tidak ada yang ditulis: isi formats atau attachments: true")
        return self


class FileDropNotifier(Notifier):
    name: ClassVar[str] = "file"
    summary: ClassVar[str] = "berkas di folder: .eml (bisa dibuka program e-mail), .html, .txt"
    Settings: ClassVar[type[BaseModel]] = FileDropSettings

    def __init__(self, settings: BaseModel, *, instance: str, base_dir: Path) -> None:
        super().__init__(settings, instance=instance, base_dir=base_dir)
        assert isinstance(settings, FileDropSettings)
        self.config = settings

    @property
    def dir(self) -> Path:
        path = self.config.dir
        return path if path.is_absolute() else self.base_dir / path

    @property
    def where(self) -> str:
        return f"file {self.instance!r} ({self.dir})"

    def broken(self) -> str | None:
        existing = self.dir
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            return f"{self.where}: {existing} bukan folder"
        if not os.access(existing, os.W_OK | os.X_OK):
            return f"{self.where}: folder {existing} tidak bisa ditulisi"
        return None

    def files(self, message: Message) -> dict[str, bytes]:
        """File name -> content for ``message``, in the order they are written."""
        stem = safe_name(message.key)
        files: dict[str, bytes] = {}
        if self.config.attachments:
            names = _attachment_names([a.name for a in message.attachments])
            for name, attachment in zip(names, message.attachments, strict=True):
                files[f"{stem}.{name}"] = attachment.data
        if "txt" in self.config.formats:
            files[f"{stem}.txt"] = message.text.encode("utf-8")
        if "html" in self.config.formats and message.html is not None:
            files[f"{stem}.html"] = message.html.encode("utf-8")
        if "eml" in self.config.formats:
            document = mime.build(
                message,
                sender=self.config.sender,
                to=self.config.to,
                subject_prefix=self.config.subject_prefix,
            )
            files[f"{stem}.eml"] = document.as_bytes()
        return files

    def send(self, message: Message) -> None:
        folder = self.dir
        name = str(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in self.files(message).items():
                write_atomically(folder / name, data)
            _sync_dir(folder)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise NotifyError(
                f"{self.where}: tidak bisa menulis {name}: {reason}",
                permanent=isinstance(exc, _PERMANENT) or exc.errno == errno.EROFS,
            ) from None
        logger.debug("file {}: wrote {} into {}", self.instance, message.key, folder)
