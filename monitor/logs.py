"""Logging: loguru to stderr (journald picks it up), standard-library logging routed
through it, optional JSON lines. Log messages are English; people read the CLI output.

Secrets never reach a log line. Every line, its exception text and traceback included (in
JSON-lines mode every string of the JSON object), passes through ``redact`` before it is
written:

- values registered with ``register_secret`` (at start: ``secrets_from_settings``, i.e.
  the database password and the value of every environment variable a ``*_env`` setting
  of a collector or notifier names), also in their URL-encoded forms;
- secret-looking patterns: ``scheme://user:password@``, ``Bearer <token>``, a Telegram
  ``/bot<token>``, ``password=...`` in a DSN, ``access_token=...`` in a query string.

Each is replaced by ``***``. Values shorter than ``MIN_SECRET_LENGTH`` are not registered
(replacing every ``abc`` would make the log unreadable); the patterns still catch them where
they sit in a URL or a DSN.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote, quote_plus

from loguru import logger

if TYPE_CHECKING:
    from loguru import Message, Record

    from monitor.plugins import Kind
    from monitor.settings import Settings

MASK = "***"
MIN_SECRET_LENGTH = 4

#: (pattern, replacement): the part named ``keep`` stays, the secret after it is masked
_PATTERNS: tuple[re.Pattern[str], ...] = (
    # scheme://user:password@host (database URLs, proxies, webhooks with credentials)
    re.compile(r"(?P<keep>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s@'\"]+(?=@)"),
    # Authorization header values
    re.compile(r"(?i)(?P<keep>\b(?:bearer|basic)\s+)[A-Za-z0-9\-._~+/%]{8,}=*"),
    # Telegram Bot API: https://api.telegram.org/bot<id>:<secret>/sendMessage
    re.compile(r"(?P<keep>/bot)\d+:[A-Za-z0-9_\-]+"),
    re.compile(r"(?i)(?P<keep>telegram\.org/(?:file/)?bot)[^/\s'\"]+"),
    # libpq key/value DSNs and URL query parameters: password=..., password='...'
    re.compile(
        r"(?i)(?P<keep>\b(?:password|passwd|pwd)\s*=\s*)(?:'[^']*'|\"[^\"]*\"|[^\s&;,'\")]+)"
    ),
    re.compile(
        r"(?i)(?P<keep>\b(?:access_token|api_key|apikey|client_secret|secret|token)=)"
        r"[^\s&#'\"]+"
    ),
    # "password": "..." in a JSON or Python mapping
    re.compile(
        r"(?i)(?P<keep>[\"'](?:password|passwd|secret|token|access_token|api_key)[\"']"
        r"\s*:\s*[\"'])[^\"']+"
    ),
)

_lock = threading.Lock()
_secrets: set[str] = set()
_secret_re: re.Pattern[str] | None = None


def register_secret(value: str | None) -> None:
    """Never write ``value`` to the log (nor its URL-encoded forms)."""
    global _secret_re
    if value is None:
        return
    value = value.strip()
    if len(value) < MIN_SECRET_LENGTH:
        return
    forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
    with _lock:
        if forms <= _secrets:
            return
        _secrets.update(forms)
        ordered = sorted(_secrets, key=len, reverse=True)
        _secret_re = re.compile("|".join(re.escape(s) for s in ordered))


def register_secrets(values: Iterable[str]) -> None:
    for value in values:
        register_secret(value)


def redact(text: str) -> str:
    """``text`` with every registered secret and secret-looking pattern replaced by ***."""
    pattern = _secret_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for secret_pattern in _PATTERNS:
        text = secret_pattern.sub(rf"\g<keep>{MASK}", text)
    return text


def _redact_json(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_json(item) for item in value]
    return value


def _url_password(url: str | None) -> str | None:
    if not url:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        return None
    return str(password) if password else None


def _env_values(name: str) -> list[str]:
    """The secret in environment variable ``name``: its value and, for a JSON object of
    headers, each header value (and the token after ``Bearer``)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return []
    values = [raw]
    password = _url_password(raw) if "://" in raw else None
    if password:
        values.append(password)
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        for item in parsed.values():
            if isinstance(item, str):
                values.append(item)
                scheme, _, token = item.partition(" ")
                if token and scheme.lower() in ("bearer", "basic", "token"):
                    values.append(token)
    return values


