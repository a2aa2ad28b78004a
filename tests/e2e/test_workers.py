"""Two `licensebot run` processes on the same mailboxes and the same PostgreSQL database, as a
team runs them for availability; one is SIGKILLed while it works. Counted at the SMTP server
and in the database: every application recorded once, judged once, answered once; and one
digest for a period however many workers' jobs fire."""

from __future__ import annotations

import dataclasses
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from licensebot.config import load_settings
from licensebot.worker.runner import Worker
from tests.e2e.conftest import BOXES, Deployment
from tests.mailgen import numbered_application
from tests.support import bot_env

pytestmark = pytest.mark.e2e


def application(n: int) -> bytes:
    return numbered_application(n, tag="two", client="thunderbird", to=list(BOXES.values()))


def deliver(d: Deployment, numbers: range) -> None:
    """Each to both addresses (the usual case): two copies, one application."""
    for n in numbers:
        raw = application(n)
        d.dovecot.append("sirui", "INBOX", raw)
        d.dovecot.append("iamthy", "INBOX", raw)


def decided(log: Path) -> int:
    return log.read_text(errors="replace").count("application.decided") if log.exists() else 0


def _held_counter(url: str) -> Callable[[], int]:
    """How many replies the outbox holds as ambiguous (its DATA cut by a kill), asked anew
    each call; `.close()` lets the connections go."""
    engine = create_engine(url)

    def held() -> int:
        with engine.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'ambiguous'"))
            return int(n.scalar() or 0)

    held.close = engine.dispose  # type: ignore[attr-defined]
    return held


def wait(what: Callable[[], bool], timeout: float, why: str) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, why
        time.sleep(0.05)


def test_two_workers_on_postgres_one_killed_answer_every_application_once(
    deployment: Callable[..., Deployment], postgres_url: str, tmp_path: Path
) -> None:
    d = deployment(database_url=postgres_url, outbox={"ambiguous_policy": "hold"})
    a = dataclasses.replace(d, logs=tmp_path / "worker-a.log")
    b = dataclasses.replace(d, logs=tmp_path / "worker-b.log")
    workers = {"a": a.start("run"), "b": b.start("run")}
    try:
        for w in (a, b):
            wait(
                lambda w=w: w.logs.exists() and w.logs.read_text().count("idle.watching") >= 2,
                60,
                f"{w.logs.name} never watched both mailboxes:\n{w.logs.read_text()[-2000:]}",
            )
        # Both alive: the first half, each application in both mailboxes.
        deliver(d, range(1, 4))
        d.smtp.wait_for(3, timeout=60)
        # The second half; whichever worker decides one first is SIGKILLed at once, mid-batch.
        before = {name: decided(w.logs) for name, w in (("a", a), ("b", b))}
        deliver(d, range(4, 8))
        logs = {"a": a.logs, "b": b.logs}
        wait(
            lambda: any(decided(logs[k]) > before[k] for k in logs),
            60,
            "no worker decided anything of the second half",
        )
        victim = next(k for k in logs if decided(logs[k]) > before[k])
        workers[victim].send_signal(signal.SIGKILL)
        assert workers[victim].wait(timeout=10) == -signal.SIGKILL
        survivor = "b" if victim == "a" else "a"
        # every application answered, or its reply held: a kill that lands while the victim
        # hands a reply's DATA over leaves a reply that may or may not have been delivered,
        # held for a person (`ambiguous_policy = "hold"`), never sent twice
        held_replies = _held_counter(postgres_url)
        try:
            wait(
                lambda: len(d.smtp.messages) + held_replies() >= 7,
                90,
                f"{len(d.smtp.messages)} replies and {held_replies()} held of 7 applications",
            )
        finally:
            held_replies.close()  # type: ignore[attr-defined]
        time.sleep(1.5)  # a lease (1 s) ran out: anything sent twice would be here by now
    finally:
        for p in workers.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = {k: p.wait(timeout=30) for k, p in workers.items()}
    assert codes[survivor] == 0, logs[survivor].read_text()[-3000:]

    # Answered once: one reply per application at the server, and no Message-ID twice. (An
    # outbox row caught between DATA and its record by the kill is held, never resent.)
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        held = conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'ambiguous'")).scalar()
        apps = conn.execute(text("SELECT count(*) FROM application")).scalar()
        judged = conn.execute(
            text("SELECT application_id, count(*) FROM decision GROUP BY application_id")
        ).all()
        inbound = Counter(
            s for (s,) in conn.execute(text("SELECT state FROM inbound_message")).all()
        )
        copies = conn.execute(
            text("SELECT count(*) FROM (SELECT DISTINCT mailbox, uid FROM inbound_message) x")
        ).scalar()
    engine.dispose()
    in_reply_to = Counter(m.message["In-Reply-To"] for m in d.smtp.messages)
    ids = Counter(m.message["Message-ID"] for m in d.smtp.messages)
    assert max(ids.values()) == 1, ids
    assert set(in_reply_to) <= {f"<two-{n}@uni{n}.edu>" for n in range(1, 8)}
    assert max(in_reply_to.values()) == 1, in_reply_to
    assert len(in_reply_to) + int(held or 0) >= 7, (in_reply_to, held)
    # Recorded once, judged once: seven applications, one decision each; fourteen copies,
    # one row each, seven of them the duplicate of the other mailbox's copy.
    assert apps == 7
    assert sorted(n for _, n in judged) == [1] * 7
    assert copies == 14 and inbound == Counter({"processed": 7, "duplicate": 7}), inbound
    assert d.dovecot.uids("sirui", "INBOX") == [] and d.dovecot.uids("iamthy", "INBOX") == []
    print(f"victim {victim}: killed after its first decision of the second half; held {held}")


def test_two_workers_digest_jobs_queue_one_digest_for_the_period(
    deployment: Callable[..., Deployment], postgres_url: str
) -> None:
    d = deployment(database_url=postgres_url)
    settings = load_settings(d.config)
    env = bot_env(dict.fromkeys(BOXES, "bot-password"))
    one, two = Worker(settings, environ=env), Worker(settings, environ=env)
    start = threading.Barrier(2)

    def job(w: Worker) -> None:
        start.wait()
        w.digest()

    threads = [threading.Thread(target=job, args=(w,)) for w in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with one.bot.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT recipient FROM outbox WHERE kind = 'maintainer.digest'")
        ).all()
    assert rows == [("keeper@dataset.test",)]
    for w in (one, two):
        w.bot.engine.dispose()
