"""Reads posts from a JSONL file in the project's post format.

It is the seam tests and demos use, and the route for posts other tools export. The
cursor is the line number of the last post stored for an account, so appending to the file
and running again collects only the new lines. Malformed lines are logged with their line
number and skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from loguru import logger
from pydantic import BaseModel, ConfigDict, field_validator

from monitor.collect.base import Collector, CollectorOptions
from monitor.collect.postformat import read_posts
from monitor.domain import Account, Post, handle_key, parse_platform
from monitor.errors import CollectError, Problem


class JsonlSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The JSONL file, relative to the configuration file.
    path: Path
    #: Platforms to take from the file; all when empty.
    platforms: list[str] = []

    @field_validator("platforms")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return [parse_platform(p) for p in value]


class JsonlCollector(Collector):
    name: ClassVar[str] = "jsonl"
    summary: ClassVar[str] = "berkas JSONL dalam format unggahan asn-monitor (impor, uji, demo)"
    version: ClassVar[str] = "1"
    Settings: ClassVar[type[BaseModel]] = JsonlSettings

    def __init__(
        self,
        settings: BaseModel,
        *,
        instance: str,
        base_dir: Path,
        options: CollectorOptions | None = None,
    ) -> None:
        super().__init__(settings, instance=instance, base_dir=base_dir, options=options)
        assert isinstance(settings, JsonlSettings)
        self.path = settings.path if settings.path.is_absolute() else base_dir / settings.path
        self.platforms = frozenset(settings.platforms)
        self._index: dict[tuple[str, str], list[tuple[int, Post]]] | None = None
        self._stamp: tuple[float, int] | None = None
        self.problems: list[Problem] = []

    def serves(self, account: Account) -> bool:
        return not self.platforms or account.platform in self.platforms

    def _load(self) -> dict[tuple[str, str], list[tuple[int, Post]]]:
        try:
            stat = self.path.stat()
        except OSError as exc:
            raise CollectError(f"{self.path}: tidak bisa dibaca ({exc.strerror})") from exc
        stamp = (stat.st_mtime, stat.st_size)
        if self._index is not None and stamp == self._stamp:
            return self._index
        index: dict[tuple[str, str], list[tuple[int, Post]]] = defaultdict(list)
        problems: list[Problem] = []
        try:
            for lineno, item in read_posts(self.path):
                if isinstance(item, Post):
                    index[(item.platform, handle_key(item.author))].append((lineno, item))
                else:
                    problems.extend(item)
        except OSError as exc:
            raise CollectError(f"{self.path}: tidak bisa dibaca ({exc})") from exc
        for problem in problems:
            logger.warning("jsonl collector {}: {}", self.instance, problem)
        self._index, self._stamp, self.problems = dict(index), stamp, problems
        return self._index

    def fetch(self, account: Account, cursor: str | None) -> Iterator[Post]:
        try:
            after = int(cursor) if cursor else 0
        except ValueError:  # a collector raises only CollectError
            raise CollectError(
                f"{self.path}: penanda posisi {cursor!r} bukan nomor baris"
            ) from None
        for lineno, post in self._load().get((account.platform, account.key), []):
            if lineno > after:
                yield replace(post, cursor=str(lineno))