def _env_names(kind: Kind, type_name: str, options: dict[str, Any]) -> set[str]:
    """The environment variables a plugin's settings name (``token_env: X_BEARER_TOKEN``),
    defaults of the plugin's own ``Settings`` included."""
    from pydantic import BaseModel, ValidationError

    from monitor import plugins
    from monitor.errors import PluginError

    names = {v for k, v in options.items() if k.endswith("_env") and isinstance(v, str)}
    try:
        model = plugins.load(kind, type_name).Settings
    except (PluginError, AttributeError):
        return names
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return names
    try:
        validated: BaseModel | None = model.model_validate(options)
    except ValidationError:
        validated = None
    for field, info in model.model_fields.items():
        if not field.endswith("_env"):
            continue
        value = getattr(validated, field) if validated is not None else info.default
        if isinstance(value, str):
            names.add(value)
    return names


def secrets_from_settings(settings: Settings) -> list[str]:
    """The secrets the configuration points at: the database password (from the file and
    from ``MONITOR_DATABASE_URL``) and the value of every environment variable named by a
    ``*_env`` setting of a configured collector or notifier."""
    from monitor.settings import DATABASE_URL_ENV

    found: list[str] = []
    for url in (settings.database.url, os.environ.get(DATABASE_URL_ENV), settings.database_url):
        password = _url_password(url)
        if password:
            found.append(password)
    names: set[str] = set()
    for instance in settings.collectors.values():
        names |= _env_names("collectors", instance.type, instance.options())
    for notifier in settings.notifiers.values():
        names |= _env_names("notifiers", notifier.type, notifier.options())
    for name in sorted(names):
        found.extend(_env_values(name))
    return list(dict.fromkeys(found))


def _patch(record: Record) -> None:
    """Redact the message (and string extras) for every sink, not only ours."""
    record["message"] = redact(record["message"])
    extra = record["extra"]
    for key, value in extra.items():
        if isinstance(value, str):
            extra[key] = redact(value)


class RedactingSink:
    """Writes loguru's formatted lines (exception text included) with secrets masked; in
    JSON-lines mode each line is parsed, every string in it redacted, and dumped again."""

    def __init__(self, stream: TextIO | None = None, *, json_lines: bool = False) -> None:
        self._stream = stream
        self.json_lines = json_lines

    def write(self, message: Message) -> None:
        text = str(message)
        if self.json_lines:
            try:
                line = json.dumps(_redact_json(json.loads(text)), ensure_ascii=False)
            except ValueError:
                line = json.dumps({"text": redact(text)}, ensure_ascii=False)
            text = line + "\n"
        else:
            text = redact(text)
        stream = self._stream or sys.stderr
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):
            # stderr is gone (closed pipe): nowhere to write, and loguru's fallback would
            # print the unredacted record
            pass


class InterceptHandler(logging.Handler):
    """Sends standard-library records (SQLAlchemy, Alembic, APScheduler) to loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        # the frame that called the standard-library logger, so that {name} is its module
        frame: FrameType | None = inspect.currentframe()
        depth = 0
        while frame is not None and (depth == 0 or frame.f_code.co_filename == logging.__file__):
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())


def setup_logging(
    level: str = "INFO",
    *,
    json_lines: bool = False,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Log to ``stream`` (stderr by default) with secrets masked. ``secrets``: values to
    register first, e.g. ``secrets_from_settings(settings)``."""
    register_secrets(secrets)
    logger.remove()
    logger.configure(patcher=_patch)
    logger.add(
        RedactingSink(stream, json_lines=json_lines).write,
        level=level,
        serialize=json_lines,
        format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {name}: {message}",
        colorize=False,
        backtrace=False,
        diagnose=False,
    )
    logging.basicConfig(handlers=[InterceptHandler()], level=0, force=True)
    for noisy in ("alembic.runtime.migration",):
        logging.getLogger(noisy).setLevel(logging.WARNING if level != "DEBUG" else logging.DEBUG)
