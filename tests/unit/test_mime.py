"""reading.mime: raw email bytes -> IncomingMessage. All input is generated here or by mailgen."""

from __future__ import annotations

import base64
import hashlib
import inspect
import io
import random
import sys
import unicodedata
import zipfile

import pytest

import mailgen
from licensebot.core.message import AuthVerdict, IncomingMessage
from licensebot.reading.mime import (
    decode_words,
    header_safe,
    normalise_address,
    organizational_domain,
    read_message,
)

TRUSTED = "mx.ustc.edu.cn"
BOT = "dfme-la@ustc.edu.cn"
APPLICANT = "zhang.san@mail.ustc.edu.cn"
PDF = mailgen.tiny_pdf()
NAME = "张三_DFME许可协议_镕 José.pdf"  # 镕 is in GBK/GB18030 but not GB2312


def read(raw: bytes, **kwargs: object) -> IncomingMessage:
    options: dict[str, object] = {"trusted_authserv_ids": [TRUSTED], "own_addresses": [BOT]}
    options.update(kwargs)
    return read_message(raw, **options)  # type: ignore[arg-type]


def application(**kwargs: object) -> bytes:
    options: dict[str, object] = {
        "client": "thunderbird",
        "sender": APPLICANT,
        "to": [BOT],
        "filename": "la.pdf",
        "pdf": PDF,
        "subject": "DFME license agreement",
    }
    options.update(kwargs)
    return mailgen.build_application(**options)  # type: ignore[arg-type]


def raw_mail(headers: str, body: str = "hello\r\n") -> bytes:
    """A hand-written message; `headers` use \\n line ends here for readability."""
    return (headers.strip("\n").replace("\n", "\r\n") + "\r\n\r\n" + body).encode("utf-8")


def with_part(part_headers: str, data: bytes, sender: str = APPLICANT) -> bytes:
    """A multipart/mixed message with a text part and one base64 part with the given headers."""
    b64 = base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")
    return (
        f"From: {sender}\r\nTo: {BOT}\r\nSubject: t\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n"
        f"--B\r\n{part_headers.strip()}\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}"
        "--B--\r\n"
    ).encode("utf-8", "surrogateescape")


# --------------------------------------------------------------------------- clients


@pytest.mark.parametrize("client", mailgen.CLIENTS)
def test_each_client_style_yields_the_pdf_with_its_decoded_name(client: str) -> None:
    raw = application(client=client, filename=NAME, subject="DFME 申请 José", sender_name="张三")
    msg = read(raw)
    assert msg.from_address == APPLICANT
    assert msg.from_name == "张三"
    assert msg.subject == "DFME 申请 José"
    assert [a.filename for a in msg.pdfs] == [unicodedata.normalize("NFC", NAME)]
    pdf = msg.pdfs[0]
    assert pdf.data == PDF
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    assert not pdf.from_forwarded
    assert msg.text.startswith("Dear DFME team,\n\nplease find")
    assert msg.auto_signals == ()
    assert msg.message_id is not None and msg.message_id.startswith("<")


def test_client_styles_really_use_the_encodings_they_claim() -> None:
    """Guards the generator: each style must exercise its own file-name encoding."""

    def raw(client: str, name: str = NAME) -> bytes:
        return application(client=client, filename=name)

    assert b'filename="=?GB2312?B?' in raw("foxmail")
    assert b"filename*=utf-8''" in raw("outlook")
    assert NAME.encode("utf-8") in raw("gmail")  # raw 8-bit UTF-8 in quotes
    long_name = "Zhang San DFME License Agreement signed scan 2026-11-20 张三 final.pdf"
    assert b"filename*1*=" in raw("thunderbird", long_name)
    apple = raw("apple_mail", "José Núñez.pdf")
    assert b"Content-Disposition: inline" in apple
    assert b"Jose%CC%81" in apple  # NFD: e + combining acute


def test_apple_mail_inline_pdf_with_nfd_name_is_nfc_and_inline() -> None:
    msg = read(application(client="apple_mail", filename="José Núñez.pdf"))
    (pdf,) = msg.pdfs
    assert pdf.filename == "José Núñez.pdf"
    assert unicodedata.is_normalized("NFC", pdf.filename)
    assert pdf.inline


def test_thunderbird_rfc2231_continuations_are_joined() -> None:
    long_name = "Zhang San DFME License Agreement signed scan 2026-11-20 张三 final.pdf"
    msg = read(application(client="thunderbird", filename=long_name))
    assert [a.filename for a in msg.attachments] == [long_name]


