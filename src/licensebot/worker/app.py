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
from licensebot.worker.digest import Digest, sample_context
from licensebot.worker.faults import Faults
from licensebot.worker.intake import Intake, Route
from licensebot.worker.relay import Relay
from licensebot.worker.replies import ReplyWriter
from licensebot.worker.review import Review, ReviewRoute, review_result_sample

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
TEMPLATE_SAMPLES["applicant.approved"] = _reply_sample()
TEMPLATE_SAMPLES["applicant.rejected"] = {
    **_reply_sample(),
    "decision": "reject",
    "reasons": [],
    "maintainer_reason": "the signature is missing on page 2",
}
TEMPLATE_SAMPLES["maintainer.alert"] = {
    "dataset": "DFME",
    "mailbox": "sirui",
    "uid": "7",
    "message_id": "<x@example.edu>",
    "error": "ValueError: broken",
    "failed_folder": "licensebot/failed",
}


def single_template_samples(settings: Settings) -> dict[str, dict[str, Any]]:
    """Sample data for the maintainers' single-language templates, by file name."""
    digest = sample_context(settings)
    return {
        "maintainer.digest.txt": digest,
        "maintainer.digest.html": digest,
        "maintainer.review_result.txt": review_result_sample(),
    }


def template_problems(settings: Settings, templates: Templates) -> list[str]:
    return templates.check(TEMPLATE_SAMPLES) + templates.check_one(
        single_template_samples(settings)
    )


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
    review: Review
    digest: Digest

    def template_problems(self) -> list[str]:
        return template_problems(self.settings, self.templates)


def build(
    settings: Settings,
    *,
    environ: dict[str, str] | None = None,
    on_queued: Callable[[], None] = lambda: None,
) -> Bot:
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
    review = Review(settings, engine, replies, templates)
    digest = Digest(settings, engine, replies, templates, settings.storage.data_dir / "pages")
    # checked in order, before a message is judged as an application
    routes: list[Route] = [ReviewRoute(review)]
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

    relay = Relay(engine=engine, settings=settings.outbox, transport=transport, faults=faults)

    def open_session(box: Mailbox) -> AbstractContextManager[MailSession]:
        if box.kind == "maildir":
            return open_maildir(box)
        from licensebot.mail.imap import open_imap

        try:
            secret = read_secret(box.secret_env, environ=env)
        except ConfigError:
            raise
        return open_imap(box, secret)

    return Bot(
        settings, engine, intake, relay, templates, faults, replies, open_session, review, digest
    )


def sessions(bot: Bot) -> Iterator[Mailbox]:
    yield from bot.settings.mailbox
