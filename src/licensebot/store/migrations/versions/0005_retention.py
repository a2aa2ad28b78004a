"""Retention: the licensee's title (what a licence keeps while it lives) and when the purge
removed a case's raw mail (`application.purged_at`).

Revision ID: 0005_retention
Revises: 0004_outbox_body
Create Date: 2026-12-05 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_retention"
down_revision = "0004_outbox_body"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("licensee", sa.Column("title", sa.String(), nullable=False, server_default=""))
    op.add_column("application", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("application", "purged_at")
    op.drop_column("licensee", "title")
