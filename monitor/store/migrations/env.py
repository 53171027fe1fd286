"""Alembic environment. asn-monitor passes its own connection (``asn-monitor db upgrade``);
developers may also run ``alembic`` with ``MONITOR_DATABASE_URL`` set."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from monitor.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("MONITOR_DATABASE_URL", "sqlite:///var/asn-monitor.db")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
