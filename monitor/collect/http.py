"""HTTP for collectors: one client per collector, a request rate per host, rate-limit
headers honoured before they bite, and every failure turned into the CollectError that says
what the scheduler should do.

- ``Retry-After`` (seconds or an HTTP date) and the X (``x-rate-limit-*``, epoch seconds)
  and Mastodon (``x-ratelimit-*``, ISO time) headers pause the host until the given time;
  a pause longer than ``max_wait`` is not slept through but raised as ``RateLimited`` so the
  account is retried later and other collectors go on.
- 5xx, timeouts and dropped connections raise ``TransientError``; 404/410 raise
  ``AccountUnavailable``; 401 raises ``CollectorBroken`` (the credentials are refused).
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from monitor import __version__
from monitor.errors import (
    AccountUnavailable,
    CollectError,
    CollectorBroken,
    MalformedResponse,
    RateLimited,
    TransientError,
)

USER_AGENT = f"asn-monitor/{__version__} (+https://github.com/asn-monitor/asn-monitor)"

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class HostLimiter:
    """At most ``rate`` requests per second to each host, and a pause per host until a
    time the host named (Retry-After, an exhausted rate-limit window). Thread-safe: the
    collectors' worker threads share one limiter per collector."""

    def __init__(
        self, rate: float | None, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        self._paused: dict[str, float] = {}

    def pause(self, host: str, seconds: float) -> None:
        """No request to ``host`` for ``seconds`` from now."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            self._paused[host] = max(self._paused.get(host, 0.0), until)

    def paused_for(self, host: str) -> float:
        with self._lock:
            return max(0.0, self._paused.get(host, 0.0) - self._clock())

    def acquire(self, host: str, *, max_wait: float) -> None:
        """Wait for this host's next slot; ``RateLimited`` when that is beyond ``max_wait``."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(host, now), self._paused.get(host, now))
            wait = start - now
            if wait > max_wait:
                raise RateLimited(
                    f"{host}: batas laju, coba lagi dalam {wait:.0f} detik", retry_after=wait
                )
            self._next[host] = start + self.interval
        if wait > 0:
            self._sleep(wait)


@dataclass(frozen=True)
class RateLimit:
    """What a response's rate-limit headers said."""

    limit: int | None
    remaining: int | None
    reset_in: float | None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _seconds_until(value: str, now: datetime) -> float | None:
    """A reset time as epoch seconds (X) or an ISO timestamp (Mastodon)."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if number > 10**9:  # an epoch timestamp
            return max(0.0, number - now.timestamp())
        return max(0.0, number)  # already seconds
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def rate_limit(headers: Mapping[str, str], now: datetime | None = None) -> RateLimit:
    """X's ``x-rate-limit-*`` or Mastodon's ``x-ratelimit-*`` headers."""
    now = now or datetime.now(UTC)
    lower = {k.lower(): v for k, v in headers.items()}

    def first(*names: str) -> str | None:
        return next((lower[n] for n in names if n in lower), None)

    reset = first("x-rate-limit-reset", "x-ratelimit-reset")
    return RateLimit(
        limit=_int(first("x-rate-limit-limit", "x-ratelimit-limit")),
        remaining=_int(first("x-rate-limit-remaining", "x-ratelimit-remaining")),
        reset_in=_seconds_until(reset, now) if reset else None,
    )


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (it may be a number or an HTTP date), else the reset time
    of an exhausted rate-limit window."""
    now = now or datetime.now(UTC)
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is not None:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, (when - now).total_seconds())
    return rate_limit(headers, now).reset_in


class HttpClient:
    """GET with a per-host rate, rate-limit headers honoured, errors classified.

    ``what`` in each call names the thing being fetched for messages ("akun @x")."""

    def __init__(
        self,
        *,
        rate: float | None = None,
        timeout: float = 30.0,
        max_wait: float = 60.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        limiter: HostLimiter | None = None,
    ) -> None:
        self.limiter = limiter or HostLimiter(rate)
        self.max_wait = max_wait
        self.requests = 0
        self._lock = threading.Lock()
        self._client = httpx.Client(
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        """The response when its status is in ``ok``; otherwise the CollectError for it."""
        host = urlsplit(url).netloc
        self.limiter.acquire(host, max_wait=self.max_wait)
        with self._lock:
            self.requests += 1
        try:
            response = self._client.get(url, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransientError(f"{what}: {host} tidak menjawab (batas waktu habis)") from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"{what}: {host} tidak dapat dihubungi ({exc})") from exc
        self._honour_rate_limit(host, response)
        if response.status_code in ok:
            return response
        raise self.status_error(response, what=what)

    def _honour_rate_limit(self, host: str, response: httpx.Response) -> None:
        limit = rate_limit(response.headers)
        if limit.remaining == 0 and limit.reset_in:
            self.limiter.pause(host, limit.reset_in)

    def status_error(self, response: httpx.Response, *, what: str) -> CollectError:
        """The CollectError a status code means; collectors may override single codes."""
        status = response.status_code
        host = urlsplit(str(response.url)).netloc
        wait = retry_after(response.headers)
        if status == 429:
            self.limiter.pause(host, wait if wait is not None else 60.0)
            return RateLimited(
                f"{what}: {host} membatasi laju (HTTP 429)"
                + (f", coba lagi dalam {wait:.0f} detik" if wait is not None else ""),
                retry_after=wait,
            )
        if status >= 500:
            if wait is not None:
                self.limiter.pause(host, wait)
            return TransientError(f"{what}: {host} gagal (HTTP {status})", retry_after=wait)
        if status in (404, 410):
            return AccountUnavailable(f"{what}: tidak ditemukan di {host} (HTTP {status})")
        if status == 401:
            return CollectorBroken(f"{what}: {host} menolak kredensial (HTTP 401)")
        if status == 403:
            return AccountUnavailable(f"{what}: akses ditolak oleh {host} (HTTP 403)")
        return MalformedResponse(f"{what}: jawaban tak terduga dari {host} (HTTP {status})")

    def json(self, response: httpx.Response, *, what: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise MalformedResponse(
                f"{what}: jawaban {urlsplit(str(response.url)).netloc} bukan JSON yang sah ({exc})"
            ) from exc
