"""Hostile and robot mail through the worker, against Dovecot: a message over a header cap is
recorded and goes to a person (the digest shows it, its sender hears nothing wrong), a bounce of
our own reply in a non-standard shape gets no answer, and the worker goes on to the next one."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlmodel import Session, col, select

import bounces
from licensebot.reading.mime import MimeLimits
from licensebot.store.models import Application, DecisionRecord, Event, OutboxMessage
from licensebot.worker.bounces import BounceRoute
from licensebot.worker.runner import Worker
from tests.mailgen import build_application, tiny_pdf
from tests.servers.dovecot import DovecotServer
from tests.unit.test_mail_limits import address_list, cc_of_encoded_words

BOT = "bot"
SENDER = "zhangsan@ustc.edu.cn"


def application(n: int) -> bytes:
    return build_application(
        client="thunderbird", sender=SENDER, to=["sirui@dataset.test"],
        filename="DFME_License_Agreement_San_Zhang.pdf", pdf=tiny_pdf(f"LA {n}"),
        subject="DFME license agreement", message_id=f"<msg-{n}@ustc.edu.cn>",
    )  # fmt: skip


def test_hostile_headers_go_to_a_person_robots_get_nothing_and_the_worker_goes_on(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    worker = make_worker(dovecot)
    dovecot.append(BOT, "INBOX", cc_of_encoded_words())
    dovecot.append(BOT, "INBOX", address_list("To").replace(b"<m1@", b"<m9@"))  # its own id
    for shape in ("qmail", "exchange", "lotus", "antivirus"):
        dovecot.append(BOT, "INBOX", bounces.SHAPES[shape](bounces.original(), SENDER, False))
    dovecot.append(BOT, "INBOX", application(1))
    start = time.perf_counter()
    worker.poll_once()
    assert time.perf_counter() - start < 120

    with Session(worker.bot.engine) as s:
        decisions = s.exec(select(DecisionRecord).order_by(col(DecisionRecord.id))).all()
        replies = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        bounced = s.exec(select(Event).where(Event.kind == "bounce.received")).all()
        queue = s.exec(select(Application).where(Application.decision == "review")).all()
    hostile = [d for d in decisions if d.reasons == ["message_too_complex"]]
    assert len(hostile) == 2 and all(d.decision == "review" for d in hostile)
    assert {a.id for a in queue} >= {d.application_id for d in hostile}
    # the four bounces: recorded as bounces, never judged as applications, never answered
    assert len(bounced) == 4
    assert len(decisions) == 3  # two hostile, one application: the worker went on
    applicant = [r for r in replies if r.kind.startswith("applicant.")]
    assert [r.kind for r in applicant] == [
        "applicant.review", "applicant.review", "applicant.rejected"
    ]  # fmt: skip
    assert {r.recipient for r in applicant} == {SENDER}
    text = worker.bot.digest.preview().text
    assert text.count("message_too_complex") >= 2


def report_of_many_recipients(n: int) -> bytes:
    """Postfix's delivery report of our reply, with `n` more failed recipients (72 bytes each):
    one part for the MIME read, `n` parsed header blocks for the report's."""
    flood = "".join(
        f"Final-Recipient: rfc822; u{i}@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        for i in range(n)
    ).encode()
    real = bounces.postfix_dsn(bounces.original(), SENDER)
    return real.replace(b"Final-Recipient: rfc822; ", flood + b"Final-Recipient: rfc822; ", 1)


def test_a_bounce_s_report_is_read_in_a_confined_child_never_in_the_worker(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    """A bounce is a stranger's message too: its delivery report (every part, every recipient
    block) is parsed in a sandboxed child under the MIME read's limits, never in the worker.
    One whose report is over them is still recorded as a bounce, with the reason, and never
    answered; an ordinary one is read; the worker goes on to the application behind them."""
    worker = make_worker(dovecot)
    [route] = [r for r in worker.bot.intake.routes if isinstance(r, BounceRoute)]
    # the flood's report takes over twice the limit (4.5 s on a loaded 2-core machine), the
    # ordinary one a sixtieth of it (33 ms, the child's fork included): both sides with room
    route.limits = MimeLimits(time_limit=2.0)
    dovecot.append(BOT, "INBOX", report_of_many_recipients(150_000))
    dovecot.append(BOT, "INBOX", bounces.postfix_dsn(bounces.original(), SENDER))
    dovecot.append(BOT, "INBOX", application(1))
    worker.poll_once()

    with Session(worker.bot.engine) as s:
        bounced = s.exec(select(Event).where(Event.kind == "bounce.received")).all()
        replies = s.exec(select(OutboxMessage)).all()
    flood, ordinary = sorted(bounced, key=lambda e: e.data["inbound_id"])
    # over its limits: the report's read out of time or memory, or (a loaded machine) the
    # message's own MIME read already, so that its report was never read; the reason is kept
    assert flood.data["unread"].split()[0] in ("timeout", "too_large", "over_limits"), flood.data
    assert flood.data["recipients"] == []
    assert "unread" not in ordinary.data
    assert ordinary.data["original_message_ids"] == [bounces.OUR_ID]
    assert [r.kind for r in replies] == ["applicant.rejected"]
