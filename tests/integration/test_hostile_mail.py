"""Hostile and robot mail through the worker, against Dovecot: a message over a header cap is
recorded and goes to a person (the digest shows it, its sender hears nothing wrong), a bounce of
our own reply in a non-standard shape gets no answer, and the worker goes on to the next one."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlmodel import Session, col, select

import bounces
from licensebot.store.models import Application, DecisionRecord, Event, OutboxMessage
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
