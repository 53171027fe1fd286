"""``alerts.fingerprint``: the hashed word 3-shingles of the text an alert is about, stored
when the alert is grouped, so that grouping a new alert reads its candidates' shingles
instead of hashing their texts again (``monitor.alerts.grouping``).

Alerts raised before this upgrade keep NULL; grouping computes theirs from the text when it
meets them, so nothing has to be filled in here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
