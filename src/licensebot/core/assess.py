"""The assessment of one message: the decision, its reasons, every rule's result and the
fields read (what the intake records), and which reply a decision calls for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from licensebot.core.message import Attachment, IncomingMessage


@dataclass(frozen=True, slots=True)
class Assessment:
    decision: str  # approve | reject | review | ignore
    reasons: tuple[str, ...]
    rule_results: Sequence[Mapping[str, Any]] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    scanned: bool | None = None
    form_version: str | None = None
    pdf: Attachment | None = None
    note: str = ""


def choose_pdf(msg: IncomingMessage, prefix: str) -> Attachment | None:
    """The attachment to read: the PDF named like the LA if there is one, else the first PDF."""
    pdfs = msg.pdfs
    if not pdfs:
        return None
    named = [a for a in pdfs if a.filename.lower().startswith(prefix.lower())]
    return (named or list(pdfs))[0]


def reply_kind(decision: str, reasons: Sequence[str]) -> str | None:
    """Which applicant template answers this decision (None: no reply at all)."""
    if decision == "ignore":
        return None
    if decision == "approve":
        return "applicant.approved"
    if decision == "review":
        return "applicant.review"
    if list(reasons) == ["no_attachment"]:
        return "applicant.no_attachment"
    return "applicant.rejected"
