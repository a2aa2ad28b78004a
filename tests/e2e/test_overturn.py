"""Overturning a rejection for a hard reason is a deliberate act (Dovecot, `poll --once`, the
SMTP server, the CLI): a plain `approve` is refused in one line that says how; `approve N force
<why>` by mail (or `--force --why` on the CLI) approves, records who and why, and `explain`
shows it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.e2e.conftest import BOXES, Deployment
from tests.e2e.test_desk import (
    MAINTAINER,
    TRUSTED_PASS,
    command_mail,
    desk_cli,
    plain_text,
    poll,
    rows,
    to,
)
from tests.mailgen import build_application, tiny_pdf

pytestmark = pytest.mark.e2e

APPLICANT = "li.si.dfme@gmail.com"


def test_a_hard_rejection_is_overturned_only_by_force_with_who_and_why(
    deployment: Callable[..., Deployment],
) -> None:
    d = deployment(idle=False)
    d.dovecot.append(
        "sirui",
        "INBOX",
        build_application(
            client="gmail",
            sender=APPLICANT,
            to=list(BOXES.values()),
            filename="DFME_License_Agreement_Li_Si.pdf",
            pdf=tiny_pdf("not the form"),
            subject="DFME LA",
            message_id="<hard-1@gmail.com>",
            trace_headers=[
                ("Authentication-Results", TRUSTED_PASS.replace("dataset.test", "gmail.com"))
            ],
        ),
    )
    d.dovecot.append(
        "sirui",
        "INBOX",
        command_mail("approve 1\napprove 1 force\n", n=1),
    )
    poll(d)
    [rejection] = to(d, APPLICANT)
    assert "cannot accept it yet" in plain_text(rejection)
    [refusal] = to(d, MAINTAINER)
    text = plain_text(refusal)
    assert "(hard): to approve it anyway, send `approve 1 force <why>`" in text
    assert "`approve 1 force` needs the reason why" in text
    assert rows(d, "SELECT decision FROM application") == [("reject",)]

    cli = desk_cli(d, "review", "approve", "1")
    assert cli.exit_code == 1
    assert cli.stdout.strip().count("\n") == 0, cli.stdout  # one line
    assert "--force --why" in cli.stdout and "free_email" in cli.stdout
    no_why = desk_cli(d, "review", "approve", "1", "--force")
    assert no_why.exit_code == 2 and "Traceback" not in no_why.output

    d.dovecot.append(
        "sirui",
        "INBOX",
        command_mail("approve 1 force the dean confirmed the address by phone\n", n=2),
    )
    poll(d)
    [_, approval] = to(d, APPLICANT)
    assert "is approved" in plain_text(approval)
    [(actor, data)] = rows(d, "SELECT actor, data FROM event WHERE kind = 'decision.overturned'")
    event = json.loads(data) if isinstance(data, str) else data
    assert actor == MAINTAINER
    assert event["why"] == "the dean confirmed the address by phone"
    assert "free_email" in event["overturned"]

    explain = desk_cli(d, "explain", "1")
    assert explain.exit_code == 0, explain.output
    assert f"by {MAINTAINER}" in explain.stdout
    assert (
        "overturned" in explain.stdout
        and "the dean confirmed the address by phone" in explain.stdout
    )
