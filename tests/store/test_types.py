"""Datetimes are aware on the way in and out, and stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from monitor.store import Store
from monitor.store.models import AuditRow

WIB = timezone(timedelta(hours=7))


def test_aware_datetime_round_trips_as_utc(store: Store) -> None:
    at = datetime(2024, 11, 24, 0, 30, tzinfo=WIB)
    with store.session() as session:
        session.add(AuditRow(at=at, actor="a", action="x", details={}))
    with store.session() as session:
        stored = session.scalar(select(AuditRow.at))
    assert stored == at
    assert stored is not None and stored.tzinfo is not None
    assert stored.astimezone(UTC).hour == 17


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.session() as session:
        session.add(AuditRow(at=datetime(2024, 1, 1), actor="a", action="x", details={}))
        session.flush()
