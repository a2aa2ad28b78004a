"""The one composition root: settings in, a wired bot out. Nothing else builds engines,
clients or readers, and nothing connects until a job runs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from licensebot.config import ConfigError, Mailbox, Settings, read_secret
from licensebot.core.assess import Assessment, assess_known
from licensebot.core.message import IncomingMessage
from licensebot.mail.compose import FileAttachment
from licensebot.mail.sources import MailSession, open_maildir
from licensebot.mail.templates import Templates
from licensebot.mail.transport import DirectoryTransport, SmtpTransport, Transport
from licensebot.reading.mime import read_message
from licensebot.store.db import make_engine, secure_dir
from licensebot.store.files import Blobs
from licensebot.worker.faults import Faults
from licensebot.worker.intake import Intake, Route
from licensebot.worker.la import (
    CONFIRM_KIND,
    NOTICE_KIND,
    BounceRoute,
    LaAttachment,
    LaDesk,
    OptOutRoute,
    markdown_attachment,
)
from licensebot.worker.relay import Relay
from licensebot.worker.replies import ReplyWriter

#: Sample data every template must render with (checked when the worker starts).
TEMPLATE_SAMPLES: dict[str, dict[str, Any]] = {}


def _reply_sample() -> dict[str, Any]:
    return {
        "dataset": "DFME",
        "case_id": 42,
        "case_tag": "[DFME-LA #42]",
        "decision": "review",
        "reasons": ["unreadable"],
        "fields": {"signer_name": "San Zhang"},
        "sender": "san.zhang@example.edu",
        "file_prefix": "DFME_License_Agreement_",
        "mailboxes": ["a@example.edu", "b@example.edu"],
        "note": "",
    }


for _kind in (
    "applicant.review",
    "applicant.no_attachment",
    "applicant.final_notice",
):
    TEMPLATE_SAMPLES[_kind] = _reply_sample()
TEMPLATE_SAMPLES[NOTICE_KIND] = {
    "dataset": "DFME",
    "version": "2027",
    "title": "License Agreement",
    "effective": "2027-01-01",
    "previous_version": "2023",
    "changes": [
        {"label": "1. Purpose", "title": "Purpose", "old_title": "Use", "kind": k, "diff": ["-a"]}
        for k in ("added", "removed", "changed")
    ],
    "attachment_name": "DFME_License_Agreement_2027.md",
}
TEMPLATE_SAMPLES[CONFIRM_KIND] = {
    "dataset": "DFME",
    "name": "San Zhang",
    "version": "2027",
    "voided_on": "2026-12-01",
}
TEMPLATE_SAMPLES["maintainer.alert"] = {
    "dataset": "DFME",
    "mailbox": "sirui",
    "uid": "7",
    "message_id": "<x@example.edu>",
    "error": "ValueError: broken",
    "failed_folder": "licensebot/failed",
}


@dataclass
class Bot:
    settings: Settings
    engine: Engine
    intake: Intake
    relay: Relay
    templates: Templates
    faults: Faults
    replies: ReplyWriter
    open_session: Callable[[Mailbox], AbstractContextManager[MailSession]]
    la: LaDesk | None = None

    def template_problems(self) -> list[str]:
        return self.templates.check(TEMPLATE_SAMPLES)


def build(
    settings: Settings,
    *,
    environ: dict[str, str] | None = None,
    on_queued: Callable[[], None] = lambda: None,
    la_attachment: LaAttachment = markdown_attachment,
) -> Bot:
    """`la_attachment` makes the file attached to LA change notices (the Markdown text by
    default; the blank-form PDF renderer when the reading layer offers one)."""
    env = dict(os.environ if environ is None else environ)
    os.umask(0o077)
    secure_dir(settings.storage.data_dir)
    engine = make_engine(settings.storage.url(), data_dir=settings.storage.data_dir)
    templates = Templates(settings.path(settings.dataset.templates_dir))
    faults = Faults(env.get("LICENSEBOT_FAULT"))
    blobs = Blobs(settings.storage.data_dir)

    def read(raw: bytes) -> IncomingMessage:
        return read_message(
            raw,
            trusted_authserv_ids=settings.auth.trusted_authserv_ids,
            own_addresses=settings.own_addresses,
        )

    def assess(msg: IncomingMessage) -> Assessment:
        return assess_known(msg, file_prefix=settings.dataset.file_prefix)

    def attachments_for(kind: str) -> Sequence[FileAttachment]:
        return ()

    replies = ReplyWriter(settings, templates, attachments_for)
    la = LaDesk(settings=settings, engine=engine, replies=replies, attachment=la_attachment)
    # Checked in order, before a message is judged as an application.
    routes: list[Route] = [BounceRoute(la), OptOutRoute(la)]
    intake = Intake(
        settings=settings,
        engine=engine,
        blobs=blobs,
        templates=templates,
        read_message=read,
        assess=assess,
        replies=replies,
        routes=routes,
        faults=faults,
        on_queued=on_queued,
    )

    def transport() -> Transport:
        smtp = settings.smtp
        if smtp.kind == "directory":
            return DirectoryTransport(Path(smtp.directory))
        secret = None if smtp.auth == "none" else read_secret(smtp.secret_env, environ=env)
        return SmtpTransport(smtp, secret)

    relay = Relay(
        engine=engine,
        settings=settings.outbox,
        transport=transport,
        faults=faults,
        limits={NOTICE_KIND: settings.la.notices_per_minute},
    )

    def open_session(box: Mailbox) -> AbstractContextManager[MailSession]:
        if box.kind == "maildir":
            return open_maildir(box)
        from licensebot.mail.imap import open_imap

        try:
            secret = read_secret(box.secret_env, environ=env)
        except ConfigError:
            raise
        return open_imap(box, secret)

    return Bot(settings, engine, intake, relay, templates, faults, replies, open_session, la)


def sessions(bot: Bot) -> Iterator[Mailbox]:
    yield from bot.settings.mailbox
