"""An incoming email as plain data: what the reading layer hands to the rules.

Nothing here touches the network, the database or a parser library; `licensebot.reading.mime`
turns raw RFC 5322 bytes into these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class AuthVerdict(StrEnum):
    """What the trusted Authentication-Results header says about the From domain."""

    PASS = "pass"  # noqa: S105 - dmarc=pass, or an aligned dkim=pass
    FAIL = "fail"  # the trusted header says dmarc/dkim/spf failed
    NONE = "none"  # no trusted header, or it says nothing conclusive


@dataclass(frozen=True, slots=True)
class Attachment:
    """One file carried by the message, whatever MIME structure the client used."""

    filename: str  # decoded (RFC 2231 / RFC 2047, GB18030 for GBK labels), NFC, no path parts
    content_type: str  # as declared by the sender; never trusted for the type
    data: bytes
    sha256: str
    is_pdf: bool  # decided from the bytes (`%PDF-` near the start), not the name or type
    inline: bool = False  # Content-Disposition: inline (or none) rather than attachment
    from_forwarded: bool = False  # found inside an attached message/rfc822
    # Over the reader's size cap: `data` is empty (the bytes were not decoded), `size` is
    # about what they would have been. A PDF this size gets `pdf_too_large`, never a reading.
    oversized: bool = False
    size: int = 0


@dataclass(frozen=True, slots=True)
class AutoSignal:
    """One reason to believe the message was sent by a machine (RFC 3834 and friends)."""

    header: str
    value: str


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """An email reduced to the facts the bot decides on."""

    message_id: str | None  # with angle brackets, as in the header; None when absent
    from_address: str | None  # lower-cased addr-spec of the single From mailbox; None if unusable
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: str | None  # ISO 8601 when the Date header parsed
    in_reply_to: str | None
    references: tuple[str, ...]
    return_path: str | None  # "" for the null reverse-path <>, None when the header is absent
    auth: AuthVerdict
    auth_evidence: str  # the trusted Authentication-Results header used, or why none counted
    auto_signals: tuple[AutoSignal, ...]
    attachments: tuple[Attachment, ...]
    text: str  # the first text/plain part (or text/html stripped), for commands and replies
    defects: tuple[str, ...] = field(default=())  # header/MIME defects worth recording
    # Problems with the From header alone (also in `defects`): several From headers or
    # mailboxes, parser defects, a display name containing "@". Non-empty means the sender
    # identity is doubtful even when `from_address` is set: route to human review.
    from_defects: tuple[str, ...] = field(default=())
    auth_reason: str = ""  # why `auth` came out as it did, e.g. "dkim=pass header.d=x aligned"
    # Why the message was not read in full (a header over a cap, or the read ran out of time
    # or memory): only its few safe headers were, no body, no attachment. A person looks.
    over_limits: str | None = None

    @property
    def pdfs(self) -> tuple[Attachment, ...]:
        return tuple(a for a in self.attachments if a.is_pdf)

    @property
    def is_auto_generated(self) -> bool:
        return bool(self.auto_signals)

    @property
    def is_bounce(self) -> bool:
        """A delivery report: RFC 3464, a non-standard bounce recognised by its shape, or mail
        from a mailer daemon or postmaster (RFC 3834 section 2)."""
        for signal in self.auto_signals:
            header, value = signal.header.lower(), signal.value.lower()
            if header in ("bounce", "x-failed-recipients") or value == "multipart/report":
                return True
            if header in ("from", "return-path", "sender") and any(
                robot in value for robot in ("mailer-daemon", "mailer_daemon", "postmaster")
            ):
                return True
        return False
