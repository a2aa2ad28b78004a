"""LA versions and their change notices; an index for the per-minute notice limit.

Revision ID: 0002_la
Revises: 0001
Create Date: 2026-11-25 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_la"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "la_version",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("previous_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "la_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.String(), nullable=False),
        sa.Column("licensee_id", sa.Integer(), nullable=False),
        sa.Column("previous_version", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["licensee_id"], ["licensee.id"]),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["la_version.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
        sa.UniqueConstraint("outbox_id"),
        sa.UniqueConstraint("version_id", "licensee_id"),
    )
    op.create_index(op.f("ix_la_notice_version_id"), "la_notice", ["version_id"], unique=False)
    op.create_index(op.f("ix_la_notice_licensee_id"), "la_notice", ["licensee_id"], unique=False)
    op.create_index(op.f("ix_la_notice_recipient"), "la_notice", ["recipient"], unique=False)
    op.create_index(op.f("ix_la_notice_state"), "la_notice", ["state"], unique=False)
    # The notice rate limit counts a kind's recent sends.
    op.create_index("ix_outbox_kind_sent_at", "outbox", ["kind", "sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_kind_sent_at", table_name="outbox")
    op.drop_table("la_notice")
    op.drop_table("la_version")