def test_foxmail_gb2312_body_with_gbk_characters_is_decoded() -> None:
    msg = read(application(client="foxmail", body="您好，镕基的申请表见附件。\n"))
    assert msg.text.startswith("您好，镕基的申请表见附件。")


# --------------------------------------------------------------------------- file names


@pytest.mark.parametrize("label", ["gbk", "GB2312", "x-gbk", "cp936", "gb18030"])
@pytest.mark.parametrize("name", ["镕.pdf", "㐀申请.pdf", "𠮷野家.pdf"])
def test_gbk_labelled_names_are_decoded_as_gb18030(label: str, name: str) -> None:
    """㐀 and 𠮷 exist only in GB18030 (not GBK); clients still label them GB2312/GBK."""
    word = f"=?{label}?B?{base64.b64encode(name.encode('gb18030')).decode()}?="
    msg = read(with_part(f'Content-Type: application/octet-stream; name="{word}"', PDF))
    assert [a.filename for a in msg.attachments] == [name]


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ("attachment; filename*=gb18030''%C9%EA%C7%EB%CA%E9.pdf", "申请书.pdf"),
        ("attachment; filename*=gb2312''%E9F.pdf", "镕.pdf"),
        ("attachment; filename*=UTF-8'zh'%E7%94%B3%E8%AF%B7.pdf", "申请.pdf"),
        ("attachment; filename*=iso-8859-1''Jos%E9.pdf", "José.pdf"),
        ("attachment; filename=\"plain.pdf\"; filename*=utf-8''%E7%94%B3.pdf", "申.pdf"),
        (
            'attachment; filename="=?utf-8?Q?Jos=C3=A9_Nu=C3=B1ez?= =?utf-8?Q?.pdf?="',
            "José Nuñez.pdf",
        ),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="..\\\\..\\\\x.pdf"', "x.pdf"),
        ('attachment; filename="a\\u202egpj.pdf"', "agpj.pdf"),
        ('attachment; filename=".."', "attachment"),
        ('attachment; filename=""', "attachment"),
        ("attachment", "attachment"),
    ],
)
def test_file_name_decoding(disposition: str, expected: str) -> None:
    disposition = disposition.replace("\\u202e", "\u202e")
    raw = with_part(f"Content-Type: application/pdf\r\nContent-Disposition: {disposition}", PDF)
    assert [a.filename for a in read(raw).attachments] == [expected]


def test_multibyte_character_split_across_encoded_words_survives() -> None:
    data = "申请书.pdf".encode("gb18030")
    first, second = base64.b64encode(data[:3]).decode(), base64.b64encode(data[3:]).decode()
    assert decode_words(f"=?GB2312?B?{first}?= =?GB2312?B?{second}?=") == "申请书.pdf"


@pytest.mark.parametrize("codec", ["utf-8", "gb18030"])
def test_raw_8bit_file_names_are_decoded(codec: str) -> None:
    header = 'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="'
    raw = with_part("PLACEHOLDER", PDF).replace(
        b"PLACEHOLDER", header.encode() + "镕申请.pdf".encode(codec) + b'"'
    )
    assert [a.filename for a in read(raw).attachments] == ["镕申请.pdf"]


def test_raw_8bit_inside_an_rfc2231_value_is_kept() -> None:
    """Not allowed (RFC 2231 wants %XX), but sent by some webmails; found by fuzzing."""
    raw = with_part("PLACEHOLDER", PDF).replace(
        b"PLACEHOLDER",
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''"
        + "申请.pdf".encode(),
    )
    assert [a.filename for a in read(raw).attachments] == ["申请.pdf"]


def test_nul_and_control_characters_are_stripped_from_names() -> None:
    raw = with_part(
        "Content-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="a%00b\x07c.pdf"',
        PDF,
    ).replace(b"%00", b"\x00")
    assert [a.filename for a in read(raw).attachments] == ["abc.pdf"]


# --------------------------------------------------------------------------- PDF detection


@pytest.mark.parametrize(
    "part_headers",
    [
        'Content-Type: application/octet-stream; name="scan.bin"',
        'Content-Type: application/x-pdf; name="la.pdf"',
        'Content-Type: application/pdf\r\nContent-Disposition: inline; filename="la.pdf"',
        "Content-Type: application/pdf",  # no name, no disposition
        'Content-Type: image/jpeg; name="photo.jpg"',
    ],
)
def test_pdf_is_recognised_from_the_bytes_whatever_the_declared_type(part_headers: str) -> None:
    msg = read(with_part(part_headers, PDF))
    assert len(msg.pdfs) == 1
    assert msg.pdfs[0].data == PDF


