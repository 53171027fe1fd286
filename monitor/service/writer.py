"""One writing thread for the collectors' worker threads, with group commit.

Worker threads fetch concurrently (network-bound); their writes (a batch of posts with its
cursor, a finished poll with the account's state) go to one thread that runs every job
waiting at that moment in one transaction. Each job stays atomic: its posts and cursor
commit together or not at all. One slow fsync then serves many accounts, and SQLite never
sees two writers. If a grouped transaction fails, every job in it is retried alone, so one
bad job cannot take the others down with it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from types import TracebackType
from typing import Any, TypeVar

from loguru import logger
from sqlalchemy.orm import Session

from monitor.store import Store

T = TypeVar("T")
Job = Callable[[Session], Any]

_STOP = object()


class Writer:
    """``submit(job)`` runs ``job(session)`` in the writing thread and returns its result
    once committed (or raises what the job or the commit raised)."""

    def __init__(self, store: Store, *, max_group: int = 256) -> None:
        self.store = store
        self.max_group = max_group
        self.transactions = 0
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="asn-monitor-writer", daemon=True)
        self._started = False

    def __enter__(self) -> Writer:
        self._thread.start()
        self._started = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._started:
            self._queue.put(_STOP)
            self._thread.join()
            self._started = False

    def submit(self, job: Callable[[Session], T]) -> T:
        if not self._started:  # used without the thread: an ordinary transaction
            with self.store.session() as session:
                return job(session)
        future: Future[T] = Future()
        self._queue.put((job, future))
        return future.result()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            group = [item]
            stop = False
            while len(group) < self.max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                group.append(more)
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[tuple[Job, Future[Any]]]) -> None:
        try:
            results: list[Any] = []
            with self.store.session() as session:
                for job, _future in group:
                    results.append(job(session))
            self.transactions += 1
        except BaseException as exc:
            if len(group) == 1:
                group[0][1].set_exception(exc)
                return
            logger.debug("group of {} writes failed; retrying each alone", len(group))
            for job, future in group:
                self._run_alone(job, future)
            return
        for (_job, future), result in zip(group, results, strict=True):
            future.set_result(result)

    def _run_alone(self, job: Job, future: Future[Any]) -> None:
        try:
            with self.store.session() as session:
                result = job(session)
            self.transactions += 1
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
