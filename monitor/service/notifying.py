"""Notifiers from the configuration, the alert hook (grouping and immediate notices), and
delivery of the outbox with retries and backoff."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from loguru import logger
from pydantic import ValidationError
from sqlalchemy.orm import Session

from monitor import plugins
from monitor.alerts.grouping import assign_groups
from monitor.alerts.notices import plan_notices
from monitor.alerts.notifiers.base import Message, Notifier
from monitor.errors import ConfigError, NotifyError, PluginError, Problem
from monitor.settings import Settings
from monitor.store import Store
from monitor.store.models import AlertRow, utcnow
from monitor.store.outbox import claim, due, mark_failed, mark_sent, release_stale
from monitor.yamlfile import YamlDocument, validation_problems

Clock = Callable[[], datetime]


def build_notifiers(settings: Settings, doc: YamlDocument | None = None) -> dict[str, Notifier]:
    """One notifier per enabled entry of ``notifiers:``; every problem is reported."""
    built: dict[str, Notifier] = {}
    problems: list[Problem] = []
    source = settings.source or "<konfigurasi>"
    for instance, entry in settings.notifiers.items():
        prefix = ("notifiers", instance)
        try:
            cls = plugins.load("notifiers", entry.type)
        except PluginError as exc:
            loc = (*prefix, "type")
            problems.append(
                doc.problem(loc, str(exc), "unknown-plugin")
                if doc is not None
                else Problem(source, 0, 0, str(exc), "unknown-plugin")
            )
            continue
        try:
            plugin_settings = cls.Settings.model_validate(entry.options())
        except ValidationError as exc:
            if doc is not None:
                problems.extend(validation_problems(doc, exc, prefix))
            else:
                problems.extend(
                    Problem(source, 0, 0, f"{instance}: {e['msg']}", "invalid-value")
                    for e in exc.errors(include_url=False)
                )
            continue
        if entry.enabled:
            built[instance] = cls(plugin_settings, instance=instance, base_dir=settings.base_dir)
    for names, key in (
        (settings.digest.notifiers, "digest"),
        (settings.notices.notifiers, "notices"),
    ):
        for index, name in enumerate(names):
            if name not in settings.notifiers:
                message = f"notifier {name!r} tidak ada di bagian 'notifiers:'"
                where: tuple[str | int, ...] = (key, "notifiers", index)
                problems.append(
                    doc.problem(where, message, "unknown-notifier")
                    if doc is not None
                    else Problem(source, 0, 0, message, "unknown-notifier")
                )
    if problems:
        raise ConfigError(problems)
    return built


def chosen(names: list[str], notifiers: dict[str, Notifier]) -> list[str]:
    """The named notifiers that are enabled (all enabled when none are named)."""
    return [n for n in names if n in notifiers] if names else sorted(notifiers)


def alert_hook(
    settings: Settings, notifiers: dict[str, Notifier]
) -> Callable[[Session, list[AlertRow], datetime], None]:
    """What happens in the transaction that raises alerts: near-duplicates are grouped and
    immediate notices are queued."""
    targets = chosen(settings.notices.notifiers, notifiers)

    def hook(session: Session, alerts: list[AlertRow], now: datetime) -> None:
        assign_groups(session, alerts, now=now)
        plan_notices(
            session,
            alerts,
            min_severity=settings.notices.min_severity if targets else None,
            suppress_for=timedelta(seconds=settings.notices.suppress_for),
            notifiers=targets,
            tz=settings.tz,
            now=now,
        )

    return hook


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def retry_delay(attempts: int, settings: Settings, rng: random.Random) -> float:
    base, cap = settings.outbox.backoff_base, settings.outbox.backoff_max
    return float(min(cap, base * 2 ** max(0, attempts - 1)) * rng.uniform(0.5, 1.0))


def deliver(
    store: Store,
    notifiers: dict[str, Notifier],
    settings: Settings,
    *,
    clock: Clock = utcnow,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Send every outbox message that is due; a failure waits with backoff (or the
    receiver's Retry-After) and is given up after ``outbox.max_attempts``."""
    rng = rng or random.Random()
    report = DeliveryReport()
    with store.session() as session:
        release_stale(session, now=clock())
        batch = [
            (r.id, r.key, r.kind, r.notifier, r.subject, r.body, r.attempts)
            for r in due(session, clock())
        ]
    for message_id, key, kind, name, subject, body, attempts in batch:
        now = clock()
        with store.session() as session:
            if not claim(session, message_id, now):
                continue
        attempts += 1
        notifier = notifiers.get(name)
        error: NotifyError | None = None
        if notifier is None:
            error = NotifyError(
                f"notifier {name!r} tidak ada (lagi) di konfigurasi", permanent=True
            )
        else:
            try:
                notifier.send(Message.from_json(key, kind, subject, body))
            except NotifyError as exc:
                error = exc
            except Exception as exc:  # a plugin bug must not stop the other messages
                logger.exception("notifier {} crashed on {}", name, key)
                error = NotifyError(f"galat tak terduga di notifier {name}: {exc!r}")
        with store.session() as session:
            if error is None:
                mark_sent(session, message_id, clock())
                report.sent += 1
                continue
            give_up = error.permanent or attempts >= settings.outbox.max_attempts
            delay = retry_delay(attempts, settings, rng)
            if error.retry_after is not None:
                delay = max(delay, error.retry_after)
            retry_at = None if give_up else clock() + timedelta(seconds=delay)
            mark_failed(session, message_id, error=str(error), retry_at=retry_at)
        report.errors.append(f"{name}: {subject}: {error}")
        if give_up:
            report.failed += 1
        else:
            report.retrying += 1
        logger.warning(
            "delivery of {} via {} failed (attempt {}{}): {}",
            key,
            name,
            attempts,
            ", giving up" if give_up else "",
            error,
        )
    return report
