"""Applications appended to Dovecot -> `licensebot run` / `poll --once` -> replies captured by
the SMTP server: threaded, each inbound message moved and recorded once, one reply per
application even when the worker is killed with SIGKILL at any of its crash points."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from licensebot.worker.intake import MAX_ATTEMPTS
from tests.e2e.conftest import BOXES, Deployment
from tests.mailgen import numbered_application

pytestmark = pytest.mark.e2e


def application(n: int, *, pdf: bool = True, client: str = "gmail") -> bytes:
    return numbered_application(
        n, tag="app", to=list(BOXES.values()), client=client, sender_name=f"Applicant {n}", pdf=pdf
    )


def deliver(d: Deployment, n: int, *, both: bool = False, pdf: bool = True) -> bytes:
    raw = application(n, pdf=pdf)
    d.dovecot.append("sirui", "INBOX", raw)
    if both:
        d.dovecot.append("iamthy", "INBOX", raw)
    return raw


def db_rows(d: Deployment, sql: str) -> list[tuple[object, ...]]:
    db = d.config.parent / "data" / "licensebot.sqlite3"
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def replies_by_case(d: Deployment) -> dict[str, list[EmailMessage]]:
    out: dict[str, list[EmailMessage]] = {}
    for m in d.smtp.messages:
        out.setdefault(m.message["In-Reply-To"], []).append(m.message)
    return out


def test_run_answers_every_application_once_threaded_and_moves_it(
    deployment: Callable[..., Deployment],
) -> None:
    d = deployment()
    deliver(d, 1, both=True)  # the usual case: sent to both addresses at once
    deliver(d, 2)
    deliver(d, 3, pdf=False)
    worker = d.start("run")
    try:
        got = d.smtp.wait_for(3, timeout=30)
        time.sleep(1.0)  # nothing more may arrive
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=20)
    assert code == 0, d.logs.read_text()[-3000:]
    assert "worker.stopped" in d.logs.read_text()
    assert len(d.smtp.messages) == 3
    by_case = replies_by_case(d)
    assert set(by_case) == {"<app-1@uni1.edu>", "<app-2@uni2.edu>", "<app-3@uni3.edu>"}
    for original_id, [reply] in by_case.items():
        n = original_id.split("-")[1].split("@")[0]
        assert reply["References"].split()[-1] == original_id
        assert reply["Subject"].startswith(f"Re: DFME license agreement {n} [DFME-LA #")
        assert reply["Auto-Submitted"] == "auto-replied"
        assert reply["X-Licensebot-Loop"] == "licensebot-test"
        assert reply["To"] == f"applicant{n}@uni{n}.edu"
    assert all(m.rcpt_tos == (m.message["To"],) for m in got)  # exactly one recipient
    # Every inbound copy recorded once and moved out of the inbox.
    assert d.dovecot.uids("sirui", "INBOX") == [] and d.dovecot.uids("iamthy", "INBOX") == []
    # Both IDLE threads race for application 1: whichever loses records a duplicate.
    rows = db_rows(d, "SELECT state FROM inbound_message")
    assert Counter(r[0] for r in rows) == Counter({"processed": 3, "duplicate": 1})


def test_idle_answers_without_waiting_for_a_poll(deployment: Callable[..., Deployment]) -> None:
    d = deployment(schedule={"poll_seconds": 3600})  # polling cannot explain a quick answer
    worker = d.start("run")
    try:
        d.wait_log("idle.watching", timeout=20)
        time.sleep(0.5)
        start = time.monotonic()
        deliver(d, 1)
        d.smtp.wait_for(1, timeout=30)
        latency = time.monotonic() - start
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    print(f"APPEND -> reply at the SMTP server while idling: {latency:.2f} s")
    assert latency < 30


def test_poll_once_processes_and_exits(deployment: Callable[..., Deployment]) -> None:
    d = deployment(upgrade_subprocess=True)  # `db upgrade` as an operator runs it, then poll
    deliver(d, 1)
    result = d.cli("poll", "--once")
    assert result.returncode == 0, result.stderr
    assert "sirui: 1 fetched, 1 new" in result.stdout
    assert "outbox: 1 sent" in result.stdout
    assert len(d.smtp.messages) == 1

    # Why it was decided: every rule, hit or not, with the facts it saw.
    explained = d.cli("explain", "1", "--json")
    assert explained.returncode == 0, explained.stderr
    case = json.loads(explained.stdout)
    [decision] = case["decisions"]
    assert decision["decision"] == "reject" and decision["reasons"] == ["not_la"]
    rules = {r["rule"]: r for r in decision["rules"]}
    assert rules["not_la"]["hit"] is True and "similarity" in rules["not_la"]["facts"]
    assert rules["free_email"]["hit"] is False
    assert [e["kind"] for e in case["events"]][:2] == ["decision.made", "reply.queued"]


#: (crash point, which pass through it) -> the worker is SIGKILLed there, then restarted.
KILL_POINTS = [
    "after_record:1",
    "after_record:3",
    "after_decision_commit:1",
    "after_decision_commit:2",
    "after_move:1",
    "after_claim:1",
    "before_data:1",
    "before_data:2",
]


@pytest.mark.parametrize("fault", KILL_POINTS)
def test_killed_and_restarted_still_one_reply_per_application(
    deployment: Callable[..., Deployment], fault: str
) -> None:
    d = deployment()
    deliver(d, 1, both=True)
    deliver(d, 2)
    deliver(d, 3, pdf=False)

    killed = d.cli("poll", "--once", fault=fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    time.sleep(1.1)  # let the outbox lease of a killed sender run out
    again = d.cli("poll", "--once")
    assert again.returncode == 0, again.stderr[-2000:]

    by_case = replies_by_case(d)
    assert sorted(by_case) == ["<app-1@uni1.edu>", "<app-2@uni2.edu>", "<app-3@uni3.edu>"]
    assert [len(v) for v in by_case.values()] == [1, 1, 1], fault
    assert db_rows(d, "SELECT count(*) FROM application") == [(3,)]
    assert db_rows(d, "SELECT count(*) FROM inbound_message") == [(4,)]
    assert d.dovecot.uids("sirui", "INBOX") == [] and d.dovecot.uids("iamthy", "INBOX") == []
    assert len(d.dovecot.uids("sirui", "licensebot/processed")) == 3


def test_killed_while_reading_more_often_than_the_cap_is_still_answered(
    deployment: Callable[..., Deployment],
) -> None:
    """Kills from outside mostly land in the reads (the LA's OCR takes seconds). The reads run
    in confined children, where a message cannot stop the worker, so a kill there does not
    count against it: killed there more often than the poison counter allows, it is still
    answered, and no maintainer is alerted."""
    d = deployment()
    deliver(d, 1)
    for _ in range(MAX_ATTEMPTS + 2):
        killed = d.cli("poll", "--once", fault="while_reading:1")
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert d.smtp.messages == []
    again = d.cli("poll", "--once")
    assert again.returncode == 0, again.stderr[-2000:]

    assert [m.message["In-Reply-To"] for m in d.smtp.messages] == ["<app-1@uni1.edu>"]
    assert db_rows(d, "SELECT state, attempts FROM inbound_message") == [("processed", 1)]
    assert len(d.dovecot.uids("sirui", "licensebot/processed")) == 1
    assert d.dovecot.uids("sirui", "INBOX") == []


def test_a_message_that_stops_the_worker_past_its_reads_is_set_aside(
    deployment: Callable[..., Deployment],
) -> None:
    """Past its reads a message is counted: one that stops the worker there (a route, the
    judging, the decision; here it kills the worker as soon as it is counted, in every run that
    takes it up) in `MAX_ATTEMPTS` runs is set aside for a person on the next: recorded, moved
    to the failed folder, the maintainers alerted, no reply to the applicant. It does not hold
    up the mail behind it: once it has stopped a run, the next takes the fresh messages first."""
    d = deployment()
    deliver(d, 1)
    poison = "after_record=<app-1@uni1.edu>"
    killed = d.cli("poll", "--once", fault=poison)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    deliver(d, 2)  # behind it
    for _ in range(MAX_ATTEMPTS - 1):
        killed = d.cli("poll", "--once", fault=poison)
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        # decided before the run that took message 1 up again died on it
        assert db_rows(d, "SELECT state FROM inbound_message WHERE id = 2") == [("processed",)]
    again = d.cli("poll", "--once", fault=poison)
    assert again.returncode == 0, again.stderr[-2000:]

    answered = [m.message["In-Reply-To"] for m in d.smtp.messages if m.message["In-Reply-To"]]
    assert answered == ["<app-2@uni2.edu>"]
    [alert] = [m for m in d.smtp.messages if m.rcpt_tos == ("keeper@dataset.test",)]
    assert f"stopped the worker {MAX_ATTEMPTS} times" in alert.message.get_body().get_content()
    assert db_rows(d, "SELECT state, attempts FROM inbound_message ORDER BY id") == [
        ("failed", MAX_ATTEMPTS + 1),
        ("processed", 1),
    ]
    assert len(d.dovecot.uids("sirui", "licensebot/failed")) == 1
    assert len(d.dovecot.uids("sirui", "licensebot/processed")) == 1
    assert d.dovecot.uids("sirui", "INBOX") == []


def test_kills_from_outside_in_the_counted_window_do_not_set_a_message_aside(
    deployment: Callable[..., Deployment],
) -> None:
    """Kills from outside that land past the reads, one per run, more runs than the poison
    counter allows, with mail arriving between them: a message cut there is taken up after
    the fresh ones, so the kills fall on different messages (as they would at random moments)
    and none is set aside; all are answered once, no maintainer is alerted."""
    d = deployment()
    deliver(d, 1)
    for n in range(2, MAX_ATTEMPTS + 3):
        killed = d.cli("poll", "--once", fault="after_record:1")
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        deliver(d, n)
    again = d.cli("poll", "--once")
    assert again.returncode == 0, again.stderr[-2000:]

    answered = sorted(m.message["In-Reply-To"] for m in d.smtp.messages)
    assert answered == sorted(f"<app-{n}@uni{n}.edu>" for n in range(1, MAX_ATTEMPTS + 3))
    rows = db_rows(d, "SELECT state, attempts FROM inbound_message ORDER BY id")
    assert rows == [("processed", 2)] * (MAX_ATTEMPTS + 1) + [("processed", 1)]
    assert d.dovecot.uids("sirui", "INBOX") == []


@pytest.mark.parametrize(("policy", "copies"), [("hold", 1), ("resend", 2)])
def test_killed_after_the_data_left_is_never_a_second_different_reply(
    deployment: Callable[..., Deployment], policy: str, copies: int
) -> None:
    """The one window SMTP cannot close: the server has the message, the worker died before
    recording it. `hold` never resends (a person is told); `resend` sends the same bytes with
    the same Message-ID again, so the applicant never sees two different replies."""
    d = deployment(outbox={"ambiguous_policy": policy})
    deliver(d, 1)
    killed = d.cli("poll", "--once", fault="after_data:1")
    assert killed.returncode == -signal.SIGKILL
    time.sleep(1.1)
    d.cli("poll", "--once")
    ids = [m.message["Message-ID"] for m in d.smtp.messages]
    assert len(ids) == copies and len(set(ids)) == 1
    state = "ambiguous" if policy == "hold" else "sent"
    assert db_rows(d, "SELECT state FROM outbox") == [(state,)]


def test_sigterm_stops_the_worker_cleanly(deployment: Callable[..., Deployment]) -> None:
    d = deployment()
    worker = d.start("run")
    d.wait_log("idle.watching", timeout=20)
    start = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    assert time.monotonic() - start < 10


def test_the_worker_reconnects_when_the_server_drops_the_connection(
    deployment: Callable[..., Deployment],
) -> None:
    """IMAP server killed while the worker idles, back two seconds later: the worker reconnects
    with backoff on its own and answers what arrived, without waiting for a poll."""
    d = deployment(schedule={"poll_seconds": 3600})
    worker = d.start("run")
    try:
        d.wait_log("idle.watching", timeout=20)
        d.dovecot.restart(down_for=2.0)
        deliver(d, 1)
        d.smtp.wait_for(1, timeout=60)
        assert "idle.reconnect" in d.logs.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    assert len(d.smtp.messages) == 1
