"""The one composition root: settings in, a wired bot out. Nothing else builds engines,
clients or readers, and nothing connects until a job runs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from licensebot.config import Mailbox, Settings, read_secret
from licensebot.core.assess import la_to_read
from licensebot.core.form import ReadForm
from licensebot.core.la import LaVersion, current_version
from licensebot.core.la_terms import citation as la_citation
from licensebot.core.la_terms import unpublishable_subjects
from licensebot.core.message import IncomingMessage
from licensebot.mail.compose import FileAttachment
from licensebot.mail.sources import MailSession, open_maildir
from licensebot.mail.templates import Templates
from licensebot.mail.transport import DirectoryTransport, SmtpTransport, Transport
from licensebot.reading.blank_form import render_blank_form
from licensebot.reading.domains import load_domain_knowledge
from licensebot.reading.la_versions import load_versions
from licensebot.reading.mime import read_mail_confined, read_message_confined
from licensebot.reading.pdf import ReadLimits
from licensebot.reading.pdf import read_pdf as read_pdf_in_process
from licensebot.reading.sandbox import Failure, ReaderPool, read_pdf_sandboxed
from licensebot.store.db import make_engine, secure_dir
from licensebot.store.files import Blobs
from licensebot.worker.bounces import BounceRoute
from licensebot.worker.case_notice import CaseNotices, sample_notice_context
from licensebot.worker.digest import Digest, sample_context
from licensebot.worker.faults import Faults
from licensebot.worker.intake import Intake, Route
from licensebot.worker.judge import Judge, Reading
from licensebot.worker.la import LaDesk
from licensebot.worker.la_notices import NOTICE_KIND, LaAttachment, LaText
from licensebot.worker.metrics import Metrics
from licensebot.worker.opt_out import OptOutRoute
from licensebot.worker.relay import Relay
from licensebot.worker.replies import ReplyWriter
from licensebot.worker.retention import Retention
from licensebot.worker.review import Review, ReviewRoute, review_result_sample
from licensebot.worker.samples import template_samples

#: Replies that carry the blank LA form, so the applicant can start over.
BLANK_FORM_REPLIES = frozenset({"applicant.no_attachment", "applicant.rejected"})


def la_pdf_attachment(settings: Settings) -> LaAttachment:
    """LA change notices carry the new version as the fillable blank form (PDF)."""

    def attach(la: LaText) -> FileAttachment:
        version = LaVersion(id=la.id, effective=date.today(), text=la.text, title=la.title)
        data = render_blank_form(version, fillable=True)
        return FileAttachment(f"{settings.dataset.file_prefix}{la.id}.pdf", data)

    return attach


def make_judge(
    settings: Settings,
    *,
    sandbox: bool = True,
    on_read: Callable[[ReadForm, float], None] = lambda _f, _s: None,
) -> Judge:
    """The LA versions, the domain lists and the PDF reader (in a sandbox by default: a fresh
    child per PDF, as the worker reads mail from strangers). `on_read` gets each reading and
    its wall time (the metrics)."""
    versions = load_versions(settings.path(settings.dataset.la_dir))
    limits = ReadLimits()

    def read_pdf(data: bytes) -> ReadForm:
        start = time.perf_counter()
        if sandbox:
            form = read_pdf_sandboxed(data, versions=versions, limits=limits)
        else:
            form = read_pdf_in_process(data, versions=versions, limits=limits)
        on_read(form, time.perf_counter() - start)
        return form

    return _judge(settings, versions, read_pdf)


@contextmanager
def open_batch_judge(settings: Settings, *, readers: int) -> Iterator[Judge]:
    """A judge for a batch of files (`licensebot check`): PDFs are read by up to `readers`
    long-lived sandboxed reader processes, each reading one PDF after another under the same
    limits (see `ReaderPool`); they end when the block does."""
    versions = load_versions(settings.path(settings.dataset.la_dir))
    with ReaderPool(versions, ReadLimits(), size=readers) as pool:
        yield _judge(settings, versions, pool.read)


def _judge(
    settings: Settings, versions: Sequence[LaVersion], read_pdf: Callable[[bytes], ReadForm]
) -> Judge:
    domains = load_domain_knowledge(allow=settings.domains.allow, deny=settings.domains.deny)
    return Judge(settings=settings, versions=versions, domains=domains, read_pdf=read_pdf)


def single_template_samples(settings: Settings) -> dict[str, dict[str, Any]]:
    """Sample data for the maintainers' single-language templates, by file name."""
    digest = sample_context(settings)
    return {
        "maintainer.digest.txt": digest,
        "maintainer.digest.html": digest,
        "maintainer.review_result.txt": review_result_sample(),
        "maintainer.case_notice.html": sample_notice_context(settings),
    }


