"""The intake against a real Dovecot: record, judge, commit, then move; UID cursors, UIDVALIDITY,
the same application in two mailboxes, flag mode, failures, TLS and the ID command."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, func, select

from licensebot.mail.sources import MESSAGE_ID_BYTES, MailboxError
from licensebot.store.models import (
    Application,
    DecisionRecord,
    Event,
    InboundMessage,
    MailboxCursor,
    OutboxMessage,
)
from licensebot.worker.intake import MAX_ATTEMPTS
from licensebot.worker.runner import Worker
from tests.mailgen import numbered_application
from tests.servers.dovecot import DovecotServer
from tests.support import mailbox_block

BOT = "bot"
PW = "bot-password"
LA = "DFME_License_Agreement_San_Zhang.pdf"


def application(n: int, *, message_id: str | None = None, pdf: bool = True) -> bytes:
    return numbered_application(
        n,
        tag="app",
        to=["sirui@dataset.test", "iamthy@dataset.test"],
        sender_name=f"Applicant {n}",
        pdf=pdf,
        filename=LA,
        message_id=message_id,
    )


def count(worker: Worker, model: type, *where: object) -> int:
    with Session(worker.bot.engine) as s:
        return int(s.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[arg-type]


def test_new_messages_are_recorded_answered_and_moved(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    for n in range(3):
        dovecot.append(BOT, "INBOX", application(n))
    dovecot.append(BOT, "INBOX", application(9, pdf=False))
    worker = make_worker(dovecot)

    report = worker.poll_once()

    assert report.errors == {}
    assert [r.processed for r in report.mailboxes] == [4]
    assert dovecot.uids(BOT, "INBOX") == []
    assert len(dovecot.uids(BOT, "licensebot/processed")) == 4
    with Session(worker.bot.engine) as s:
        decisions = sorted(a.decision for a in s.exec(select(Application)).all())
        rows = s.exec(select(InboundMessage)).all()
        cursor = s.exec(select(MailboxCursor)).one()
    assert decisions == ["reject"] * 4  # three PDFs that are no LA, one message without a PDF
    assert all(r.post_action_done and r.state == "processed" for r in rows)
    assert cursor.last_uid == 4
    assert cursor.uidvalidity == str(dovecot.uidvalidity(BOT, "INBOX"))
    assert report.outbox.sent == 4
    # Raw messages are stored readable by the bot's user only.
    for r in rows:
        assert Path(r.raw_path).stat().st_mode & 0o777 == 0o600
    # The body was read with BODY.PEEK: the copy in the processed folder is still unseen.
    flags = dovecot.flags(BOT, "licensebot/processed")
    assert all(b"\\Seen" not in f for f in flags.values())

    # A second poll finds nothing new and answers nothing again.
    again = worker.poll_once()
    assert [r.fetched for r in again.mailboxes] == [0]
    assert count(worker, OutboxMessage) == 4


def test_the_id_command_is_sent_right_after_login(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    make_worker(dovecot).poll_once()
    assert "name=licensebot" in dovecot.log(), dovecot.log()[-2000:]


def test_same_application_to_both_mailboxes_is_one_application(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    dovecot.add_user("other", PW)
    raw = application(1)
    dovecot.append(BOT, "INBOX", raw)
    dovecot.append("other", "INBOX", raw.replace(b"To:", b"Delivered-To: other\r\nTo:", 1))
    boxes = [
        mailbox_block(dovecot, BOT, name="sirui", address="sirui@dataset.test"),
        mailbox_block(dovecot, "other", name="iamthy", address="iamthy@dataset.test"),
    ]
    worker = make_worker(dovecot, boxes=boxes)

    report = worker.poll_once()

    assert [(r.processed, r.duplicates) for r in report.mailboxes] == [(1, 0), (0, 1)]
    assert count(worker, Application) == 1
    assert count(worker, OutboxMessage) == 1
    assert dovecot.uids("other", "INBOX") == []  # the copy is moved too

    # A different PDF under a copied Message-ID is a different application.
    forged = application(2, message_id="<app-1@uni1.edu>")
    dovecot.append(BOT, "INBOX", forged)
    worker.poll_once()
    assert count(worker, Application) == 2


def test_uidvalidity_change_resyncs_without_reprocessing(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    box = "Applications"
    for n in range(3):
        dovecot.append(BOT, box, application(n))
    blocks = [
        mailbox_block(
            dovecot, BOT, name="sirui", address="sirui@dataset.test", folder=box, after="flag"
        )
    ]
    worker = make_worker(dovecot, boxes=blocks)
    worker.poll_once()
    assert count(worker, Application) == 3
    old = dovecot.uidvalidity(BOT, box)

    new = dovecot.reset_uidvalidity(BOT, box)
    dovecot.append(BOT, box, application(7))
    report = worker.poll_once()

    assert new != old
    assert count(worker, Application) == 4  # only the new one
    assert count(worker, OutboxMessage) == 4
    assert report.mailboxes[0].fetched == 1  # the three known ones were not downloaded again
    assert count(worker, Event, Event.kind == "mailbox.uidvalidity_changed") == 1
    with Session(worker.bot.engine) as s:
        cursor = s.exec(select(MailboxCursor)).one()
    assert cursor.uidvalidity == str(new)
    # Flag mode: everything stays in the folder, flagged as processed.
    flags = dovecot.flags(BOT, box)
    assert len(flags) == 4
    assert all(b"$LicensebotProcessed" in f for f in flags.values())


@pytest.mark.parametrize("readers", [1, 2])
def test_fetches_in_bounded_batches_reads_ahead_and_keeps_order(
    dovecot: DovecotServer, make_worker: Callable[..., Worker], readers: int
) -> None:
    """A backlog's messages are read ahead (each in a reader of its own) but recorded, decided
    and answered one by one in their order: one reply each, in that order, all moved."""
    for n in range(12):
        dovecot.append(BOT, "INBOX", application(n))
    worker = make_worker(dovecot, schedule={"fetch_batch": 5, "readers": readers})
    report = worker.poll_once()
    with Session(worker.bot.engine) as s:
        inbound = s.exec(select(InboundMessage).order_by(col(InboundMessage.id))).all()
        replies = s.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "applicant.rejected")
            .order_by(col(OutboxMessage.id))
        ).all()
    assert [int(r.uid) for r in inbound] == list(range(1, 13))
    assert [r.application_id for r in replies] == [r.application_id for r in inbound]
    assert [r.recipient for r in replies] == [f"applicant{n}@uni{n}.edu" for n in range(12)]
    assert report.outbox.sent == 12
    assert dovecot.uids(BOT, "INBOX") == []
    assert len(dovecot.uids(BOT, "licensebot/processed")) == 12


def test_reads_ahead_run_on_into_the_next_batch(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    """The next batch is fetched and its first messages handed to readers while the last
    messages of a batch are still to be recorded: a backlog's readers do not wait for each
    batch's moves. Each batch is still moved only once all its messages are handled."""
    for n in range(6):
        dovecot.append(BOT, "INBOX", application(n))
    worker = make_worker(dovecot, schedule={"fetch_batch": 2, "readers": 2})
    intake = worker.bot.intake
    steps: list[tuple[str, str]] = []
    start, record, finish = intake._start, intake._record, intake._finish

    def started(pool, box, validity, key, raw):  # type: ignore[no-untyped-def]
        steps.append(("start", key))
        return start(pool, box, validity, key, raw)

    def recorded(box, validity, key, *rest):  # type: ignore[no-untyped-def]
        steps.append(("record", key))
        return record(box, validity, key, *rest)

    def finished(session, validity, keys, *, failed):  # type: ignore[no-untyped-def]
        if keys:
            steps.append(("move", ",".join(keys)))
        return finish(session, validity, keys, failed=failed)

    intake._start, intake._record, intake._finish = started, recorded, finished  # type: ignore[method-assign]
    report = worker.poll_once()

    assert [r.processed for r in report.mailboxes] == [6]
    assert steps.index(("start", "3")) < steps.index(("record", "2"))
    assert steps.index(("start", "5")) < steps.index(("record", "4"))
    moves = [(i, keys) for i, (what, keys) in enumerate(steps) if what == "move"]
    assert [keys for _, keys in moves] == ["1,2", "3,4", "5,6"]
    for i, keys in moves:  # each batch moved after its messages were recorded
        assert all(steps.index(("record", k)) < i for k in keys.split(","))
    assert dovecot.uids(BOT, "INBOX") == []


