"""The desk against the database (SQLite and PostgreSQL), in-process: the scheduled digest is
queued once per slot and its anomalies come from the records; a decision by hand is recorded
once; a licensee's history finds the events that name it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from licensebot.config import load_settings
from licensebot.core.commands import Command, Verb
from licensebot.store.db import upgrade
from licensebot.store.files import Blobs
from licensebot.store.models import DecisionRecord, Event, Licensee, OutboxMessage
from licensebot.worker.app import Bot, build
from licensebot.worker.digest import PAGE_IMAGES_MAX
from licensebot.worker.records import licensee_histories
from tests.deskdata import add_case
from tests.support import bot_env, write_config

# 09:00 in Shanghai, after the default 08:30 digest time
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def bot(request: pytest.FixtureRequest, tmp_path: Path) -> Bot:
    url = "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    box = f"""
[[mailbox]]
name = "sirui"
address = "sirui@dataset.test"
kind = "maildir"
path = "{tmp_path / "maildir"}"
"""
    cfg = write_config(
        tmp_path,
        mailboxes=[box],
        smtp=None,
        database_url=url,
        schedule={"timezone": "Asia/Shanghai"},
    )
    settings = load_settings(cfg, environ={})
    b = build(settings, environ=bot_env({}))
    upgrade(b.engine)
    return b


def blobs(bot: Bot) -> Blobs:
    return Blobs(bot.settings.storage.data_dir)


def digests(bot: Bot) -> list[OutboxMessage]:
    with Session(bot.engine) as s:
        return list(
            s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "maintainer.digest")
                .order_by(col(OutboxMessage.id))
            ).all()
        )


def text_of(row: OutboxMessage) -> str:
    msg = message_from_bytes(row.raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_the_scheduled_digest_is_queued_once_per_slot_with_its_anomalies(bot: Bot) -> None:
    b = blobs(bot)
    shared = b"%PDF-1.4 the same scan\n%%EOF\n"
    add_case(bot.engine, b, n=1, at=NOW - timedelta(days=3), sender="a@uni.edu", pdf=shared)
    add_case(bot.engine, b, n=2, at=NOW - timedelta(hours=3), sender="b@other.edu", pdf=shared)
    old = add_case(bot.engine, b, n=3, at=NOW - timedelta(days=20), decision="approve")
    with Session(bot.engine) as s:
        lic = s.exec(select(Licensee).where(Licensee.application_id == old)).one()
        lic.state = "voided"
        s.add(lic)
        s.commit()
    add_case(
        bot.engine,
        b,
        n=4,
        at=NOW - timedelta(hours=2),
        sender="again@uni3.edu",
        fields={"signer_name": "Signer 3", "work_email": "again@uni3.edu"},
    )

    first = bot.digest.scheduled(NOW)
    assert first.recipients == ("keeper@dataset.test",)
    assert first.period is not None
    assert first.period.end == datetime(2026, 11, 25, 0, 30, tzinfo=UTC)  # 08:30 local
    again = bot.digest.scheduled(NOW + timedelta(minutes=5))  # a restart within the day
    assert again.recipients == () and "already sent" in again.skipped
    [row] = digests(bot)
    assert row.idempotency_key == "digest:2026-11-25T00:30:00+00:00:keeper@dataset.test"

    text = text_of(row)
    queue = text.split("REVIEW QUEUE")[1]
    assert queue.index("#1  waiting") < queue.index("#2  waiting") < queue.index("#4  waiting")
    assert "[same_pdf] the same PDF" in text and "a@uni.edu, b@other.edu" in text
    assert "[voided_signer] case 4: same name as licensee" in text

    tomorrow = bot.digest.scheduled(NOW + timedelta(days=1))
    assert tomorrow.period is not None and tomorrow.period.start == first.period.end
    assert len(digests(bot)) == 2


def test_a_long_queue_embeds_at_most_the_cap_of_first_pages(bot: Bot) -> None:
    for n in range(1, PAGE_IMAGES_MAX + 4):
        add_case(bot.engine, blobs(bot), n=n, at=NOW - timedelta(hours=n))
    message = bot.digest.preview(NOW)
    assert message.queue_size == PAGE_IMAGES_MAX + 3
    assert len(message.inline) == 1 + PAGE_IMAGES_MAX  # the chart, then the oldest cases
    assert "licensebot review show 1`" in message.text  # the newest points to the CLI


def test_a_decision_by_hand_is_recorded_once_and_the_history_tells_it(bot: Bot) -> None:
    case = add_case(bot.engine, blobs(bot), n=1, at=NOW, sender="san@uni.edu")
    approve = Command(Verb.APPROVE, case, "", f"approve {case}")
    assert bot.review.run(approve, actor="cli:keeper").status == "done"
    assert bot.review.run(approve, actor="cli:keeper").status == "unchanged"
    reject = Command(Verb.REJECT, case, "too late", f"reject {case} too late")
    assert bot.review.run(reject, actor="cli:keeper").status == "error"
    with Session(bot.engine) as s:
        decided = s.exec(
            select(DecisionRecord).where(DecisionRecord.decided_by == "cli:keeper")
        ).all()
        notices = s.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "applicant.approved")
        ).all()
        assert len(decided) == 1 and [n.recipient for n in notices] == ["san@uni.edu"]
        [lic] = s.exec(select(Licensee)).all()
        lic_id = lic.id
        s.add(Event(kind="licensee.voided", actor="cli:keeper", data={"licensee_id": lic_id}))
        s.commit()

    [history] = licensee_histories(bot.engine, "SAN@uni.edu")
    kinds = [(e.kind, e.actor) for e in history.events]
    assert ("decision.made", "cli:keeper") in kinds and ("licensee.created", "cli:keeper") in kinds
    assert kinds[-1] == ("licensee.voided", "cli:keeper")  # found by the licensee id it names
    assert licensee_histories(bot.engine, str(lic_id))[0].licensee.email == "san@uni.edu"


def test_the_workers_daily_job_queues_the_digest_once(bot: Bot) -> None:
    from licensebot.worker.runner import Worker

    worker = Worker(bot.settings, environ=bot_env({}))
    worker.digest()
    worker.digest()  # APScheduler may fire again after a restart within the grace time
    [row] = digests(bot)
    assert row.recipient == "keeper@dataset.test"
    worker.bot.engine.dispose()


def test_the_case_notice_is_queued_once_per_case_and_only_when_asked_for(bot: Bot) -> None:
    from licensebot.config import Maintainers
    from licensebot.store.models import Application
    from licensebot.worker.case_notice import CaseNotices

    case = add_case(bot.engine, blobs(bot), n=1, at=NOW - timedelta(hours=1))
    settings = bot.settings.model_copy(
        update={
            "maintainers": Maintainers(addresses=("keeper@dataset.test",), notify="immediately")
        }
    )
    quiet = CaseNotices(bot.settings, bot.replies, bot.templates)  # notify = "digest"
    loud = CaseNotices(settings, bot.replies, bot.templates)
    queued = []
    for notices in (quiet, loud, loud):  # the second `loud`: the same case again, later
        with Session(bot.engine) as s:
            app = s.get(Application, case)
            record = s.exec(
                select(DecisionRecord).where(DecisionRecord.application_id == case)
            ).one()
            assert app is not None
            queued.append(notices.queue(s, app, record))
            s.commit()
    assert queued == [0, 1, 0]
    with Session(bot.engine) as s:
        rows = s.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "maintainer.case_notice")
        ).all()
    assert [(r.recipient, r.idempotency_key) for r in rows] == [
        ("keeper@dataset.test", f"notice:case:{case}:keeper@dataset.test")
    ]
    assert "Reply with: approve 1" in text_of(rows[0])


def test_a_hard_rejection_is_approved_only_by_force_with_who_and_why(bot: Bot) -> None:
    case = add_case(
        bot.engine,
        blobs(bot),
        n=1,
        at=NOW,
        decision="reject",
        reasons=("student_signer", "unreadable"),
    )
    plain = bot.review.run(Command(Verb.APPROVE, case, "", f"approve {case}"), actor="cli:keeper")
    assert plain.status == "error"
    assert plain.text == (
        f"case {case} was rejected for student_signer (hard): to approve it anyway, run "
        f'`licensebot review approve {case} --force --why "<why>"`'
    )
    forced = Command(Verb.APPROVE, case, "the dean signed", f"approve {case} force", force=True)
    done = bot.review.run(forced, actor="cli:keeper")
    assert done.status == "done" and "overturning student_signer" in done.text
    with Session(bot.engine) as s:
        [event] = s.exec(select(Event).where(Event.kind == "decision.overturned")).all()
        [licence] = s.exec(select(Licensee)).all()
    assert (event.actor, event.data["why"], event.data["overturned"]) == (
        "cli:keeper",
        "the dean signed",
        ["student_signer"],
    )
    assert licence.application_id == case
