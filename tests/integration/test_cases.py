"""State across messages, against Dovecot: a resubmission joins its case, a reply without an LA
goes to a person, a licensee is not licensed twice, and no address gets endless replies."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session, col, select

from licensebot.store.models import Application, DecisionRecord, Licensee, OutboxMessage
from licensebot.worker.runner import Worker
from tests.mailgen import build_application, tiny_pdf
from tests.servers.dovecot import DovecotServer

BOT = "bot"
SENDER = "san.zhang@uni.edu"


def mail(
    n: int,
    *,
    pdf: bool = True,
    sender: str = SENDER,
    subject: str = "DFME license agreement",
    in_reply_to: str | None = None,
) -> bytes:
    extra = {"In-Reply-To": in_reply_to, "References": in_reply_to} if in_reply_to else {}
    return build_application(
        client="thunderbird",
        sender=sender,
        to=["sirui@dataset.test"],
        filename="DFME_License_Agreement_San_Zhang.pdf" if pdf else None,
        pdf=tiny_pdf(f"LA {n}") if pdf else None,
        subject=subject,
        message_id=f"<msg-{n}@uni.edu>",
        extra_headers=extra,
    )


def outbox(worker: Worker) -> list[OutboxMessage]:
    with Session(worker.bot.engine) as s:
        return list(s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def subject_of(row: OutboxMessage) -> str:
    return str(email.message_from_bytes(row.raw, policy=email.policy.default)["Subject"])


def test_a_resubmission_in_the_thread_joins_the_same_case(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    worker = make_worker(dovecot)
    dovecot.append(BOT, "INBOX", mail(1, pdf=False))
    worker.poll_once()
    [first] = outbox(worker)
    assert first.kind == "applicant.no_attachment"

    dovecot.append(
        BOT, "INBOX", mail(2, subject="Re: " + subject_of(first), in_reply_to=first.message_id)
    )
    worker.poll_once()

    with Session(worker.bot.engine) as s:
        apps = s.exec(select(Application)).all()
        decisions = s.exec(select(DecisionRecord).order_by(col(DecisionRecord.id))).all()
    assert len(apps) == 1
    # The PDF this time is no LA at all: rejected again, on the same case, for that reason.
    assert [(d.decision, d.reasons) for d in decisions] == [
        ("reject", ["no_attachment"]),
        ("reject", ["not_la"]),
    ]
    assert apps[0].decision == "reject" and apps[0].pdf_filename
    second = outbox(worker)[1]
    assert f"[DFME-LA #{apps[0].id}]" in subject_of(second)
    assert second.kind == "applicant.rejected"


def test_the_case_tag_alone_joins_only_for_the_same_sender(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    worker = make_worker(dovecot)
    dovecot.append(BOT, "INBOX", mail(1, pdf=False))
    worker.poll_once()
    tag = subject_of(outbox(worker)[0]).split("[", 1)[1]
    dovecot.append(BOT, "INBOX", mail(2, subject=f"New try [{tag}"))
    dovecot.append(BOT, "INBOX", mail(3, subject=f"Hijack [{tag}", sender="other@uni.edu"))
    worker.poll_once()
    with Session(worker.bot.engine) as s:
        by_sender = {a.sender: a.id for a in s.exec(select(Application)).all()}
        n_decisions = len(s.exec(select(DecisionRecord)).all())
    assert len(by_sender) == 2 and n_decisions == 3


def test_a_reply_without_an_la_in_the_thread_goes_to_a_person(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    worker = make_worker(dovecot)
    dovecot.append(BOT, "INBOX", mail(1))
    worker.poll_once()
    [first] = outbox(worker)
    question = mail(2, pdf=False, subject="Re: question", in_reply_to=first.message_id)
    dovecot.append(BOT, "INBOX", question)
    worker.poll_once()
    with Session(worker.bot.engine) as s:
        decisions = [d.decision for d in s.exec(select(DecisionRecord)).all()]
    assert decisions == ["reject", "review"]  # not an automatic "no attachment" rejection
    assert [o.kind for o in outbox(worker)] == ["applicant.rejected", "applicant.review"]


def test_a_licensee_who_applies_again_is_told_so_and_not_licensed_twice(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    worker = make_worker(dovecot)
    with Session(worker.bot.engine) as s:
        app = Application(dedup_key="earlier", sender=SENDER, decision="approve")
        s.add(app)
        s.flush()
        s.add(Licensee(application_id=app.id or 0, email=SENDER, name="San Zhang"))
        s.commit()
    dovecot.append(BOT, "INBOX", mail(1))
    worker.poll_once()
    [reply] = outbox(worker)
    assert reply.kind == "applicant.already_licensed"
    body = email.message_from_bytes(reply.raw, policy=email.policy.default).get_content()
    assert "already hold a licence" in body and "您已持有" in body
    assert "reply to this email and a member of the DFME team will help you" in body
    # The promise kept: the reply goes to a person (the review queue), with "under review".
    question = mail(2, pdf=False, subject="Re: instructions", in_reply_to=reply.message_id)
    dovecot.append(BOT, "INBOX", question)
    worker.poll_once()
    assert [o.kind for o in outbox(worker)][1:] == ["applicant.review"]
    assert [a.id for a, _ in worker.bot.review.queue()] == [reply.application_id]
    with Session(worker.bot.engine) as s:
        assert len(s.exec(select(Licensee)).all()) == 1


def test_replies_to_one_address_are_capped_per_day_with_a_final_notice(
    dovecot: DovecotServer, make_worker: Callable[..., Worker], tmp_path: Path
) -> None:
    worker = make_worker(dovecot, extra="[limits]\nreplies_per_address_per_day = 3\n")
    for n in range(5):
        dovecot.append(BOT, "INBOX", mail(n, pdf=False, subject=f"attempt {n}"))
    worker.poll_once()
    kinds = [o.kind for o in outbox(worker)]
    assert kinds == ["applicant.no_attachment", "applicant.no_attachment", "applicant.final_notice"]
    with Session(worker.bot.engine) as s:
        assert len(s.exec(select(DecisionRecord)).all()) == 5  # every message still recorded
    # The final notice's promise: the team sees each unanswered message in its daily report.
    final = email.message_from_bytes(outbox(worker)[-1].raw, policy=email.policy.default)
    assert "sees each message that got no automatic reply in its daily report" in str(
        final.get_content()
    )
    digest = worker.bot.digest.preview()
    assert f"2 message(s) from {SENDER} got no automatic reply" in digest.text
    assert "(cases #4, #5)" in digest.text
