"""Queueing the bot's messages: render a template, compose the message with a fresh stable
Message-ID, and add the outbox row to the caller's transaction (so it commits, or not, with the
decision it belongs to)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from licensebot.config import Settings
from licensebot.core.message import IncomingMessage
from licensebot.mail.compose import (
    FileAttachment,
    InlineImage,
    compose,
    domain_of,
    new_message_id,
    reply_subject,
)
from licensebot.mail.templates import Templates
from licensebot.store.models import Event, OutboxMessage


@dataclass(frozen=True, slots=True)
class ReplyPlan:
    kind: str  # the template: applicant.review, maintainer.alert, ...
    recipient: str
    context: Mapping[str, Any]
    attachments: tuple[FileAttachment, ...] = ()


@dataclass
class ReplyWriter:
    settings: Settings
    templates: Templates
    attachments_for: Callable[[str], Sequence[FileAttachment]] = field(default=lambda kind: ())

    def queue(
        self,
        s: Session,
        plan: ReplyPlan,
        *,
        key: str,
        application_id: int | None,
        in_reply_to: IncomingMessage | None = None,
        case_id: int | None = None,
    ) -> OutboxMessage:
        """Add the message to `s` (uncommitted). `key` makes it idempotent: a second row with
        the same key violates the unique constraint and rolls the transaction back."""
        smtp = self.settings.smtp
        rendered = self.templates.render(plan.kind, plan.context)
        message_id = new_message_id(domain_of(smtp.from_address))
        tag = self.settings.dataset.case_tag
        if in_reply_to is not None and case_id is not None:
            subject = reply_subject(in_reply_to.subject, case_tag=tag, case_id=case_id)
        elif in_reply_to is not None:
            subject = rendered.subject or reply_subject(
                in_reply_to.subject, case_tag=tag, case_id=0
            )
        else:
            subject = rendered.subject or f"[{tag}] {self.settings.dataset.name}"
        attachments = plan.attachments or tuple(self.attachments_for(plan.kind))
        return self.queue_rendered(
            s,
            kind=plan.kind,
            recipient=plan.recipient,
            subject=subject,
            body=rendered.body,
            key=key,
            application_id=application_id,
            message_id=message_id,
            in_reply_to=in_reply_to.message_id if in_reply_to else None,
            references=in_reply_to.references if in_reply_to else (),
            attachments=attachments,
        )

    def queue_rendered(
        self,
        s: Session,
        *,
        kind: str,
        recipient: str,
        subject: str,
        body: str,
        key: str,
        application_id: int | None,
        message_id: str | None = None,
        in_reply_to: str | None = None,
        references: Sequence[str] = (),
        attachments: Sequence[FileAttachment] = (),
        html: str | None = None,
        inline: Sequence[InlineImage] = (),
    ) -> OutboxMessage:
        """Like `queue`, for a message already rendered (the digest, a review confirmation,
        a decision threaded to an application recorded earlier)."""
        smtp = self.settings.smtp
        message_id = message_id or new_message_id(domain_of(smtp.from_address))
        raw = compose(
            from_address=smtp.from_address,
            from_name=smtp.from_name,
            to=recipient,
            subject=subject,
            body=body,
            message_id=message_id,
            instance_id=self.settings.dataset.instance_id,
            in_reply_to=in_reply_to,
            references=references,
            auto="auto-replied" if in_reply_to else "auto-generated",
            attachments=attachments,
            html=html,
            inline=inline,
        )
        row = OutboxMessage(
            idempotency_key=key,
            application_id=application_id,
            kind=kind,
            message_id=message_id,
            recipient=recipient,
            envelope_from=smtp.envelope_from or smtp.from_address,
            raw=raw,
        )
        s.add(row)
        s.add(
            Event(
                kind="reply.queued",
                application_id=application_id,
                data={"kind": kind, "recipient": recipient, "message_id": message_id},
            )
        )
        return row
