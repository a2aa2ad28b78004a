"""Delivery status notifications (RFC 3464) in, plain data out: which of our messages a bounce
is about (the Message-ID of the returned original, from its message/rfc822 or
text/rfc822-headers part, or the report's In-Reply-To / References) and, per recipient, the
action and status the reporting server gave.

Bounces that are not RFC 3464 (old Sendmail, qmail, Exim, Exchange, Lotus, antivirus gateways)
are read by their shape with flufl.bounce (GNU Mailman's detectors), which names the failed
recipients; the original's Message-ID is then the `Message-ID:` line of the returned text."""

from __future__ import annotations

import email
import email.policy
import logging
import re
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING

from flufl.bounce import all_failures

if TYPE_CHECKING:
    from licensebot.reading.mime import MimeLimits
    from licensebot.reading.sandbox import Failure

_MSGID = re.compile(r"<[^<>\s]+@[^<>\s]+>")


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    recipient: str
    action: str  # failed | delayed | delivered | relayed | expanded ("" when missing)
    status: str  # "5.1.1"
    diagnostic: str = ""

    @property
    def permanent(self) -> bool:
        return self.action == "failed" or self.status.startswith("5.")


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    original_message_ids: tuple[str, ...]  # the returned original's first, then the threading
    recipients: tuple[RecipientStatus, ...]

    @property
    def permanent(self) -> bool:
        return any(r.permanent for r in self.recipients)

    @property
    def delayed(self) -> bool:
        return bool(self.recipients) and all(r.action == "delayed" for r in self.recipients)


def read_delivery_report(raw: bytes) -> DeliveryReport | None:
    """The report carried by `raw`, or None when it is no multipart/report delivery status."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if msg.get_content_type() != "multipart/report":
        return _by_shape(msg)
    ids: list[str] = []
    recipients: list[RecipientStatus] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            recipients += _statuses(part)
        elif ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                ids += _MSGID.findall(str(inner[0].get("Message-ID", "")))
        elif ctype == "text/rfc822-headers":
            headers = email.message_from_string(_text(part), policy=email.policy.compat32)
            ids += _MSGID.findall(str(headers.get("Message-ID", "")))
    ids += _MSGID.findall(str(msg.get("In-Reply-To", "")))
    ids += _MSGID.findall(str(msg.get("References", "")))
    return DeliveryReport(tuple(dict.fromkeys(ids)), tuple(recipients))


def read_delivery_report_confined(
    raw: bytes, *, limits: MimeLimits | None = None
) -> DeliveryReport | Failure | None:
    """`read_delivery_report` in a sandboxed child under the MIME read's `limits`: a bounce is a
    stranger's message, parsed in full again (every part, every recipient block), so the worker
    never does that itself. A `Failure` when the read ran out of time or memory, or crashed."""
    from licensebot.reading.mime import MimeLimits
    from licensebot.reading.sandbox import call_confined

    limits = limits or MimeLimits()
    return call_confined(
        read_delivery_report, bytes(raw), time_limit=limits.time_limit,
        cpu_limit=limits.cpu_limit, memory_bytes=limits.memory_bytes,
    )  # fmt: skip


#: The bounce detectors read text line by line with regular expressions: no more than this of
#: each text part, and nothing of the others (a returned PDF's base64 took them 20 s).
DETECTOR_TEXT_LIMIT = 256 * 1024


def detectors_view(msg: Message) -> Message:
    """`msg` made cheap for flufl.bounce, in place: the bodies of parts that are not text are
    emptied, text bodies cut to `DETECTOR_TEXT_LIMIT`. Headers and structure are kept."""
    for part in msg.walk():
        payload = getattr(part, "_payload", None)  # the raw body, never decoded here
        if not isinstance(payload, str):
            continue
        if part.get_content_maintype() not in ("text", "message"):
            part.set_payload("")
        elif len(payload) > DETECTOR_TEXT_LIMIT:
            part.set_payload(payload[:DETECTOR_TEXT_LIMIT])
    return msg


def failures(msg: Message) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """(temporary, permanent) failed recipients by flufl.bounce; empty when it is no bounce.
    Empties `msg`'s attachments first (see `detectors_view`)."""
    logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)  # it logs every detector run
    try:
        temporary, permanent = all_failures(detectors_view(msg))
    except Exception:  # a detector's bug on odd mail is no bounce, and no crash
        return frozenset(), frozenset()
    return frozenset(temporary), frozenset(permanent)


_QUOTED_ID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+@[^<>\s]+>)", re.I | re.M)


def _by_shape(msg: Message) -> DeliveryReport | None:
    """A non-standard bounce: its failed recipients by flufl.bounce, the original's Message-ID
    from the returned headers (an attached message, or quoted text); None when it is none."""
    temporary, permanent = failures(msg)
    if not temporary and not permanent:
        return None
    ids: list[str] = []
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            continue
        inner = part.get_payload()
        if isinstance(inner, list):  # message/rfc822: its own headers
            for sub in inner:
                if isinstance(sub, Message):
                    ids += _MSGID.findall(str(sub.get("Message-ID", "")))
            continue
        ids += _QUOTED_ID.findall(_text(part)[:1_000_000])
    ids += _MSGID.findall(str(msg.get("In-Reply-To", "")))
    ids += _MSGID.findall(str(msg.get("References", "")))
    own_id = _MSGID.findall(str(msg.get("Message-ID", "")))
    recipients = [
        RecipientStatus(a.decode("ascii", "replace").lower(), "failed", "5.0.0")
        for a in sorted(permanent)
    ] + [
        RecipientStatus(a.decode("ascii", "replace").lower(), "delayed", "4.0.0")
        for a in sorted(temporary - permanent)
    ]
    found = [i for i in dict.fromkeys(ids) if i not in own_id]
    return DeliveryReport(tuple(found), tuple(recipients))


def _statuses(part: Message) -> list[RecipientStatus]:
    # The body of message/delivery-status is blocks of header fields: the per-message block
    # first, then one per recipient. compat32 parses it as sub-messages, or leaves text.
    payload = part.get_payload()
    blocks: list[Message] = []
    if isinstance(payload, list):
        blocks = [p for p in payload if isinstance(p, Message)]
    else:
        text = _text(part)
        blocks = [email.message_from_string(b) for b in re.split(r"\r?\n\s*\r?\n", text) if b]
    out = []
    for b in blocks:
        rcpt = str(b.get("Final-Recipient") or b.get("Original-Recipient") or "")
        if not rcpt:
            continue
        out.append(
            RecipientStatus(
                recipient=rcpt.partition(";")[2].strip().strip("<>").lower() or rcpt.lower(),
                action=str(b.get("Action", "")).strip().lower(),
                status=str(b.get("Status", "")).strip().split()[0] if b.get("Status") else "",
                diagnostic=" ".join(str(b.get("Diagnostic-Code", "")).split())[:300],
            )
        )
    return out


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "replace")
    raw = part.get_payload()
    return raw if isinstance(raw, str) else ""
