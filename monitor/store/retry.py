"""Riding out a lost database connection (PostgreSQL restarted, failed over, network cut).

``run_with_retry(fn, what=...)`` runs a unit of database work and, when it fails because
the connection was lost or cannot be made, waits and runs it again from the start: 1 s,
2 s, 4 s ... up to ``cap`` seconds, each wait jittered (between half and all of it) so that
the jobs of a service do not all knock at once. Every retry is logged at WARNING with the
error's first line (never the SQL parameters, never the password). After ``attempts``
tries it gives up with ``DatabaseUnavailable`` (a ``StoreError``).

The unit of work must be safe to run again: it opens its own transactions (``with
store.session()``), so a try cut off by the failure rolled back and left nothing behind.
Every other error (a constraint violated, SQL that is wrong, SQLite's "database is
locked") is raised at once: retrying would not change it.

The daemon wraps each job in it, so a PostgreSQL restart makes the jobs wait and resume
instead of crashing the service into a restart loop.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from loguru import logger
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from monitor.errors import StoreError

T = TypeVar("T")

#: SQLSTATEs of a connection that is gone or cannot be had yet: class 08 (connection
#: exception), admin/crash shutdown, "the database system is starting up/shutting down"
_DISCONNECT_STATES = ("57P01", "57P02", "57P03")

#: called before each wait: (attempt that failed, seconds to wait, the error)
OnRetry = Callable[[int, float, BaseException], None]


class DatabaseUnavailable(StoreError):
    """The database stayed unreachable through every retry."""


def _driver_disconnect(orig: BaseException | None) -> bool:
    """A DB-API error that says the connection is lost or cannot be made."""
    if orig is None:
        return False
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    if not isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is None:  # raised by the client: no connection to ask the server
        return True
    return str(sqlstate).startswith("08") or sqlstate in _DISCONNECT_STATES


def is_disconnect(exc: BaseException) -> bool:
    """True when ``exc`` (or an error it was raised from) is a lost or refused database
    connection, which running the work again may cure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DatabaseUnavailable):
            return False  # an inner retry already gave up: do not multiply the waits
        if isinstance(current, DBAPIError):
            if current.connection_invalidated:
                return True
            if isinstance(current, OperationalError | InterfaceError) and _driver_disconnect(
                current.orig
            ):
                return True
        elif _driver_disconnect(current):
            return True
        current = current.__cause__
    return False


def describe(exc: BaseException) -> str:
    """The first line of the driver's message: no SQL, no parameters (they may hold
    personal data), no password (libpq does not echo it)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    text = str(orig if orig is not None else exc).strip()
    first = text.splitlines()[0].strip() if text else ""
    return first or type(exc).__name__


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """The wait after failed try ``attempt`` (1-based): base * 2**(attempt-1), capped,
    then a random point between half of it and all of it."""
    delay = min(cap, base * 2.0 ** min(attempt - 1, 62))
    return rng.uniform(delay / 2, delay)


def run_with_retry(
    fn: Callable[[], T],
    *,
    what: str,
    attempts: int = 10,
    base: float = 1.0,
    cap: float = 60.0,
    sleep: Callable[[float], object] = time.sleep,
    on_retry: OnRetry | None = None,
    stop: threading.Event | None = None,
    rng: random.Random | None = None,
) -> T:
    """``fn()``, run again after a lost connection; see the module's docstring.

    ``what`` names the work in the log ("collect", "digest"). ``stop``: waits on this
    event instead of ``sleep``; once it is set (the service is stopping) the wait ends at
    once and no further try is made. With the defaults (10 tries, waits of 1 s doubling up
    to 60 s) the work waits two to four minutes in all before giving up."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    rng = rng or random.Random()
    attempt = 1
    while True:
        try:
            return fn()
        except Exception as exc:
            if not is_disconnect(exc):
                raise
            reason = describe(exc)
            if attempt >= attempts:
                logger.error(
                    "{}: database still unreachable after {} tries: {}", what, attempt, reason
                )
                raise DatabaseUnavailable(
                    f"{what}: basis data tidak dapat dihubungi setelah {attempt} kali "
                    f"percobaan: {reason}"
                ) from exc
            delay = backoff(attempt, base=base, cap=cap, rng=rng)
            logger.warning(
                "{}: database connection lost ({}); try {} of {} in {:.1f} s",
                what,
                reason,
                attempt + 1,
                attempts,
                delay,
            )
            if on_retry is not None:
                on_retry(attempt, delay, exc)
            if stop is not None:
                if stop.wait(delay):
                    raise DatabaseUnavailable(
                        f"{what}: dihentikan saat menunggu basis data: {reason}"
                    ) from exc
            else:
                sleep(delay)
            attempt += 1
