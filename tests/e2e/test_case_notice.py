"""The maintainers' desk as a person uses it (Dovecot, `poll --once`, the SMTP server, headless
Chromium): with `maintainers.notify = "immediately"` a case that needs a person brings one notice
per case, never a second (a later message in the case, a restart); its HTML, like the digest's,
shows the case, why it waits in words, and links that open a reply to the desk with the command
filled in; following the Approve link approves the case."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.browser import Seen, screenshot, seen, with_inline_images
from tests.e2e.conftest import BOXES, Deployment
from tests.e2e.test_desk import MAINTAINER, TRUSTED_PASS, apply, desk_cli, plain_text, poll, to
from tests.mailgen import build_application

pytestmark = pytest.mark.e2e

UNVERIFIED = "Our own server's Authentication-Results say the sender's domain failed."


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


def test_a_case_needing_a_person_is_noticed_once_with_actions_that_work(
    deployment: Callable[..., Deployment], tmp_path: Path
) -> None:
    d = deployment(idle=False)
    d.config.write_text(
        d.config.read_text().replace(
            f'addresses = ["{MAINTAINER}"]', f'addresses = ["{MAINTAINER}"]\nnotify = "immediately"'
        )
    )
    apply(d, 1)
    apply(d, 2)
    poll(d)
    notices = to(d, MAINTAINER)
    assert sorted(m["Subject"].split(" / ")[0] for m in notices) == [
        "[DFME licensebot] case #1 needs a person",
        "[DFME licensebot] case #2 needs a person",
    ]
    [first] = [m for m in notices if "#1 " in m["Subject"]]
    assert "Reply with: approve 1" in plain_text(first) and "案件 #1" in plain_text(first)
    with looking_at(first, tmp_path, "case-notice") as page:
        assert "Case #1" in page.text and "applicant1@uni1.edu" in page.text
        assert UNVERIFIED in page.text and "sender_unverified" in page.text
        links = page.links_of(1)
        assert list(links) == ["Approve", "Reject (write the reason)", "Add a note", "Status"]
        for label, body in (("Approve", "approve 1"), ("Status", "status 1")):
            assert command(links[label]) == (BOXES["sirui"], "[DFME licensebot] case 1", body)
        assert command(links["Add a note"])[2] == "note 1 "
        boxes = [a["box"] for a in page.links if a["case"] == "case-1"]
        assert all(w > 40 and h > 16 for _, _, w, h in boxes)  # buttons a person can hit
        assert page.width <= 1000  # nothing pushes the page sideways

    # Once per case: the applicant writes again in the case's thread (a person must read it:
    # review again) and a new worker process reads it; no second notice. Then the maintainer
    # follows the Approve link: the reply it opens, sent, approves case 1.
    d.dovecot.append(
        "sirui",
        "INBOX",
        build_application(
            client="gmail",
            sender="applicant1@uni1.edu",
            to=[BOXES["sirui"]],
            filename=None,
            pdf=None,
            subject="Re: [DFME-LA #1] DFME license agreement 1",
            message_id="<app-1-again@uni1.edu>",
            body="Any news about my application?\n",
        ),
    )
    address, subject, body = command(links["Approve"])
    box = next(name for name, a in BOXES.items() if a == address)
    d.dovecot.append(
        box,
        "INBOX",
        build_application(
            client="thunderbird",
            sender=MAINTAINER,
            to=[address],
            filename=None,
            pdf=None,
            subject=subject,
            message_id="<clicked-approve@dataset.test>",
            body=body + "\n",
            trace_headers=[("Authentication-Results", TRUSTED_PASS)],
        ),
    )
    poll(d)
    notices = [m for m in to(d, MAINTAINER) if "needs a person" in m["Subject"]]
    assert len(notices) == 2
    [_, again, approved] = to(d, "applicant1@uni1.edu")
    assert "under review" in plain_text(again) and "approved" in plain_text(approved)
    assert "[DFME-LA #1]" in again["Subject"]  # the "under review" reply's promise: same case
    assert "case 1 approved" in plain_text(to(d, MAINTAINER)[-1])

    sent = desk_cli(d, "digest", "--now")
    assert sent.exit_code == 0, sent.output[-3000:]
    digest = to(d, MAINTAINER)[-1]
    with looking_at(digest, tmp_path, "digest") as page:
        assert "Review queue: 1 case(s), oldest first" in page.text
        assert "Case #2" in page.text and "Case #1" not in page.text
        assert UNVERIFIED in page.text
        assert command(page.links_of(2)["Approve"]) == (
            BOXES["sirui"],
            "[DFME licensebot] case 2",
            "approve 2",
        )
        assert command(page.links_of(2)["Reject (write the reason)"])[2] == "reject 2 "
        shown = [i for i in page.images if i["shown"]]
        assert len(shown) == 2  # the chart and case 2's first page, drawn
        assert page.width <= 1000
