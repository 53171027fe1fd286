"""The detection step as the pipeline and ``scan`` use it: detectors find matches in a
batch, the policy turns each post's matches into one decision."""

from __future__ import annotations

from collections.abc import Sequence

from monitor import __version__
from monitor.detect.base import Detector
from monitor.detect.policy import decide
from monitor.domain import Decision, Post
from monitor.rules.registry import Registry


class Decider:
    def __init__(self, detectors: Sequence[Detector], registry: Registry | None = None) -> None:
        self.detectors = list(detectors)
        self.registry = registry

    @property
    def versions(self) -> dict[str, str]:
        versions = {"app": __version__}
        for detector in self.detectors:
            versions[detector.name] = detector.version
        return versions

    def decide(self, posts: Sequence[Post]) -> list[Decision]:
        matches = [m for detector in self.detectors for m in detector.detect(posts)]
        versions = self.versions
        return [decide(post, matches, versions, self.registry) for post in posts]
