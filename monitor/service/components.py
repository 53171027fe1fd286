"""Builds collectors and the detection step from the configuration, validating each plugin's own
settings so that errors name the plugin and the key, located in the configuration file."""

from __future__ import annotations

from loguru import logger
from pydantic import BaseModel, ValidationError

from monitor import plugins
from monitor.collect.base import Collector, CollectorOptions, Schedule
from monitor.detect.decider import Decider, Scorer
from monitor.detect.rules_detector import RuleDetector
from monitor.errors import ConfigError, InputError, PluginError, Problem
from monitor.rules.check import check_rules
from monitor.rules.loader import RuleSet
from monitor.rules.registry import Registry, load_registry
from monitor.settings import CollectorConfig, Settings
from monitor.yamlfile import YamlDocument, validation_problems


def _problem(
    doc: YamlDocument | None,
    settings: Settings,
    loc: tuple[str | int, ...],
    message: str,
    code: str,
) -> Problem:
    if doc is not None:
        return doc.problem(loc, message, code)
    return Problem(settings.source or "<konfigurasi>", 0, 0, message, code)


def build_collectors(settings: Settings, doc: YamlDocument | None = None) -> dict[str, Collector]:
    """One collector per enabled entry of ``collectors:``; every problem is reported."""
    collectors: dict[str, Collector] = {}
    problems: list[Problem] = []
    for instance, entry in settings.collectors.items():
        prefix = ("collectors", instance)
        try:
            cls = plugins.load("collectors", entry.type)
        except PluginError as exc:
            problems.append(_problem(doc, settings, (*prefix, "type"), str(exc), "unknown-plugin"))
            continue
        try:
            plugin_settings = cls.Settings.model_validate(entry.options())
        except ValidationError as exc:
            if doc is None:
                problems.extend(
                    Problem(
                        settings.source or "<konfigurasi>",
                        0,
                        0,
                        f"{instance}: {e['msg']}",
                        "invalid-value",
                    )
                    for e in exc.errors(include_url=False)
                )
            else:
                problems.extend(validation_problems(doc, exc, prefix))
            continue
        if entry.enabled:
            collectors[instance] = make_collector(cls, plugin_settings, entry, instance, settings)
    if problems:
        raise ConfigError(problems)
    return collectors


def make_collector(
    cls: type[Collector],
    plugin_settings: BaseModel,
    entry: CollectorConfig,
    instance: str,
    settings: Settings,
) -> Collector:
    """A collector with the generic keys of its entry applied."""
    collector = cls(
        plugin_settings,
        instance=instance,
        base_dir=settings.base_dir,
        options=CollectorOptions(
            rate=entry.rate, timeout=entry.timeout, max_wait=entry.max_wait, lookback=entry.lookback
        ),
    )
    collector.schedule = Schedule(
        interval=entry.interval,
        jitter=entry.jitter,
        concurrency=entry.concurrency,
        rescan_every=entry.rescan_every if entry.lookback > 0 else 0.0,
        backoff_base=entry.backoff_base,
        backoff_max=entry.backoff_max,
        breaker_threshold=entry.breaker_threshold,
        breaker_cooldown=entry.breaker_cooldown,
    )
    return collector


def load_detection(settings: Settings) -> tuple[RuleSet, Registry]:
    """The rule set and the candidate registries. A rule whose examples fail, or any other
    error in the files, refuses the whole set (InputError with every problem); warnings are
    logged."""
    registry = (
        load_registry(settings.candidate_paths) if settings.candidate_paths else Registry.empty()
    )
    report = check_rules(settings.rule_paths, registry=registry)
    if report.errors:
        raise InputError(report.errors)
    for warning in report.warnings:
        logger.warning("rules: {}", warning)
    assert report.ruleset is not None
    return report.ruleset, registry


def build_classifier(settings: Settings, registry: Registry) -> Scorer | None:
    """The configured classifier, or None for rules only. Imports torch only when used."""
    path = settings.model_path
    if path is None:
        return None
    from monitor.detect.classifier import Classifier
    from monitor.detect.masking import CandidateMasker

    model = settings.detection.model
    masker = CandidateMasker(registry) if model.mask_candidates else None
    classifier: Scorer = Classifier(
        path,
        device=model.device,
        batch_size=model.batch_size,
        max_length=model.max_length,
        masker=masker,
    )
    return classifier


def build_decider(settings: Settings) -> Decider:
    """The configured detection step (rule files, registries, classifier, policy)."""
    ruleset, registry = load_detection(settings)
    return decider_from(settings, ruleset, registry)


def decider_from(settings: Settings, ruleset: RuleSet, registry: Registry) -> Decider:
    """Rules, candidates, the classifier (when configured) and the policy, as one step."""
    return Decider(
        [RuleDetector(ruleset, registry)],
        registry,
        classifier=build_classifier(settings, registry),
        policy=settings.detection.policy,
    )
