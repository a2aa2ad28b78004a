"""The tables: inbound messages, applications (the case number is the id), decisions with every
rule hit, licensees, the outbox, mailbox cursors, the append-only event log, and the LA
versions with their change notices.

Schema changes go through Alembic (`store/migrations`); `licensebot db upgrade` applies them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, Column, Dialect, LargeBinary, Text, TypeDecorator, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from licensebot.core.reasons import Decision


def utcnow() -> datetime:
    return datetime.now(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E], Generic[E]):
    """A `StrEnum` stored as its text (the column stays a plain string, as the migrations made
    it) and read back as the enum, so the worker never compares literals."""

    impl = AutoString
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


class InboundState(StrEnum):
    RECEIVED = "received"  # raw stored, not yet judged (a crash here re-judges it)
    PROCESSED = "processed"  # judged; its application holds the decision
    DUPLICATE = "duplicate"  # the same application already came in (e.g. via the other mailbox)
    FAILED = "failed"  # could not be handled; maintainers are told


class InboundMessage(SQLModel, table=True):
    """One copy of a message in one mailbox folder, keyed as IMAP knows it."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("mailbox", "folder", "uidvalidity", "uid"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(index=True)
    folder: str
    uidvalidity: str  # text: some servers send values above 32 bits
    uid: str
    message_id: str | None = Field(default=None, index=True)
    size: int
    sha256: str = Field(index=True)
    raw_path: str
    from_address: str | None = None
    subject: str = ""
    received_at: datetime = Field(default_factory=utcnow)
    state: InboundState = Field(
        default=InboundState.RECEIVED, sa_type=EnumText(InboundState), index=True
    )
    # Worker runs that took it up past its reads (`worker.intake`: the poison counter), and the
    # last of them (a run that takes it up again after an error of its own counts once).
    attempts: int = 0
    attempt_run: str | None = None
    error: str | None = None
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    post_action_done: bool = Field(default=False, index=True)


class Application(SQLModel, table=True):
    """One application; its id is the case number applicants see (`[DFME-LA #42]`)."""

    __tablename__ = "application"

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(unique=True)  # Message-ID + attachment hashes
    message_id: str | None = None
    sender: str | None = Field(default=None, index=True)
    subject: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    decision: Decision = Field(sa_type=EnumText(Decision), index=True)  # the latest decision
    pdf_sha256: str | None = None
    pdf_path: str | None = None
    pdf_filename: str | None = None
    # When the retention purge removed the case's raw mail and message details (None: not yet)
    purged_at: datetime | None = None


class DecisionRecord(SQLModel, table=True):
    """A decision with every rule's hit or miss and the facts it saw (`licensebot explain`)."""

    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    decision: Decision = Field(sa_type=EnumText(Decision))
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rule_results: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    decided_by: str = "rules"
    created_at: datetime = Field(default_factory=utcnow)
    # The submission this decision judged (Message-ID + attachments); a second copy of the
    # same submission (the other mailbox) is recognised by it. None for maintainers' decisions.
    dedup_key: str | None = Field(default=None, unique=True)
    inbound_id: int | None = None


class LicenceState(StrEnum):
    ACTIVE = "active"
    VOIDED = "voided"  # opted out of a new LA version, or voided by a maintainer
    ERASED = "erased"  # a tombstone: erased on request or after retention.ended_licence_days


class Licensee(SQLModel, table=True):
    __tablename__ = "licensee"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    email: str = Field(index=True)
    name: str
    title: str = ""
    affiliation: str = ""
    la_version: str = ""
    state: LicenceState = Field(
        default=LicenceState.ACTIVE, sa_type=EnumText(LicenceState), index=True
    )
    members: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def from_fields(
        cls, *, application_id: int, sender: str, fields: dict[str, Any], la_version: str
    ) -> Licensee:
        """The licence an approval grants, from the form's fields (the contract's JSON)."""
        members = fields.get("members") or []
        return cls(
            application_id=application_id,
            email=str(fields.get("work_email") or sender),
            name=str(fields.get("signer_name") or ""),
            title=str(fields.get("signer_title") or ""),
            affiliation=str(fields.get("affiliation") or ""),
            la_version=la_version,
            members=[dict(m) for m in members if isinstance(m, dict)],
        )


