"""When the daily digest is due, and which window it covers.

Each digest covers exactly the time since the previous one was sent, up to the latest
scheduled send time: after downtime one digest covers the whole gap (no gap), and a digest
already sent for a window is never sent again (no repeat), whatever the restarts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def _clock(send_time: str) -> time:
    hour, minute = (int(part) for part in send_time.split(":"))
    return time(hour, minute)


def last_send_time(now: datetime, send_time: str, tz: ZoneInfo) -> datetime:
    """The latest moment at ``send_time`` (local) that is not after ``now``."""
    local = now.astimezone(tz)
    today = datetime.combine(local.date(), _clock(send_time), tzinfo=tz)
    return today if today <= local else today - timedelta(days=1)


def next_send_time(now: datetime, send_time: str, tz: ZoneInfo) -> datetime:
    return last_send_time(now, send_time, tz) + timedelta(days=1)


def due_window(
    last_end: datetime | None, now: datetime, send_time: str, tz: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The window the next digest covers (in UTC), or None when the latest one is already
    sent. The first digest ever covers the day before the send time."""
    end = last_send_time(now, send_time, tz).astimezone(UTC)
    if last_end is None:
        return end - timedelta(days=1), end
    if last_end >= end:
        return None
    return last_end.astimezone(UTC), end