def template_problems(settings: Settings, templates: Templates) -> list[str]:
    bilingual = {
        **template_samples(settings),
        "maintainer.case_notice": [sample_notice_context(settings)],
    }
    return templates.check(bilingual) + templates.check_one(single_template_samples(settings))


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
    #: The MIME read alone, confined (replay, the fuzz campaign); the intake reads a message
    #: and its LA together.
    read_message: Callable[[bytes], IncomingMessage]
    review: Review
    digest: Digest
    la: LaDesk
    retention: Retention
    metrics: Metrics
    #: The first-use work of judging and answering (the rules' pinyin tables and list of
    #: institutions, the blank form's fonts and rendering: about a second, inside a message's
    #: counted window), done before the intake starts.
    warm_up: Callable[[], object] = lambda: None

    def template_problems(self) -> list[str]:
        return template_problems(self.settings, self.templates)


def build(
    settings: Settings,
    *,
    environ: dict[str, str] | None = None,
    on_queued: Callable[[], None] = lambda: None,
    la_attachment: LaAttachment | None = None,
    metrics: Metrics | None = None,
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
    metrics = metrics or Metrics(engine)

    def read_message(raw: bytes) -> IncomingMessage:
        # a sandboxed child with a wall clock and a memory budget, like a PDF's
        return read_message_confined(
            raw,
            trusted_authserv_ids=settings.auth.trusted_authserv_ids,
            own_addresses=settings.own_addresses,
        )

    judge = make_judge(settings, on_read=metrics.read)
    versions = judge.versions
    choose = partial(la_to_read, prefix=settings.dataset.file_prefix)
    pdf_limits = ReadLimits()

    def read(raw: bytes) -> tuple[IncomingMessage, Reading]:
        # the message and its LA in one single-use sandboxed child: never two messages in one
        got = read_mail_confined(
            raw,
            trusted_authserv_ids=settings.auth.trusted_authserv_ids,
            own_addresses=settings.own_addresses,
            choose=choose,
            versions=versions,
            pdf_limits=pdf_limits,
        )
        if got.form is not None:
            metrics.read(got.form, got.form.timings.get("sandbox_total", 0.0))
        msg = got.message
        assert not isinstance(msg, Failure)  # read again from its safe headers, then
        return msg, Reading(got.pdf, got.form)

    @cache
    def blank_form() -> FileAttachment:
        current = current_version(versions)
        data = render_blank_form(current, fillable=True)
        return FileAttachment(f"{settings.dataset.file_prefix}blank_{current.id}.pdf", data)

    def warm_up() -> None:
        blank_form()
        judge.warm_up()

    def attachments_for(kind: str) -> Sequence[FileAttachment]:
        return (blank_form(),) if kind in BLANK_FORM_REPLIES else ()

    def access_code() -> str:
        return read_secret(settings.approval.access_code_env, environ=env)

    current_text = current_version(versions).text
    replies = ReplyWriter(
        settings,
        templates,
        attachments_for,
        access_code=access_code,
        subjects=unpublishable_subjects(current_text),
        citation=la_citation(current_text),
    )
    review = Review(settings, engine, replies, templates)
    page_cache = settings.storage.data_dir / "pages"
    digest = Digest(settings, engine, replies, templates, page_cache)
    la = LaDesk(
        settings=settings,
        engine=engine,
        replies=replies,
        attachment=la_attachment or la_pdf_attachment(settings),
    )
    judge.required_version = la.required_version
    # Checked in order, before a message is judged as an application.
    routes: list[Route] = [BounceRoute(la), OptOutRoute(la), ReviewRoute(review)]
    intake = Intake(
        settings=settings,
        engine=engine,
        blobs=blobs,
        read=read,
        assess=judge.assess,
        replies=replies,
        routes=routes,
        faults=faults,
        on_queued=on_queued,
        institutional=judge.domains.institutional,
        notices=CaseNotices(settings, replies, templates),
        on_decided=lambda d: metrics.decisions.labels(d.value).inc(),
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
        on_result=lambda o: metrics.sends.labels(o.value).inc(),
    )

    def open_session(box: Mailbox) -> AbstractContextManager[MailSession]:
        if box.kind == "maildir":
            return open_maildir(box)
        from licensebot.mail.imap import open_imap

        return open_imap(box, read_secret(box.secret_env, environ=env))

    return Bot(
        settings,
        engine,
        intake,
        relay,
        templates,
        faults,
        replies,
        open_session,
        read_message,
        review,
        digest,
        la,
        Retention(
            settings=settings.retention,
            engine=engine,
            mailboxes=settings.mailbox,
            open_session=open_session,
            page_cache=page_cache,
        ),
        metrics,
        warm_up=warm_up,
    )