def test_pdf_without_disposition_is_inline_and_named_attachment() -> None:
    (pdf,) = read(with_part("Content-Type: application/pdf", PDF)).pdfs
    assert pdf.inline
    assert pdf.filename == "attachment"


def test_pdf_header_after_leading_junk_within_1024_bytes_counts() -> None:
    assert read(with_part("Content-Type: application/pdf", b"\r\n" * 100 + PDF)).pdfs


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_zip_named_pdf_is_not_a_pdf(compression: int) -> None:
    """A stored ZIP has the member's `%PDF-` within its first 1024 bytes: still not a PDF."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("la.pdf", PDF)
    msg = read(application(client="gmail", filename="la.pdf", pdf=buffer.getvalue()))
    assert [(a.filename, a.is_pdf) for a in msg.attachments] == [("la.pdf", False)]
    assert msg.pdfs == ()


def test_oversized_attachment_is_skipped_with_a_defect() -> None:
    msg = read(application(pdf=PDF + b"0" * 5000), max_attachment_bytes=2000)
    assert msg.attachments == ()
    assert any("larger than 2000 bytes" in d for d in msg.defects)
    assert read(application(pdf=PDF), max_attachment_bytes=2000).pdfs  # under the limit: kept


# --------------------------------------------------------------------------- forwarding


def test_forwarded_message_rfc822_pdf_is_marked_and_its_auth_results_ignored() -> None:
    inner = application(
        client="outlook",
        filename="申请.pdf",
        trace_headers=[
            ("Authentication-Results", f"{TRUSTED}; dmarc=pass header.from=ustc.edu.cn")
        ],
    )
    msg = read(mailgen.build_forward(sender="boss@ustc.edu.cn", to=[BOT], original=inner))
    assert [(a.filename, a.is_pdf, a.from_forwarded) for a in msg.attachments] == [
        ("申请.pdf", True, True)
    ]
    assert msg.from_address == "boss@ustc.edu.cn"
    assert msg.auth is AuthVerdict.NONE
    assert msg.text.startswith("Forwarding the application")


def test_forwarded_eml_file_sent_as_octet_stream_is_opened() -> None:
    inner = application(client="foxmail", filename="申请书.pdf")
    msg = read(
        mailgen.build_forward(sender="boss@ustc.edu.cn", to=[BOT], original=inner, as_eml_file=True)
    )
    assert [(a.filename, a.is_pdf, a.from_forwarded) for a in msg.attachments] == [
        ("original.eml", False, False),
        ("申请书.pdf", True, True),
    ]


def test_message_rfc822_in_base64_is_unwrapped() -> None:
    inner = application(filename="inner.pdf")
    b64 = base64.encodebytes(inner).decode().replace("\n", "\r\n")
    raw = (
        f"From: {APPLICANT}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=Z\r\n\r\n"
        f"--Z\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}"
        "--Z--\r\n"
    ).encode()
    assert [(a.filename, a.from_forwarded) for a in read(raw).pdfs] == [("inner.pdf", True)]


# --------------------------------------------------------------------------- structure


def test_deep_nesting_is_cut_off_without_crashing() -> None:
    body = b"Content-Type: application/pdf\r\n\r\n" + PDF
    for level in range(60):
        b = b"L%d" % level
        body = (
            b'Content-Type: multipart/mixed; boundary="' + b + b'"\r\n\r\n--' + b + b"\r\n"
            + body + b"\r\n--" + b + b"--\r\n"
        )  # fmt: skip
    msg = read(b"From: " + APPLICANT.encode() + b"\r\nSubject: deep\r\n" + body, max_depth=20)
    assert msg.from_address == APPLICANT
    assert msg.attachments == ()
    assert any("nested deeper than 20" in d for d in msg.defects)


def test_parser_recursion_error_still_yields_headers() -> None:
    """Absurd nesting makes the stdlib parser itself raise RecursionError; the headers must
    still come through. The recursion limit is lowered so that this happens at a small,
    fast nesting depth whatever the test runner's own stack depth is."""
    body = b"Content-Type: text/plain\r\n\r\nx"
    for level in range(300):
        b = b"L%d" % level
        body = b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n" + body
    raw = b"From: " + APPLICANT.encode() + b"\r\nSubject: deep\r\n" + body
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 200)
    try:
        msg = read(raw)
    finally:
        sys.setrecursionlimit(limit)
    assert any("RecursionError" in d for d in msg.defects)
    assert msg.from_address == APPLICANT
    assert msg.subject == "deep"


