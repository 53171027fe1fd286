"""The Collector interface. Every route to a platform implements it and registers under
the ``monitor.collectors`` entry-point group."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from monitor.collect.http import HttpClient
from monitor.domain import Account, Post


@dataclass(frozen=True)
class CollectorOptions:
    """The generic keys of a collector's configuration entry that the collector itself
    uses (the scheduler uses the rest)."""

    #: requests per second to each host (None: no limit)
    rate: float | None = None
    #: seconds before a request times out
    timeout: float = 30.0
    #: the longest a request waits for its host (rate, Retry-After) before giving up
    max_wait: float = 60.0
    #: seconds: how far back the first poll of an account goes (and the re-scan window)
    lookback: float = 3 * 86400.0


@dataclass(frozen=True)
class Schedule:
    """The generic keys of a collector's configuration entry that the scheduler uses
    (seconds throughout; see ``CollectorConfig`` in settings.py for their meaning)."""

    interval: float = 900.0
    jitter: float = 0.1
    concurrency: int = 4
    rescan_every: float = 6 * 3600.0
    backoff_base: float = 300.0
    backoff_max: float = 6 * 3600.0
    breaker_threshold: int = 5
    breaker_cooldown: float = 1800.0


@dataclass(frozen=True)
class Listing:
    """Every post of an account created at or after ``complete_since`` that the source
    still shows. A stored post in that window that is missing here has been deleted."""

    posts: list[Post]
    complete_since: datetime
    #: posts the source billed for (X API reads)
    reads: int = 0


class Collector(ABC):
    """Fetches the public posts of one watched account.

    ``fetch`` yields posts oldest first, each carrying ``cursor``: the position after it.
    The service stores a batch of posts and the last cursor in one transaction, so a crash
    resumes from the last stored post. A collector raises only ``CollectError`` (and its
    subclasses, which tell the scheduler whether to back off the account, pause the host or
    open the circuit breaker).

    Collectors are shared by worker threads: ``fetch`` must not keep per-call state on
    ``self`` (the HTTP client and its host limiter are thread-safe).
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    Settings: ClassVar[type[BaseModel]]
    #: one line for ``asn-monitor collectors``: what the route is
    summary: ClassVar[str] = ""
    #: the source bills per post read (X API): reads are counted and costed in the digest
    billed: ClassVar[bool] = False

    def __init__(
        self,
        settings: BaseModel,
        *,
        instance: str,
        base_dir: Path,
        options: CollectorOptions | None = None,
    ) -> None:
        self.settings = settings
        self.instance = instance
        self.base_dir = base_dir
        self.options = options or CollectorOptions()
        #: set by the service from the configuration entry
        self.schedule = Schedule()
        self._http: HttpClient | None = None

    @property
    def http(self) -> HttpClient:
        """The collector's HTTP client, made on first use."""
        if self._http is None:
            self._http = HttpClient(
                rate=self.options.rate,
                timeout=self.options.timeout,
                max_wait=self.options.max_wait,
                headers=self.headers(),
            )
        return self._http

    def headers(self) -> dict[str, str]:
        """Headers sent with every request (an API token, say)."""
        return {}

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    @abstractmethod
    def serves(self, account: Account) -> bool:
        """Whether this collector can fetch ``account`` (its platform, its settings)."""

    @abstractmethod
    def fetch(self, account: Account, cursor: str | None) -> Iterator[Post]:
        """Posts of ``account`` after ``cursor`` (None: from the beginning, or as far back
        as the collector's look-back allows)."""

    def rescan(self, account: Account, since: datetime) -> Listing | None:
        """Every post of ``account`` created since ``since`` as the source shows it now, to
        record edits and deletions. None when the route cannot list completely."""
        return None

    def broken(self) -> str | None:
        """Why this collector cannot work at all (a scraper broken upstream, a missing
        token), or None. ``config check`` and the circuit breaker report it."""
        return None

    def cost_per_read(self) -> float | None:
        """Estimated cost of one billed read in US dollars, for billed sources."""
        return None
