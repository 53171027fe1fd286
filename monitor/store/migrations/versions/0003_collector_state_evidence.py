"""Collector scheduling and coverage state (per account and per collector), billed reads
and error kinds on collection runs, evidence files (screenshots of manual submissions).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reads", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "account_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collector", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_kind", sa.String(length=20), nullable=True),
        sa.Column("last_rescan_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_states_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_states")),
        sa.UniqueConstraint("collector", "account_id", name=op.f("uq_account_states_collector")),
    )
    with op.batch_alter_table("account_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_states_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "collector_states",
        sa.Column("collector", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("trips", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("collector", name=op.f("pk_collector_states")),
    )
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_evidence_files_post_id_posts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        sa.UniqueConstraint("post_id", "sha256", name=op.f("uq_evidence_files_post_id")),
    )
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_files_post_id"), ["post_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_files_post_id"))
    op.drop_table("evidence_files")
    op.drop_table("collector_states")
    with op.batch_alter_table("account_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_states_account_id"))
    op.drop_table("account_states")
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.drop_column("reads")
        batch_op.drop_column("error_kind")
