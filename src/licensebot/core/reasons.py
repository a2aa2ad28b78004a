"""The stable reason codes of the contract, the weights a reason can have, and the four
decisions. How much each reason weighs and which rule finds it are declared with the rule
(`licensebot.core.rules`), once per reason.

Scripts and reply templates rely on these strings: never rename one, only add.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Severity(StrEnum):
    """How much a reason weighs in the decision (see `licensebot.core.decide`); every reason
    found stops an approval, whatever its weight."""

    HARD = "hard"  # reject
    SOFT = "soft"  # a person must look
    IGNORE = "ignore"  # no reply at all


class Decision(StrEnum):
    """The one outcome every message ends in."""

    APPROVE = "approve"
    REJECT = "reject"
    REVIEW = "review"
    IGNORE = "ignore"


class Reason(StrEnum):
    """Why a message was not simply approved. Declared in the contract's order, which is also
    the order replies and JSON output list them in."""

    NO_ATTACHMENT = "no_attachment"
    PDF_TOO_LARGE = "pdf_too_large"
    NOT_LA = "not_la"
    OUTDATED_FORM = "outdated_form"
    BAD_FILENAME = "bad_filename"
    FREE_EMAIL = "free_email"
    DISPOSABLE_EMAIL = "disposable_email"
    SENDER_MISMATCH = "sender_mismatch"
    MISSING_FIELDS = "missing_fields"
    NOT_SIGNED = "not_signed"
    NOT_SCANNED = "not_scanned"
    STUDENT_SIGNER = "student_signer"
    UNREADABLE = "unreadable"
    AFFILIATION_MISMATCH = "affiliation_mismatch"
    SENDER_UNVERIFIED = "sender_unverified"
    MESSAGE_TOO_COMPLEX = "message_too_complex"
    AUTO_GENERATED = "auto_generated"


_ORDER = {reason: i for i, reason in enumerate(Reason)}


def in_contract_order(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    """The reasons without duplicates, in the stable order of the contract."""
    return tuple(sorted(set(reasons), key=_ORDER.__getitem__))
