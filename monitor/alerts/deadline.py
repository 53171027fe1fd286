"""The 7-day deadline: a finding must be lodged within 7 days of the violation being known
(UU 10/2016 Ps. 134). An alert is "known" when asn-monitor raised it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LODGE_WITHIN = timedelta(days=7)


def deadline(raised_at: datetime) -> datetime:
    return raised_at + LODGE_WITHIN


def days_left(raised_at: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Calendar days from today to the deadline's day in the election timezone: 7 on the
    day the alert was raised, 0 on the last day, negative when overdue."""
    return (deadline(raised_at).astimezone(tz).date() - now.astimezone(tz).date()).days
