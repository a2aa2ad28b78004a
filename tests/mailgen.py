"""Raw emails the way real clients write them, for tests and demos (no real people or hosts).

`build_application(client=...)` reproduces each client's typical MIME structure, header style
and attachment file-name encoding:

- ``gmail``: multipart/mixed > multipart/alternative + ``application/pdf`` with a quoted raw
  UTF-8 ``filename="..."``, ``X-Attachment-Id``.
- ``outlook``: multipart/mixed > alternative; ``name="=?utf-8?B?...?="`` on Content-Type and
  RFC 2231 ``filename*=utf-8''...`` plus ``size=``/``creation-date=`` on Content-Disposition.
- ``foxmail`` / ``coremail``: GB2312-labelled body and an ``application/octet-stream`` part
  whose ``name=``/``filename=`` are RFC 2047 ``=?GB2312?B?...?=`` words (bytes really GB18030).
- ``thunderbird``: ``format=flowed`` text, RFC 2231 continuations
  (``filename*0*=UTF-8''...; filename*1*=...``) for the file name.
- ``apple_mail``: text, then the PDF ``Content-Disposition: inline`` with an NFD file name in
  RFC 2231 UTF-8, then a trailing text part (Apple Mail's interleaved structure).

All output uses CRLF line ends, as IMAP delivers it.
"""

from __future__ import annotations

import base64
import hashlib
import quopri
import re
import textwrap
import unicodedata
import urllib.parse
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime

CLIENTS = ("gmail", "outlook", "foxmail", "coremail", "thunderbird", "apple_mail")
DEFAULT_DATE = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
_EMPTY: Mapping[str, str] = {}


def tiny_pdf(text: str = "DFME License Agreement") -> bytes:
    """A small, structurally valid one-page PDF (for tests that only look at bytes)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _b64(data: bytes) -> str:
    return "\r\n".join(textwrap.wrap(base64.b64encode(data).decode("ascii"), 76))


def _ew(text: str, charset: str = "utf-8") -> str:
    """One RFC 2047 B-encoded word (GB2312 label, GB18030 bytes, as Foxmail does)."""
    codec = "gb18030" if charset.lower() in ("gb2312", "gbk") else charset
    return f"=?{charset}?B?{base64.b64encode(text.encode(codec)).decode('ascii')}?="


def _rfc2231(text: str) -> str:
    return "utf-8''" + urllib.parse.quote(text.encode("utf-8"), safe="")


def _continuations(param: str, text: str, width: int = 40) -> str:
    encoded = urllib.parse.quote(text.encode("utf-8"), safe="")
    pieces = []
    while encoded:
        cut = min(width, len(encoded))
        while cut < len(encoded) and "%" in encoded[cut - 2 : cut]:
            cut -= 1  # never split a %XX escape
        pieces.append(encoded[:cut])
        encoded = encoded[cut:]
    pieces[0] = "UTF-8''" + pieces[0]
    return ";\r\n".join(f" {param}*{i}*={piece}" for i, piece in enumerate(pieces))


def _boundary(seed: str, tag: str) -> str:
    """Boundaries in each client's own shape (deterministic for a given seed)."""
    h = hashlib.sha256((seed + tag).encode()).hexdigest()
    shapes = {
        "gmail": f"000000000000{h[:12]}",
        "outlook": f"_00{tag[-1]}_TYZPR01MB{h[:12].upper()}apcp_",
        "foxmail": f"----=_00{tag[-1]}_NextPart{h[:12]}_=----",
        "coremail": f"----=_Part_{int(h[:8], 16)}_{int(h[8:14], 16)}.{int(h[14:26], 16)}",
        "thunderbird": f"------------{h[:24]}",
        "apple_mail": f"Apple-Mail={h[:8].upper()}-{h[8:12].upper()}-{h[12:16].upper()}",
    }
    return shapes.get(tag.rstrip("12"), f"----=_{tag}_{h[:24]}")


