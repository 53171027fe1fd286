"""The Detector interface. Detectors register under the ``monitor.detectors`` group."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from monitor.domain import Match, Post


class Detector(ABC):
    """Finds matches in a batch of posts. Raises only ``DetectError``."""

    name: ClassVar[str]

    @property
    @abstractmethod
    def version(self) -> str:
        """Identifies what decided (rule-set hash, model hash), recorded on each decision."""

    @abstractmethod
    def detect(self, posts: Sequence[Post]) -> list[Match]:
        """Every match in ``posts``; batched so a model can run once per batch."""
