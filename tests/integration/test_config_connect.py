"""`licensebot config check --connect` against the real Dovecot and SMTP servers: it logs in to
every mailbox and the SMTP server with TLS verified, compares the trusted authserv-id with the
one on the newest messages, checks the database is migrated, and names mailboxes by address."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licensebot.cli.app import app
from tests.servers.dovecot import BOT_PASSWORD, BOT_USER, DovecotServer
from tests.servers.smtp import SmtpServer
from tests.support import SMTP_PASSWORD, SMTP_USER, bot_env, mailbox_block, write_config


def _mail(authserv: str) -> bytes:
    return (
        f"Authentication-Results: {authserv}; dkim=pass header.d=uni.edu; dmarc=pass\r\n"
        "From: Ann <ann@uni.edu>\r\nTo: desk@dataset.test\r\nSubject: LA\r\n"
        "Message-ID: <1@uni.edu>\r\n\r\nhello\r\n"
    ).encode()


def test_connect_logs_in_everywhere_and_says_what_is_wrong_by_address(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp_factory: Callable[..., SmtpServer],
) -> None:
    smtp = smtp_factory(implicit_tls=True, username=SMTP_USER, password=SMTP_PASSWORD)
    dovecot.add_user("other", "other-password")
    boxes = [
        mailbox_block(dovecot, BOT_USER, name="sirui", address="sirui@dataset.test"),
        mailbox_block(dovecot, "other", name="iamthy", address="iamthy@dataset.test"),
    ]
    cfg = write_config(tmp_path, mailboxes=boxes, smtp=smtp)
    env = bot_env({"sirui": BOT_PASSWORD, "iamthy": "other-password"})
    dovecot.append(BOT_USER, "INBOX", _mail("mx.dataset.test"))  # the trusted server's stamp

    def check() -> tuple[int, str, str]:
        r = CliRunner().invoke(app, ["config", "check", "--connect", "-c", str(cfg)], env=env)
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
        return r.exit_code, r.stdout, r.stderr

    assert CliRunner().invoke(app, ["db", "upgrade", "-c", str(cfg)], env=env).exit_code == 0
    code, out, err = check()
    assert code == 0, out + err
    assert "✓ mailbox sirui@dataset.test: logged in to 127.0.0.1:" in out
    assert "(TLS, certificate verified) as bot; INBOX holds 1 message(s)" in out
    assert "✓ mailbox sirui@dataset.test: its server stamps mx.dataset.test (trusted)" in out
    assert "✓ mailbox iamthy@dataset.test: no message yet to check the trusted authserv-id" in out
    assert f"✓ smtp 127.0.0.1:{smtp.port}: connected (TLS, certificate verified), logged in" in out
    assert "✓ database: migrated to the newest revision" in out
    assert err == ""

    # a wrong password, a server stamping another authserv-id, an SMTP CA not trusted
    env["LICENSEBOT_TEST_IMAP_IAMTHY"] = "wrong"
    dovecot.append(BOT_USER, "INBOX", _mail("mx.elsewhere.test"))
    head, _, smtp_block = cfg.read_text(encoding="utf-8").partition("[smtp]")
    smtp_block = smtp_block.replace(f'ca_file = "{smtp.ca_file}"', 'ca_file = ""')
    cfg.write_text(f"{head}[smtp]{smtp_block}", encoding="utf-8")
    code, out, err = check()
    assert code == 2
    problems = err.splitlines()
    assert all(p.startswith("✗ ") for p in problems) and "Traceback" not in err
    assert any(
        p.startswith("✗ mailbox iamthy@dataset.test: IMAP login to 127.0.0.1:")
        and "as other refused" in p
        and "check LICENSEBOT_TEST_IMAP_IAMTHY" in p
        for p in problems
    ), problems
    assert (
        "✗ mailbox sirui@dataset.test: the newest 2 message(s) carry Authentication-Results "
        "from mx.dataset.test, mx.elsewhere.test" not in err
    )  # one trusted stamp among them is enough
    assert any(p.startswith(f"✗ smtp 127.0.0.1:{smtp.port}: ") for p in problems), problems
    assert "the server's certificate is not trusted" in err and "set smtp.ca_file" in err
    assert "mailbox.0" not in err and "mailbox.1" not in err


def test_a_trusted_authserv_id_no_message_carries_is_reported(
    tmp_path: Path, dovecot: DovecotServer
) -> None:
    cfg = write_config(
        tmp_path,
        mailboxes=[mailbox_block(dovecot, BOT_USER, name="sirui", address="sirui@dataset.test")],
        smtp=None,
    )
    dovecot.append(BOT_USER, "INBOX", _mail("mail.ustc.edu.cn"))
    env = bot_env({"sirui": BOT_PASSWORD})
    r = CliRunner().invoke(app, ["config", "check", "--connect", "-c", str(cfg)], env=env)
    assert r.exit_code == 2
    assert (
        "✗ mailbox sirui@dataset.test: the newest 1 message(s) carry Authentication-Results "
        "from mail.ustc.edu.cn, none from mx.dataset.test: set auth.trusted_authserv_ids"
    ) in r.stderr
    assert "run `licensebot db upgrade` first" in r.stderr  # never migrated


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LICENSEBOT_LOG_LEVEL", "WARNING")
