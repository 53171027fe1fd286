"""Storage: SQLAlchemy 2 tables, repositories and Alembic migrations."""

from monitor.store.db import Store

__all__ = ["Store"]
