"""LA change notices on SQLite and PostgreSQL with a real SMTP server: one notice per licensee
of an older version, resumable publication, the per-minute limit, the opt-out and bounce
routes, and silent licensees moved on the effective date."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import bounces
from licensebot.config import Settings
from licensebot.core.message import IncomingMessage
from licensebot.reading.la_versions import load_versions
from licensebot.reading.pdf import read_pdf
from licensebot.store.db import upgrade
from licensebot.store.models import Event, LaNotice, Licensee, OutboxMessage
from licensebot.worker import la_notices as la_module
from licensebot.worker.app import Bot, build
from licensebot.worker.la import LaError
from licensebot.worker.la_notices import NOTICE_KIND
from tests.la_support import LA_2023, la_2027, licensee_address, seed_licensees
from tests.mailgen import build_bounce
from tests.servers.smtp import SmtpServer
from tests.support import CONFIG_DIR, SMTP_PASSWORD, SMTP_USER, bot_env


def tomorrow() -> date:
    """Read when a test runs, not when the module is imported: a run that crosses midnight
    would otherwise publish a version that is already in force."""
    return date.today() + timedelta(days=1)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def smtp(smtp_factory: Callable[..., SmtpServer]) -> SmtpServer:
    return smtp_factory(implicit_tls=True, username=SMTP_USER, password=SMTP_PASSWORD)


@pytest.fixture
def make_bot(tmp_path: Path, database_url: str, smtp: SmtpServer) -> Callable[..., Bot]:
    def make(**la: Any) -> Bot:
        la_dir = tmp_path / "la"
        la_dir.mkdir(exist_ok=True)
        (la_dir / "2023.md").write_text(LA_2023, encoding="utf-8")
        (la_dir / "versions.toml").write_text(
            '[[version]]\nid = "2023"\neffective = 2023-01-01\nfile = "2023.md"\n',
            encoding="utf-8",
        )
        settings = Settings.model_validate(
            {
                "dataset": {"la_dir": str(la_dir), "templates_dir": str(CONFIG_DIR / "templates")},
                "storage": {"data_dir": str(tmp_path / "data"), "database_url": database_url},
                "mailbox": [
                    {"name": "m", "address": "desk@dataset.test", "kind": "maildir", "path": "x"}
                ],
                "smtp": {
                    "host": "127.0.0.1",
                    "port": smtp.port,
                    "username": SMTP_USER,
                    "secret_env": "LICENSEBOT_TEST_SMTP",
                    "ca_file": str(smtp.ca_file),
                    "from_address": "desk@dataset.test",
                    "timeout_seconds": 10,
                },
                "outbox": {"lease_seconds": 1, "ambiguous_delay_seconds": 0, "batch": 20},
                "la": la,
                "config_dir": str(tmp_path),
            }
        )
        bot = build(settings, environ=bot_env({}))
        upgrade(bot.engine)
        return bot

    return make


def notices(engine: Engine) -> list[LaNotice]:
    with Session(engine) as s:
        return list(s.exec(select(LaNotice).order_by(LaNotice.licensee_id)).all())  # type: ignore[arg-type]


def test_publish_queues_one_notice_per_licensee_of_an_older_version(
    make_bot: Callable[..., Bot], smtp: SmtpServer
) -> None:
    bot = make_bot()
    assert bot.la is not None
    seed_licensees(bot.engine, 6)
    seed_licensees(bot.engine, 1, version="2027", start=100)  # already on it: no notice
    with Session(bot.engine) as s:
        voided = s.exec(select(Licensee).where(Licensee.email == licensee_address(5))).one()
        voided.state = "voided"
        s.add(voided)
        s.commit()
    report = bot.la.publish(la_2027(), effective=tomorrow(), version_id="2027")
    assert (report.new, report.previous, report.queued, report.total) == (True, "2023", 5, 5)
    assert (bot.settings.path("la") / "2027.md").read_text() == la_2027()
    assert 'id = "2027"' in (bot.settings.path("la") / "versions.toml").read_text()

    sent = bot.relay.flush()
    assert sent.sent == 5
    got = smtp.wait_for(5)
    assert sorted(m.rcpt_tos[0] for m in got) == sorted(licensee_address(i) for i in range(5))
    msg = got[0].message
    assert "2027" in msg["Subject"] and msg["Auto-Submitted"] == "auto-generated"
    [attachment] = list(msg.iter_attachments())
    # The new LA travels as its fillable blank form, readable as that version by the reader.
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "DFME_License_Agreement_2027.pdf"
    pdf = attachment.get_content()
    found = read_pdf(pdf, versions=load_versions(bot.settings.path("la")))
    assert found.form_version == "2027"
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "* 5. Redistribution: removed" in body and "-The user may not redistribute" in body
    assert "* 9. Data retention: new clause" in body and "OPT OUT" in body
    assert "5. Redistribution：已删除" in body and "退出" in body
    ids = {m.message["Message-ID"] for m in got}
    assert {n.message_id for n in notices(bot.engine)} == ids
    st = bot.la.status("2027")
    assert (st.delivery["sent"], st.total, st.done, st.licensees_left) == (5, 5, 5, 0)


def test_an_interrupted_publication_resumes_without_a_second_notice(
    make_bot: Callable[..., Bot], monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = make_bot(notice_chunk=4)
    assert bot.la is not None
    seed_licensees(bot.engine, 10)
    calls = 0
    real = la_module.readdress

    def crash_on_seventh(*a: Any, **kw: Any) -> bytes | None:
        nonlocal calls
        calls += 1
        if calls == 7:
            raise RuntimeError("killed")
        return real(*a, **kw)

    monkeypatch.setattr(la_module, "readdress", crash_on_seventh)
    with pytest.raises(RuntimeError):
        bot.la.publish(la_2027(), effective=tomorrow(), version_id="2027")
    assert len(notices(bot.engine)) == 4  # the first chunk committed, the second not at all
    assert bot.la.status("2027").licensees_left == 6
    monkeypatch.setattr(la_module, "readdress", real)
    again = bot.la.publish(la_2027(), effective=tomorrow(), version_id="2027")
    assert (again.new, again.queued, again.total) == (False, 6, 10)
    rows = notices(bot.engine)
    assert sorted(n.licensee_id for n in rows) == sorted({n.licensee_id for n in rows})
    with Session(bot.engine) as s:
        assert len(s.exec(select(OutboxMessage)).all()) == 10
    with pytest.raises(LaError, match="different text"):
        bot.la.publish(la_2027() + "\nmore", effective=tomorrow(), version_id="2027")
    with pytest.raises(LaError, match="past"):
        bot.la.publish("x", effective=date.today() - timedelta(days=1), version_id="2020")


def test_notices_are_rate_limited_per_minute_and_replies_are_not(
    make_bot: Callable[..., Bot], smtp: SmtpServer
) -> None:
    bot = make_bot(notices_per_minute=7)
    assert bot.la is not None
    seed_licensees(bot.engine, 12)
    bot.la.publish(la_2027(), effective=tomorrow(), version_id="2027")
    with Session(bot.engine) as s:  # a reply to an applicant queued after the notices
        bot.replies.queue(s, _alert_plan(), key="alert:1", application_id=None)
        s.commit()
    first = bot.relay.flush()
    assert first.sent == 8  # 7 notices + the reply, which does not wait behind them
    assert bot.relay.flush().sent == 0  # the minute is not over
    kinds = Counter(m.message["X-Licensebot-Kind"] or _kind(m.message) for m in smtp.messages)
    assert kinds == Counter({NOTICE_KIND: 7, "maintainer.alert": 1})
    assert bot.la.status("2027").delivery["queued"] == 5


def _alert_plan() -> Any:
    from licensebot.worker.replies import ReplyPlan

    ctx = {
        "dataset": "DFME",
        "mailbox": "m",
        "uid": "1",
        "message_id": "<x@y>",
        "error": "boom",
        "failed_folder": "f",
    }
    return ReplyPlan("maintainer.alert", "keeper@dataset.test", ctx)


def _kind(message: Any) -> str:
    return NOTICE_KIND if "2027" in message["Subject"] else "maintainer.alert"


def _incoming(bot: Bot, raw: bytes) -> IncomingMessage:
    from licensebot.reading.mime import read_message

    return read_message(raw, trusted_authserv_ids=(), own_addresses=bot.settings.own_addresses)


def _reply(sender: str, notice_id: str | None, body: str, n: int) -> bytes:
    lines = [
        f"From: Licensee <{sender}>",
        "To: desk@dataset.test",
        "Subject: Re: DFME License Agreement: new version 2027",
        f"Message-ID: <reply-{n}@uni.edu>",
        "Date: Tue, 01 Dec 2026 10:00:00 +0800",
    ]
    if notice_id:
        lines += [f"In-Reply-To: {notice_id}", f"References: {notice_id}"]
    lines += ["Content-Type: text/plain; charset=utf-8", "", body]
    return "\r\n".join(lines).encode()


def test_opt_outs_void_and_confirm_bounces_mark_and_silence_moves_on(
    make_bot: Callable[..., Bot], smtp: SmtpServer, tmp_path: Path
) -> None:
    bot = make_bot()
    assert bot.la is not None
    seed_licensees(bot.engine, 5)
    bot.la.publish(la_2027(), effective=tomorrow(), version_id="2027")
    bot.relay.flush()
    sent = {m.rcpt_tos[0]: m for m in smtp.wait_for(5)}
    box = bot.settings.mailbox[0]

    def deliver(raw: bytes, uid: int) -> tuple[str, int | None]:
        return bot.intake.handle(box, "1", str(uid), raw)

    quoted = "\r\n\r\nOn Mon, DFME wrote:\r\n> reply OPT OUT (or 退出)"
    a0, a1, a2, a3 = (licensee_address(i) for i in range(4))
    deliver(_reply(a0, sent[a0].message["Message-ID"], "OPT OUT" + quoted, 1), 1)
    deliver(_reply(a1, None, "我选择退出，谢谢", 2), 2)  # no threading: the address decides
    deliver(_reply(a2, sent[a2].message["Message-ID"], "Thanks, noted." + quoted, 3), 3)
    a4 = licensee_address(4)  # a qmail bounce, no RFC 3464 report: flufl.bounce reads its shape
    reports = [
        deliver(build_bounce(original=sent[a3].raw, recipient=a3, to="desk@dataset.test"), 4),
        deliver(build_bounce(original=b"Message-ID: <o@x>\r\n\r\n", recipient="z@x", to="d@x"), 5),
        deliver(bounces.qmail(sent[a4].raw, a4, robot=False), 7),
    ]
    assert [state for state, _ in reports] == ["processed"] * 3  # recorded, none failed
    deliver(_reply(a0, sent[a0].message["Message-ID"], "OPT OUT again", 6), 6)
    bot.relay.flush()

    with Session(bot.engine) as s:
        states = {lic.email: lic.state for lic in s.exec(select(Licensee)).all()}
        events = Counter(e.kind for e in s.exec(select(Event)).all())
    assert states == {
        a0: "voided",
        a1: "voided",
        a2: "active",
        a3: "active",
        a4: "active",
    }
    assert events["licensee.voided"] == 2 and events["licensee.opt_out_repeated"] == 1
    assert events["la.notice_bounced"] == 2 and events["bounce.received"] == 1
    replies = [m for m in smtp.messages[5:] if m.message["In-Reply-To"]]
    confirmations = {m.rcpt_tos[0]: m.message for m in replies if "void" in _body(m.message)}
    assert set(confirmations) == {a0, a1}
    assert confirmations[a0]["In-Reply-To"] == "<reply-1@uni.edu>"
    assert not any(m.rcpt_tos[0] in ("desk@dataset.test", "d@x") for m in smtp.messages)
    st = bot.la.status("2027")
    assert (st.delivery["bounced"], st.delivery["sent"], st.opted_out) == (2, 3, 2)

    assert bot.la.apply_effective(today=date.today()) == 0  # not in force yet
    assert bot.la.apply_effective(today=tomorrow()) == 3  # the silent and the bounced
    with Session(bot.engine) as s:
        versions = {lic.email: lic.la_version for lic in s.exec(select(Licensee)).all()}
    assert versions[a0] == versions[a1] == "2023" and versions[a2] == "2027"
    assert bot.la.required_version(date.today()) in ("2023",)
    assert bot.la.required_version(tomorrow()) == "2027"


def _body(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


def test_several_connections_send_each_notice_once(
    make_bot: Callable[..., Bot], smtp: SmtpServer
) -> None:
    bot = make_bot()
    assert bot.la is not None
    seed_licensees(bot.engine, 30)
    bot.la.publish(la_2027(), effective=tomorrow(), version_id="2027")
    relay = bot.relay
    relay.settings = relay.settings.model_copy(update={"connections": 3, "batch": 4})
    assert relay.flush().sent == 30
    ids = [m.message["Message-ID"] for m in smtp.wait_for(30)]
    assert len(set(ids)) == 30
    assert bot.la.status("2027").delivery["sent"] == 30


def test_the_new_la_is_stored_once_and_every_notice_carries_it_whole(
    make_bot: Callable[..., Bot], smtp: SmtpServer
) -> None:
    bot = make_bot()
    assert bot.la is not None
    seed_licensees(bot.engine, 12)
    bot.la.publish(la_2027(), effective=tomorrow(), version_id="2027")
    with bot.engine.connect() as conn:
        [body] = [r[0] for r in conn.exec_driver_sql("SELECT data FROM outbox_body")]
        heads = [r[0] for r in conn.exec_driver_sql("SELECT raw FROM outbox")]
    assert sum(len(h) for h in heads) < len(body)  # 12 headers, not 12 copies of the form
    assert bot.relay.flush().sent == 12
    got = smtp.wait_for(12)
    forms = {
        bytes(a.get_content()) for m in got for a in m.message.iter_attachments()
    }  # one form, identical in every notice
    assert len(forms) == 1 and len({m.message["Message-ID"] for m in got}) == 12
    versions = load_versions(bot.settings.path("la"))
    assert read_pdf(forms.pop(), versions=versions).form_version == "2027"


def test_the_daily_job_tells_late_licensees_and_moves_silent_ones(
    make_bot: Callable[..., Bot],
) -> None:
    bot = make_bot()
    assert bot.la is not None
    seed_licensees(bot.engine, 2)
    bot.la.publish(la_2027(), effective=tomorrow(), version_id="2027")
    seed_licensees(bot.engine, 1, start=50)  # approved on the old form after the publication
    bot.la.daily(today=date.today())
    assert sorted(n.recipient for n in notices(bot.engine)) == sorted(
        licensee_address(i) for i in (0, 1, 50)
    )
    bot.la.daily(today=tomorrow())
    with Session(bot.engine) as s:
        assert {lic.la_version for lic in s.exec(select(Licensee)).all()} == {"2027"}
        events = [e.data for e in s.exec(select(Event).where(Event.kind == "la.in_force")).all()]
    assert events == [{"version": "2027", "licensees": 3, "on": tomorrow().isoformat()}]


def test_an_unsure_notice_is_held_never_sent_twice(
    make_bot: Callable[..., Bot], smtp: SmtpServer
) -> None:
    bot = make_bot()  # outbox.ambiguous_policy stays "resend" for replies
    assert bot.la is not None
    seed_licensees(bot.engine, 2)
    bot.la.publish(la_2027(), effective=tomorrow(), version_id="2027")
    smtp.drop_after_data(1)
    assert bot.relay.flush().ambiguous == 1
    bot.relay.flush()
    assert len(smtp.messages) == 2  # the unsure one (which the server has) is not resent
    st = bot.la.status("2027")
    assert (st.delivery["unsure"], st.delivery["sent"]) == (1, 1)


def test_two_workers_daily_jobs_at_once_queue_each_late_notice_once(
    make_bot: Callable[..., Bot], database_url: str
) -> None:
    """Several workers on one PostgreSQL: their daily jobs fire together (each at start), and
    `la publish` may run meanwhile; the queueing of a version's notices takes turns."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share a PostgreSQL database")
    one, two = make_bot(notice_chunk=3), make_bot(notice_chunk=3)
    assert one.la is not None and two.la is not None
    seed_licensees(one.engine, 2)
    one.la.publish(la_2027(), effective=tomorrow(), version_id="2027")
    seed_licensees(one.engine, 10, start=50)  # approved on the old form after the publication
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def daily(bot: Bot) -> None:
        assert bot.la is not None
        start.wait()
        try:
            bot.la.daily(today=date.today())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=daily, args=(b,)) for b in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    got = Counter(n.recipient for n in notices(one.engine))
    assert got == Counter(licensee_address(i) for i in (0, 1, *range(50, 60)))
    with Session(one.engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == NOTICE_KIND)).all()
    assert len(rows) == 12
    two.engine.dispose()