def test_a_message_whose_la_crashes_its_reader_is_recorded_and_answered(
    dovecot: DovecotServer, make_worker: Callable[..., Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message and its LA share a reader: one that dies in the LA's read (a crash in
    pdfium, say) still leaves the message read; it is judged on a PDF that could not be read,
    answered once, moved, and the worker reads the next one."""
    from licensebot.worker import app as app_module
    from tests.unit.reading import reader_probes

    monkeypatch.setattr(app_module, "la_to_read", reader_probes.abort_reading_app_1)
    dovecot.append(BOT, "INBOX", application(1))
    dovecot.append(BOT, "INBOX", application(2))
    worker = make_worker(dovecot)
    report = worker.poll_once()

    assert report.mailboxes[0].processed == 2 and report.mailboxes[0].failed == 0
    with Session(worker.bot.engine) as s:
        rows = s.exec(select(InboundMessage).order_by(col(InboundMessage.id))).all()
        apps = s.exec(select(Application).order_by(col(Application.id))).all()
        replies = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        decisions = s.exec(select(DecisionRecord).order_by(col(DecisionRecord.id))).all()
    assert [r.state for r in rows] == ["processed", "processed"]
    assert [a.sender for a in apps] == ["applicant1@uni1.edu", "applicant2@uni2.edu"]
    assert [r.recipient for r in replies] == ["applicant1@uni1.edu", "applicant2@uni2.edu"]
    facts = [" ".join(str(r.get("facts")) for r in d.rule_results) for d in decisions]
    assert "crashed" in facts[0] and "crashed" not in facts[1]
    assert len(dovecot.uids(BOT, "licensebot/processed")) == 2


def test_unreadable_message_is_recorded_set_aside_and_maintainers_told(
    dovecot: DovecotServer, make_worker: Callable[..., Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    dovecot.append(BOT, "INBOX", application(1))
    dovecot.append(BOT, "INBOX", application(2))
    worker = make_worker(dovecot)
    real = worker.bot.intake.read

    def explode_on_first(raw):  # type: ignore[no-untyped-def]
        if b"<app-1@uni1.edu>" in raw:
            raise ValueError("reader crashed")
        return real(raw)

    monkeypatch.setattr(worker.bot.intake, "read", explode_on_first)
    report = worker.poll_once()

    assert report.mailboxes[0].failed == 1
    assert report.mailboxes[0].processed == 1
    assert len(dovecot.uids(BOT, "licensebot/failed")) == 1
    with Session(worker.bot.engine) as s:
        failed = s.exec(select(InboundMessage).where(InboundMessage.state == "failed")).one()
        alerts = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "maintainer.alert")).all()
    assert "reader crashed" in (failed.error or "")
    assert [a.recipient for a in alerts] == ["keeper@dataset.test"]


def test_untrusted_certificate_is_refused_with_a_clear_message(
    dovecot: DovecotServer, make_worker: Callable[..., Worker], tmp_path: Path
) -> None:
    block = mailbox_block(dovecot, BOT, name="sirui", address="sirui@dataset.test").replace(
        f'ca_file = "{dovecot.ca_file}"', 'ca_file = ""'
    )
    worker = make_worker(dovecot, boxes=[block])
    report = worker.poll_once()
    assert "certificate is not trusted" in report.errors["sirui"]


def test_wrong_password_names_the_variable_to_check(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    worker = make_worker(dovecot)
    worker.bot = worker.bot  # same bot, wrong secret below
    box = worker.settings.mailbox[0]
    from licensebot.mail.imap import open_imap

    with pytest.raises(MailboxError, match="LICENSEBOT_TEST_IMAP_SIRUI"), open_imap(box, "wrong"):
        pass


def test_starttls_on_the_plain_port_works_and_is_verified(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    block = mailbox_block(dovecot, BOT, name="sirui", address="sirui@dataset.test")
    block = block.replace(f"port = {dovecot.imaps_port}", f"port = {dovecot.imap_port}")
    block = block.replace('security = "tls"', 'security = "starttls"')
    dovecot.append(BOT, "INBOX", application(1))
    worker = make_worker(dovecot, boxes=[block])
    report = worker.poll_once()
    assert report.errors == {} and report.mailboxes[0].processed == 1


def test_without_idle_the_running_worker_polls(
    dovecot_no_idle: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    """A server that does not offer IDLE: `run` falls back to polling on its schedule."""
    import threading
    import time

    worker = make_worker(dovecot_no_idle, schedule={"poll_seconds": 1})
    runner = threading.Thread(target=worker.run)
    runner.start()
    try:
        time.sleep(0.5)
        dovecot_no_idle.append(BOT, "INBOX", application(1))
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and count(worker, OutboxMessage, OutboxMessage.state == "sent") < 1
        ):
            time.sleep(0.2)
    finally:
        worker.stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()
    assert count(worker, OutboxMessage, OutboxMessage.state == "sent") == 1
    assert dovecot_no_idle.uids(BOT, "INBOX") == []


def test_the_poison_counter_counts_runs_not_retries_of_one_run(
    dovecot: DovecotServer, make_worker: Callable[..., Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass that raised past the count (the database went away before the decision's
    commit) and is retried by the same run did not stop the worker: counted once. Another
    run that takes it up counts again (the one before it stopped)."""
    dovecot.append(BOT, "INBOX", application(1))
    worker = make_worker(dovecot)
    intake = worker.bot.intake
    real = intake._decide
    calls = 0

    def lose_the_database(*args):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls <= MAX_ATTEMPTS + 1:
            raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection"))
        return real(*args)

    monkeypatch.setattr(intake, "_decide", lose_the_database)
    for _ in range(MAX_ATTEMPTS + 1):
        with pytest.raises(OperationalError):
            worker.poll_once()
    with Session(worker.bot.engine) as s:
        row = s.exec(select(InboundMessage)).one()
    assert (row.state, row.attempts, row.attempt_run) == ("received", 1, intake.run_id)

    monkeypatch.setattr(intake, "run_id", "the-next-run")  # as a restarted worker would be
    report = worker.poll_once()
    assert report.mailboxes[0].processed == 1
    with Session(worker.bot.engine) as s:
        row = s.exec(select(InboundMessage)).one()
    assert (row.state, row.attempts) == ("processed", 2)
    assert dovecot.uids(BOT, "INBOX") == []


def test_message_id_metadata_of_hostile_headers_is_bounded(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    """The worker reads the Message-IDs of new mail itself (to rekey after a UIDVALIDITY
    change, to record an oversized message): the server is asked for at most
    MESSAGE_ID_BYTES of the field, whatever its size or number, and it is read without the
    email library."""
    folded = b"Message-ID: <" + b"\r\n x" * 1_000_000 + b"@h>\r\n"  # 4 MB, one field
    many = b"".join(b"Message-ID: <%d@many>\r\n" % n for n in range(100_000))  # 2 MB
    for head in (folded, many):
        dovecot.append(BOT, "INBOX", head + application(1))  # its own Message-ID comes second
    dovecot.append(BOT, "INBOX", application(3))
    worker = make_worker(dovecot)
    [box] = worker.settings.mailbox
    with worker.bot.open_session(box) as session:
        uids = session.candidates(0)
        start = time.monotonic()
        metas = session.fetch_meta(uids)
        took = time.monotonic() - start
    ids = [metas[u].message_id for u in uids]
    assert ids[1:] == ["<0@many>", "<app-3@uni3.edu>"]
    assert ids[0] is not None and ids[0].startswith("<") and len(ids[0]) < MESSAGE_ID_BYTES
    assert metas[uids[0]].size > 4_000_000  # the size is the whole message's
    assert took < 5, took
