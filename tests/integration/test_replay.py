"""`licensebot replay` against the real servers: applications recorded by the real intake (the
worker's poll over Dovecot, SQLite or PostgreSQL), then the configuration changes (a domain
on the deny list) and the replay shows the cases whose decision or reasons would change, with
the rule facts that differ, from the stored raw mail and from an IMAP folder, writing
nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from licensebot.cli.app import app
from licensebot.core.la import current_version
from licensebot.reading.la_versions import load_versions
from licensebot.store.models import Event, InboundMessage, OutboxMessage
from licensebot.worker.runner import Worker
from tests.forms.factory import make_spec, render
from tests.mailgen import build_application
from tests.servers.dovecot import DovecotServer
from tests.support import CONFIG_DIR, bot_env, mailbox_block, write_config

TRUSTED = "mx.dataset.test"


def _application(n: int, *, pdf: bool = True) -> tuple[bytes, str]:
    """A typed digital LA (rejected: not scanned) from the signer's work address; or, without
    `pdf`, a message without the LA. Returns the raw message and the sender's domain."""
    spec = make_spec(
        n, current_version(load_versions(CONFIG_DIR / "la")), medium="digital", hand="typed"
    )
    sender = spec.written["work_email"]
    domain = sender.rpartition("@")[2]
    name = "_".join(spec.written["signer_name"].split())
    raw = build_application(
        client="thunderbird",
        sender=sender,
        sender_name=spec.written["signer_name"],
        to=["sirui@dataset.test"],
        filename=f"DFME_License_Agreement_{name}.pdf" if pdf else None,
        pdf=render(spec) if pdf else None,
        subject=f"DFME license agreement {n}",
        message_id=f"<replay-{n}@example.org>",
        trace_headers=[
            ("Authentication-Results", f"{TRUSTED}; dkim=pass header.d={domain}; dmarc=pass")
        ],
    )
    return raw, domain


def _counts(worker: Worker) -> tuple[int, int, int]:
    with Session(worker.bot.engine) as s:
        return (
            s.exec(select(func.count()).select_from(Event)).one(),
            s.exec(select(func.count()).select_from(OutboxMessage)).one(),
            s.exec(select(func.count()).select_from(InboundMessage)).one(),
        )


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_replay_shows_what_a_changed_domain_list_would_change_and_writes_nothing(
    db: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    dovecot: DovecotServer,
    make_worker: Callable[..., Worker],
) -> None:
    url = "" if db == "sqlite" else str(request.getfixturevalue("postgres_url"))
    first, denied = _application(1)
    second, other = _application(3)
    assert denied != other
    no_la, _ = _application(5, pdf=False)
    for raw in (first, second, no_la):
        dovecot.append("bot", "INBOX", raw)
    worker = make_worker(dovecot, database_url=url)
    report = worker.poll_once()
    assert report.mailboxes[0].processed == 3, report
    before = _counts(worker)

    # Today's configuration: the first applicant's domain is no work address any more.
    box = mailbox_block(dovecot, "bot", name="sirui", address="sirui@dataset.test")
    cfg = write_config(
        tmp_path,
        mailboxes=[box],
        smtp=None,
        database_url=url,
        extra=f'[domains]\ndeny = ["{denied}"]\n',
    )
    env = bot_env({"sirui": "bot-password"})
    runner = CliRunner()

    result = runner.invoke(app, ["replay", "--json", "--config", str(cfg)], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["examined"] == 3 and data["unchanged"] == 2 and data["skipped"] == 0, data
    assert data["counts"] == {"reject (reasons)": 1}
    (change,) = data["changes"]
    assert change["old"]["decision"] == change["new"]["decision"] == "reject"
    assert "free_email" not in change["old"]["reasons"]
    assert "free_email" in change["new"]["reasons"]
    facts = {(f["rule"], f["fact"]): (f["old"], f["new"]) for f in change["facts"]}
    assert facts[("free_email", "hit")] == (False, True), facts
    case = change["case"]

    if db == "postgres":  # the rest is the same on both databases: once is enough
        assert _counts(worker) == before
        return

    # The text table and CSV say the same; --case narrows to one case.
    text = runner.invoke(app, ["replay", "--config", str(cfg)], env=env)
    assert text.exit_code == 0, text.output
    assert f"case {case} " in text.stdout and "reject (reasons): 1" in text.stdout
    assert "free_email.hit: False -> True" in text.stdout
    rows = list(
        csv.DictReader(
            io.StringIO(
                runner.invoke(app, ["replay", "--csv", "--config", str(cfg)], env=env).stdout
            )
        )
    )
    assert [(r["case"], r["change"]) for r in rows] == [(str(case), "reject (reasons)")]
    other_case = runner.invoke(
        app,
        ["replay", "--json", "--case", str(1 if case != 1 else 2), "--config", str(cfg)],
        env=env,
    )
    assert json.loads(other_case.stdout)["examined"] == 1
    assert json.loads(other_case.stdout)["changes"] == []

    later = runner.invoke(app, ["replay", "--json", "--since", "2999-01-01", "--config", str(cfg)])
    assert later.exit_code == 0 and json.loads(later.stdout)["examined"] == 0
    bad = runner.invoke(app, ["replay", "--since", "yesterday", "--config", str(cfg)])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output

    # From the IMAP folder the worker moved them to: the same change, plus a message the desk
    # never recorded, compared with nothing.
    dovecot.append("bot", "Archive", _application(7)[0])
    folder = runner.invoke(
        app,
        ["replay", "--json", "--folder", "licensebot/processed", "--config", str(cfg)],
        env=env,
    )
    assert folder.exit_code == 0, folder.output
    fdata = json.loads(folder.stdout)
    assert fdata["examined"] == 3 and [c["case"] for c in fdata["changes"]] == [case]
    archive = json.loads(
        runner.invoke(
            app, ["replay", "--json", "--folder", "Archive", "--config", str(cfg)], env=env
        ).stdout
    )
    assert archive["counts"] == {"- -> reject": 1}, archive

    # Nothing was written: no event, no reply, no message row; the folder's flags unchanged.
    assert _counts(worker) == before
    assert all(b"\\Seen" not in f for f in dovecot.flags("bot", "Archive").values())
