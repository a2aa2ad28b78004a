"""Builders for messages, forms and contexts in the core unit tests: a valid application by
default, with keyword overrides for the one thing a test changes."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from licensebot.core.domains import DomainKnowledge
from licensebot.core.form import TEXT_FIELDS, FieldValue, Member, ReadForm, Source
from licensebot.core.message import Attachment, AuthVerdict, AutoSignal, IncomingMessage
from licensebot.core.rules import CheckContext, CheckSettings

CURRENT = "2023"
GOOD_FILENAME = "DFME_License_Agreement_San_Zhang.pdf"
SENDER = "zhangsan@ustc.edu.cn"

GOOD_FIELDS: dict[str, str] = {
    "signer_name": "San Zhang",
    "signer_title": "Professor",
    "affiliation": "University of Science and Technology of China",
    "work_email": SENDER,
    "address": "96 Jinzhai Road, Hefei, Anhui, China",
    "date": "2024-03-15",
}

DOMAINS = DomainKnowledge.build(
    free={"gmail.com", "qq.com", "163.com", "21cn.com"},
    disposable={"mailinator.net", "21cn.com", "tempmail.dev"},
    allow={"microsoft.com"},
    deny={"example-denied.org"},
    institutions=lambda d: (
        ("University of Science and Technology of China",)
        if d.endswith("ustc.edu.cn")
        else ("Tsinghua University",)
        if d.endswith("tsinghua.edu.cn")
        else ()
    ),
    aliases={"ustc.edu.cn": ("USTC", "中国科学技术大学")},
)


def pdf(filename: str = GOOD_FILENAME, *, is_pdf: bool = True) -> Attachment:
    data = b"%PDF-1.7 test" if is_pdf else b"PK\x03\x04 docx"
    return Attachment(
        filename=filename,
        content_type="application/pdf" if is_pdf else "application/octet-stream",
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        is_pdf=is_pdf,
    )


def message(**overrides: Any) -> IncomingMessage:
    base = IncomingMessage(
        message_id="<1@ustc.edu.cn>",
        from_address=SENDER,
        from_name="San Zhang",
        to=("sirui@mail.ustc.edu.cn",),
        cc=("iamthy@mail.ustc.edu.cn",),
        subject="DFME license agreement",
        date="2024-03-16T10:00:00+08:00",
        in_reply_to=None,
        references=(),
        return_path=SENDER,
        auth=AuthVerdict.PASS,
        auth_evidence="mx.ustc.edu.cn; dmarc=pass",
        auto_signals=(),
        attachments=(pdf(),),
        text="Please find the signed LA attached.",
    )
    return replace(base, **overrides)


def field(value: str | None, *, blank: bool = False) -> FieldValue:
    if value is None:
        return FieldValue(None, 0.2 if not blank else 1.0, Source.OCR, blank=blank)
    return FieldValue(value, 0.95, Source.OCR)


def form(**overrides: Any) -> ReadForm:
    """A well-read current LA; `fields={...}` merges into the good fields (None: unreadable,
    "": blank)."""
    values: dict[str, str | None] = dict(GOOD_FIELDS)
    values.update(overrides.pop("fields", {}))
    fields = {name: field(None, blank=True) if v == "" else field(v) for name, v in values.items()}
    assert set(fields) == set(TEXT_FIELDS)
    base = ReadForm(
        fields=fields,
        signed=True,
        signed_confidence=0.9,
        members=(Member("Si Li", "MEGC2024-0042"),),
        scanned=True,
        form_version=CURRENT,
        form_similarity=0.97,
        is_la=True,
        pages=4,
    )
    return replace(base, **overrides)


_DEFAULT_FORM: Any = object()


def context(
    *,
    msg: IncomingMessage | None = None,
    read: ReadForm | None = _DEFAULT_FORM,
    filename: str | None = None,
    settings: CheckSettings | None = None,
    domains: DomainKnowledge = DOMAINS,
) -> CheckContext:
    return CheckContext(
        message=msg if msg is not None else message(),
        form=form() if read is _DEFAULT_FORM else read,
        domains=domains,
        current_version=CURRENT,
        filename=filename,
        settings=settings or CheckSettings(own_addresses=frozenset({"sirui@mail.ustc.edu.cn"})),
    )


def auto(header: str = "Auto-Submitted", value: str = "auto-replied") -> tuple[AutoSignal, ...]:
    return (AutoSignal(header, value),)
