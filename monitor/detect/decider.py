"""The detection step as the pipeline and ``scan`` use it: detectors find matches in a
batch, the classifier (when configured) gives class probabilities for the same batch, and
the policy turns each post's matches and probabilities into one decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from monitor import __version__
from monitor.detect.base import Detector
from monitor.detect.policy import RULES_ONLY, decide
from monitor.domain import Decision, Post
from monitor.rules.registry import Registry
from monitor.settings import PolicySettings


class Scorer(Protocol):
    """What the decider needs of a classifier (``monitor.detect.classifier.Classifier``)."""

    @property
    def version(self) -> str: ...

    def predict_posts(self, posts: Sequence[Post]) -> list[dict[str, float]]: ...


class Decider:
    def __init__(
        self,
        detectors: Sequence[Detector],
        registry: Registry | None = None,
        *,
        classifier: Scorer | None = None,
        policy: PolicySettings = RULES_ONLY,
    ) -> None:
        self.detectors = list(detectors)
        self.registry = registry
        self.classifier = classifier
        self.policy = policy

    @property
    def versions(self) -> dict[str, str]:
        versions = {"app": __version__}
        for detector in self.detectors:
            versions[detector.name] = detector.version
        if self.classifier is not None:
            versions["model"] = self.classifier.version
        return versions

    def decide(self, posts: Sequence[Post]) -> list[Decision]:
        matches = [m for detector in self.detectors for m in detector.detect(posts)]
        probabilities: list[Mapping[str, float] | None]
        if self.classifier is not None and posts:
            probabilities = list(self.classifier.predict_posts(posts))
        else:
            probabilities = [None] * len(posts)
        versions = self.versions
        return [
            decide(post, matches, versions, self.registry, probs, self.policy)
            for post, probs in zip(posts, probabilities, strict=True)
        ]
