"""Which window the next daily digest covers: no gap and no repeat across restarts and
downtime (07:00 WIB = 00:00 UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.alerts.schedule import due_window, last_send_time, next_send_time

WIB = ZoneInfo("Asia/Jakarta")


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_end", "now", "expected"),
    [
        (None, utc(25, 0), (utc(24, 0), utc(25, 0))),
        (None, utc(24, 23, 59), (utc(23, 0), utc(24, 0))),
        (utc(24, 0), utc(24, 23, 59), None),
        (utc(24, 0), utc(25, 0), (utc(24, 0), utc(25, 0))),
        (utc(24, 0), utc(25, 2, 30), (utc(24, 0), utc(25, 0))),
        (utc(25, 0), utc(25, 2, 30), None),
        (utc(22, 0), utc(25, 9), (utc(22, 0), utc(25, 0))),
    ],
    ids=[
        "first-at-send-time", "first-just-before", "already-sent-today", "on-time",
        "restart-after-send-time", "restart-after-sending", "three-days-down-one-digest",
    ],
)  # fmt: skip
def test_due_window(
    last_end: datetime | None, now: datetime, expected: tuple[datetime, datetime] | None
) -> None:
    assert due_window(last_end, now, "07:00", WIB) == expected


def test_consecutive_windows_tile_time_exactly() -> None:
    """Whatever the moments the service happens to run, the windows join end to start."""
    moments = [utc(20, 3), utc(20, 23), utc(21, 5), utc(23, 1), utc(23, 1, 30), utc(25, 17)]
    last_end = utc(20, 0)
    windows = []
    for now in moments:
        window = due_window(last_end, now, "07:00", WIB)
        if window is not None:
            windows.append(window)
            last_end = window[1]
    assert windows == [(utc(20, 0), utc(21, 0)), (utc(21, 0), utc(23, 0)), (utc(23, 0), utc(25, 0))]


@pytest.mark.parametrize(
    ("send_time", "tz", "now", "last"),
    [
        ("07:00", "Asia/Jakarta", utc(25, 1), utc(25, 0)),
        ("07:00", "Asia/Makassar", utc(25, 1), utc(24, 23)),
        ("06:30", "Asia/Jayapura", utc(24, 21, 29), utc(23, 21, 30)),
    ],
    ids=["wib", "wita", "wit-just-before"],
)
def test_send_times_follow_the_election_timezone(
    send_time: str, tz: str, now: datetime, last: datetime
) -> None:
    zone = ZoneInfo(tz)
    assert last_send_time(now, send_time, zone) == last
    assert next_send_time(now, send_time, zone) == last + timedelta(days=1)
