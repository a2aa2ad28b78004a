"""Hostile and robot mail: header caps checked before the email library sees the bytes, the
MIME read bounded in time and memory, every bounce shape ignored, one verdict per file."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bounces
import mailgen
from licensebot.cli.app import app
from licensebot.core.decide import decide
from licensebot.core.message import IncomingMessage
from licensebot.core.reasons import Decision, Reason
from licensebot.core.rules import CheckContext
from licensebot.reading.filekind import is_pdf, not_pdf_reason
from licensebot.reading.mime import (
    HeaderLimits,
    MimeLimits,
    header_over_cap,
    read_message,
    read_message_confined,
)
from licensebot.reading.sandbox import Failure, call_confined
from tests.corpus import write_config

APPLICANT = "San Zhang <zhangsan@ustc.edu.cn>"
BOT = "sirui@mail.ustc.edu.cn"


def mail(headers: str, body: str = "Please find my LA attached.\r\n") -> bytes:
    return (headers + "Subject: DFME LA\r\nMessage-ID: <m1@ustc.edu.cn>\r\n\r\n" + body).encode()


def cc_of_encoded_words(n: int = 8000) -> bytes:
    """The issue's first finding: 8,000 RFC 2047 words in one Cc (about 200 kB)."""
    b64 = [base64.b64encode(f"名{i}".encode()).decode() for i in range(n)]
    words = " ".join(f"=?utf-8?b?{w}?=" for w in b64)
    return mail(f"From: {APPLICANT}\r\nTo: {BOT}\r\nCc: {words} <cc@ustc.edu.cn>\r\n")


def from_of_encoded_words(size: int = 1 << 20) -> bytes:
    """A 1 MB From of encoded words (grew `licensebot check` to 23 GB before)."""
    word = "=?gb2312?b?1cXI/Q==?= "
    return mail(f"From: {word * (size // len(word))}<zhangsan@ustc.edu.cn>\r\nTo: {BOT}\r\n")


