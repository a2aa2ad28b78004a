"""Initial tables: inbound messages, applications, decisions, licensees, outbox, cursors, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 03:03:49.519085
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("sender", sa.String(), nullable=True),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("pdf_sha256", sa.String(), nullable=True),
        sa.Column("pdf_path", sa.String(), nullable=True),
        sa.Column("pdf_filename", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    op.create_index(op.f("ix_application_decision"), "application", ["decision"], unique=False)
    op.create_index(op.f("ix_application_sender"), "application", ["sender"], unique=False)
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_event_application_id"), "event", ["application_id"], unique=False)
    op.create_index(op.f("ix_event_at"), "event", ["at"], unique=False)
    op.create_index(op.f("ix_event_kind"), "event", ["kind"], unique=False)
    op.create_table(
        "mailbox_cursor",
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.String(), nullable=False),
        sa.Column("last_uid", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", "folder"),
    )
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rule_results", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_decision_application_id"), "decision", ["application_id"], unique=False
    )
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.String(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("raw_path", sa.String(), nullable=False),
        sa.Column("from_address", sa.String(), nullable=True),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("post_action_done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox", "folder", "uidvalidity", "uid"),
    )
    op.create_index(
        op.f("ix_inbound_message_application_id"),
        "inbound_message",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_inbound_message_mailbox"), "inbound_message", ["mailbox"], unique=False
    )
    op.create_index(
        op.f("ix_inbound_message_message_id"), "inbound_message", ["message_id"], unique=False
    )
    op.create_index(
        op.f("ix_inbound_message_post_action_done"),
        "inbound_message",
        ["post_action_done"],
        unique=False,
    )
    op.create_index(op.f("ix_inbound_message_sha256"), "inbound_message", ["sha256"], unique=False)
    op.create_index(op.f("ix_inbound_message_state"), "inbound_message", ["state"], unique=False)
    op.create_table(
        "licensee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("affiliation", sa.String(), nullable=False),
        sa.Column("la_version", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_licensee_application_id"), "licensee", ["application_id"], unique=False
    )
    op.create_index(op.f("ix_licensee_email"), "licensee", ["email"], unique=False)
    op.create_index(op.f("ix_licensee_state"), "licensee", ["state"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("envelope_from", sa.String(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("smtp_response", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(op.f("ix_outbox_application_id"), "outbox", ["application_id"], unique=False)
    op.create_index(op.f("ix_outbox_next_attempt_at"), "outbox", ["next_attempt_at"], unique=False)
    op.create_index(op.f("ix_outbox_recipient"), "outbox", ["recipient"], unique=False)
    op.create_index(op.f("ix_outbox_state"), "outbox", ["state"], unique=False)

    _append_only_event_log()


APPEND_ONLY = "the event log is append-only"


def _append_only_event_log() -> None:
    """Refuse UPDATE and DELETE on the event table, whoever connects."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER event_no_{verb.lower()} BEFORE {verb} ON event "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION licensebot_event_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
            "FOR EACH ROW EXECUTE FUNCTION licensebot_event_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS event_append_only ON event")
        op.execute("DROP FUNCTION IF EXISTS licensebot_event_append_only()")

    op.drop_index(op.f("ix_outbox_state"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_recipient"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_next_attempt_at"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_application_id"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_licensee_state"), table_name="licensee")
    op.drop_index(op.f("ix_licensee_email"), table_name="licensee")
    op.drop_index(op.f("ix_licensee_application_id"), table_name="licensee")
    op.drop_table("licensee")
    op.drop_index(op.f("ix_inbound_message_state"), table_name="inbound_message")
    op.drop_index(op.f("ix_inbound_message_sha256"), table_name="inbound_message")
    op.drop_index(op.f("ix_inbound_message_post_action_done"), table_name="inbound_message")
    op.drop_index(op.f("ix_inbound_message_message_id"), table_name="inbound_message")
    op.drop_index(op.f("ix_inbound_message_mailbox"), table_name="inbound_message")
    op.drop_index(op.f("ix_inbound_message_application_id"), table_name="inbound_message")
    op.drop_table("inbound_message")
    op.drop_index(op.f("ix_decision_application_id"), table_name="decision")
    op.drop_table("decision")
    op.drop_table("mailbox_cursor")
    op.drop_index(op.f("ix_event_kind"), table_name="event")
    op.drop_index(op.f("ix_event_at"), table_name="event")
    op.drop_index(op.f("ix_event_application_id"), table_name="event")
    op.drop_table("event")
    op.drop_index(op.f("ix_application_sender"), table_name="application")
    op.drop_index(op.f("ix_application_decision"), table_name="application")
    op.drop_table("application")
