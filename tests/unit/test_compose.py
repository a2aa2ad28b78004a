import email
import email.policy

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
