"""The assessment of one message: the decision, its reasons, every rule's result and the
fields read, plus which reply it calls for. Pure: built from an `IncomingMessage`.

Until the PDF reader and the judging rules are wired in, `assess_known` decides only what the
message itself tells for certain (a machine-sent message, a missing PDF) and sends everything
else to a person; it never approves.
"""

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


def assess_known(msg: IncomingMessage, *, file_prefix: str) -> Assessment:
    if msg.is_auto_generated:
        signals = [{"header": s.header, "value": s.value} for s in msg.auto_signals]
        return Assessment(
            "ignore",
            ("auto_generated",),
            ({"rule": "auto_generated", "hit": True, "facts": {"signals": signals}},),
        )
    pdf = choose_pdf(msg, file_prefix)
    if pdf is None:
        return Assessment(
            "reject",
            ("no_attachment",),
            (
                {
                    "rule": "no_attachment",
                    "hit": True,
                    "facts": {"attachments": len(msg.attachments)},
                },
            ),
        )
    return Assessment(
        "review",
        (),
        ({"rule": "reader", "hit": False, "facts": {"pdf": pdf.filename}},),
        pdf=pdf,
        note="the PDF reader is not wired in yet: a person reads this application",
    )


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
