"""Delivery status notifications (RFC 3464) in, plain data out: which of our messages a bounce
is about (the Message-ID of the returned original, from its message/rfc822 or
text/rfc822-headers part, or the report's In-Reply-To / References) and, per recipient, the
action and status the reporting server gave."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message

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
        return None
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
