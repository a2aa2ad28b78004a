"""Retention against the real servers (Dovecot, SQLite or PostgreSQL): applications recorded
by the real intake and a licence granted by a maintainer; the events hold no address or name;
`licensebot purge --dry-run` shows what is due and removes nothing; `licensebot purge` removes
it (rows, files, the licence details the policy does not keep) and records events without
personal data; `licensebot licensee erase` leaves a tombstone and the person's address nowhere
in the database."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from licensebot.cli.app import app
from licensebot.config import Mailbox
from licensebot.config import Retention as RetentionSettings
from licensebot.core.commands import Command, Verb
from licensebot.core.la import current_version
from licensebot.mail.sources import MailboxError, MailSession
from licensebot.reading.la_versions import load_versions
from licensebot.store.db import make_engine, upgrade
from licensebot.store.files import Blobs
from licensebot.store.models import (
    Application,
    Event,
    InboundMessage,
    LicenceState,
    Licensee,
    OutboxMessage,
)
from licensebot.worker.retention import MailboxUnreachable, Retention
from licensebot.worker.runner import Worker
from tests.deskdata import add_case
from tests.forms.factory import make_spec, render
from tests.mailgen import build_application, build_auto_reply
from tests.servers.dovecot import DovecotServer
from tests.support import CONFIG_DIR, bot_env, mailbox_block, write_config

TRUSTED = "mx.dataset.test"
TABLES = ("application", "decision", "inbound_message", "outbox", "licensee", "la_notice", "event")


def _application(n: int, *, pdf: bool = True) -> tuple[bytes, dict[str, str]]:
    spec = make_spec(
        n, current_version(load_versions(CONFIG_DIR / "la")), medium="digital", hand="typed"
    )
    w = spec.written
    domain = w["work_email"].rpartition("@")[2]
    raw = build_application(
        client="gmail",
        sender=w["work_email"],
        sender_name=w["signer_name"],
        to=["sirui@dataset.test"],
        filename=f"DFME_License_Agreement_{'_'.join(w['signer_name'].split())}.pdf"
        if pdf
        else None,
        pdf=render(spec) if pdf else None,
        subject=f"DFME license agreement {n}",
        message_id=f"<retention-{n}@example.org>",
        trace_headers=[
            ("Authentication-Results", f"{TRUSTED}; dkim=pass header.d={domain}; dmarc=pass")
        ],
    )
    return raw, w


def _dump(engine: Engine) -> str:
    """Every row of the tables that may hold personal data, as text."""
    out = []
    with engine.connect() as c:
        for t in TABLES:
            for row in c.execute(text(f"SELECT * FROM {t}")):  # noqa: S608 - fixed names
                out.append(repr(tuple(row)))
    return "\n".join(out)


def _events(engine: Engine) -> list[tuple[int, str, str, dict[str, Any]]]:
    with Session(engine) as s:
        return [
            (e.id or 0, e.kind, e.actor, dict(e.data))
            for e in s.exec(select(Event).order_by(col(Event.id))).all()
        ]


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_purge_and_erasure_follow_the_policy_and_events_hold_no_personal_data(
    db: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    dovecot: DovecotServer,
    make_worker: Callable[..., Worker],
) -> None:
    url = "" if db == "sqlite" else str(request.getfixturevalue("postgres_url"))
    licensed_raw, lic = _application(1)  # rejected by the rules, approved by a maintainer
    rejected_raw, rej = _application(3, pdf=False)  # no LA: rejected
    dovecot.append("bot", "INBOX", licensed_raw)
    dovecot.append("bot", "INBOX", rejected_raw)
    dovecot.append(
        "bot",
        "INBOX",
        build_auto_reply(sender="away@ivs-research.cn", to="sirui@dataset.test", subject="x"),
    )
    worker = make_worker(dovecot, database_url=url)
    assert worker.poll_once().mailboxes[0].processed == 3
    # the daily job, declared with the worker's others
    job = next(j for j in worker._jobs() if j["id"] == "retention")
    assert job["func"] == worker.purge and (job["hour"], job["minute"]) == (3, 15)
    engine = worker.bot.engine
    with Session(engine) as s:
        cases = {a.sender: a for a in s.exec(select(Application)).all()}
    licensed = cases[lic["work_email"]]
    outcome = worker.bot.review.run(
        # the form was rejected for hard reasons (an unsigned test PDF): a deliberate overturn
        Command(
            Verb.APPROVE,
            licensed.id or 0,
            "signed copy seen",
            f"approve {licensed.id} force signed copy seen",
            force=True,
        ),
        actor="cli:keeper",
    )
    assert outcome.status == "done", outcome
    worker.flush()
    with Session(engine) as s:
        licence = s.exec(select(Licensee)).one()
        raws = {r.application_id: r.raw_path for r in s.exec(select(InboundMessage)).all()}
    assert licence.title == lic["signer_title"] and licence.title
    pdf = Path(licensed.pdf_path or "")
    assert pdf.is_file() and all(Path(p).is_file() for p in raws.values())
    # the digest's image of the form's first page, cached by the PDF's hash
    page = worker.settings.storage.data_dir / "pages" / pdf.stem[:2] / f"{pdf.stem}.jpg"
    page.parent.mkdir(parents=True)
    page.write_bytes(b"\xff\xd8\xff\xe0 first page")

    # The event log names rows: no address, no name, no applicant's words.
    personal = [lic["work_email"], lic["signer_name"], rej["work_email"], "away@ivs-research.cn"]
    before = _events(engine)
    assert {k for _, k, _, _ in before} >= {"message.received", "decision.made", "reply.sent"}
    for event in before:
        assert not any(p in json.dumps(event, ensure_ascii=False) for p in personal), event

    # Everything is due at once under this policy; the licence keeps its name and signed PDF.
    box = mailbox_block(dovecot, "bot", name="sirui", address="sirui@dataset.test")
    cfg = write_config(
        tmp_path,
        mailboxes=[box],
        smtp=None,
        database_url=url,
        extra="[retention]\nraw_mail_days = 0\npdf_days = 0\nrejected_days = 0\n"
        'ignored_days = 0\nlicensee_keeps = ["name", "signed_pdf"]\n',
    )
    env = bot_env({"sirui": "bot-password"})
    runner = CliRunner()
    dump = _dump(engine)
    dry = runner.invoke(app, ["purge", "--dry-run", "--json", "--config", str(cfg)], env=env)
    assert dry.exit_code == 0, dry.output
    planned = json.loads(dry.stdout)
    assert planned["raw"] == [licensed.id] and planned["pdf"] == []
    assert sorted(d["decision"] for d in planned["delete"]) == ["ignore", "reject"]
    assert _dump(engine) == dump  # a dry run removes nothing
    assert all(Path(p).is_file() for p in raws.values())

    assert len(dovecot.uids("bot", "licensebot/processed")) == 3
    dovecot.append("bot", "INBOX", licensed_raw)  # the inbox is never the purge's
    done = runner.invoke(app, ["purge", "--config", str(cfg)], env=env)
    assert done.exit_code == 0, done.output
    # the copies on the mail server are raw mail too: gone from the bot's folder
    assert "deleted from the mailboxes: 3" in done.stdout, done.stdout
    assert dovecot.uids("bot", "licensebot/processed") == []
    assert len(dovecot.uids("bot", "INBOX")) == 1
    assert "rejected cases deleted: 1" in done.stdout and "ignored cases deleted: 1" in done.stdout
    with Session(engine) as s:
        assert [a.id for a in s.exec(select(Application)).all()] == [licensed.id]
        licence = s.exec(select(Licensee)).one()
        inbound = s.exec(select(InboundMessage)).one()
    assert licence.name == lic["signer_name"] and licence.email == lic["work_email"]
    assert licence.title == "" and licence.affiliation == "" and licence.members == []
    assert inbound.raw_path == "" and inbound.from_address is None
    assert not any(Path(p).exists() for p in raws.values())
    assert pdf.is_file() and page.is_file()  # the licence lives, the signed PDF is kept
    for name in (rej["work_email"], "away@ivs-research.cn", lic["signer_title"]):
        assert name not in _dump(engine), name
    after = _events(engine)
    assert after[: len(before)] == before  # append-only: the old events are as they were
    purged = [e for e in after[len(before) :] if e[1] == "retention.purged"]
    assert sorted(e[3]["what"] for e in purged) == ["case", "case", "raw_mail"]
    again = runner.invoke(app, ["purge", "--dry-run", "--config", str(cfg)], env=env)
    assert "nothing is due" in again.stdout
    if db == "sqlite":  # a replay can look back only as far as the raw mail is kept
        replay = json.loads(
            runner.invoke(app, ["replay", "--json", "--config", str(cfg)], env=env).stdout
        )
        assert replay["examined"] == 1 and replay["skipped"] == 1, replay
        assert "purged" in replay["skipped_messages"][0]["why"]

    # An erasure request: a tombstone, the address nowhere in the database.
    with Session(engine) as s:  # a reply still waiting to go out when the request comes
        s.add(
            OutboxMessage(
                idempotency_key="pending-at-erasure",
                application_id=licensed.id,
                kind="applicant.approved",
                message_id="<pending-at-erasure@dataset.test>",
                recipient=lic["work_email"],
                envelope_from="desk@dataset.test",
                raw=f"To: {lic['work_email']}\r\n\r\nhello".encode(),
            )
        )
        s.commit()
    refused = runner.invoke(app, ["licensee", "erase", str(licence.id), "--config", str(cfg)])
    assert refused.exit_code == 2 and "--yes" in refused.output
    erased = runner.invoke(
        app, ["licensee", "erase", str(licence.id), "--yes", "--config", str(cfg)], env=env
    )
    assert erased.exit_code == 0, erased.output
    with Session(engine) as s:
        tomb = s.exec(select(Licensee)).one()
    assert tomb.state is LicenceState.ERASED and tomb.la_version == licence.la_version
    assert tomb.application_id == licensed.id and tomb.created_at == licence.created_at
    dump = _dump(engine)
    for p in personal:
        assert p not in dump, p
    assert not pdf.exists() and not page.exists()
    with Session(engine) as s:
        pending = s.exec(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == "pending-at-erasure")
        ).one()
    assert pending.state == "failed" and pending.raw == b""  # cancelled, never sent
    kinds = [k for _, k, _, _ in _events(engine)[len(after) :]]
    assert kinds == ["licensee.voided", "licensee.erased"]


def test_a_mailbox_out_of_reach_stops_the_purge_before_anything_goes(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}", data_dir=tmp_path)
    upgrade(engine)
    old = datetime.now(UTC) - timedelta(days=400)
    case = add_case(engine, Blobs(tmp_path), n=1, at=old, decision="reject")
    raw = tmp_path / "1.eml"
    raw.write_bytes(b"Message-ID: <case-1@uni.edu>\n\nhello\n")
    with Session(engine) as s:
        s.add(
            InboundMessage(
                mailbox="sirui",
                folder="INBOX",
                uidvalidity="1",
                uid="1",
                message_id="<case-1@uni.edu>",
                size=1,
                sha256="",
                raw_path=str(raw),
                application_id=case,
                state="processed",
            )
        )
        s.commit()
    box = Mailbox(name="sirui", address="d@x.test", kind="maildir", path=str(tmp_path / "md"))

    def unreachable(_: Mailbox) -> AbstractContextManager[MailSession]:
        raise MailboxError("IMAP mail.example:993: cannot connect")

    retention = Retention(
        settings=RetentionSettings(), engine=engine, mailboxes=[box], open_session=unreachable
    )
    assert [c for c, _ in retention.plan().delete] == [case]
    with pytest.raises(MailboxUnreachable, match="nothing was purged"):
        retention.purge()
    with Session(engine) as s:
        assert s.get(Application, case) is not None
    assert raw.is_file()
