"""The maintainers' desk end to end: applications through Dovecot and `poll --once`, then
`licensebot digest` (HTML with the chart and first pages by cid, text, CSV) at the SMTP server,
review commands answered by email (authenticated maintainer: applicant told, one confirmation;
forged: ignored, recorded, nothing sent), the same by CLI, and the records (export, licensee
show). On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from email.message import EmailMessage

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from licensebot.cli.app import app
from tests.e2e.conftest import BOXES, Deployment
from tests.mailgen import build_application, tiny_pdf

pytestmark = pytest.mark.e2e

MAINTAINER = "keeper@dataset.test"
TRUSTED_PASS = (
    "mx.dataset.test; dkim=pass header.d=dataset.test; dmarc=pass header.from=dataset.test"
)


@pytest.fixture(params=["sqlite", "postgres"])
def desk(request: pytest.FixtureRequest, deployment: Callable[..., Deployment]) -> Deployment:
    url = "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    return deployment(database_url=url, idle=False)


def desk_cli(d: Deployment, *args: str) -> Result:
    """The desk's commands in-process (the worker's `poll` stays a subprocess): the same code,
    without paying the interpreter's start-up for each of them."""
    return CliRunner().invoke(app, [*args, "--config", str(d.config)], env=d.env)


def rows(d: Deployment, sql: str) -> list[tuple[object, ...]]:
    text_url = d.env.get("LICENSEBOT_DATABASE_URL") or _url_from_config(d)
    if text_url.startswith("sqlite"):
        with sqlite3.connect(text_url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql).fetchall()
    engine = create_engine(text_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql)).all()]
    finally:
        engine.dispose()


def _url_from_config(d: Deployment) -> str:
    for line in d.config.read_text().splitlines():
        if line.startswith("database_url") and '"' in line and line.split('"')[1]:
            return line.split('"')[1]
    return f"sqlite:///{d.config.parent / 'data' / 'licensebot.sqlite3'}"


def apply(d: Deployment, n: int) -> None:
    d.dovecot.append(
        "sirui",
        "INBOX",
        build_application(
            client="gmail",
            sender=f"applicant{n}@uni{n}.edu",
            to=list(BOXES.values()),
            filename=f"DFME_License_Agreement_Applicant_{n}.pdf",
            pdf=tiny_pdf(f"LA {n}"),
            subject=f"DFME license agreement {n}",
            message_id=f"<app-{n}@uni{n}.edu>",
            # The receiving server says the sender's domain failed DMARC: whatever the PDF,
            # a person must look (sender_unverified), so every case lands in the review queue.
            trace_headers=[
                (
                    "Authentication-Results",
                    f"mx.dataset.test; dkim=fail header.d=uni{n}.edu; spf=fail; "
                    f"dmarc=fail header.from=uni{n}.edu",
                )
            ],
        ),
    )


def command_mail(
    body: str, *, sender: str = MAINTAINER, auth: list[str] | None = None, n: int = 1
) -> bytes:
    auth = [TRUSTED_PASS] if auth is None else auth
    return build_application(
        client="gmail",
        sender=sender,
        to=["sirui@dataset.test"],
        filename=None,
        pdf=None,
        subject="Re: [DFME licensebot] digest",
        message_id=f"<cmd-{n}@dataset.test>",
        body=body,
        trace_headers=[("Authentication-Results", a) for a in auth],
    )


def to(d: Deployment, recipient: str) -> list[EmailMessage]:
    return [m.message for m in d.smtp.messages if m.message["To"] == recipient]


def plain_text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def poll(d: Deployment) -> None:
    result = d.cli("poll", "--once")
    assert result.returncode == 0, result.stderr[-3000:]


