"""The Collector interface. Every route to a platform implements it and registers under
the ``monitor.collectors`` entry-point group."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from monitor.domain import Account, Post


class Collector(ABC):
    """Fetches the public posts of one watched account.

    ``fetch`` yields posts oldest first, each carrying ``cursor``: the position after it.
    The service stores a batch of posts and the last cursor in one transaction, so a crash
    resumes from the last stored post. A collector raises only ``CollectError``.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    Settings: ClassVar[type[BaseModel]]

    def __init__(self, settings: BaseModel, *, instance: str, base_dir: Path) -> None:
        self.settings = settings
        self.instance = instance
        self.base_dir = base_dir

    @abstractmethod
    def serves(self, account: Account) -> bool:
        """Whether this collector can fetch ``account`` (its platform, its settings)."""

    @abstractmethod
    def fetch(self, account: Account, cursor: str | None) -> Iterator[Post]:
        """Posts of ``account`` after ``cursor`` (None: from the beginning)."""
