"""LA change notices: one per licensee of an older version, queued in chunks of
`la.notice_chunk`, each chunk one transaction (notice rows and their outbox rows together), so
publishing again resumes where a crash stopped and never queues a second notice for anyone.

A notice's text depends only on the version the licensee is leaving, so it is composed once per
previous version; the part after the header (text and attachment) is stored once
(`outbox_body`), and each notice holds only its header with its own To and Message-ID.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import ColumnElement, Engine, insert
from sqlmodel import Session, col, select

from licensebot.config import Settings
from licensebot.core.la_diff import clause_changes
from licensebot.mail.compose import (
    FileAttachment,
    compose,
    domain_of,
    new_message_id,
    readdress,
    split_head,
)
from licensebot.mail.templates import Templates
from licensebot.store.models import (
    Event,
    LaNotice,
    LaVersionRecord,
    LicenceState,
    Licensee,
    NoticeState,
    utcnow,
)
from licensebot.store.outbox import Outgoing, enqueue, store_body

log = structlog.get_logger("licensebot.la")

NOTICE_KIND = "licensee.la_change"
_PLACEHOLDER = ("notice-recipient@invalid", "<notice-message-id@invalid>")


@dataclass(frozen=True, slots=True)
class LaText:
    """What the attachment hook gets: the version's id, title and Markdown text."""

    id: str
    title: str
    text: str


#: Turns a version into the file attached to its notices (the Markdown by default; the
#: blank-form PDF renderer can be plugged in by the composition root).
LaAttachment = Callable[[LaText], FileAttachment]


def markdown_attachment(la: LaText) -> FileAttachment:
    return FileAttachment(
        filename=f"DFME_License_Agreement_{la.id}.md",
        data=la.text.encode("utf-8"),
        maintype="text",
        subtype="markdown",
        charset="utf-8",
    )


def awaiting_notice(version_id: str) -> tuple[ColumnElement[bool], ...]:
    """Who is still to be told of `version_id`: active licensees of another version without
    a notice of it yet."""
    noticed = select(LaNotice.licensee_id).where(LaNotice.version_id == version_id)
    return (
        col(Licensee.state) == LicenceState.ACTIVE,
        col(Licensee.la_version) != version_id,
        col(Licensee.id).not_in(noticed),
    )


def queue_notices(
    engine: Engine,
    settings: Settings,
    *,
    templates: Templates,
    versions: Mapping[str, LaVersionRecord],
    version_id: str,
    attachment: LaAttachment,
) -> int:
    """Queue a notice for everyone `awaiting_notice` of `version_id`, one chunk per
    transaction (see the module's docstring); returns how many were queued."""
    record = versions[version_id]
    attached = attachment(LaText(record.id, record.title, record.text))
    composed: dict[str, bytes] = {}

    def message_for(prev_id: str) -> tuple[str, bytes]:
        base = versions.get(prev_id) or versions.get(record.previous_id or "")
        key = base.id if base else ""
        if key not in composed:
            changes = [
                {
                    "label": c.label,
                    "title": c.title,
                    "old_title": c.old_title,
                    "kind": c.kind.value,
                    "diff": list(c.diff),
                }
                for c in clause_changes(base.text if base else "", record.text)
            ]
            context = {
                "dataset": settings.dataset.name,
                "version": record.id,
                "title": record.title,
                "effective": record.effective.isoformat(),
                "previous_version": key,
                "changes": changes,
                "attachment_name": attached.filename,
            }
            composed[key] = _compose(settings, templates, context, attached, *_PLACEHOLDER)
        return key, composed[key]

    notice_t = LaNotice.__table__  # type: ignore[attr-defined]
    smtp = settings.smtp
    domain = domain_of(smtp.from_address)
    queued = 0
    while True:
        with Session(engine) as s:
            batch = s.exec(
                select(Licensee.id, Licensee.email, Licensee.la_version, Licensee.application_id)
                .where(*awaiting_notice(version_id))
                .order_by(col(Licensee.id))
                .limit(settings.la.notice_chunk)
            ).all()
            if not batch:
                return queued
            now = utcnow()
            conn = s.connection()
            bodies: dict[str, int] = {}  # previous version -> outbox_body id
            messages: list[Outgoing] = []
            notices: list[dict[str, Any]] = []
            for lic_id, email, la_version, app_id in batch:
                prev, template = message_for(la_version)
                mid = new_message_id(domain)
                head, body = split_head(template)
                raw = readdress(head, to=email, message_id=mid, placeholder=_PLACEHOLDER)
                body_id: int | None = None
                if raw is None:  # an address that needs encoding: compose it in full
                    raw = _readdressed(template, email, mid)
                else:
                    if prev not in bodies:
                        bodies[prev] = store_body(conn, body)
                    body_id = bodies[prev]
                messages.append(
                    Outgoing(
                        key=f"la:{version_id}:{lic_id}",
                        kind=NOTICE_KIND,
                        recipient=email,
                        message_id=mid,
                        envelope_from=smtp.envelope_from or smtp.from_address,
                        raw=raw,
                        application_id=app_id,
                        body_id=body_id,
                    )
                )
                notices.append(
                    {
                        "version_id": version_id,
                        "licensee_id": lic_id,
                        "previous_version": la_version or prev,
                        "recipient": email,
                        "message_id": mid,
                        "state": NoticeState.QUEUED,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            ids = enqueue(s, messages, announce=False)
            for n in notices:
                n["outbox_id"] = ids[n["message_id"]]
            conn.execute(insert(notice_t), notices)
            s.add(
                Event(
                    kind="la.notices_queued",
                    data={
                        "version": version_id,
                        "notices": len(notices),
                        "licensees": [n["licensee_id"] for n in notices],
                    },
                )
            )
            s.commit()
            queued += len(notices)
            log.info("la.notices_queued", version=version_id, chunk=len(notices), total=queued)


def _compose(
    settings: Settings,
    templates: Templates,
    context: dict[str, Any],
    attachment: FileAttachment,
    to: str,
    message_id: str,
) -> bytes:
    smtp = settings.smtp
    rendered = templates.render(NOTICE_KIND, context)
    return compose(
        from_address=smtp.from_address,
        from_name=smtp.from_name,
        to=to,
        subject=rendered.subject or f"[{settings.dataset.case_tag}]",
        body=rendered.body,
        message_id=message_id,
        instance_id=settings.dataset.instance_id,
        auto="auto-generated",
        attachments=(attachment,),
    )


def _readdressed(template: bytes, to: str, message_id: str) -> bytes:
    """`readdress` for addresses that need encoding: parse and regenerate the headers."""
    msg = email.message_from_bytes(template, policy=email.policy.default)
    del msg["To"]
    del msg["Message-ID"]
    msg["To"] = to
    msg["Message-ID"] = message_id
    return msg.as_bytes(policy=email.policy.SMTP)
