"""What was read from an LA PDF, as plain data: the fields of the contract and the facts
beyond them (scanned, signed, form version, members), each with how sure the reader is.

`licensebot.reading` produces a `ReadForm`; the rules in `licensebot.core` consume it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class FormField:
    """A field of the LA form: its JSON key in the contract and its label as printed on the
    form, in English and Chinese (replies name the fields to fix by these)."""

    key: str
    label_en: str
    label_zh: str
    text: bool = True  # a written value; False: the Signature box (`signed`)


#: The form's fields, in the contract's order: the one list the reader, the rules, the
#: replies and the digest read.
FORM_FIELDS: tuple[FormField, ...] = (
    FormField("signer_name", "The Signer's Name", "签字人姓名"),
    FormField("signer_title", "The Signer's Title", "签字人职务"),
    FormField("affiliation", "Affiliation", "单位"),
    FormField("work_email", "Work email", "工作邮箱"),
    FormField("address", "Detail Address of your affiliation", "单位详细地址"),
    FormField("date", "Date", "日期"),
    FormField("signed", "Signature", "签名", text=False),
)

#: The required text fields of the LA form, by their JSON key in the contract.
TEXT_FIELDS: tuple[str, ...] = tuple(f.key for f in FORM_FIELDS if f.text)
#: Every field of the contract's `fields` a person fills in (the text fields and `signed`).
FIELD_KEYS: tuple[str, ...] = tuple(f.key for f in FORM_FIELDS)


class Source(StrEnum):
    """Where a value came from, most trusted first."""

    FORM = "form"  # a fillable AcroForm field
    TEXT = "text"  # the PDF's text layer
    OCR = "ocr"  # Tesseract on the page image
    NONE = "none"  # nothing found


class VersionStatus(StrEnum):
    """What the reader could tell about which LA the document is."""

    MATCH = "match"  # a registered version, every clause found (`form_version` says which)
    OUTDATED = "outdated"  # an LA, read well, lacking or changing a clause of every version
    UNSURE = "unsure"  # cannot be told (poor OCR, partial text): a person looks
    NOT_LA = "not_la"  # read well, and plainly not the LA


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of a field by one OCR pass (a model at a resolution), before any verdict."""

    text: str
    confidence: float  # the weakest word's
    edged: bool = False  # the text runs to the edge of its crop: it may go on beyond it
    model: str = ""  # the Tesseract model that read it ("eng", "Latin", "chi_sim", ...)


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One field: its cleaned value (None when blank or not read with confidence)."""

    value: str | None
    confidence: float  # 0..1; below the reader's threshold the value is None
    source: Source = Source.NONE
    blank: bool = False  # the label was found and nothing stands in its cell
    raw: str | None = None  # what was read before cleaning, for `explain`
    #: An unconfirmed OCR value: every reading the passes made of it. A reading the message
    #: itself confirms (the sender's address, the file name's name) may settle it
    #: (`core.corroborate`).
    readings: tuple[Reading, ...] = ()
    corroborated_by: str | None = None  # "sender" | "filename": what confirmed the reading

    @property
    def unreadable(self) -> bool:
        """Something is there but could not be read with confidence."""
        return self.value is None and not self.blank


@dataclass(frozen=True, slots=True)
class Member:
    """A student or employee the supervisor signs for."""

    name: str
    registered_id: str | None


@dataclass(frozen=True, slots=True)
class ReadForm:
    """Everything read from one PDF. `error` is set when the PDF could not be read at all."""

    fields: Mapping[str, FieldValue]
    signed: bool | None  # None: the Signature cell was not found or ink could not be judged
    signed_confidence: float
    members: tuple[Member, ...]
    scanned: bool
    form_version: str | None  # the registered LA version the text matches, None if none
    form_similarity: float  # similarity to that version's text (0..1)
    is_la: bool  # the document resembles an LA at all (any version)
    pages: int
    error: str | None = None  # "encrypted", "broken", "too_large", "timeout", "not_pdf", ...
    timings: Mapping[str, float] = field(default_factory=dict)  # seconds per reading stage
    error_detail: str | None = None  # what exactly went wrong, for logs and `explain`
    #: The version verdict; None on forms built without it: then it follows `form_version`
    #: and `is_la` (see `version_state`).
    version_status: VersionStatus | None = None
    version_nearest: str | None = None  # the registered version with most clauses found
    #: Clauses of the nearest version confidently absent / found with another number (a
    #: section, a year, the subject list), as `reading.version` names them: OUTDATED's facts.
    version_missing: tuple[str, ...] = ()
    version_changed: tuple[str, ...] = ()
    #: The registered versions the text is confidently not (UNSURE: which one it is could not
    #: be told, but not these; OUTDATED: all of them). An LA surely not the current version is
    #: an outdated one (`rules.OutdatedForm`).
    version_excluded: tuple[str, ...] = ()

    @property
    def version_state(self) -> VersionStatus:
        if self.version_status is not None:
            return self.version_status
        if not self.is_la:
            return VersionStatus.NOT_LA
        return VersionStatus.UNSURE if self.form_version is None else VersionStatus.MATCH

    def value(self, name: str) -> str | None:
        fv = self.fields.get(name)
        return fv.value if fv else None


def form_to_json(form: ReadForm) -> dict[str, Any]:
    """The contract's `fields`, `scanned`, `form_version`, plus each value's confidence."""
    fields: dict[str, Any] = {k: form.value(k) for k in TEXT_FIELDS}
    fields["signed"] = form.signed
    fields["members"] = [{"name": m.name, "registered_id": m.registered_id} for m in form.members]
    confidence: dict[str, Any] = {
        k: (fv.confidence if (fv := form.fields.get(k)) else 0.0) for k in TEXT_FIELDS
    }
    confidence["signed"] = form.signed_confidence
    confidence["form_version"] = form.form_similarity
    out: dict[str, Any] = {
        "fields": fields,
        "scanned": form.scanned,
        "form_version": form.form_version,
        "confidence": confidence,
        "unreadable": [k for k in TEXT_FIELDS if (fv := form.fields.get(k)) and fv.unreadable],
        "blank": [k for k in TEXT_FIELDS if (fv := form.fields.get(k)) and fv.blank],
        "is_la": form.is_la,
        "pages": form.pages,
    }
    if form.error:
        out["error"] = form.error
        out["error_detail"] = form.error_detail
    return out
