"""Decisions remember the submission they judged, so resubmissions join their case.

Revision ID: 0002_case
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_case"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decision") as batch:
        batch.add_column(sa.Column("dedup_key", sa.String(), nullable=True))
        batch.add_column(sa.Column("inbound_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint("uq_decision_dedup_key", ["dedup_key"])
    op.execute(
        "UPDATE decision SET dedup_key = (SELECT a.dedup_key FROM application a "
        "WHERE a.id = decision.application_id) WHERE decision.id IN "
        "(SELECT min(id) FROM decision GROUP BY application_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("decision") as batch:
        batch.drop_constraint("uq_decision_dedup_key", type_="unique")
        batch.drop_column("inbound_id")
        batch.drop_column("dedup_key")
