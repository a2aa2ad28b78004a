"""Sample data every template must render with; checked when the worker starts and by
`licensebot config check`, so a misspelt variable never reaches a person."""

from __future__ import annotations

from typing import Any

from licensebot.config import Mailbox, Settings, Smtp
from licensebot.core.message import AuthVerdict, IncomingMessage
from licensebot.core.reasons import Decision, Reason, Severity
from licensebot.core.resend import Resend
from licensebot.core.rules import codes
from licensebot.worker.la_notices import NOTICE_KIND
from licensebot.worker.opt_out import CONFIRM_KIND
from licensebot.worker.replies import applicant_context

_SAMPLE_MESSAGE = IncomingMessage(
    message_id="<sample@example.edu>",
    from_address="san.zhang@example.edu",
    from_name="San Zhang",
    to=("a@example.edu",),
    cc=(),
    subject="DFME license agreement",
    date=None,
    in_reply_to=None,
    references=(),
    return_path="san.zhang@example.edu",
    auth=AuthVerdict.PASS,
    auth_evidence="",
    auto_signals=(),
    attachments=(),
    text="",
)

_FIELDS = {
    "signer_name": "San Zhang",
    "signer_title": "Professor",
    "affiliation": "Example University",
    "work_email": "san.zhang@example.edu",
    "address": "1 Example Road",
    "date": "2024-03-15",
    "signed": True,
    "members": [{"name": "Si Li", "registered_id": "MEGC2024-0042"}],
}


_RESEND = Resend("li.si@gmail.com", ("san.zhang@example.edu",), ("example.edu",))


def _settings() -> Settings:
    return Settings(
        mailbox=(Mailbox(name="sample", address="a@example.edu", kind="maildir", path="/x"),),
        smtp=Smtp(kind="directory", directory="/x", from_address="a@example.edu"),
    )


def _codes(severity: Severity) -> list[Reason]:
    return list(codes(severity))


def template_samples(settings: Settings | None = None) -> dict[str, list[dict[str, Any]]]:
    s = settings or _settings()

    def ctx(
        decision: Decision, reasons: list[Reason], fields: dict[str, Any] = _FIELDS, **kw: Any
    ) -> dict[str, Any]:
        facts = [
            {
                "rule": r,
                "reasons": [r],
                "facts": {"fields": ["signer_title", "date"], "filename": "x.pdf"},
            }
            for r in reasons
        ]
        return applicant_context(
            s,
            case_id=42,
            sender=_SAMPLE_MESSAGE.from_address or "",
            decision=decision,
            reasons=reasons,
            rule_results=facts,
            fields=fields,
            access_code="SAMPLE-CODE",
            subjects=("004", "010"),
            **kw,
        )

    APPROVE, REJECT, REVIEW = Decision.APPROVE, Decision.REJECT, Decision.REVIEW
    hard: list[Reason] = [c for c in _codes(Severity.HARD) if c is not Reason.NO_ATTACHMENT]
    return {
        "applicant.approved": [ctx(APPROVE, []), ctx(APPROVE, [], fields={})],
        "applicant.rejected": [
            ctx(REJECT, hard, sender_name="San Zhang", resend=_RESEND, attached=["blank.pdf"]),
            ctx(REJECT, [], maintainer_reason="why", fields={}),
        ],
        "applicant.review": [ctx(REVIEW, _codes(Severity.SOFT)), ctx(REVIEW, [])],
        "applicant.no_attachment": [
            ctx(REJECT, [Reason.NO_ATTACHMENT], attached=["blank.pdf"]),
            ctx(REJECT, [Reason.NO_ATTACHMENT], fields={}),
        ],
        "applicant.final_notice": [ctx(REVIEW, [])],
        "applicant.already_licensed": [ctx(APPROVE, [], licence_case=7)],
        NOTICE_KIND: [
            {
                "dataset": s.dataset.name,
                "version": "2027",
                "title": "License Agreement",
                "effective": "2027-01-01",
                "previous_version": "2023",
                "changes": [
                    {
                        "label": "1. Purpose",
                        "title": "Purpose",
                        "old_title": "Use",
                        "kind": k,
                        "diff": ["-a", "+b"],
                    }
                    for k in ("added", "removed", "changed")
                ],
                "attachment_name": "DFME_License_Agreement_2027.pdf",
            }
        ],
        CONFIRM_KIND: [
            {
                "dataset": s.dataset.name,
                "name": "San Zhang",
                "version": "2027",
                "voided_on": "2026-12-01",
            }
        ],
        "maintainer.alert": [
            {
                "dataset": s.dataset.name,
                "mailbox": "sirui",
                "uid": "7",
                "message_id": "<x@example.edu>",
                "error": "ValueError: broken",
                "failed_folder": "licensebot/failed",
            }
        ],
    }
