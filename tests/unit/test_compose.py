import email
import email.policy

import pytest

from licensebot.mail.compose import compose, header_text, new_message_id, reply_subject


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_reply_subject_carries_the_case_tag_once() -> None:
    assert reply_subject("DFME LA", case_tag="DFME-LA", case_id=42) == "Re: DFME LA [DFME-LA #42]"
    again = reply_subject("Re: RE: DFME LA [DFME-LA #42]", case_tag="DFME-LA", case_id=42)
    assert again == "Re: DFME LA [DFME-LA #42]"
    assert reply_subject("回复：申请", case_tag="DFME-LA", case_id=7) == "Re: 申请 [DFME-LA #7]"
    assert reply_subject("", case_tag="DFME-LA", case_id=1) == "Re: [DFME-LA #1]"


def test_applicant_text_never_adds_a_header() -> None:
    evil = "Hello\r\nBcc: victim@example.org\nX-Evil: 1"
    raw = compose(
        from_address="desk@dataset.test",
        from_name="Desk\r\nBcc: a@b",
        to="applicant@uni.edu",
        subject=reply_subject(evil, case_tag="T", case_id=1),
        body="x",
        message_id=new_message_id("dataset.test"),
        instance_id="t",
    )
    msg = parse(raw)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert len(msg.get_all("Subject") or []) == 1
    assert "\n" not in header_text("a\nb\x00c\u2028d")


def test_a_reply_is_threaded_and_marked_automatic() -> None:
    mid = new_message_id("dataset.test")
    raw = compose(
        from_address="desk@dataset.test",
        from_name="DFME License Desk",
        to="applicant@uni.edu",
        subject="Re: x [T #1]",
        body="中文 and English\n",
        message_id=mid,
        instance_id="dfme",
        in_reply_to="<orig@uni.edu>",
        references=["<older@uni.edu>"],
    )
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    msg = parse(raw)
    assert msg["Message-ID"] == mid
    assert msg["In-Reply-To"] == "<orig@uni.edu>"
    assert msg["References"] == "<older@uni.edu> <orig@uni.edu>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["X-Licensebot-Loop"] == "dfme"
    assert msg.get_content().strip() == "中文 and English"


def test_a_large_attachment_is_written_as_the_email_library_writes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large binary attachment (the blank form) is encoded once and put in place of a
    stand-in: the message's bytes are the email library's own, but for the boundary it draws
    at random and the Date."""
    import random
    import re

    import licensebot.mail.compose as composing
    from licensebot.mail.compose import FileAttachment

    pdf = FileAttachment("blank.pdf", random.Random(3).randbytes(62_583))
    small = FileAttachment("note.bin", b"\x00\x01" * 100, subtype="octet-stream")
    text = FileAttachment("list.csv", b"a,b\r\n" * 2000, maintype="text", subtype="csv")

    def composed() -> bytes:
        raw = compose(
            from_address="desk@dataset.test",
            from_name="DFME License Desk",
            to="applicant@uni.edu",
            subject="Re: x [T #1]",
            body="Your application ...\n" * 40,
            message_id="<m@dataset.test>",
            instance_id="dfme",
            attachments=(pdf, small, text, pdf),
        )
        boundary = re.search(rb'boundary="([^"]+)"', raw)
        assert boundary is not None
        raw = raw.replace(boundary.group(1), b"BOUNDARY")
        return re.sub(rb"\r\nDate: [^\r]+\r\n", b"\r\nDate: -\r\n", raw)

    spliced = composed()
    monkeypatch.setattr(composing, "SPLICED_BYTES", 10**9)
    assert spliced == composed()
    got = [p.get_content() for p in parse(spliced).iter_attachments()]
    assert got == [pdf.data, small.data, text.data.decode(), pdf.data]
