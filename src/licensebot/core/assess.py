"""The assessment of one message: the decision, its reasons, every rule's result and the
fields read (what the intake records), and which reply a decision calls for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from licensebot.core.message import Attachment, IncomingMessage
from licensebot.core.reasons import Decision, Reason


@dataclass(frozen=True, slots=True)
class Assessment:
    decision: Decision
    reasons: tuple[Reason, ...]  # in the contract's order
    rule_results: Sequence[Mapping[str, Any]] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    scanned: bool | None = None
    form_version: str | None = None
    pdf: Attachment | None = None
    note: str = ""


def la_to_read(msg: IncomingMessage, *, prefix: str) -> Attachment | None:
    """The attachment to judge as the LA: none in mail sent by a machine, else `choose_pdf`'s.
    One over the size cap is chosen too (it is answered `pdf_too_large`, never read)."""
    return None if msg.is_auto_generated else choose_pdf(msg, prefix)


def choose_pdf(msg: IncomingMessage, prefix: str) -> Attachment | None:
    """The attachment to read: the PDF named like the LA if there is one, else the first PDF."""
    pdfs = msg.pdfs
    if not pdfs:
        return None
    named = [a for a in pdfs if a.filename.lower().startswith(prefix.lower())]
    return (named or list(pdfs))[0]


def reply_kind(decision: Decision, reasons: Sequence[Reason]) -> str | None:
    """Which applicant template answers this decision (None: no reply at all)."""
    if decision is Decision.IGNORE:
        return None
    if decision is Decision.APPROVE:
        return "applicant.approved"
    if decision is Decision.REVIEW:
        return "applicant.review"
    if list(reasons) == [Reason.NO_ATTACHMENT]:
        return "applicant.no_attachment"
    return "applicant.rejected"