def test_digest_holds_the_queue_chart_text_and_csv_and_is_sent_once(desk: Deployment) -> None:
    d = desk
    for n in (1, 2, 3):
        apply(d, n)
    poll(d)
    assert len(d.smtp.messages) == 3  # "under review" to each applicant

    dry = desk_cli(d, "digest", "--dry-run")
    assert dry.exit_code == 0, dry.output[-3000:]
    assert "REVIEW QUEUE: 3 case(s), oldest first" in dry.stdout
    assert len(d.smtp.messages) == 3  # printed, not sent

    sent = desk_cli(d, "digest", "--now")
    assert sent.exit_code == 0, sent.output[-3000:]
    [digest] = to(d, MAINTAINER)
    assert digest["Auto-Submitted"] == "auto-generated"
    assert "3 to review" in digest["Subject"]

    plain = digest.get_body(("plain",))
    html = digest.get_body(("html",))
    assert plain is not None and html is not None
    text_part = plain.get_content()
    for n in (1, 2, 3):
        assert f"#{n}  waiting" in text_part and f"applicant{n}@uni{n}.edu" in text_part
    assert "LAST 30 DAYS" in text_part
    markup = html.get_content()
    images = {
        p["Content-ID"].strip("<>"): p for p in digest.walk() if p.get_content_maintype() == "image"
    }
    assert len(images) == 4  # the chart and three first pages
    for cid, part in images.items():
        assert f'src="cid:{cid}"' in markup
        assert part.get_content()[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb")
    assert any(cid.startswith("chart.") for cid in images)
    [attachment] = [p for p in digest.iter_attachments() if p.get_content_type() == "text/csv"]
    table = list(csv.DictReader(io.StringIO(attachment.get_content().lstrip("\ufeff"))))
    assert sorted(r["case"] for r in table) == ["1", "2", "3"]
    assert {r["decision"] for r in table} == {"review"}

    again = desk_cli(d, "digest")  # the scheduled slot: already covered by the one just sent
    assert "no digest sent" in again.stdout
    assert len(to(d, MAINTAINER)) == 1
    [(data,)] = rows(d, "SELECT data FROM event WHERE kind = 'digest.sent'")
    event = json.loads(data) if isinstance(data, str) else data
    assert event["queue"] == 3 and event["recipients"] == [MAINTAINER]


def test_review_by_email_and_cli_with_records(desk: Deployment) -> None:
    d = desk
    for n in (1, 2, 3):
        apply(d, n)
    d.dovecot.append(  # after the applications: one poll records them, then reads the commands
        "sirui",
        "INBOX",
        command_mail(
            "approve 1\nreject 2 the signature box is empty\nstatus 3\napprove 99\n\n"
            "Thanks,\nKeeper\n\n> approve 3\n"
        ),
    )
    poll(d)
    [approved] = to(d, "applicant1@uni1.edu")[1:]
    assert approved["In-Reply-To"] == "<app-1@uni1.edu>"
    assert "[DFME-LA #1]" in approved["Subject"] and "approved" in plain_text(approved)
    [rejected] = to(d, "applicant2@uni2.edu")[1:]
    assert "the signature box is empty" in plain_text(rejected)
    assert to(d, "applicant3@uni3.edu")[1:] == []  # status only; the quoted line is not a command
    [confirmation] = to(d, MAINTAINER)
    assert confirmation["In-Reply-To"] == "<cmd-1@dataset.test>"
    body = plain_text(confirmation)
    assert "3 done, 1 not done" in confirmation["Subject"]
    assert "case 1 approved (was review)" in body and "there is no case 99" in body
    assert "case 3: review" in body

    poll(d)  # nothing new: no second decision or notice
    assert len(d.smtp.messages) == 3 + 3
    assert rows(d, "SELECT id, decision FROM application ORDER BY id") == [
        (1, "approve"),
        (2, "reject"),
        (3, "review"),
    ]
    assert rows(d, "SELECT decided_by FROM decision WHERE application_id = 1 ORDER BY id") == [
        ("rules",),
        (MAINTAINER,),
    ]

    show = desk_cli(d, "review", "show", "1")
    assert show.exit_code == 0, show.output[-3000:]
    assert f"decision approve by {MAINTAINER}" in show.stdout and "licensee 1:" in show.stdout
    cli = desk_cli(d, "review", "reject", "3", "please", "use", "the", "current", "form")
    assert cli.exit_code == 0, cli.output[-3000:]
    assert "outbox: 1 sent" in cli.stdout
    [rejected3] = to(d, "applicant3@uni3.edu")[1:]
    assert "please use the current form" in plain_text(rejected3)
    assert desk_cli(d, "review", "list").stdout.strip() == "the review queue is empty"
    twice = desk_cli(d, "review", "approve", "1")
    assert twice.exit_code == 0 and "already approved" in twice.stdout
    assert len(to(d, "applicant1@uni1.edu")) == 2

    export = desk_cli(d, "export")
    table = list(csv.DictReader(io.StringIO(export.stdout.lstrip("\ufeff"))))
    assert [(r["role"], r["email"], r["case"]) for r in table] == [
        ("licensee", "applicant1@uni1.edu", "1")
    ]
    history = desk_cli(d, "licensee", "show", "applicant1@uni1.edu")
    assert history.exit_code == 0, history.output[-3000:]
    assert f"decision.made by {MAINTAINER}" in history.stdout
    assert "licensee.created" in history.stdout


FORGERIES = {
    "outsider": dict(sender="mallory@evil.test", auth=[TRUSTED_PASS.replace("dataset", "evil")]),
    "no_pass": dict(auth=[]),
    "forged_below": dict(
        auth=[
            "mx.dataset.test; dkim=none; dmarc=fail header.from=dataset.test",
            TRUSTED_PASS,
        ]
    ),
}


def test_forged_commands_are_ignored_recorded_and_unanswered(
    deployment: Callable[..., Deployment],
) -> None:
    d = deployment(idle=False)
    apply(d, 1)  # case 1, read before the commands that follow it in the inbox
    for i, kw in enumerate(FORGERIES.values(), start=1):
        d.dovecot.append("sirui", "INBOX", command_mail("approve 1\n", n=i, **kw))  # type: ignore[arg-type]
    poll(d)
    assert len(to(d, "applicant1@uni1.edu")) == 1  # only "under review"
    assert to(d, MAINTAINER) == []
    assert rows(d, "SELECT decision FROM application WHERE id = 1") == [("review",)]
    ignored = rows(d, "SELECT actor, data FROM event WHERE kind = 'command.ignored' ORDER BY id")
    assert [a for a, _ in ignored] == [MAINTAINER, MAINTAINER]
    assert all("not authenticated" in json.loads(str(data))["why"] for _, data in ignored)
    # The outsider's mail is an ordinary message to the desk (no PDF): never a command.
    assert [m["Subject"] for m in to(d, "mallory@evil.test")] != []
    assert rows(d, "SELECT count(*) FROM decision WHERE decided_by != 'rules'") == [(0,)]
