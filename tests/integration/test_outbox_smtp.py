"""The outbox against a real SMTP server (aiosmtpd over implicit TLS with AUTH), on SQLite and
PostgreSQL: sent, retried, failed for good, and the ambiguous case after the data."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from licensebot.config import Outbox, Smtp
from licensebot.mail.compose import compose, new_message_id
from licensebot.mail.transport import SmtpTransport
from licensebot.store.db import make_engine, upgrade
from licensebot.store.models import Event, OutboxMessage, utcnow
from licensebot.worker.relay import Relay
from tests.servers.smtp import SmtpServer
from tests.support import SMTP_PASSWORD, SMTP_USER

FAST = Outbox(lease_seconds=1, ambiguous_delay_seconds=0, backoff_initial_seconds=0.2)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    e = make_engine(url)
    upgrade(e)
    return e


@pytest.fixture
def smtp(smtp_factory: Callable[..., SmtpServer]) -> SmtpServer:
    return smtp_factory(implicit_tls=True, username=SMTP_USER, password=SMTP_PASSWORD)


def smtp_settings(smtp: SmtpServer, **smtp_kw: object) -> Smtp:
    return Smtp(
        host="127.0.0.1",
        port=smtp.port,
        security="tls",
        username=SMTP_USER,
        secret_env="X",
        ca_file=str(smtp.ca_file),
        from_address="desk@dataset.test",
        timeout_seconds=5,
        **smtp_kw,  # type: ignore[arg-type]
    )


def relay_for(engine: Engine, smtp: SmtpServer, cfg: Outbox = FAST, **smtp_kw: object) -> Relay:
    settings = smtp_settings(smtp, **smtp_kw)
    return Relay(
        engine=engine, settings=cfg, transport=lambda: SmtpTransport(settings, SMTP_PASSWORD)
    )


def queue(engine: Engine, n: int, recipient: str = "applicant@uni.edu") -> list[str]:
    ids = []
    with Session(engine) as s:
        for i in range(n):
            mid = new_message_id("dataset.test")
            raw = compose(
                from_address="desk@dataset.test",
                from_name="Desk",
                to=recipient,
                subject=f"Re: application {i}",
                body="Thank you.\n",
                message_id=mid,
                instance_id="t",
            )
            s.add(
                OutboxMessage(
                    idempotency_key=f"k{i}-{mid}",
                    kind="applicant.review",
                    message_id=mid,
                    recipient=recipient,
                    envelope_from="desk@dataset.test",
                    raw=raw,
                )
            )
            ids.append(mid)
        s.commit()
    return ids


def states(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return [r.state for r in s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()]  # type: ignore[arg-type]


def test_queued_replies_are_sent_once_over_tls_with_login(engine: Engine, smtp: SmtpServer) -> None:
    ids = queue(engine, 3)
    report = relay_for(engine, smtp).flush()
    assert report.sent == 3
    got = smtp.wait_for(3)
    assert [m.message["Message-ID"] for m in got] == ids
    assert all(m.tls and m.authenticated_as == SMTP_USER for m in got)
    assert states(engine) == ["sent"] * 3
    assert relay_for(engine, smtp).flush().sent == 0
    assert len(smtp.messages) == 3


def test_each_sent_reply_is_recorded_with_its_time_response_and_event(
    engine: Engine, smtp: SmtpServer
) -> None:
    ids = queue(engine, 3)
    before = utcnow()
    relay_for(engine, smtp).flush()
    after = utcnow()
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        events = s.exec(select(Event).where(Event.kind == "reply.sent").order_by(Event.id)).all()  # type: ignore[arg-type]
    for row in rows:
        assert row.sent_at is not None and row.lease_until is None
        assert before <= row.sent_at.replace(tzinfo=row.sent_at.tzinfo or UTC) <= after
        assert row.smtp_response is not None and row.smtp_response.startswith("250")
    assert [e.data["message_id"] for e in events] == ids
    assert [e.data["outbox_id"] for e in events] == [r.id for r in rows]
    assert all(e.actor == "licensebot" and e.data["response"].startswith("250") for e in events)


def test_transient_failure_is_retried_with_backoff(engine: Engine, smtp: SmtpServer) -> None:
    queue(engine, 1)
    smtp.fail_next(1, code=451, message="try later")
    relay = relay_for(engine, smtp)
    first = relay.flush()
    assert first.retried == 1 and states(engine) == ["pending"]
    assert relay.flush().sent == 0  # not due yet: the backoff holds it
    time.sleep(0.3)
    assert relay.flush().sent == 1
    assert len(smtp.messages) == 1
    with Session(engine) as s:
        row = s.exec(select(OutboxMessage)).one()
    assert row.attempts == 2 and row.state == "sent"


def test_permanent_failure_is_recorded_and_not_retried(engine: Engine, smtp: SmtpServer) -> None:
    queue(engine, 1, recipient="gone@uni.edu")
    smtp.reject_recipient("gone@uni.edu", code=550, message="no such user")
    relay = relay_for(engine, smtp)
    assert relay.flush().failed == 1
    time.sleep(0.3)
    relay.flush()
    with Session(engine) as s:
        row = s.exec(select(OutboxMessage)).one()
        events = [e.kind for e in s.exec(select(Event)).all()]
    assert row.state == "failed" and "550" in (row.last_error or "")
    assert events == ["reply.failed"]
    assert smtp.messages == []


def test_ambiguous_send_is_resent_with_the_same_identity(engine: Engine, smtp: SmtpServer) -> None:
    [mid] = queue(engine, 1)
    smtp.drop_after_data(1)
    relay = relay_for(engine, smtp)
    assert relay.flush().ambiguous == 1
    relay.flush()
    got = smtp.wait_for(2)
    # The server had it the first time; the resend is the same message, not a new reply.
    assert [m.message["Message-ID"] for m in got] == [mid, mid]
    assert got[0].raw == got[1].raw
    assert states(engine) == ["sent"]


def test_ambiguous_send_is_held_when_policy_says_so(engine: Engine, smtp: SmtpServer) -> None:
    queue(engine, 1)
    smtp.drop_after_data(1)
    relay = relay_for(engine, smtp, Outbox(ambiguous_policy="hold", ambiguous_delay_seconds=0))
    relay.flush()
    relay.flush()
    assert states(engine) == ["ambiguous"]
    assert len(smtp.messages) == 1


def test_starttls_is_required_never_opportunistic(
    engine: Engine, smtp_factory: Callable[..., SmtpServer]
) -> None:
    plain = smtp_factory()  # offers no STARTTLS
    queue(engine, 1)
    settings = Smtp(
        host="127.0.0.1",
        port=plain.port,
        security="starttls",
        auth="none",
        ca_file=str(plain.ca_file),
        from_address="desk@dataset.test",
        timeout_seconds=5,
    )
    relay = Relay(engine=engine, settings=FAST, transport=lambda: SmtpTransport(settings, None))
    assert relay.flush().retried == 1
    assert plain.messages == []


def test_two_workers_never_send_the_same_row(engine: Engine, smtp: SmtpServer) -> None:
    queue(engine, 40)
    smtp.delay(0.01)
    reports = []

    def work() -> None:
        reports.append(relay_for(engine, smtp, Outbox(batch=5)).flush())

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [m.message["Message-ID"] for m in smtp.messages]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert sum(r.sent for r in reports) == 40


def test_the_worker_keeps_its_smtp_session_open_between_flushes(
    engine: Engine, smtp: SmtpServer
) -> None:
    relay = relay_for(engine, smtp)
    try:
        ids = []
        for _ in range(3):
            ids += queue(engine, 1)
            assert relay.flush(hold=True).sent == 1
        # three flushes, one connection, TLS handshake and login
        assert [m.message["Message-ID"] for m in smtp.wait_for(3)] == ids
        assert smtp.logins == 1
        # a one-off flush (`poll --once`, the CLI) closes its session at the end
        queue(engine, 1)
        assert relay.flush().sent == 1
        queue(engine, 1)
        assert relay.flush().sent == 1
        assert smtp.logins == 2
    finally:
        relay.close()
    assert states(engine) == ["sent"] * 5


def test_a_kept_session_the_server_closed_is_opened_again_and_the_reply_sent_once(
    engine: Engine, smtp: SmtpServer
) -> None:
    relay = relay_for(engine, smtp)
    try:
        first = queue(engine, 1)
        assert relay.flush(hold=True).sent == 1
        assert smtp.hangup() == 1  # the server ends the idle session (a timeout, a restart)
        second = queue(engine, 1)
        report = relay.flush(hold=True)
        assert (report.sent, report.retried, report.ambiguous) == (1, 0, 0)
    finally:
        relay.close()
    smtp.wait_for(2)
    time.sleep(0.2)  # nothing more arrives
    assert [m.message["Message-ID"] for m in smtp.messages] == first + second
    assert smtp.logins == 2 and states(engine) == ["sent", "sent"]


def test_a_session_dropped_before_mail_from_is_reopened_without_a_failed_attempt(
    smtp: SmtpServer,
) -> None:
    """The server closed the session while the client had not yet noticed: MAIL FROM fails on
    it, and the message goes over a new session, once (nothing of it was handed over)."""
    settings = smtp_settings(smtp)
    raws = [
        compose(
            from_address="desk@dataset.test",
            from_name="Desk",
            to="applicant@uni.edu",
            subject=f"Re: application {i}",
            body="Thank you.\n",
            message_id=new_message_id("dataset.test"),
            instance_id="t",
        )
        for i in range(2)
    ]

    async def noop() -> None:
        return None

    async def send_two() -> list[str]:
        outcomes = []
        async with SmtpTransport(settings, SMTP_PASSWORD) as t:
            for raw in raws:
                result = await t.send(
                    envelope_from="desk@dataset.test",
                    recipient="applicant@uni.edu",
                    raw=raw,
                    on_data=noop,
                )
                outcomes.append(result.outcome.value)
                # blocking: this event loop does not run until the send below, so the
                # transport still believes the session open
                if len(outcomes) == 1:
                    assert smtp.hangup() == 1
        return outcomes

    assert asyncio.run(send_two()) == ["sent", "sent"]
    smtp.wait_for(2)
    time.sleep(0.2)
    assert len(smtp.messages) == 2 and smtp.logins == 2


def test_a_session_idle_longer_than_hold_seconds_is_closed_and_a_new_one_opened(
    engine: Engine, smtp: SmtpServer
) -> None:
    relay = relay_for(
        engine, smtp, Outbox(lease_seconds=1, backoff_initial_seconds=0.2, hold_seconds=0.2)
    )
    try:
        queue(engine, 1)
        relay.flush(hold=True)
        time.sleep(0.4)
        queue(engine, 1)
        relay.flush(hold=True)
    finally:
        relay.close()
    assert len(smtp.wait_for(2)) == 2 and smtp.logins == 2
