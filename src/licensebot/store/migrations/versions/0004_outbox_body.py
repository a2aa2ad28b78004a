"""Shared outbox bodies: a broadcast stores its text and attachment once, each notice only its
own header lines (`outbox.body_id`).

Revision ID: 0004_outbox_body
Revises: 0003_merge
Create Date: 2026-11-25 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_outbox_body"
down_revision = "0003_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_body",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    # No database-level foreign key: SQLite cannot add one to an existing table without
    # rebuilding it (and the notices that reference the outbox). Bodies are never deleted.
    op.add_column("outbox", sa.Column("body_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_outbox_body_id"), "outbox", ["body_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_body_id"), table_name="outbox")
    op.drop_column("outbox", "body_id")
    op.drop_table("outbox_body")