def _mailbox(name: str, address: str, client: str = "") -> str:
    if not name:
        return address
    if name.isascii():
        return f'"{name}" <{address}>'
    if client in ("foxmail", "coremail"):
        return f'"{_ew(name, "GB2312")}" <{address}>'
    return f"{Header(name, 'utf-8').encode()} <{address}>"


def _attachment_part(
    client: str, filename: str | None, data: bytes, content_type: str | None
) -> list[str]:
    body = _b64(data)
    if client == "gmail":
        ctype = content_type or "application/pdf"
        lines = [
            f'Content-Type: {ctype}; name="{filename}"' if filename else f"Content-Type: {ctype}"
        ]
        if filename:
            lines.append(f'Content-Disposition: attachment; filename="{filename}"')
        lines += [
            "Content-Transfer-Encoding: base64",
            "Content-ID: <f_m1a2b3c40>",
            "X-Attachment-Id: f_m1a2b3c40",
        ]
    elif client == "outlook":
        ctype = content_type or "application/pdf"
        if filename:
            lines = [
                f'Content-Type: {ctype};\r\n\tname="{_ew(filename)}"',
                f"Content-Description: {_ew(filename)}",
                f"Content-Disposition: attachment;\r\n\tfilename*={_rfc2231(filename)};"
                f' size={len(data)};\r\n\tcreation-date="Fri, 20 Nov 2026 09:29:58 GMT";'
                '\r\n\tmodification-date="Fri, 20 Nov 2026 09:30:01 GMT"',
            ]
        else:
            lines = [f"Content-Type: {ctype}", "Content-Disposition: attachment"]
        lines.append("Content-Transfer-Encoding: base64")
    elif client in ("foxmail", "coremail"):
        ctype = content_type or "application/octet-stream"
        if filename:
            word = _ew(filename, "GB2312")
            lines = [
                f'Content-Type: {ctype};\r\n\tname="{word}"',
                f'Content-Disposition: attachment;\r\n\tfilename="{word}"',
            ]
        else:
            lines = [f"Content-Type: {ctype}", "Content-Disposition: attachment"]
        lines.append("Content-Transfer-Encoding: base64")
    elif client == "thunderbird":
        ctype = content_type or "application/pdf"
        if filename:
            lines = [
                f"Content-Type: {ctype};\r\n{_continuations('name', filename)}",
                "Content-Disposition: attachment;\r\n" + _continuations("filename", filename),
            ]
        else:
            lines = [f"Content-Type: {ctype}", "Content-Disposition: attachment"]
        lines.append("Content-Transfer-Encoding: base64")
    elif client == "apple_mail":
        ctype = content_type or "application/pdf"
        if filename:
            nfd = unicodedata.normalize("NFD", filename)
            lines = [
                f"Content-Disposition: inline;\r\n\tfilename*={_rfc2231(nfd)}",
                f"Content-Type: {ctype};\r\n\tx-unix-mode=0644;\r\n\tname*={_rfc2231(nfd)}",
            ]
        else:
            lines = ["Content-Disposition: inline", f"Content-Type: {ctype}"]
        lines.append("Content-Transfer-Encoding: base64")
    else:
        raise ValueError(f"unknown client {client!r}; one of {', '.join(CLIENTS)}")
    return [*lines, "", body]


def _text_part(client: str, body: str) -> list[str]:
    if client in ("foxmail", "coremail"):
        return [
            'Content-Type: text/plain; charset="GB2312"',
            "Content-Transfer-Encoding: base64",
            "",
            _b64(body.encode("gb18030")),
        ]
    if client == "thunderbird":
        return [
            "Content-Type: text/plain; charset=UTF-8; format=flowed",
            "Content-Transfer-Encoding: 8bit",
            "",
            body,
        ]
    if client == "outlook":
        return [
            'Content-Type: text/plain; charset="utf-8"',
            "Content-Transfer-Encoding: base64",
            "",
            _b64(body.encode("utf-8")),
        ]
    return [
        'Content-Type: text/plain; charset="UTF-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        _qp(body),
    ]