def test_part_count_is_bounded() -> None:
    parts = "".join(
        f"--B\r\nContent-Type: application/pdf; name=p{i}.pdf\r\n\r\n%PDF-1.4 {i}\r\n"
        for i in range(50)
    )
    raw = (
        f"From: {APPLICANT}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n"
        f"\r\n{parts}--B--\r\n"
    ).encode()
    msg = read(raw, max_parts=10)
    assert len(msg.attachments) == 9  # the root counts as a part
    assert any("more than 10 MIME parts" in d for d in msg.defects)
    assert len(read(raw).attachments) == 50


def test_truncated_message_keeps_what_arrived() -> None:
    whole = application(client="outlook", filename="la.pdf", pdf=PDF * 20)
    msg = read(whole[: len(whole) * 2 // 3])
    assert msg.from_address == APPLICANT
    assert msg.text.startswith("Dear DFME team")
    assert msg.defects  # the missing closing boundary at least
    assert all(not a.is_pdf or a.data != PDF * 20 for a in msg.attachments)


def test_broken_base64_and_unknown_charset_are_survived() -> None:
    raw = (
        f"From: {APPLICANT}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n"
        "\r\n--B\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nh\xc3\xa9llo\r\n"
        "--B\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "JVBERi0xLjQK!!!broken=a\r\n--B--\r\n"
    ).encode("latin-1")
    msg = read(raw)
    assert msg.text.startswith("héllo")
    assert len(msg.attachments) == 1


@pytest.mark.parametrize("raw", [b"", b"\x00\x01\x02garbage\xff\xfe", PDF, b"\r\n\r\n\r\n"])
def test_input_that_is_not_an_email_yields_an_empty_message(raw: bytes) -> None:
    msg = read(raw)
    assert msg.from_address is None
    assert msg.message_id is None
    assert any(d.startswith("from:") for d in msg.defects)


def test_mutated_messages_never_raise() -> None:
    """A small seeded fuzz run over every builder's output (a longer run found real bugs)."""
    rng = random.Random(20261125)
    seeds = [application(client=c, filename=NAME, sender_name="张三") for c in mailgen.CLIENTS]
    seeds.append(mailgen.build_bounce(original=seeds[0], recipient="x@example.org", to=BOT))
    tokens = [b"\r\n", b"--", b"=?", b"?=", b'"', b";", b"\x00", b"\xff", b"*0*=", b"%", b"<>"]
    for _ in range(100):
        raw = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(raw) or 1)
            if rng.random() < 0.5:
                raw[i:i] = rng.choice(tokens)
            else:
                del raw[i : i + rng.randint(1, 40)]
        msg = read(bytes(raw))
        assert not any(d.startswith("reader failed") for d in msg.defects), msg.defects


def test_damaged_gb2312_labelled_text_keeps_its_gbk_characters() -> None:
    body = "朱镕基 申请".encode("gb18030") + b"\xd5"  # the last character cut in half
    raw = raw_mail(f"From: {APPLICANT}\nContent-Type: text/plain; charset=gb2312", "").replace(
        b"\r\n\r\n", b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    )
    assert read(raw).text.startswith("朱镕基 申请")


@pytest.mark.parametrize("label", ["base64", "zlib", "x\x00y", "rot13", "a" * 200])
def test_non_text_or_bogus_charset_labels_fall_back(label: str) -> None:
    word = base64.b64encode("申请".encode()).decode()
    raw = raw_mail(
        f"From: {APPLICANT}\nSubject: =?{label}?B?{word}?=\n"
        f'Content-Type: text/plain; charset="{label}"',
        "h\u00e9llo",
    )
    msg = read(raw)
    assert msg.subject == "申请"
    assert msg.text == "héllo"


def test_a_lone_string_is_accepted_for_the_id_and_address_collections() -> None:
    raw = application(
        sender=BOT, trace_headers=[("Authentication-Results", f"{TRUSTED}; dmarc=pass")]
    )
    msg = read_message(raw, trusted_authserv_ids=TRUSTED, own_addresses=BOT)
    assert msg.auth is AuthVerdict.PASS
    assert msg.is_auto_generated


def test_html_only_message_gives_stripped_text() -> None:
    raw = raw_mail(
        f"From: {APPLICANT}\nContent-Type: text/html; charset=utf-8",
        "<html><head><style>p{}</style></head><body><p>Hello&nbsp;there</p>"
        "<script>evil()</script><p>Second &amp; last</p></body></html>",
    )
    assert read(raw).text == "Hello there\nSecond & last"


def test_text_is_capped() -> None:
    msg = read(raw_mail(f"From: {APPLICANT}\nContent-Type: text/plain", "a" * 300_000))
    assert len(msg.text) == 100_000


# --------------------------------------------------------------------------- headers


def test_threading_and_envelope_headers() -> None:
    msg = read(
        raw_mail(
            """Return-Path: <Zhang.San@Mail.USTC.edu.cn>
From: "Zhang San" <Zhang.San@MAIL.ustc.edu.cn>
To: DFME <DFME-LA@ustc.edu.cn>, other@Example.ORG
Cc: Prof <Prof.Li@USTC.edu.cn>
Subject: =?utf-8?B?55Sz6K+3?=
Date: Fri, 20 Nov 2026 17:30:00 +0800
Message-ID: <abc.123@mail.ustc.edu.cn>
In-Reply-To: <req.1@ustc.edu.cn>
References: <root.0@ustc.edu.cn>
 <req.1@ustc.edu.cn>"""
        )
    )
    assert msg.from_address == APPLICANT
    assert msg.from_name == "Zhang San"
    assert msg.to == (BOT, "other@example.org")
    assert msg.cc == ("prof.li@ustc.edu.cn",)
    assert msg.subject == "申请"
    assert msg.date == "2026-11-20T17:30:00+08:00"
    assert msg.message_id == "<abc.123@mail.ustc.edu.cn>"
    assert msg.in_reply_to == "<req.1@ustc.edu.cn>"
    assert msg.references == ("<root.0@ustc.edu.cn>", "<req.1@ustc.edu.cn>")
    assert msg.return_path == APPLICANT
    assert msg.defects == ()
    assert msg.from_defects == ()


def test_missing_optional_headers() -> None:
    msg = read(raw_mail(f"From: {APPLICANT}\nDate: not a date"))
    assert msg.message_id is None
    assert msg.date is None
    assert msg.return_path is None
    assert msg.in_reply_to is None
    assert msg.references == ()
    assert msg.subject == ""


def test_idn_domain_is_normalised_to_ascii() -> None:
    msg = read(raw_mail("From: Müller <Hans@Bücher.Example>"))  # raw UTF-8 (RFC 6532)
    assert msg.from_address == "hans@xn--bcher-kva.example"
    assert msg.from_name == "Müller"
    assert msg.from_defects == ()
    assert normalise_address("a@BÜCHER.example") == "a@xn--bcher-kva.example"


@pytest.mark.parametrize(
    "headers",
    [
        "Subject: no sender",
        f"From: {APPLICANT}\nFrom: attacker@evil.example",
        f"From: {APPLICANT}, attacker@evil.example",
        "From: undisclosed-recipients:;",
        "From: not an address",
    ],
)
def test_unusable_from_gives_no_address_and_a_defect(headers: str) -> None:
    msg = read(raw_mail(headers))
    assert msg.from_address is None
    assert msg.from_defects
    assert set(msg.from_defects) <= set(msg.defects)


@pytest.mark.parametrize(
    ("from_value", "address"),
    [
        ("alice@example.org(<bob@evil.example>", None),
        ("alice@example.org]<bob@evil.example>", None),
        ("alice@example.org)<bob@evil.example>", None),
        ("alice@example.org <bob@evil.example>", None),
        # the address is bob's; the display name pretends to be alice's
        ('"alice@example.org" <bob@evil.example>', "bob@evil.example"),
        ("=?utf-8?q?alice@example.org?= <bob@evil.example>", "bob@evil.example"),
    ],
)
def test_cve_2023_27043_style_from_is_flagged_and_never_misread(
    from_value: str, address: str | None
) -> None:
    msg = read(raw_mail(f"From: {from_value}"))
    assert msg.from_address == address
    assert msg.from_defects, "a suspicious From must always be flagged"


@pytest.mark.parametrize(
    ("from_value", "name"),
    [
        ("Zhang S. <Zhang.San@mail.ustc.edu.cn>", "Zhang S."),
        ('"=?gb2312?B?1cXI/Q==?=" <Zhang.San@mail.ustc.edu.cn>', "张三"),  # Foxmail
        # GB2312-labelled, GB18030 bytes beyond GB2312 (an accented name; 镕 is GBK only)
        ('"=?GB2312?B?gTCGOWx2YXJvIFBlgTCKOWE=?=" <Zhang.San@mail.ustc.edu.cn>', "Álvaro Peña"),
        ('"=?GBK?B?zfXpRg==?=" <Zhang.San@mail.ustc.edu.cn>', "王镕"),
        ("=?utf-8?b?5byg5LiJ?=<Zhang.San@mail.ustc.edu.cn>", "张三"),
    ],
)
def test_harmless_from_oddities_are_not_flagged(from_value: str, name: str) -> None:
    msg = read(raw_mail(f"From: {from_value}"))
    assert msg.from_address == APPLICANT
    assert msg.from_name == name
    assert msg.from_defects == ()


@pytest.mark.parametrize(
    ("subject", "dangerous"),
    [("x\n Bcc: a@evil.example", "\n"), ("=?utf-8?q?Hi=0D=0ABcc:_a@evil.example?=", "\n")],
)
def test_subject_never_carries_line_breaks(subject: str, dangerous: str) -> None:
    msg = read(raw_mail(f"From: {APPLICANT}\nSubject: {subject}"))
    assert dangerous not in msg.subject and "\r" not in msg.subject
    assert "Bcc: a@evil.example" in msg.subject


# --------------------------------------------------------------------------- header_safe


def test_header_safe_removes_crlf_injection() -> None:
    assert header_safe("x\r\nBcc: a@evil") == "x Bcc: a@evil"


def test_header_safe_on_an_encoded_word_that_decodes_to_a_newline() -> None:
    decoded = decode_words("=?utf-8?q?Zhang=0D=0ABcc:_a@evil.example?=")
    assert "\r\n" in decoded  # the danger is real...
    assert header_safe(decoded) == "Zhang Bcc: a@evil.example"  # ...and gone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x00b\x1bc\x7fd", "a b c d"),
        ("rtl\u202eexe.pdf", "rtl exe.pdf"),
        ("  many   spaces\t\there  ", "many spaces here"),
        ("line\u2028sep\u2029para", "line sep para"),
        ("张三 José", "张三 José"),
    ],
)
def test_header_safe_strips_control_characters(text: str, expected: str) -> None:
    assert header_safe(text) == expected


