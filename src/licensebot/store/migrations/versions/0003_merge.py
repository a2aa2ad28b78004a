"""Merge the two 0002 branches (cases across messages; LA versions and notices).

Revision ID: 0003_merge
Revises: 0002_case, 0002_la
"""

from __future__ import annotations

revision = "0003_merge"
down_revision = ("0002_case", "0002_la")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