def _qp(text: str) -> str:
    return quopri.encodestring(text.encode("utf-8")).decode("ascii").replace("\n", "\r\n")


def _html_part(body: str) -> list[str]:
    markup = '<div dir="ltr">' + "<br>".join(body.splitlines()) + "</div>"
    return [
        'Content-Type: text/html; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        _b64(markup.encode("utf-8")),
    ]


def _multipart(subtype: str, boundary: str, parts: Sequence[list[str]]) -> list[str]:
    lines = [f'Content-Type: multipart/{subtype};\r\n\tboundary="{boundary}"', ""]
    for part in parts:
        lines += [f"--{boundary}", *part]
    lines.append(f"--{boundary}--")
    return lines


def build_application(
    *,
    client: str,
    sender: str,
    to: Sequence[str],
    filename: str | None,
    pdf: bytes | None,
    subject: str,
    message_id: str | None = None,
    extra_headers: Mapping[str, str] = _EMPTY,
    body: str = "Dear DFME team,\n\nplease find my signed license agreement attached.\n",
    sender_name: str = "",
    cc: Sequence[str] = (),
    date: datetime = DEFAULT_DATE,
    trace_headers: Sequence[tuple[str, str]] = (),
    attachment_type: str | None = None,
) -> bytes:
    """One application email in `client`'s style.

    `pdf` is the attachment's bytes (need not be a PDF: pass a ZIP to test type sniffing);
    None means no attachment. `filename` None sends the part without any file name.
    `trace_headers` go on top, in order, as an MTA would add them (Return-Path,
    Authentication-Results, Received); `extra_headers` follow the client's own headers.
    `attachment_type` overrides the declared Content-Type of the attachment.
    """
    if client not in CLIENTS:
        raise ValueError(f"unknown client {client!r}; one of {', '.join(CLIENTS)}")
    seed = f"{client}|{sender}|{subject}|{filename}"
    if message_id is None:
        digest = hashlib.sha256(seed.encode()).hexdigest()
        message_id = {
            "gmail": f"<CAF{digest[:30]}@mail.gmail.com>",
            "outlook": f"<TYZPR01MB{digest[:12].upper()}@TYZPR01MB1234.apcprd01.prod.outlook.com>",
            "foxmail": f"<{digest[:16]}@foxmail.com>",
            "coremail": f"<{digest[:8]}.{digest[8:16]}.{digest[16:24]}@mail.example.edu.cn>",
            "thunderbird": f"<{digest[:8]}-{digest[8:12]}-{digest[12:16]}@example.org>",
            "apple_mail": f"<{digest[:8].upper()}-{digest[8:12].upper()}@example.org>",
        }[client]

    headers: list[str] = [f"{name}: {value}" for name, value in trace_headers]
    if client in ("foxmail", "coremail"):
        encoded_subject = _ew(subject, "GB2312") if not subject.isascii() else subject
    else:
        encoded_subject = Header(subject, "utf-8").encode() if not subject.isascii() else subject
    headers += [
        f"Date: {format_datetime(date)}",
        f"From: {_mailbox(sender_name, sender, client)}",
        f"To: {', '.join(to)}",
    ]
    if cc:
        headers.append(f"Cc: {', '.join(cc)}")
    headers.append(f"Subject: {encoded_subject}")
    if message_id:
        headers.append(f"Message-ID: {message_id}")
    headers += {
        "gmail": [],
        "outlook": [
            "Thread-Topic: " + encoded_subject,
            "Thread-Index: AdtbQ2x0ZXN0aW5n",
            "Content-Language: zh-CN",
            "X-MS-Has-Attach: yes",
            "X-MS-TNEF-Correlator:",
        ],
        "foxmail": [
            "X-Priority: 3",
            "X-GUID: 5E3B2A1C-7D4F-4E2B-9A1D-0C2B3A4D5E6F",
            "X-Has-Attach: yes",
            "X-Mailer: Foxmail 7.2.25.375[cn]",
        ],
        "coremail": [
            "X-Priority: 3",
            "X-Mailer: Coremail Webmail Server Version XT5.0.13 build "
            "20230407(cb2e0d64) Copyright (c) 2002-2026 www.mailtech.cn example",
            "X-Originating-IP: [192.0.2.10]",
        ],
        "thunderbird": ["User-Agent: Mozilla Thunderbird", "Content-Language: en-US"],
        "apple_mail": ["X-Mailer: Apple Mail (2.3826.200.121)"],
    }[client]
    headers += [f"{name}: {value}" for name, value in extra_headers.items()]
    headers.append(
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.200.121\\))"
        if client == "apple_mail"
        else "MIME-Version: 1.0"
    )

    text = _text_part(client, body)
    attachment = None if pdf is None else _attachment_part(client, filename, pdf, attachment_type)
    if client == "apple_mail":
        parts = [text] if attachment is None else [text, attachment, _text_part(client, "\n")]
        tree = _multipart("mixed", _boundary(seed, client), parts)
    elif client in ("thunderbird",):
        tree = (
            _multipart("mixed", _boundary(seed, client), [text, attachment]) if attachment else text
        )
    else:
        alternative = _multipart(
            "alternative", _boundary(seed, client + "2"), [text, _html_part(body)]
        )
        tree = (
            _multipart("mixed", _boundary(seed, client + "1"), [alternative, attachment])
            if attachment
            else alternative
        )
    return _encode(headers + tree)