def address_list(field: str, size: int = 1 << 20) -> bytes:
    """A 1 MB address list (30-90 s each before)."""
    addresses = ", ".join(f"Person {i} <p{i}@example.org>" for i in range(size // 30))
    return mail(f"From: {APPLICANT}\r\nTo: {BOT}\r\n{field}: {addresses}\r\n")


def many_fields(n: int = 5000) -> bytes:
    return mail(f"From: {APPLICANT}\r\nTo: {BOT}\r\n" + "X-Filler: yes\r\n" * n)


def big_block() -> bytes:
    fields = "".join(f"X-Note-{i}: {'n' * 900}\r\n" for i in range(200))
    return mail(f"From: {APPLICANT}\r\nTo: {BOT}\r\n{fields}")


def repeated_field(field: str, value: str, n: int = 2100) -> bytes:
    """A field the over-cap read keeps (From, Subject) repeated thousands of times: the fuzz
    found 74 s and a RecursionError (the kept fields were over the count cap again)."""
    return mail(f"From: {APPLICANT}\r\nTo: {BOT}\r\n" + f"{field}: {value}\r\n" * n)


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "2100_from_fields": (lambda: repeated_field("From", APPLICANT), "header fields >"),
    "2100_subject_fields": (lambda: repeated_field("Subject", "DFME LA"), "header fields >"),
    "cc_8000_encoded_words": (cc_of_encoded_words, "header cc:"),
    "from_1mb_encoded_words": (from_of_encoded_words, "header from:"),
    "to_1mb_addresses": (lambda: address_list("To"), "header to:"),
    "cc_1mb_addresses": (lambda: address_list("Cc"), "header cc:"),
    "5000_fields": (many_fields, "header fields >"),
    "180kb_header_block": (big_block, "header block of"),
}


def application(*, client: str, pdf: bytes | None = None) -> bytes:
    return mailgen.build_application(
        client=client, sender="zhangsan@ustc.edu.cn", to=[BOT],
        filename="DFME_License_Agreement_San_Zhang.pdf",
        pdf=mailgen.tiny_pdf() if pdf is None else pdf, subject="DFME LA",
    )  # fmt: skip


def with_pdf(pdf: bytes) -> bytes:
    """One PDF part, built directly (the client styles of `mailgen` are slow on big files)."""
    return (
        (
            f"From: {APPLICANT}\r\nTo: {BOT}\r\nSubject: DFME LA\r\n"
            "Message-ID: <m3@ustc.edu.cn>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            "Content-Type: text/plain\r\n\r\nMy LA.\r\n--b\r\nContent-Type: application/pdf\r\n"
            'Content-Disposition: attachment; filename="DFME_License_Agreement_San_Zhang.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode()
        + base64.encodebytes(pdf)
        + b"--b--\r\n"
    )


def read(raw: bytes, **kwargs: object) -> IncomingMessage:
    return read_message(raw, trusted_authserv_ids=(), own_addresses=(BOT,), **kwargs)


# -- each cap ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_each_hostile_header_is_refused_in_bounded_time_and_memory(name: str) -> None:
    build, cap = HOSTILE[name]
    raw = build()
    start = time.perf_counter()
    msg = read(raw)
    elapsed = time.perf_counter() - start
    tracemalloc.start()  # a second read, traced (tracing slows it down several times)
    try:
        read(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert msg.over_limits is not None and cap in msg.over_limits, msg.over_limits
    # before: 1.8 GB and 4.7 s (Cc), 23 GB (From), 30-90 s (address lists)
    assert elapsed < 2.0, f"{name}: {elapsed:.2f} s"
    assert peak < 40_000_000 + 3 * len(raw), f"{name}: peak {peak / 1e6:.0f} MB"
    assert msg.message_id == "<m1@ustc.edu.cn>"
    assert msg.attachments == () and msg.text == ""


def test_an_over_cap_message_keeps_a_sound_sender_and_loses_a_hostile_one() -> None:
    assert read(cc_of_encoded_words()).from_address == "zhangsan@ustc.edu.cn"
    assert read(repeated_field("From", APPLICANT)).from_address == "zhangsan@ustc.edu.cn"
    hostile_from = read(from_of_encoded_words())
    assert hostile_from.from_address is None
    assert "from: no From header" in hostile_from.from_defects


def test_real_mail_is_under_every_cap() -> None:
    for client in mailgen.CLIENTS:
        raw = application(client=client)
        assert header_over_cap(raw, HeaderLimits()) is None, client
        assert read(raw).over_limits is None
    cc = ", ".join(f"Member {i} <m{i}@ustc.edu.cn>" for i in range(150))
    assert header_over_cap(mail(f"From: {APPLICANT}\r\nCc: {cc}\r\n"), HeaderLimits()) is None


def test_each_cap_is_a_setting() -> None:
    raw = mail(f"From: {APPLICANT}\r\nCc: a@x.org, b@x.org, c@x.org\r\n")
    assert header_over_cap(raw, HeaderLimits(max_addresses=2)) == "header cc: 3 addresses > 2"
    words = mail(f"From: {APPLICANT}\r\nSubject2: =?utf-8?q?a?= =?utf-8?q?b?=\r\n")
    assert header_over_cap(words, HeaderLimits(max_encoded_words=1)) == (
        "header subject2: 2 encoded words > 1"
    )
    assert header_over_cap(raw, HeaderLimits(max_fields=2)) == "4 header fields > 2"


def test_an_over_cap_message_goes_to_a_person_and_its_sender_is_told_nothing_wrong() -> None:
    judgement = decide(_context(read(cc_of_encoded_words())))
    assert judgement.decision is Decision.REVIEW
    assert judgement.reasons == (Reason.MESSAGE_TOO_COMPLEX,)  # not no_attachment
    # a robot's over-cap message is still ignored
    robot = cc_of_encoded_words().replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:")
    assert decide(_context(read(robot))).decision is Decision.IGNORE


def _context(msg: IncomingMessage) -> CheckContext:
    from licensebot.core.domains import DomainKnowledge

    return CheckContext(message=msg, form=None, domains=DomainKnowledge(), current_version="2023")


# -- the read in the sandbox ------------------------------------------------------------------


def nested_hostile_part() -> bytes:
    """Top-level headers within every cap; a part's Content-Transfer-Encoding is 1 MB of
    tokens, which the email library parses when the body is decoded."""
    tokens = " ".join(["x"] * 300_000)
    return (
        f"From: {APPLICANT}\r\nTo: {BOT}\r\nSubject: DFME LA\r\nMessage-ID: <m2@ustc.edu.cn>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        f"Content-Type: application/pdf\r\nContent-Transfer-Encoding: {tokens}\r\n\r\n"
        "JVBERi0xLjcK\r\n--b--\r\n"
    ).encode()


def test_a_read_over_its_time_is_stopped_and_the_safe_headers_are_kept() -> None:
    raw = nested_hostile_part()
    assert header_over_cap(raw, HeaderLimits()) is None
    start = time.perf_counter()
    msg = read_message_confined(
        raw, trusted_authserv_ids=(), own_addresses=(BOT,), limits=MimeLimits(time_limit=1.0)
    )
    assert time.perf_counter() - start < 10
    assert msg.over_limits is not None and "timeout" in msg.over_limits
    assert msg.from_address == "zhangsan@ustc.edu.cn" and msg.message_id == "<m2@ustc.edu.cn>"
    assert msg.attachments == ()


def test_a_confined_call_over_its_memory_fails_as_too_large_and_the_next_one_works() -> None:
    # the cap is what the child may add to what it was forked with (the fork server's free
    # heap included): 600 MB at once is far over 64 MB
    over = call_confined(bytes, 600_000_000, time_limit=30, cpu_limit=30, memory_bytes=64_000_000)
    assert isinstance(over, Failure) and over.code == "too_large"
    assert call_confined(len, b"abc", time_limit=30, cpu_limit=30, memory_bytes=64_000_000) == 3
    good = read_message_confined(
        application(client="outlook"), trusted_authserv_ids=(), own_addresses=(BOT,)
    )
    assert good.over_limits is None and len(good.pdfs) == 1


def test_a_child_killed_by_the_oom_killer_is_too_large_and_a_crash_is_a_crash() -> None:
    # a SIGKILL the parent did not send is the kernel's OOM killer (docs/memory.md)
    bounds = {"time_limit": 30, "cpu_limit": 30, "memory_bytes": 64_000_000}
    killed = call_confined(signal.raise_signal, signal.SIGKILL, **bounds)
    assert isinstance(killed, Failure) and killed.code == "too_large"
    aborted = call_confined(os.abort, **bounds)
    assert isinstance(aborted, Failure) and aborted.code == "crashed"


def test_the_confined_read_is_the_read() -> None:
    for client in mailgen.CLIENTS:
        raw = application(client=client)
        assert read_message_confined(raw, trusted_authserv_ids=(), own_addresses=(BOT,)) == read(
            raw
        )


# -- robots -----------------------------------------------------------------------------------


@pytest.mark.parametrize("robot_sender", [True, False], ids=["robot_sender", "plain_sender"])
@pytest.mark.parametrize("shape", list(bounces.SHAPES))
def test_every_bounce_and_robot_shape_is_ignored(shape: str, robot_sender: bool) -> None:
    raw = bounces.SHAPES[shape](bounces.original(), "gone@example.net", robot_sender)
    msg = read(raw)
    judgement = decide(_context(msg))
    assert judgement.decision is Decision.IGNORE, [(s.header, s.value) for s in msg.auto_signals]
    assert judgement.reasons == (Reason.AUTO_GENERATED,)
    if shape in bounces.BY_SHAPE:
        assert msg.is_bounce
        if not robot_sender:  # nothing but the body's shape says so
            assert any(s.header == "Bounce" for s in msg.auto_signals)


@pytest.mark.parametrize(
    "headers",
    [
        "From: <>\r\n",
        "From: Zhang <zhangsan@ustc.edu.cn>\r\nReturn-Path: <MAILER-DAEMON@mx.example.net>\r\n",
        "From: dfme-users-bounces+zhangsan=ustc.edu.cn@lists.example.org\r\n",
        "From: dfme-users-request@lists.example.org\r\n",
        "From: owner-dfme@lists.example.org\r\n",
        "From: Majordomo@lists.example.org\r\n",
        "From: Zhang <zhangsan@ustc.edu.cn>\r\nSender: owner-dfme@lists.example.org\r\n",
    ],
)
def test_rfc_3834_robot_senders_are_auto_generated(headers: str) -> None:
    msg = read(mail(headers + f"To: {BOT}\r\n"))
    assert msg.is_auto_generated, headers


def test_a_person_s_application_is_no_bounce() -> None:
    for client in mailgen.CLIENTS:
        msg = read(application(client=client))
        assert not msg.is_auto_generated and not msg.is_bounce, client


def test_a_non_standard_bounce_names_our_message_and_the_failed_recipient() -> None:
    from licensebot.reading.dsn import read_delivery_report

    for shape in ("sendmail", "qmail", "exim", "exchange", "lotus", "antivirus"):
        raw = bounces.SHAPES[shape](bounces.original(), "gone@example.net", False)
        report = read_delivery_report(raw)
        assert report is not None, shape
        assert bounces.OUR_ID in report.original_message_ids, shape
        assert report.permanent and report.recipients[0].recipient == "gone@example.net", shape


# -- one verdict for one file -----------------------------------------------------------------


def zip_with_pdf(pdf: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("DFME_License_Agreement_San_Zhang.pdf", pdf)
    return buf.getvalue()


def test_a_file_is_a_pdf_by_its_whole_structure() -> None:
    pdf = mailgen.tiny_pdf()
    assert is_pdf(pdf) and is_pdf(b"\r\n" + pdf)
    stored = zip_with_pdf(pdf)
    assert b"%PDF-" in stored[:1024]  # what fooled `licensebot parse` before
    assert (not_pdf_reason(stored) or "").startswith("a ZIP archive, not a PDF")
    polyglot = pdf + zip_with_pdf(b"hello")
    assert not is_pdf(polyglot) and "polyglot" in (not_pdf_reason(polyglot) or "")


def test_parse_and_the_mail_path_give_a_zip_the_same_verdict(tmp_path: Path) -> None:
    stored = zip_with_pdf(mailgen.tiny_pdf())
    path = tmp_path / "DFME_License_Agreement_San_Zhang.pdf"
    path.write_bytes(stored)
    result = CliRunner().invoke(app, ["parse", str(path), "--json", "--config-dir", "config"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == "not_pdf"
    raw = application(client="gmail", pdf=stored)
    assert read(raw).pdfs == ()


def test_a_pdf_over_the_size_cap_is_answered_too_large(tmp_path: Path) -> None:
    big = mailgen.tiny_pdf() + b"%" + b"0" * 2_000_000
    raw = with_pdf(big)
    msg = read(raw, max_attachment_bytes=1_000_000)
    assert len(msg.pdfs) == 1 and msg.pdfs[0].oversized and msg.pdfs[0].data == b""
    judgement = decide(_context(msg))
    assert judgement.decision is Decision.REJECT
    assert Reason.PDF_TOO_LARGE in judgement.reasons
    assert Reason.NO_ATTACHMENT not in judgement.reasons
    assert Reason.UNREADABLE not in judgement.reasons


def test_check_answers_a_hostile_header_with_review_and_a_zip_with_no_attachment(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "config")
    hostile = tmp_path / "hostile.eml"
    hostile.write_bytes(cc_of_encoded_words())
    zipped = tmp_path / "zipped.eml"
    zipped.write_bytes(application(client="gmail", pdf=zip_with_pdf(mailgen.tiny_pdf())))
    args = ["check", str(hostile), str(zipped), "--json", "--config", str(config), "-j", "1"]
    start = time.perf_counter()
    result = CliRunner().invoke(app, args)
    assert time.perf_counter() - start < 60
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.strip()]
    assert [(x["decision"], x["reasons"]) for x in lines] == [
        ("review", ["message_too_complex"]),
        ("reject", ["no_attachment"]),
    ]
