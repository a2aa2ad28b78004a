"""A message and its LA read in one single-use sandboxed child (the worker's read): the same
reading as the two reads apart, each under its own limits; a PDF that crashes, hangs or
outgrows the child still leaves the message read, with an error form; the next read works."""

from __future__ import annotations

import base64
import functools
import os
from dataclasses import replace

import pytest

import mailgen
from licensebot.core.assess import la_to_read
from licensebot.core.la import LaVersion
from licensebot.reading.mime import MimeLimits, read_mail_confined, read_message_confined
from licensebot.reading.pdf import ReadLimits
from licensebot.reading.sandbox import MailRead, read_mail_sandboxed, read_pdf_sandboxed
from tests.forms.factory import make_spec, render
from tests.unit.reading import reader_probes

BOT = "sirui@dataset.test"
CHOOSE = functools.partial(la_to_read, prefix=reader_probes.PREFIX)


@pytest.fixture(scope="module")
def typed_pdf(current: LaVersion) -> bytes:
    return render(make_spec(21, current, medium="digital", layout="compact", hand="typed"))


@pytest.fixture(scope="module")
def scanned_pdf(current: LaVersion) -> bytes:
    return render(make_spec(22, current, medium="scan", layout="compact", hand="typed"))


def application(pdf: bytes | None, *, client: str = "outlook") -> bytes:
    return mailgen.build_application(
        client=client, sender="zhangsan@ustc.edu.cn", to=[BOT],
        filename="DFME_License_Agreement_San_Zhang.pdf" if pdf else None, pdf=pdf,
        subject="DFME LA",
    )  # fmt: skip


def with_pdf(pdf: bytes) -> bytes:
    """One PDF part, built directly (the client styles of `mailgen` are slow on big files)."""
    head = (
        f"From: zhangsan@ustc.edu.cn\r\nTo: {BOT}\r\nSubject: DFME LA\r\n"
        "Message-ID: <big@ustc.edu.cn>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="DFME_License_Agreement_San_Zhang.pdf"\r\n\r\n'
    )
    return head.encode() + base64.encodebytes(pdf) + b"--b--\r\n"


def read_mail(raw: bytes, versions: list[LaVersion], **kwargs: object) -> MailRead:
    options: dict[str, object] = {"choose": CHOOSE, **kwargs}
    return read_mail_confined(
        raw, trusted_authserv_ids=(), own_addresses=(BOT,), versions=versions, **options
    )  # type: ignore[arg-type]


def test_one_child_reads_what_the_two_reads_apart_read(
    versions: list[LaVersion], typed_pdf: bytes
) -> None:
    for client in ("outlook", "gmail", "foxmail"):
        raw = application(typed_pdf, client=client)
        got = read_mail(raw, versions)
        msg = read_message_confined(raw, trusted_authserv_ids=(), own_addresses=(BOT,))
        assert got.message == msg
        assert got.pdf is not None and got.pdf == CHOOSE(msg)
        apart = read_pdf_sandboxed(got.pdf.data, versions=versions)
        assert got.form is not None and got.form.error is None
        assert replace(got.form, timings={}) == replace(apart, timings={})


def test_a_message_without_an_la_reads_no_pdf(versions: list[LaVersion]) -> None:
    got = read_mail(application(None), versions)
    assert got.pdf is None and got.form is None
    assert got.message.from_address == "zhangsan@ustc.edu.cn"  # type: ignore[union-attr]


def test_a_child_that_crashes_after_the_message_leaves_it_read_and_the_form_crashed(
    versions: list[LaVersion], typed_pdf: bytes
) -> None:
    raw = application(typed_pdf)
    got = read_mail(raw, versions, choose=reader_probes.abort_in_reader)
    assert got.message.message_id is not None  # type: ignore[union-attr]
    assert got.pdf is not None and got.form is not None
    assert got.form.error == "crashed" and "signal 6" in (got.form.error_detail or "")
    assert read_mail(raw, versions).form.error is None  # type: ignore[union-attr]


def test_a_pdf_read_over_its_time_is_killed_and_the_message_kept(
    versions: list[LaVersion], typed_pdf: bytes
) -> None:
    raw = application(typed_pdf)
    limits = ReadLimits(time_limit=1.0)
    got = read_mail(raw, versions, choose=reader_probes.hang_in_reader, pdf_limits=limits)
    assert got.form is not None and got.form.error == "timeout"
    assert got.message.from_address == "zhangsan@ustc.edu.cn"  # type: ignore[union-attr]
    assert read_mail(raw, versions).form.error is None  # type: ignore[union-attr]


def test_each_read_has_its_own_memory_budget(
    versions: list[LaVersion], typed_pdf: bytes, scanned_pdf: bytes
) -> None:
    # the scan needs tens of MB for its page image: 1 MB refuses it, the message is still read
    starved = read_mail(
        application(scanned_pdf), versions, pdf_limits=ReadLimits(memory_bytes=1_000_000)
    )
    assert starved.form is not None and starved.form.error in ("too_large", "crashed")
    assert starved.message.over_limits is None  # type: ignore[union-attr]
    # a message far over the MIME read's own budget (33 MB against 4 MB: a block that size
    # is mapped afresh, whatever free heap the child inherited) is not read: no attachment,
    # no PDF read, and the message says why
    big = with_pdf(typed_pdf + os.urandom(24_000_000))
    tight = read_mail(big, versions, limits=MimeLimits(memory_bytes=4_000_000))
    said = " ".join(tight.message.defects)  # type: ignore[union-attr]
    assert "MemoryError" in said or "too_large" in said or "crashed" in said, said
    assert tight.message.attachments == ()  # type: ignore[union-attr]
    assert tight.pdf is None and tight.form is None
    assert read_mail(application(typed_pdf), versions).form.error is None  # type: ignore[union-attr]


def test_each_message_is_read_in_a_child_of_its_own(
    versions: list[LaVersion], typed_pdf: bytes
) -> None:
    from licensebot.reading import sandbox

    raw = application(typed_pdf)
    sandbox.start_readers(spares=True)  # children forked ahead, as the worker has them
    try:
        pids = set()
        for _ in range(4):
            got = read_mail_sandboxed(
                raw, read=reader_probes.read_stamped, choose=CHOOSE, versions=versions
            )
            assert got.form is not None and got.form.error is None
            pids.add(got.message.subject)  # type: ignore[union-attr]
        assert len(pids) == 4 and str(os.getpid()) not in pids
    finally:
        sandbox.stop_spares()


def test_a_large_message_s_la_is_read_the_same_in_a_reader_of_its_own(
    versions: list[LaVersion], typed_pdf: bytes
) -> None:
    # 17 MB of comment in the PDF: the message's read leaves more behind than the PDF's budget
    # should carry (`MESSAGE_RESIDUE_BYTES`), so the PDF goes to a fresh reader
    tail = typed_pdf[typed_pdf.rindex(b"startxref") :]  # the same cross-reference again
    large = typed_pdf + b"%" + b"x" * 17_000_000 + b"\n" + tail
    got = read_mail(with_pdf(large), versions)
    small = read_mail(with_pdf(typed_pdf), versions)
    assert got.form is not None and small.form is not None and got.form.error is None
    assert got.form.fields == small.form.fields and got.form.signed == small.form.signed