def numbered_application(
    n: int,
    *,
    tag: str,
    to: Sequence[str] = ("sirui@dataset.test",),
    client: str = "gmail",
    sender_name: str = "",
    pdf: bool = True,
    filename: str | None = None,
    message_id: str | None = None,
) -> bytes:
    """Applicant `n`'s application, as the mail-loop tests send many: from
    applicant{n}@uni{n}.edu, a tiny PDF named for them (none when not `pdf`), the subject and
    the Message-ID numbered (`<{tag}-{n}@uni{n}.edu>`: each test module its own tag)."""
    return build_application(
        client=client,
        sender=f"applicant{n}@uni{n}.edu",
        sender_name=sender_name,
        to=list(to),
        filename=(filename or f"DFME_License_Agreement_Applicant_{n}.pdf") if pdf else None,
        pdf=tiny_pdf(f"LA {n}") if pdf else None,
        subject=f"DFME license agreement {n}",
        message_id=message_id or f"<{tag}-{n}@uni{n}.edu>",
    )


def _encode(lines: Sequence[str]) -> bytes:
    # raw 8-bit UTF-8 where a client writes it (Gmail file names, Thunderbird 8bit bodies)
    return re.sub(r"\r?\n", "\r\n", "\r\n".join(lines) + "\r\n").encode("utf-8")


