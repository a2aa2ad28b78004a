"""The worker run that last took an inbound message up (`inbound_message.attempt_run`): its
attempt counter counts runs that took it up, not passes of one run (a pass that raised and is
retried by the same run did not stop the worker).

Revision ID: 0006_attempt_run
Revises: 0005_retention
Create Date: 2026-12-05 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_attempt_run"
down_revision = "0005_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbound_message", sa.Column("attempt_run", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("inbound_message", "attempt_run")
