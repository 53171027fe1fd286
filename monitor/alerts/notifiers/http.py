"""HTTP for the webhook and Telegram notifiers: one POST, every failure turned into a
NotifyError that keeps secrets out of its message.

A secret can sit in a URL (the Telegram bot token is part of the path; a webhook address
from the environment may carry its key): error messages name only the scheme and host,
exceptions are raised ``from None`` so the httpx exception (which carries the URL) does not
ride along in a traceback, and ``hide_in_logs`` masks the secret in httpx's own log line
("HTTP Request: POST https://...") that standard-library logging routes to our log.
"""

from __future__ import annotations

import email.utils
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from monitor import __version__
from monitor.alerts.notifiers.base import redact
from monitor.errors import NotifyError

USER_AGENT = f"asn-monitor/{__version__}"


class _SecretFilter(logging.Filter):
    """Masks registered secrets in records of the logger it is attached to."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        with self.lock:
            secrets = tuple(self.secrets)
        if secrets:
            text = record.getMessage()
            clean = redact(text, *secrets)
            if clean != text:
                record.msg, record.args = clean, ()
        return True


_FILTER = _SecretFilter()
#: the loggers that write request URLs
_LOGGERS = ("httpx",)


def hide_in_logs(*secrets: str) -> None:
    """Mask these strings (and their URL-normalised forms) in httpx's log records."""
    with _FILTER.lock:
        for secret in secrets:
            if secret:
                _FILTER.secrets.add(secret)
    for name in _LOGGERS:
        log = logging.getLogger(name)
        if _FILTER not in log.filters:
            log.addFilter(_FILTER)


def url_forms(url: str) -> tuple[str, ...]:
    """A secret URL as written, as httpx prints it (normalised), and its path and query
    (a server may echo those): every form to mask."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return (url,)
    path = parsed.raw_path.decode("ascii", "replace")
    return (url, str(parsed), *((path,) if len(path) > 1 else ()))


def origin(url: str) -> str:
    """``scheme://host[:port]``: what an error message may say about a URL."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<url tidak sah>"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def client(timeout: float) -> httpx.Client:
    """A client that does not follow redirects: a POST is not silently re-aimed."""
    return httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False)


def post(
    http: httpx.Client,
    url: str,
    *,
    where: str,
    secrets: tuple[str, ...] = (),
    **kwargs: Any,
) -> httpx.Response:
    """The response to a POST, whatever its status; a transport failure as NotifyError
    (retryable, except an address that cannot work)."""
    try:
        return http.post(url, **kwargs)
    except httpx.TimeoutException:
        timeout = http.timeout.read
        raise NotifyError(f"{where}: tidak ada jawaban dalam {timeout:g} detik") from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        raise NotifyError(f"{where}: alamat tidak sah", permanent=True) from None
    except httpx.TransportError as exc:
        reason = redact(str(exc), *secrets, url) or type(exc).__name__
        raise NotifyError(f"{where}: tidak bisa tersambung ({reason})") from None


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds (the header holds seconds or an HTTP date), or None."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def answer_text(response: httpx.Response, *secrets: str, limit: int = 200) -> str:
    """The start of a response body on one line, for an error message."""
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        return ""
    return redact(" ".join(text.split()), *secrets)[:limit]
