"""A day at the desk, end to end (Dovecot, `poll --once`, the SMTP server, the CLI, headless
Chromium), checking that what the bot says is what it does:

- a rejection names the addresses a corrected application may come from; from one of them,
  threaded to our reply or carrying the case tag, and authenticated, the resend joins the case
  and is judged afresh; unverified or from anyone else, it is a case of its own (`core.resend`);
- overturning a rejection for a hard reason needs `approve N force <why>` (mail) or `--force
  --why` (CLI); a plain approve is refused in one line that says how; `explain` shows who and why;
- with `maintainers.notify = "immediately"`, a case that needs a person brings one notice per
  case, never a second (a later message in the case, a new worker process); its HTML and the
  digest's show the case, why it waits in words, and mailto: links with the command filled in;
  following the Approve link approves the case.

One deployment and two polls for all of it: each poll is a new worker process.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.browser import Seen, screenshot, seen, with_inline_images
from tests.e2e.conftest import BOXES, Deployment
from tests.e2e.test_desk import (
    MAINTAINER,
    TRUSTED_PASS,
    apply,
    command_mail,
    desk_cli,
    plain_text,
    poll,
    rows,
    to,
)
from tests.e2e.test_reasons import TRUSTED, form
from tests.mailgen import build_application, tiny_pdf

pytestmark = pytest.mark.e2e

UNVERIFIED = "Our own server's Authentication-Results say the sender's domain failed."
WEBMAIL = "li.si.dfme@gmail.com"  # case 5: rejected for hard reasons, then overturned


def mail(
    tag: str,
    written: dict[str, str],
    pdf: bytes,
    *,
    sender: str,
    subject: str,
    auth: str = "pass",
    in_reply_to: str = "",
) -> bytes:
    """An application with the form `written`/`pdf`, from `sender`, Message-ID <tag@...>."""
    domain = sender.rpartition("@")[2]
    verdict = "pass" if auth == "pass" else "fail"
    thread = {"In-Reply-To": in_reply_to, "References": in_reply_to} if in_reply_to else {}
    return build_application(
        client="thunderbird",
        sender=sender,
        to=list(BOXES.values()),
        filename=f"DFME_License_Agreement_{'_'.join(written['signer_name'].split())}.pdf",
        pdf=pdf,
        subject=subject,
        message_id=f"<{tag}@example.org>",
        extra_headers=thread,
        trace_headers=[
            (
                "Authentication-Results",
                f"{TRUSTED}; dkim={verdict} header.d={domain}; dmarc={verdict} "
                f"header.from={domain}",
            )
        ],
    )


def note(sender: str, subject: str, body: str, tag: str, *, auth: str | None = None) -> bytes:
    """A message without an LA (a question, or a maintainer's reply from a mailto: link)."""
    return build_application(
        client="gmail",
        sender=sender,
        to=[BOXES["sirui"]],
        filename=None,
        pdf=None,
        subject=subject,
        message_id=f"<{tag}@example.org>",
        body=body,
        trace_headers=[("Authentication-Results", auth)] if auth else [],
    )


def reply_to(d: Deployment, tag: str) -> EmailMessage:
    mid = f"<{tag}@example.org>"
    [reply] = [m.message for m in d.smtp.messages if m.message["In-Reply-To"] == mid]
    return reply


def notices(d: Deployment) -> list[EmailMessage]:
    return [m for m in to(d, MAINTAINER) if "needs a person" in m["Subject"]]


@contextmanager
def looking_at(message: EmailMessage, tmp: Path, name: str) -> Iterator[Seen]:
    """The message's HTML part as Chromium shows it; a screenshot in test-artifacts/ when an
    assertion about it fails."""
    part = message.get_body(("html",))
    assert part is not None
    markup = with_inline_images(str(part.get_content()), message)
    try:
        yield seen(markup, tmp)
    except AssertionError as exc:
        shot = screenshot(markup, tmp, name)
        raise AssertionError(f"{exc} (screenshot: {shot})") from exc


def command(href: str) -> tuple[str, str, str]:
    """What a mail client puts in the reply a mailto: link opens: to, subject, body."""
    url = urlsplit(href)
    assert url.scheme == "mailto", href
    query = parse_qs(url.query)
    return unquote(url.path), query["subject"][0], query["body"][0]


def test_what_the_desk_says_is_what_it_does(
    deployment: Callable[..., Deployment], tmp_path: Path
) -> None:
    d = deployment(idle=False)
    d.config.write_text(
        d.config.read_text().replace(
            f'addresses = ["{MAINTAINER}"]', f'addresses = ["{MAINTAINER}"]\nnotify = "immediately"'
        )
    )
    student, student_pdf = form(
        21,
        medium="digital",
        written={"signer_title": "PhD student", "work_email": "li.si@cs.uni1.edu"},
    )
    mismatch, mismatch_pdf = form(22, medium="digital", written={"work_email": "wang.wu@uni2.edu"})
    first_day = [
        mail("student", student, student_pdf, sender="li.si@cs.uni1.edu", subject="DFME LA"),  # 1
        mail("webmail", mismatch, mismatch_pdf, sender="wang.wu.2@gmail.com", subject="LA"),  # 2
    ]
    for raw in first_day:
        d.dovecot.append("sirui", "INBOX", raw)
    apply(d, 3)  # 3 and 4: the receiving server says DMARC failed: a person must look
    apply(d, 4)
    d.dovecot.append(
        "sirui",
        "INBOX",
        build_application(  # 5: free webmail, not the LA: rejected for hard reasons
            client="gmail",
            sender=WEBMAIL,
            to=list(BOXES.values()),
            filename="DFME_License_Agreement_Li_Si.pdf",
            pdf=tiny_pdf("not the form"),
            subject="DFME LA",
            message_id="<hard@example.org>",
            trace_headers=[
                ("Authentication-Results", TRUSTED_PASS.replace("dataset.test", "gmail.com"))
            ],
        ),
    )
    d.dovecot.append("sirui", "INBOX", command_mail("approve 5\napprove 5 force\n", n=1))
    poll(d)

    # -- the rejections name who may resend, in both languages ----------------------------
    text = plain_text(reply_to(d, "student"))
    assert "[DFME-LA #1]" in reply_to(d, "student")["Subject"]
    assert text.startswith(f"Dear {student['signer_name']},")
    assert (
        "when it comes from li.si@cs.uni1.edu, or from your supervisor's work address at " in text
    )
    assert "或来自您导师在 cs.uni1.edu 的工作邮箱" in text
    text = plain_text(reply_to(d, "webmail"))
    assert "when it comes from wang.wu.2@gmail.com or wang.wu@uni2.edu; from an address " in text
    assert "other than wang.wu.2@gmail.com, only when our mail server can verify" in text
    assert "新的申请若来自 wang.wu.2@gmail.com 或 wang.wu@uni2.edu，将归入本案件" in text

    # -- a hard rejection is not approved by a plain approve ------------------------------
    [refusal] = [m for m in to(d, MAINTAINER) if "review commands" in m["Subject"]]
    text = plain_text(refusal)
    assert "(hard): to approve it anyway, send `approve 5 force <why>`" in text
    assert "`approve 5 force` needs the reason why" in text
    cli = desk_cli(d, "review", "approve", "5")
    # one line on stderr (beside the log's events), as every CLI error
    [said] = [x for x in cli.stderr.splitlines() if "event=" not in x]
    assert cli.exit_code == 1 and said.startswith("error: ") and cli.stdout == "", cli.stderr
    assert "--force --why" in said and "free_email" in said
    no_why = desk_cli(d, "review", "approve", "5", "--force")
    assert no_why.exit_code == 2 and "Traceback" not in no_why.output

    # -- one notice per case that needs a person, with working actions --------------------
    assert sorted(m["Subject"].split(" / ")[0] for m in notices(d)) == [
        "[DFME licensebot] case #3 needs a person",
        "[DFME licensebot] case #4 needs a person",
    ]
    [notice3] = [m for m in notices(d) if "#3 " in m["Subject"]]
    assert "Reply with: approve 3" in plain_text(notice3) and "案件 #3" in plain_text(notice3)
    with looking_at(notice3, tmp_path, "case-notice") as page:
        assert "Case #3" in page.text and "applicant3@uni3.edu" in page.text
        assert UNVERIFIED in page.text and "sender_unverified" in page.text
        links = page.links_of(3)
        assert list(links) == ["Approve", "Reject (write the reason)", "Add a note", "Status"]
        for label, body in (("Approve", "approve 3"), ("Status", "status 3")):
            assert command(links[label]) == (BOXES["sirui"], "[DFME licensebot] case 3", body)
        assert command(links["Add a note"])[2] == "note 3 "
        boxes = [a["box"] for a in page.links if a["case"] == "case-3"]
        assert all(w > 40 and h > 16 for _, _, w, h in boxes)  # buttons a person can hit
        assert page.width <= 1000  # nothing pushes the page sideways

    # -- the second day: resends, a question in a case, the Approve link, a forced approval -
    supervisor, supervisor_pdf = form(
        23,
        medium="digital",
        written={"signer_title": "Professor", "work_email": "prof@cs.uni1.edu"},
    )
    fixed, fixed_pdf = form(24, medium="digital", written={"work_email": "wang.wu@uni2.edu"})
    stranger, stranger_pdf = form(25, medium="digital", written={"work_email": "eve@uni6.edu"})
    work = "wang.wu@uni2.edu"
    thread = {"in_reply_to": reply_to(d, "webmail")["Message-ID"], "subject": "corrected"}
    address, subject, body = command(links["Approve"])
    why = "approve 5 force the dean confirmed the address by phone\n"
    second_day = [
        # The supervisor, by the case tag, authenticated: joins case 1.
        mail("prof", supervisor, supervisor_pdf, sender="prof@cs.uni1.edu", subject="[DFME-LA #1]"),
        # The asked-for address, threaded to our reply, not authenticated: a new case (6).
        mail("unverified", fixed, fixed_pdf, sender=work, auth="fail", **thread),
        # The same, authenticated: joins case 2.
        mail("verified", fixed, fixed_pdf, sender=work, **thread),
        # Someone else with case 2's tag: a new case (7).
        mail("eve", stranger, stranger_pdf, sender="eve@uni6.edu", subject="[DFME-LA #2] mine"),
        # The applicant of case 3 asks, with the case tag ("under review" asked for it): a
        # person must read it, in case 3; no second notice.
        note("applicant3@uni3.edu", "Re: [DFME-LA #3] news?", "Any news?\n", "news"),
        # The maintainer follows the Approve link of the notice and sends the reply it opens.
        note(MAINTAINER, subject, body + "\n", "clicked", auth=TRUSTED_PASS),
        # And overturns case 5, saying why.
        note(MAINTAINER, "case 5", why, "force", auth=TRUSTED_PASS),
    ]  # fmt: skip
    assert address == BOXES["sirui"]
    for raw in second_day:
        d.dovecot.append("sirui", "INBOX", raw)
    poll(d)

    assert "[DFME-LA #1]" in reply_to(d, "prof")["Subject"]
    assert "[DFME-LA #6]" in reply_to(d, "unverified")["Subject"]
    assert "[DFME-LA #2]" in reply_to(d, "verified")["Subject"]
    assert "[DFME-LA #7]" in reply_to(d, "eve")["Subject"]
    assert "[DFME-LA #3]" in reply_to(d, "news")["Subject"]
    assert "under review" in plain_text(reply_to(d, "news"))
    assert "approved" in plain_text(to(d, "applicant3@uni3.edu")[-1])
    assert "is approved" in plain_text(to(d, WEBMAIL)[-1])
    senders = dict(rows(d, "SELECT id, sender FROM application"))
    assert (senders[1], senders[2], senders[6], senders[7]) == (
        "prof@cs.uni1.edu",
        work,
        work,
        "eve@uni6.edu",
    )
    latest: dict[int, list[str]] = {}
    for app, reasons in rows(d, "SELECT application_id, reasons FROM decision ORDER BY id"):
        latest[int(str(app))] = json.loads(str(reasons))
    assert "student_signer" not in latest[1]  # judged afresh
    assert not {"free_email", "sender_mismatch"} & set(latest[2])
    joins = rows(
        d, "SELECT application_id, data FROM event WHERE kind LIKE 'case.%join%' ORDER BY id"
    )
    assert [(a, json.loads(str(x))["how"]) for a, x in joins] == [
        (1, "asked_for"),
        (2, "unverified"),
        (2, "asked_for"),
        (2, "stranger"),
    ]
    joined = desk_cli(d, "explain", "2")
    assert "case.joined (asked_for): wang.wu@uni2.edu" in joined.stdout
    assert "case.not_joined (stranger): eve@uni6.edu" in joined.stdout
    # Once per case: 3 and 4, and 6 (unverified), never 3 again.
    prefix = "[DFME licensebot] case "
    assert sorted(m["Subject"].split(" / ")[0].removeprefix(prefix) for m in notices(d)) == [
        "#3 needs a person",
        "#4 needs a person",
        "#6 needs a person",
    ]

    [(actor, data)] = rows(d, "SELECT actor, data FROM event WHERE kind = 'decision.overturned'")
    assert actor == MAINTAINER and "free_email" in json.loads(str(data))["overturned"]
    explain = desk_cli(d, "explain", "5")
    assert explain.exit_code == 0, explain.output
    assert f"by {MAINTAINER}" in explain.stdout and "overturned" in explain.stdout
    assert "the dean confirmed the address by phone" in explain.stdout

    # -- the digest, as a maintainer sees it ----------------------------------------------
    sent = desk_cli(d, "digest", "--now")
    assert sent.exit_code == 0, sent.output[-3000:]
    digest = to(d, MAINTAINER)[-1]
    with looking_at(digest, tmp_path, "digest") as page:
        assert "Review queue: 2 case(s), oldest first" in page.text
        assert "Case #4" in page.text and "Case #6" in page.text and "Case #3" not in page.text
        assert UNVERIFIED in page.text
        assert command(page.links_of(4)["Approve"]) == (
            BOXES["sirui"],
            "[DFME licensebot] case 4",
            "approve 4",
        )
        assert command(page.links_of(6)["Reject (write the reason)"])[2] == "reject 6 "
        assert len([i for i in page.images if i["shown"]]) == 3  # the chart, two first pages
        assert page.width <= 1000