def test_header_safe_caps_length() -> None:
    assert header_safe("x" * 500) == "x" * 200
    assert header_safe("abc def", max_len=4) == "abc"


# --------------------------------------------------------------------------- auto signals


def signals(raw: bytes, **kwargs: object) -> dict[str, str]:
    return {s.header.lower(): s.value for s in read(raw, **kwargs).auto_signals}


def test_an_ordinary_application_has_no_auto_signal() -> None:
    for client in mailgen.CLIENTS:
        assert read(application(client=client)).auto_signals == ()


@pytest.mark.parametrize(
    ("header", "value", "signalled"),
    [
        ("Auto-Submitted", "auto-replied", True),
        ("Auto-Submitted", "auto-generated", True),
        ("Auto-Submitted", "auto-notified", True),
        ("Auto-Submitted", "Auto-Replied; x=y (comment)", True),
        ("Auto-Submitted", "no", False),
        ("Auto-Submitted", "No (a person wrote this)", False),
        ("Precedence", "bulk", True),
        ("Precedence", "JUNK", True),
        ("Precedence", "list", True),
        ("Precedence", "first-class", False),
        ("List-Id", "DFME users <dfme.lists.example.org>", True),
        ("List-Unsubscribe", "<mailto:leave@lists.example.org>", True),
        ("X-Auto-Response-Suppress", "All", True),
        ("X-Auto-Response-Suppress", "DR, OOF", True),
        ("X-Auto-Response-Suppress", "AutoReply", True),
        ("X-Auto-Response-Suppress", "DR, NDR", False),
        ("X-Licensebot-Loop", "dfme-la", True),
    ],
)
def test_auto_signal_headers(header: str, value: str, signalled: bool) -> None:
    found = signals(application(extra_headers={header: value}))
    assert (header.lower() in found) is signalled