def build_forward(
    *,
    sender: str,
    to: Sequence[str],
    original: bytes,
    as_eml_file: bool = False,
    subject: str = "Fwd: license agreement",
    trace_headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """Forward `original` as a message/rfc822 part, or (``as_eml_file``) as an attached
    ``original.eml`` sent as application/octet-stream, as some webmails do."""
    seed = f"fwd|{sender}|{len(original)}|{as_eml_file}"
    headers = [f"{name}: {value}" for name, value in trace_headers]
    headers += [
        f"Date: {format_datetime(DEFAULT_DATE)}",
        f"From: {sender}",
        f"To: {', '.join(to)}",
        f"Subject: {subject}",
        f"Message-ID: <fwd.{hashlib.sha256(seed.encode()).hexdigest()[:16]}@example.org>",
        "MIME-Version: 1.0",
    ]
    text = ["Content-Type: text/plain; charset=utf-8", "", "Forwarding the application below."]
    if as_eml_file:
        part = [
            "Content-Type: application/octet-stream; name=original.eml",
            "Content-Disposition: attachment; filename=original.eml",
            "Content-Transfer-Encoding: base64",
            "",
            _b64(original),
        ]
    else:
        part = [
            "Content-Type: message/rfc822",
            "Content-Disposition: inline",
            "",
            original.decode("utf-8", "surrogateescape").rstrip("\r\n"),
        ]
    tree = _multipart("mixed", _boundary(seed, "fwd"), [text, part])
    return ("\r\n".join(headers + tree) + "\r\n").encode("utf-8", "surrogateescape")


def build_bounce(
    *,
    original: bytes,
    recipient: str,
    to: str,
    reporting_mta: str = "mx.example.org",
    queue_id: str = "4XyZ1n2m3pz9",
) -> bytes:
    """A Postfix-style non-delivery report (multipart/report; report-type=delivery-status)
    returning `original`, sent from MAILER-DAEMON with a null Return-Path."""
    boundary = f"{queue_id}.1763631000/{reporting_mta}"
    headers = [
        "Return-Path: <>",
        f"Date: {format_datetime(DEFAULT_DATE)}",
        f"From: MAILER-DAEMON@{reporting_mta} (Mail Delivery System)",
        "Subject: Undelivered Mail Returned to Sender",
        f"To: {to}",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="{boundary}"',
        "Content-Transfer-Encoding: 8bit",
        f"Message-Id: <20261120093000.{queue_id}@{reporting_mta}>",
        "",
        "This is a MIME-encapsulated message.",
        "",
        f"--{boundary}",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"This is the mail system at host {reporting_mta}.",
        "",
        "I'm sorry to have to inform you that your message could not",
        "be delivered to one or more recipients.",
        "",
        f"<{recipient}>: host mx.invalid[192.0.2.25] said: 550 5.1.1 User unknown",
        "",
        f"--{boundary}",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; {reporting_mta}",
        f"X-Postfix-Queue-ID: {queue_id}",
        "Arrival-Date: Fri, 20 Nov 2026 09:29:59 +0000 (UTC)",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        f"Original-Recipient: rfc822;{recipient}",
        "Action: failed",
        "Status: 5.1.1",
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown",
        "",
        f"--{boundary}",
        "Content-Description: Undelivered Message",
        "Content-Type: message/rfc822",
        "Content-Transfer-Encoding: 8bit",
        "",
        original.decode("utf-8", "surrogateescape").rstrip("\r\n"),
        "",
        f"--{boundary}--",
    ]
    return ("\r\n".join(headers) + "\r\n").encode("utf-8", "surrogateescape")


def build_auto_reply(
    *,
    sender: str,
    to: str,
    subject: str,
    in_reply_to: str | None = None,
    style: str = "exchange",
) -> bytes:
    """An out-of-office reply: ``exchange`` (Auto-Submitted + X-Auto-Response-Suppress: All,
    "Automatic reply:") or ``vacation`` (Sieve/RFC 3834: Auto-Submitted: auto-replied,
    Precedence: bulk)."""
    headers = [
        f"Date: {format_datetime(DEFAULT_DATE)}",
        f"From: {sender}",
        f"To: {to}",
    ]
    if style == "exchange":
        headers += [
            f"Subject: Automatic reply: {subject}",
            "Auto-Submitted: auto-generated",
            "X-Auto-Response-Suppress: All",
            "X-MS-Exchange-Inbox-Rules-Loop: " + sender,
        ]
    elif style == "vacation":
        headers += [
            f"Subject: Auto: {subject}",
            "Auto-Submitted: auto-replied (vacation)",
            "Precedence: bulk",
        ]
    else:
        raise ValueError(f"unknown auto-reply style {style!r}")
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    headers += [
        f"Message-ID: <oof.{hashlib.sha256((sender + subject).encode()).hexdigest()[:12]}"
        "@example.org>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "I am out of the office until 1 December with limited access to email.",
    ]
    return ("\r\n".join(headers) + "\r\n").encode("utf-8")
