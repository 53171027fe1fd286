"""The coverage report from the configured collectors: which collector serves which
account, and whether each collector can work at all."""

from __future__ import annotations

import contextlib
from datetime import datetime

from sqlalchemy import select

from monitor import plugins
from monitor.collect.base import Collector
from monitor.errors import PluginError
from monitor.settings import Settings
from monitor.store import Store
from monitor.store.coverage import CollectorInfo, Coverage, coverage
from monitor.store.models import AccountRow
from monitor.store.people import to_account


def collector_infos(settings: Settings, collectors: dict[str, Collector]) -> list[CollectorInfo]:
    """Every configured collector, enabled or not, in the order of the file."""
    infos = []
    for instance, entry in settings.collectors.items():
        collector = collectors.get(instance)
        if collector is None:
            summary = ""
            with contextlib.suppress(PluginError):
                summary = getattr(plugins.load("collectors", entry.type), "summary", "")
            infos.append(CollectorInfo(instance, entry.type, enabled=False, summary=summary))
            continue
        infos.append(
            CollectorInfo(
                instance,
                collector.name,
                enabled=True,
                broken=collector.broken(),
                summary=collector.summary,
                billed=collector.billed,
                cost_per_read=collector.cost_per_read(),
            )
        )
    return infos


def coverage_report(
    store: Store,
    settings: Settings,
    collectors: dict[str, Collector],
    *,
    now: datetime,
    since: datetime | None = None,
) -> Coverage:
    with store.session() as session:
        served: dict[int, list[str]] = {}
        for row in session.scalars(select(AccountRow).where(AccountRow.active.is_(True))):
            account = to_account(row)
            served[row.id] = [name for name, c in collectors.items() if c.serves(account)]
        return coverage(
            session,
            now=now,
            served=served,
            collectors=collector_infos(settings, collectors),
            since=since,
            silent_days=settings.coverage.silent_days,
            unreachable_days=settings.coverage.unreachable_days,
        )
