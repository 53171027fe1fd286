"""The 7-day deadline: a finding must be lodged within 7 days of the violation being known
(UU 10/2016 Ps. 134). An alert is "known" when asn-monitor raised it. Days are calendar
days in the election's timezone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

DEADLINE_DAYS = 7
DEADLINE_BASIS = "UU 10/2016 Ps. 134"
LODGE_WITHIN = timedelta(days=DEADLINE_DAYS)


class Raised(Protocol):
    @property
    def created_at(self) -> datetime: ...


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def deadline(alert: Raised | datetime) -> datetime:
    """When the finding must be lodged: the moment the alert was raised + 7 days."""
    raised = alert if isinstance(alert, datetime) else alert.created_at
    return _aware(raised, "created_at").astimezone(UTC) + LODGE_WITHIN


def days_left(alert: Raised | datetime, now: datetime, tz: ZoneInfo) -> int:
    """Calendar days from ``now`` to the deadline in the election's timezone: 7 on the day
    the alert was raised, 0 on the deadline's day, negative once it has passed."""
    due = deadline(alert).astimezone(tz).date()
    return (due - _aware(now, "now").astimezone(tz).date()).days


def overdue_cutoff(now: datetime, tz: ZoneInfo) -> datetime:
    """Alerts raised before this instant are past their deadline's day (days_left < 0)."""
    today = _aware(now, "now").astimezone(tz).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=tz)
    return midnight.astimezone(UTC) - LODGE_WITHIN
