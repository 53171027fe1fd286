"""Edited versions of a post are decided too: ``post_observations.decided_at`` and
``decision`` (the decision on that version), and ``alerts.observation_id`` (the edited
version an alert is about; NULL: the text first collected).

Edited observations already stored when this runs keep ``decided_at`` NULL: detection
decides them after the upgrade, like posts collected while the service was down, so an
edit seen before the upgrade can still raise its alert.

SQLite cannot add a named foreign key to an existing table without copying it, and with
foreign keys enforced (as ``asn-monitor`` connects) it refuses to drop ``alerts`` while
rows of other tables refer to it; so there the new column carries an inline ``REFERENCES``
clause and the upgrade copies nothing. PostgreSQL gets the named constraint. The downgrade
copies ``alerts`` on SQLite (like the downgrades of 0004 and 0005): run it with the
``alembic`` command, whose own connection leaves foreign keys unenforced.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FK_NAME = "fk_alerts_observation_id_post_observations"


def upgrade() -> None:
    with op.batch_alter_table("post_observations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decision", sa.JSON(), nullable=True))
        batch_op.create_index("ix_post_observations_pending", ["kind", "decided_at"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.add_column(
            "alerts",
            sa.Column(
                "observation_id",
                sa.Integer(),
                sa.ForeignKey("post_observations.id", name=FK_NAME),
                nullable=True,
            ),
            inline_references=True,
        )
    else:
        op.add_column("alerts", sa.Column("observation_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK_NAME, "alerts", "post_observations", ["observation_id"], ["id"])
    op.create_index(op.f("ix_alerts_observation_id"), "alerts", ["observation_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_alerts_observation_id"), table_name="alerts")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint(FK_NAME, type_="foreignkey")
        batch_op.drop_column("observation_id")
    with op.batch_alter_table("post_observations", schema=None) as batch_op:
        batch_op.drop_index("ix_post_observations_pending")
        batch_op.drop_column("decision")
        batch_op.drop_column("decided_at")
