"""Queueing the bot's messages: render a template, compose the message with a fresh stable
Message-ID, and add the outbox row to the caller's transaction (so it commits, or not, with the
decision it belongs to)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from licensebot.config import Settings
from licensebot.core.form import FIELD_KEYS, FORM_FIELDS
from licensebot.core.message import IncomingMessage
from licensebot.core.reasons import Decision, Reason
from licensebot.core.resend import Resend
from licensebot.mail.compose import (
    FileAttachment,
    InlineImage,
    compose,
    domain_of,
    header_text,
    new_message_id,
    reply_subject,
)
from licensebot.mail.templates import Templates
from licensebot.store.outbox import Outgoing, enqueue

#: The form's labels, for telling an applicant which fields to fix.
FIELD_LABELS = {
    **{f.key: (f.label_en, f.label_zh) for f in FORM_FIELDS},
    "form_version": ("the LA version", "许可协议版本"),
}


def applicant_context(
    settings: Settings,
    *,
    case_id: int,
    sender: str,
    decision: Decision,
    reasons: Sequence[Reason],
    rule_results: Sequence[Mapping[str, Any]] = (),
    fields: Mapping[str, Any] | None = None,
    note: str = "",
    access_code: str = "",
    subjects: Sequence[str] = (),
    citation: str = "",
    maintainer_reason: str = "",
    licence_case: int | None = None,
    sender_name: str = "",
    resend: Resend | None = None,
    attached: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything an applicant template may use (checked against TEMPLATE_SAMPLES at start).
    `resend`: who may send a corrected application into this case (`core.resend`), which the
    rejection's closing words name; `attached`: the files the reply carries."""
    fields = {**dict.fromkeys([*FIELD_KEYS, "members"]), **dict(fields or {})}
    facts: dict[str, dict[str, Any]] = {}
    for r in rule_results:
        for code in r.get("reasons", ()):
            facts.setdefault(str(code), dict(r.get("facts", {})))
    missing = list(facts.get("missing_fields", {}).get("fields") or ())
    unreadable = list(facts.get("unreadable", {}).get("fields") or ())
    if facts.get("unreadable", {}).get("signed_unknown"):
        unreadable.append("signed")
    name = str(fields.get("signer_name") or "")
    prefix = settings.dataset.file_prefix
    resend = resend or Resend(sender.lower())
    greeting = header_text(name or sender_name or "", max_len=80)
    return {
        # Whom the reply greets: the signer read off the form, else the From's display name.
        "name": greeting if "@" not in greeting else "",
        "resend_addresses": [a for a in (resend.sender, *resend.addresses) if a],
        "resend_domains": list(resend.domains),
        "attached": list(attached),
        "dataset": settings.dataset.name,
        "case_id": case_id,
        "case_tag": f"[{settings.dataset.case_tag} #{case_id}]",
        "decision": decision,
        "reasons": list(reasons),
        "facts": facts,
        # `fact("bad_filename", "filename")`: what a rule saw, or None.
        "fact": lambda code, key: facts.get(code, {}).get(key),
        "fields": fields,
        "sender": sender,
        "sender_domain": sender.rpartition("@")[2],
        "file_prefix": prefix,
        "expected_filename": f"{prefix}{'_'.join(name.split())}.pdf" if name else "",
        "missing_labels_en": [FIELD_LABELS.get(f, (f, f))[0] for f in missing],
        "missing_labels_zh": [FIELD_LABELS.get(f, (f, f))[1] for f in missing],
        "unreadable_labels_en": [FIELD_LABELS.get(f, (f, f))[0] for f in unreadable],
        "unreadable_labels_zh": [FIELD_LABELS.get(f, (f, f))[1] for f in unreadable],
        "mailboxes": [m.address for m in settings.mailbox],
        "note": note,
        "download_instructions": settings.approval.instructions(),
        "access_code": access_code,
        "subjects": list(subjects),
        "citation": settings.dataset.citation or citation,
        "maintainer_reason": maintainer_reason,
        "licence_case": licence_case,
        "licence_tag": f"[{settings.dataset.case_tag} #{licence_case}]" if licence_case else "",
    }


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
    #: The dataset's access code, read only when an approval is written (a missing secret then
    #: fails that one transaction loudly instead of sending an approval without it).
    access_code: Callable[[], str] = field(default=lambda: "")
    subjects: tuple[str, ...] = ()
    citation: str = ""

    def context(
        self,
        *,
        case_id: int,
        sender: str,
        decision: Decision,
        reasons: Sequence[Reason],
        rule_results: Sequence[Mapping[str, Any]] = (),
        fields: Mapping[str, Any] | None = None,
        note: str = "",
        maintainer_reason: str = "",
        licence_case: int | None = None,
        sender_name: str = "",
        resend: Resend | None = None,
    ) -> dict[str, Any]:
        return applicant_context(
            self.settings,
            case_id=case_id,
            sender=sender,
            decision=decision,
            reasons=reasons,
            rule_results=rule_results,
            fields=fields,
            note=note,
            access_code=self.access_code() if decision is Decision.APPROVE else "",
            subjects=self.subjects,
            citation=self.citation,
            maintainer_reason=maintainer_reason,
            licence_case=licence_case,
            sender_name=sender_name,
            resend=resend,
        )

    def queue(
        self,
        s: Session,
        plan: ReplyPlan,
        *,
        key: str,
        application_id: int | None,
        in_reply_to: IncomingMessage | None = None,
        case_id: int | None = None,
    ) -> int:
        """Add the message to `s` (uncommitted); its outbox row id. `key` makes it idempotent
        (`store.outbox.enqueue`)."""
        smtp = self.settings.smtp
        attachments = plan.attachments or tuple(self.attachments_for(plan.kind))
        context = plan.context
        if "attached" in context:  # an applicant's reply says what it carries
            context = {**context, "attached": [a.filename for a in attachments]}
        rendered = self.templates.render(plan.kind, context)
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
    ) -> int:
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
        outgoing = Outgoing(
            key=key,
            kind=kind,
            recipient=recipient,
            message_id=message_id,
            envelope_from=smtp.envelope_from or smtp.from_address,
            raw=raw,
            application_id=application_id,
        )
        return enqueue(s, [outgoing])[message_id]
