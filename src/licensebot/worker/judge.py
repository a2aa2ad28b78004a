"""Judging one message: choose the LA attachment, read it (in the sandbox), run every rule and
read the decision off the outcome table. Shared by the worker and `licensebot check`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from licensebot.config import Settings
from licensebot.core.assess import Assessment, la_to_read
from licensebot.core.corroborate import corroborate
from licensebot.core.decide import Judgement, decide
from licensebot.core.domains import DomainKnowledge
from licensebot.core.form import FIELD_KEYS, ReadForm, form_to_json
from licensebot.core.la import LaVersion, current_version
from licensebot.core.message import Attachment, IncomingMessage
from licensebot.core.names import parse_la_filename, same_person
from licensebot.core.rules import CheckContext, CheckSettings

ReadPdf = Callable[[bytes], ReadForm]


@dataclass(frozen=True, slots=True)
class Reading:
    """What the reader made of a message's LA: the attachment chosen and its reading (both
    None when there is none to read). Made in the sandbox; judged in this process."""

    pdf: Attachment | None
    form: ReadForm | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Everything decided about one message: the assessment and what it was based on."""

    assessment: Assessment
    judgement: Judgement
    form: ReadForm | None


class Judge:
    def __init__(
        self,
        *,
        settings: Settings,
        versions: Sequence[LaVersion],
        domains: DomainKnowledge,
        read_pdf: ReadPdf,
        today: Callable[[], date] = date.today,
        required_version: Callable[[date], str | None] | None = None,
    ) -> None:
        self.settings = settings
        self.versions = list(versions)
        self.domains = domains
        self.read_pdf = read_pdf
        self.today = today
        # Which version new applications must use, from the published register (the LA desk,
        # by the `la.new_applications_from` setting); without it, the newest version in force
        # among the files in config/la/ (offline `licensebot check`).
        self.required_version = required_version
        self.check_settings = CheckSettings(
            filename_prefix=settings.dataset.file_prefix,
            own_addresses=frozenset(settings.own_addresses),
        )

    def current_version_id(self) -> str:
        today = self.today()
        required = self.required_version(today) if self.required_version else None
        return required or current_version(self.versions, today=today).id

    def read(self, msg: IncomingMessage) -> Reading:
        """Choose the LA attachment and read it (the sandboxed reader, by default): the long,
        confined part of judging, which the intake runs before it counts an attempt."""
        pdf = la_to_read(msg, prefix=self.settings.dataset.file_prefix)
        # a PDF over the size cap was never decoded: `pdf_too_large` answers it, unread
        form = self.read_pdf(pdf.data) if pdf is not None and not pdf.oversized else None
        return Reading(pdf, form)

    def verdict(self, msg: IncomingMessage, reading: Reading | None = None) -> Verdict:
        """Judge `msg` on its `reading` (read now when not given)."""
        reading = reading or self.read(msg)
        pdf, form = reading.pdf, reading.form
        if form is not None and pdf is not None:
            # what OCR could not settle alone, the sender's address and the file name may
            prefix = self.settings.dataset.file_prefix
            form = corroborate(
                form,
                sender=msg.from_address,
                filename_name=parse_la_filename(pdf.filename, prefix=prefix).name,
            )
        ctx = CheckContext(
            message=msg,
            form=form,
            domains=self.domains,
            current_version=self.current_version_id(),
            filename=pdf.filename if pdf else None,
            settings=self.check_settings,
        )
        judgement = decide(ctx)
        view = form_to_json(form) if form is not None else None
        rules: list[dict[str, Any]] = list(judgement.as_dict()["rules"])  # type: ignore[call-overload]
        assessment = Assessment(
            decision=judgement.decision,
            reasons=judgement.reasons,
            rule_results=rules,
            fields=view["fields"] if view else {},
            # a PDF that could not be read at all (broken, a bomb) is neither, as far as we know
            scanned=form.scanned if form is not None and form.error is None else None,
            form_version=form.form_version if form else None,
            pdf=pdf,
            note=f"decided by: {judgement.outcome}",
        )
        return Verdict(assessment, judgement, form)

    def assess(self, msg: IncomingMessage, reading: Reading | None = None) -> Assessment:
        return self.verdict(msg, reading).assessment

    def warm_up(self) -> None:
        """Load what the rules load on first use, with a sample of ours: the pinyin tables
        (a Chinese name against a romanised one) and the list of institutions (an academic
        domain), half a second together. The worker does it before it takes a message;
        otherwise the first message after each start carries it in its counted window
        (`worker.intake`: 0.55 s against 0.02 s for the next ones, measured on PostgreSQL),
        where a kill from outside is counted against it."""
        same_person("张三", "San Zhang")
        self.domains.institution_names("example.edu")


def check_json(name: str, verdict: Verdict) -> dict[str, Any]:
    """One line of `licensebot check --json`, exactly as in the contract."""
    a = verdict.assessment
    fields: dict[str, Any] = dict.fromkeys(FIELD_KEYS)
    fields["members"] = []
    fields.update(a.fields)
    return {
        "file": name,
        "decision": a.decision.value,
        "reasons": [r.value for r in a.reasons],
        "fields": fields,
        "scanned": a.scanned,
        "form_version": a.form_version,
    }