def test_any_auto_submitted_instance_counts() -> None:
    raw = raw_mail(f"From: {APPLICANT}\nAuto-Submitted: no\nAuto-Submitted: auto-replied")
    assert signals(raw) == {"auto-submitted": "auto-replied"}


def test_custom_loop_header() -> None:
    raw = application(extra_headers={"X-Other-Loop": "1"})
    assert "x-other-loop" in signals(raw, loop_header="X-Other-Loop")
    assert signals(raw) == {}


@pytest.mark.parametrize(
    ("return_path", "expected", "signalled"),
    [("<>", "", True), ("< >", "", True), ("<Zhang.San@Mail.USTC.edu.cn>", APPLICANT, False)],
)
def test_return_path(return_path: str, expected: str, signalled: bool) -> None:
    raw = application(trace_headers=[("Return-Path", return_path)])
    assert read(raw).return_path == expected
    assert ("return-path" in signals(raw)) is signalled


@pytest.mark.parametrize(
    ("sender", "signalled"),
    [
        ("MAILER-DAEMON@mx.example.org", True),
        ("postmaster@example.org", True),
        ("owner-dfme@lists.example.org", True),
        ("dfme-request@lists.example.org", True),
        ("requester@example.org", False),
        ("daemon.owner@example.org", False),
    ],
)
def test_system_senders(sender: str, signalled: bool) -> None:
    assert ("from" in signals(application(sender=sender))) is signalled


