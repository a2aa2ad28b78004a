"""A rejection's promise, kept end to end (Dovecot, `poll --once`, the SMTP server): a corrected
application from the address the reply asked for, threaded to our reply or carrying the case
tag, and authenticated, joins the case and is judged afresh; from anyone else, or unverified,
it is a case of its own (`core.resend`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from tests.e2e.conftest import BOXES, Deployment
from tests.e2e.test_reasons import TRUSTED, body, form
from tests.mailgen import build_application

pytestmark = pytest.mark.e2e


def mail(
    n: int,
    written: dict[str, str],
    pdf: bytes,
    *,
    sender: str,
    subject: str,
    auth: str = "pass",
    in_reply_to: str = "",
) -> bytes:
    domain = sender.rpartition("@")[2]
    verdict = "pass" if auth == "pass" else "fail"
    return build_application(
        client="thunderbird",
        sender=sender,
        sender_name=written["signer_name"] if sender == written["work_email"] else "",
        to=list(BOXES.values()),
        filename=f"DFME_License_Agreement_{'_'.join(written['signer_name'].split())}.pdf",
        pdf=pdf,
        subject=subject,
        message_id=f"<resend-{n}@example.org>",
        extra_headers={"In-Reply-To": in_reply_to, "References": in_reply_to}
        if in_reply_to
        else {},
        trace_headers=[
            (
                "Authentication-Results",
                f"{TRUSTED}; dkim={verdict} header.d={domain}; dmarc={verdict} "
                f"header.from={domain}",
            )
        ],
    )


def reply_to(d: Deployment, n: int) -> EmailMessage:
    [reply] = [
        m.message
        for m in d.smtp.messages
        if m.message["In-Reply-To"] == f"<resend-{n}@example.org>"
    ]
    return reply


def test_a_resend_from_the_asked_for_address_joins_the_case_and_is_judged_afresh(
    deployment: Callable[..., Deployment],
) -> None:
    d = deployment(idle=False)
    student, student_pdf = form(
        21,
        medium="digital",
        written={"signer_title": "PhD student", "work_email": "li.si@cs.uni1.edu"},
    )
    mismatch, mismatch_pdf = form(22, medium="digital", written={"work_email": "wang.wu@uni2.edu"})
    d.dovecot.append(
        "sirui",
        "INBOX",
        mail(1, student, student_pdf, sender="li.si@cs.uni1.edu", subject="DFME LA"),
    )
    d.dovecot.append(
        "sirui",
        "INBOX",
        mail(2, mismatch, mismatch_pdf, sender="wang.wu.2@gmail.com", subject="DFME LA"),
    )
    result = d.cli("poll", "--once", timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]

    # What the rejections promise, in both languages.
    first = body(reply_to(d, 1))
    assert "[DFME-LA #1]" in reply_to(d, 1)["Subject"]
    assert "or from your supervisor's work address at cs.uni1.edu" in first
    assert "由您的导师使用其在 cs.uni1.edu 的工作邮箱发送" in first
    second = body(reply_to(d, 2))
    assert "sent from wang.wu.2@gmail.com or wang.wu@uni2.edu" in second
    assert "发件地址为 wang.wu.2@gmail.com 或 wang.wu@uni2.edu" in second
    assert "joins only when our mail server can verify" in second
    case2_reply = reply_to(d, 2)["Message-ID"]

    supervisor, supervisor_pdf = form(
        23,
        medium="digital",
        written={"signer_title": "Professor", "work_email": "prof@cs.uni1.edu"},
    )
    fixed, fixed_pdf = form(24, medium="digital", written={"work_email": "wang.wu@uni2.edu"})
    stranger, stranger_pdf = form(25, medium="digital", written={"work_email": "eve@uni6.edu"})
    work, thread = "wang.wu@uni2.edu", {"in_reply_to": case2_reply, "subject": "corrected"}
    resends = [
        # The supervisor, by the case tag, authenticated: joins case 1.
        mail(3, supervisor, supervisor_pdf, sender="prof@cs.uni1.edu", subject="Re: [DFME-LA #1]"),
        # The asked-for address, threaded to our reply, but not authenticated: a new case (3).
        mail(4, fixed, fixed_pdf, sender=work, auth="fail", **thread),
        # The same, authenticated: joins case 2.
        mail(5, fixed, fixed_pdf, sender=work, **thread),
        # Someone else with case 2's tag: a new case (4).
        mail(6, stranger, stranger_pdf, sender="eve@uni6.edu", subject="[DFME-LA #2] mine"),
    ]
    for raw in resends:
        d.dovecot.append("sirui", "INBOX", raw)
    result = d.cli("poll", "--once", timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]

    assert "[DFME-LA #1]" in reply_to(d, 3)["Subject"]
    assert "[DFME-LA #3]" in reply_to(d, 4)["Subject"]
    assert "[DFME-LA #2]" in reply_to(d, 5)["Subject"]
    assert "[DFME-LA #4]" in reply_to(d, 6)["Subject"]
    assert reply_to(d, 5)["To"] == "wang.wu@uni2.edu"

    db = d.config.parent / "data" / "licensebot.sqlite3"
    with sqlite3.connect(db) as conn:
        senders = dict(conn.execute("SELECT id, sender FROM application"))
        reasons = {
            app: json.loads(r)
            for app, r in conn.execute(
                "SELECT application_id, reasons FROM decision ORDER BY id"
            )  # the latest decision of each case wins
        }
        events = conn.execute(
            "SELECT application_id, kind, data FROM event WHERE kind LIKE 'case.%join%' ORDER BY id"
        ).fetchall()
    assert senders == {
        1: "prof@cs.uni1.edu",
        2: "wang.wu@uni2.edu",
        3: "wang.wu@uni2.edu",
        4: "eve@uni6.edu",
    }
    # Judged afresh: what the first application was rejected for is gone.
    assert "student_signer" not in reasons[1]
    assert not {"free_email", "sender_mismatch"} & set(reasons[2])
    assert [(a, k, json.loads(x)["how"]) for a, k, x in events] == [
        (1, "case.joined", "asked_for"),
        (2, "case.not_joined", "unverified"),
        (2, "case.joined", "asked_for"),
        (2, "case.not_joined", "stranger"),
    ]