class OutboxState(StrEnum):
    PENDING = "pending"  # to send (first time, or retry after a transient failure)
    SENDING = "sending"  # claimed by a worker, nothing handed to the server yet
    DATA = "data"  # the message data is being handed over: the outcome may be unknown
    SENT = "sent"
    FAILED = "failed"  # permanent failure (5xx) or out of attempts; maintainers see it
    AMBIGUOUS = "ambiguous"  # the server may or may not have it; resent only by policy


class OutboxBody(SQLModel, table=True):
    """The part many outbox messages share (a broadcast's text and attachment after the
    header), stored once: content-addressed and never changed."""

    __tablename__ = "outbox_body"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(unique=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """A reply, written in the same transaction as its decision and sent afterwards.

    The message is `raw`, followed by the shared `outbox_body` row `body_id` when there is one
    (a broadcast notice: `raw` is its own header, ending with the blank line); every attempt
    sends these exact bytes, so a resend keeps its Message-ID and nothing is ever sent under a
    new identity.
    """

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True)
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    kind: str  # applicant.approved, applicant.rejected, ..., maintainer.alert
    message_id: str = Field(unique=True)
    recipient: str = Field(index=True)
    envelope_from: str
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    body_id: int | None = Field(default=None, index=True)  # outbox_body.id
    state: OutboxState = Field(
        default=OutboxState.PENDING, sa_type=EnumText(OutboxState), index=True
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    lease_until: datetime | None = None
    last_error: str | None = None
    smtp_response: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class MailboxCursor(SQLModel, table=True):
    """Where incremental sync stands for one mailbox folder."""

    __tablename__ = "mailbox_cursor"

    mailbox: str = Field(primary_key=True)
    folder: str = Field(primary_key=True)
    uidvalidity: str
    last_uid: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """Append-only: every state change, who or which rule made it, when, with the evidence.

    The migration installs triggers that refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    kind: str = Field(index=True)
    actor: str = "licensebot"
    application_id: int | None = Field(default=None, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class LaVersionRecord(SQLModel, table=True):
    """A published LA version: the registry (`licensebot la publish`); the text is kept as
    published, so a notice can always say what changed."""

    __tablename__ = "la_version"

    id: str = Field(primary_key=True)
    title: str = ""
    effective: date
    published_at: datetime = Field(default_factory=utcnow)
    sha256: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    previous_id: str | None = None


class NoticeState(StrEnum):
    """What the desk knows about one change notice beyond its outbox row (which says whether
    the SMTP server took it): see `la_notice_state` for the combined delivery state."""

    QUEUED = "queued"  # written with its outbox row; delivery is the outbox's business
    BOUNCED = "bounced"  # a delivery report correlated to it says it never arrived
    OPTED_OUT = "opted_out"  # the licensee answered OPT OUT: their licence is void


class LaNotice(SQLModel, table=True):
    """One change notice: one licensee, one new version, one outbox row."""

    __tablename__ = "la_notice"
    __table_args__ = (UniqueConstraint("version_id", "licensee_id"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: str = Field(foreign_key="la_version.id", index=True)
    licensee_id: int = Field(foreign_key="licensee.id", index=True)
    previous_version: str = ""
    recipient: str = Field(index=True)
    outbox_id: int = Field(foreign_key="outbox.id", unique=True)
    message_id: str = Field(unique=True)
    state: NoticeState = Field(
        default=NoticeState.QUEUED, sa_type=EnumText(NoticeState), index=True
    )
    detail: str | None = None  # the bounce's status and diagnostic, the opt-out's evidence
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