def test_the_bots_own_address_is_an_auto_signal() -> None:
    raw = application(sender="DFME-LA@USTC.edu.cn")
    assert signals(raw) == {"from": f"own address {BOT}"}


def test_postfix_bounce_is_recognised_and_its_original_marked_forwarded() -> None:
    original = application(client="gmail", sender=BOT, to=["gone@example.org"], filename="x.pdf")
    raw = mailgen.build_bounce(original=original, recipient="gone@example.org", to=BOT)
    msg = read(raw)
    found = {s.header.lower() for s in msg.auto_signals}
    assert {"content-type", "return-path", "auto-submitted", "from"} <= found
    assert msg.is_auto_generated
    assert all(a.from_forwarded for a in msg.attachments)
    assert msg.text.startswith("This is the mail system")


def test_report_without_other_markers_is_still_a_signal() -> None:
    """Exchange sometimes sends DSNs without Auto-Submitted; the content type alone counts."""
    raw = raw_mail(
        f"From: Exchange <ex@example.org>\nTo: {BOT}\n"
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=R",
        "--R\r\nContent-Type: text/plain\r\n\r\nread\r\n--R--\r\n",
    )
    assert signals(raw) == {"content-type": "multipart/report"}


@pytest.mark.parametrize("style", ["exchange", "vacation"])
def test_out_of_office_replies_are_auto_generated(style: str) -> None:
    raw = mailgen.build_auto_reply(
        sender=APPLICANT, to=BOT, subject="Your application", in_reply_to="<r@x>", style=style
    )
    msg = read(raw)
    assert msg.is_auto_generated
    assert "auto-submitted" in {s.header.lower() for s in msg.auto_signals}
    assert msg.in_reply_to == "<r@x>"


# --------------------------------------------------------------------------- Authentication-Results


def authed(*ar: str, sender: str = APPLICANT, **kwargs: object) -> IncomingMessage:
    trace = [("Authentication-Results", value) for value in ar]
    return read(application(sender=sender, trace_headers=trace), **kwargs)


def test_trusted_dmarc_pass() -> None:
    msg = authed(
        f"{TRUSTED};\r\n\tdkim=pass header.d=ustc.edu.cn;"
        "\r\n\tdmarc=pass header.from=mail.ustc.edu.cn"
    )
    assert msg.auth is AuthVerdict.PASS
    assert msg.auth_evidence.startswith(f"Authentication-Results: {TRUSTED}; dkim=pass")
    assert "\n" not in msg.auth_evidence


def test_trusted_dmarc_fail() -> None:
    assert authed(f"{TRUSTED}; dkim=pass header.d=ustc.edu.cn; dmarc=fail").auth is AuthVerdict.FAIL


def test_forged_trusted_header_below_the_real_one_is_ignored() -> None:
    """The attacker's own header sits below the provider's (it was there before delivery)."""
    msg = authed(
        f"{TRUSTED}; spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail",
        f"{TRUSTED}; dkim=pass header.d=ustc.edu.cn; dmarc=pass",
    )
    assert msg.auth is AuthVerdict.FAIL
    assert "dmarc=fail" in msg.auth_evidence
    assert any("below the trusted one" in d for d in msg.defects)


