"""One exception tree for asn-monitor, and the located problem every error carries.

    MonitorError
    ├── ConfigError        the configuration file is unreadable or invalid
    ├── InputError         a file a person gave us (watchlist, posts, rules) has problems
    │   └── YamlError      YAML syntax, duplicate keys, unsupported constructs
    ├── StoreError         the database is unreachable or not migrated
    ├── PluginError        an unknown plugin name, or a plugin that fails to load
    ├── CollectError       a collector could not fetch (per account; the run goes on)
    │   ├── RateLimited            the source said "slow down" (429, Retry-After)
    │   ├── TransientError         5xx, timeout, connection reset: try again later
    │   ├── MalformedResponse      the body is not what the format promises
    │   ├── AccountUnavailable     this account is gone, private or suspended
    │   └── CollectorBroken        the whole route is down (broken upstream, bad token)
    ├── DetectError        rules or classifier could not decide
    └── NotifyError        a notifier could not deliver

Plugins raise only their family's error; the service catches it per job and per account.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in a file a person edits: ``path:line:col: severity: msg [code]``.

    ``line`` and ``col`` are 1-based; 0 means unknown (the whole file or line).
    """

    path: str
    line: int
    col: int
    message: str
    code: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


class MonitorError(Exception):
    """Base of every error asn-monitor raises on purpose."""


class ProblemsError(MonitorError):
    """An error that carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems: Sequence[Problem] = sorted(problems)
        text = summary or "\n".join(str(p) for p in self.problems)
        super().__init__(text)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class ConfigError(ProblemsError):
    """The configuration file is unreadable or invalid."""


class InputError(ProblemsError):
    """A file a person gave us has problems."""


class YamlError(InputError):
    """YAML syntax errors, duplicate keys or unsupported constructs."""


class StoreError(MonitorError):
    """The database is unreachable, or its schema is not at the expected revision."""


class PluginError(MonitorError):
    """An unknown plugin name, or a plugin that fails to load or to configure."""


class CollectError(MonitorError):
    """A collector could not fetch an account's posts. ``retry_after`` is in seconds.

    ``kind`` names the failure for coverage reports; the subclasses below say what the
    scheduler should do: back off the account, pause the host, or open the breaker."""

    kind: str = "error"
    #: the failure says something about the route, not only about this account: it counts
    #: towards the collector's circuit breaker
    counts_against_collector: bool = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(CollectError):
    """HTTP 429 or an exhausted rate-limit window; ``retry_after`` says when to come back."""

    kind = "rate_limited"


class TransientError(CollectError):
    """A 5xx answer, a timeout or a dropped connection."""

    kind = "transient"


class MalformedResponse(CollectError):
    """The body does not parse as the format the source promises (HTML for XML, bad JSON)."""

    kind = "malformed"


class AccountUnavailable(CollectError):
    """The account does not exist (any more), is private, or is suspended."""

    kind = "unavailable"
    counts_against_collector = False


class CollectorBroken(CollectError):
    """The whole route cannot work: a scraper broken upstream, a missing or refused token.
    It opens the collector's circuit breaker at once."""

    kind = "broken"


class DetectError(MonitorError):
    """Rules or the classifier could not decide."""


class NotifyError(MonitorError):
    """A notifier could not deliver. ``permanent``: retrying the same message cannot help
    (a refused address, a bad chat id); ``retry_after`` in seconds when the far end said."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
