"""The append-only audit log: every person-facing action lands here."""

from __future__ import annotations

import getpass
import os
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from monitor.store.models import AuditRow, utcnow

ACTOR_ENV = "MONITOR_ACTOR"


def current_actor() -> str:
    """Who is acting: ``$MONITOR_ACTOR`` (e.g. a reviewer's name), else the OS user."""
    explicit = os.environ.get(ACTOR_ENV)
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - a container without a passwd entry
        return f"uid:{os.getuid()}"


def audit(
    session: Session,
    action: str,
    *,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditRow:
    row = AuditRow(
        at=at or utcnow(),
        actor=actor or current_actor(),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details or {},
    )
    session.add(row)
    return row