def test_forged_trusted_pass_below_is_ignored_even_when_the_real_one_says_nothing() -> None:
    msg = authed(f"{TRUSTED}; none", f"{TRUSTED}; dmarc=pass")
    assert msg.auth is AuthVerdict.NONE


def test_untrusted_headers_above_the_trusted_one_are_ignored() -> None:
    msg = authed(
        "relay.example.org; dmarc=pass header.from=mail.ustc.edu.cn",
        f"{TRUSTED}; dmarc=fail",
    )
    assert msg.auth is AuthVerdict.FAIL


def test_only_foreign_headers_count_for_nothing() -> None:
    msg = authed("evil.example; dkim=pass header.d=ustc.edu.cn; dmarc=pass")
    assert msg.auth is AuthVerdict.NONE
    assert "trusted authserv-id" in msg.auth_evidence


def test_no_header_and_no_configuration() -> None:
    assert authed().auth is AuthVerdict.NONE
    assert "no Authentication-Results" in authed().auth_evidence
    msg = authed(f"{TRUSTED}; dmarc=pass", trusted_authserv_ids=[])
    assert msg.auth is AuthVerdict.NONE


@pytest.mark.parametrize(
    "garbage",
    [f"{TRUSTED}; ;;; ===", f"{TRUSTED}; dkim", f"{TRUSTED} (unclosed; dmarc=pass", "\x01\x02"],
)
def test_garbage_trusted_header_is_none_without_exception(garbage: str) -> None:
    assert authed(garbage).auth is AuthVerdict.NONE


def test_authserv_id_match_is_case_insensitive() -> None:
    assert authed("MX.USTC.EDU.CN; dmarc=pass").auth is AuthVerdict.PASS


@pytest.mark.parametrize(
    ("sender", "header_d", "verdict"),
    [
        (APPLICANT, "ustc.edu.cn", AuthVerdict.PASS),  # relaxed: same organisational domain
        ("li@ustc.edu.cn", "mail.ustc.edu.cn", AuthVerdict.PASS),
        (APPLICANT, "mail.ustc.edu.cn", AuthVerdict.PASS),
        (APPLICANT, "evil.edu.cn", AuthVerdict.NONE),  # edu.cn is a public suffix
        ("boss@corp.example.com", "mailinglist.org", AuthVerdict.NONE),
        (APPLICANT, "edu.cn", AuthVerdict.NONE),
    ],
)
def test_dkim_alignment_uses_the_public_suffix_list(
    sender: str, header_d: str, verdict: AuthVerdict
) -> None:
    msg = authed(f"{TRUSTED}; dkim=pass header.d={header_d}; spf=none", sender=sender)
    assert msg.auth is verdict


def test_organizational_domain() -> None:
    assert organizational_domain("mail.ustc.edu.cn") == "ustc.edu.cn"
    assert organizational_domain("a.b.example.co.uk") == "example.co.uk"
    assert organizational_domain("gmail.com") == "gmail.com"


@pytest.mark.parametrize(
    ("results", "verdict"),
    [
        ("dkim=fail; spf=fail", AuthVerdict.FAIL),
        ("dkim=none; spf=fail", AuthVerdict.FAIL),
        ("dkim=fail", AuthVerdict.FAIL),
        ("dkim=none; spf=none", AuthVerdict.NONE),
        ("dkim=none; spf=softfail", AuthVerdict.NONE),
        ("dkim=pass header.d=other.example; spf=fail", AuthVerdict.NONE),
        ("dkim=fail; spf=fail; dmarc=none", AuthVerdict.FAIL),
        ("dkim=fail; spf=pass; dmarc=none", AuthVerdict.NONE),
        ("dmarc=pass header.from=evil.example", AuthVerdict.NONE),
    ],
)
def test_verdicts_without_a_dmarc_decision(results: str, verdict: AuthVerdict) -> None:
    assert authed(f"{TRUSTED}; {results}").auth is verdict


def test_no_pass_when_from_is_unusable() -> None:
    raw = application(
        trace_headers=[("Authentication-Results", f"{TRUSTED}; dmarc=pass")],
        extra_headers={"From": "second@ustc.edu.cn"},
    )
    msg = read(raw)
    assert msg.from_address is None
    assert msg.auth is AuthVerdict.NONE
