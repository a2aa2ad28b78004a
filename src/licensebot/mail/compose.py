"""Composing the bot's messages: threaded, marked as automatic (RFC 3834), with a stable
Message-ID chosen before the first attempt. Applicant text never reaches a header unescaped."""

from __future__ import annotations

import binascii
import functools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, localtime

LOOP_HEADER = "X-Licensebot-Loop"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|回复|答复|fw|fwd|转发)\s*[:：]\s*)+", re.IGNORECASE)
MAX_REFERENCES = 20


def header_text(text: str, *, max_len: int = 200) -> str:
    """Applicant text made safe for a header: no CR/LF/NUL or other controls, bounded."""
    return _CONTROL.sub(" ", text).strip()[:max_len]


def new_message_id(domain: str) -> str:
    return f"<licensebot.{uuid.uuid4().hex}@{domain}>"


def reply_subject(original: str, *, case_tag: str, case_id: int) -> str:
    tag = f"[{case_tag} #{case_id}]"
    base = _REPLY_PREFIX.sub("", header_text(original)).strip()
    base = base.replace(tag, "").strip()
    return f"Re: {base} {tag}".replace("  ", " ") if base else f"Re: {tag}"


@dataclass(frozen=True, slots=True)
class FileAttachment:
    filename: str
    data: bytes
    maintype: str = "application"
    subtype: str = "pdf"
    charset: str = ""  # for text/* attachments (bytes otherwise read as ASCII)


@dataclass(frozen=True, slots=True)
class InlineImage:
    """An image the HTML part shows by `cid:` (it travels in a multipart/related)."""

    cid: str  # without angle brackets: the HTML refers to it as src="cid:<cid>"
    data: bytes
    subtype: str = "png"
    filename: str = ""


def compose(
    *,
    from_address: str,
    from_name: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    instance_id: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    auto: str = "auto-replied",
    attachments: Sequence[FileAttachment] = (),
    html: str | None = None,
    inline: Sequence[InlineImage] = (),
) -> bytes:
    """The complete message as bytes (CRLF line endings), ready for SMTP.

    With `html`, the text is the plain alternative of the HTML part, and `inline` images go
    beside the HTML in a multipart/related, each with its Content-ID."""
    msg = EmailMessage()
    msg["From"] = formataddr((header_text(from_name), from_address))
    msg["To"] = to
    msg["Subject"] = header_text(subject, max_len=400)
    msg["Date"] = format_datetime(localtime())
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        refs = [r for r in references if r != in_reply_to][-(MAX_REFERENCES - 1) :]
        msg["References"] = " ".join([*refs, in_reply_to])
    msg["Auto-Submitted"] = auto
    msg["X-Auto-Response-Suppress"] = "All"
    msg[LOOP_HEADER] = instance_id
    msg.set_content(body, charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
        html_part = msg.get_body(("html",))
        assert isinstance(html_part, EmailMessage)
        for img in inline:
            html_part.add_related(
                img.data,
                maintype="image",
                subtype=img.subtype,
                cid=f"<{img.cid}>",
                filename=img.filename or None,
                disposition="inline",
            )
    stand_ins: dict[bytes, bytes] = {}
    for a in attachments:
        charset = a.charset or ("utf-8" if a.maintype == "text" else "")
        data = a.data
        if a.maintype != "text" and len(data) >= SPLICED_BYTES:
            # a stand-in of one base64 line, its encoded body put in place below
            data = uuid.uuid4().bytes * 3
            stand_ins[_encoded(data)] = _base64_body(a.data)
        msg.add_attachment(
            data,
            maintype=a.maintype,
            subtype=a.subtype,
            filename=a.filename,
            # text attachments (the digest's CSV, an LA as Markdown) say their charset, or
            # readers guess ASCII
            params={"charset": charset} if charset else None,
        )
    raw = msg.as_bytes(policy=SMTP)
    for stand_in, encoded in stand_ins.items():
        assert raw.count(stand_in) == 1
        raw = raw.replace(stand_in, encoded)
    return raw


#: A binary attachment of this size or more is encoded once (`_base64_body`, cached) and put
#: in the message in place of a stand-in, instead of being encoded and written out line by line
#: by the email library for every message: the blank form a rejection carries (62 kB) cost
#: 2.5 ms of the 3.3 ms a reply took to compose, in the intake's one thread. The bytes are the
#: same as the email library writes (tests/unit/test_compose.py).
SPLICED_BYTES = 4096
#: Bytes a base64 line of the email library holds (`max_line_length` 78 of the default policy).
_B64_LINE = 78 // 4 * 3


def _encoded(data: bytes) -> bytes:
    """`data` as the email library writes a base64 body with the SMTP policy: lines of
    `_B64_LINE` bytes encoded, each ending in CRLF."""
    return b"".join(
        binascii.b2a_base64(data[i : i + _B64_LINE]).replace(b"\n", b"\r\n")
        for i in range(0, len(data), _B64_LINE)
    )


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def readdress(
    raw: bytes, *, to: str, message_id: str, placeholder: tuple[str, str]
) -> bytes | None:
    """A copy of a composed message for another recipient under its own Message-ID, for
    broadcasts: `raw` was composed with To and Message-ID set to `placeholder`, and only those
    two header lines change. None when `to` is not a plain ASCII address (compose it instead)."""
    if not _PLAIN_ADDRESS.fullmatch(to) or not _PLAIN_ADDRESS.fullmatch(message_id.strip("<>")):
        return None
    old_to, old_id = placeholder
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    swap = {
        f"To: {old_to}".encode(): f"To: {to}".encode(),
        f"Message-ID: {old_id}".encode(): f"Message-ID: {message_id}".encode(),
    }
    out = [swap.get(line, line) for line in lines]
    if sum(a != b for a, b in zip(lines, out, strict=True)) != 2:
        return None
    return b"\r\n".join(out) + sep + body


def split_head(raw: bytes) -> tuple[bytes, bytes]:
    """A composed message as its header (with the blank line that ends it) and the rest: a
    broadcast stores the rest once and each notice its own header (`readdress`)."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    return head + sep, rest


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


#: `_encoded`, kept for the few attachments sent again and again (the blank form).
_base64_body = functools.lru_cache(maxsize=8)(_encoded)
