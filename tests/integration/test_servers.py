"""Self-tests of the real-server harness (tests/servers): if these fail, fix the harness first."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from email.message import EmailMessage

import aiosmtplib
import pytest
import sqlalchemy
from imapclient import IMAPClient

from tests.servers.dovecot import BOT_PASSWORD, BOT_USER, DovecotServer
from tests.servers.smtp import SmtpServer

RAW = b"From: a@example.org\r\nTo: bot@example.org\r\nSubject: %s\r\n\r\nbody\r\n"


def _message(subject: str = "Hello", to: str = "applicant@example.org") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "bot@example.org"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Grüße / 你好\n")
    return message


# --- Dovecot -------------------------------------------------------------------------------


def test_imaps_login_verified_against_the_ca_advertises_idle_and_id(
    dovecot: DovecotServer,
) -> None:
    client = IMAPClient(
        "localhost",
        port=dovecot.imaps_port,
        ssl=True,
        ssl_context=ssl.create_default_context(cafile=str(dovecot.ca_file)),
        timeout=10,
    )
    client.login(BOT_USER, BOT_PASSWORD)
    capabilities = client.capabilities()
    assert b"IDLE" in capabilities
    assert b"ID" in capabilities
    assert dict(client.id_({"name": "licensebot-test"}) or ())[b"name"] == b"Dovecot"
    client.logout()


def test_plain_imap_port_accepts_login(dovecot: DovecotServer) -> None:
    client = dovecot.client(BOT_USER, tls=False)
    assert client.select_folder("INBOX")[b"EXISTS"] == 0
    client.logout()


def test_client_without_the_ca_fails_certificate_verification(dovecot: DovecotServer) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(
            "localhost",
            port=dovecot.imaps_port,
            ssl=True,
            ssl_context=ssl.create_default_context(),
            timeout=10,
        )


def test_wrong_password_is_refused(dovecot: DovecotServer) -> None:
    client = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False, timeout=10)
    with pytest.raises(Exception, match=r"(?i)authentication failed"):
        client.login(BOT_USER, "not-the-password")


def test_append_search_move_and_helpers(dovecot: DovecotServer) -> None:
    first = dovecot.append(BOT_USER, "INBOX", RAW % b"one")
    second = dovecot.append(BOT_USER, "INBOX", RAW % b"two", flags=[b"\\Seen"])
    assert second > first
    dovecot.create_folder(BOT_USER, "Processed")
    assert dovecot.folder_exists(BOT_USER, "Processed")
    assert not dovecot.folder_exists(BOT_USER, "Nope")

    client = dovecot.client(BOT_USER)
    client.select_folder("INBOX")
    assert client.search(["UNSEEN"]) == [first]
    assert client.search(["SUBJECT", "two"]) == [second]
    client.move([first], "Processed")
    client.logout()

    assert dovecot.uids(BOT_USER, "INBOX") == [second]
    assert list(dovecot.fetch_raw(BOT_USER, "Processed").values()) == [RAW % b"one"]


def test_no_idle_server_does_not_advertise_idle(dovecot_no_idle: DovecotServer) -> None:
    client = dovecot_no_idle.client(BOT_USER)
    capabilities = client.capabilities()
    client.logout()
    assert b"IDLE" not in capabilities
    assert b"ID" in capabilities
    assert b"MOVE" in capabilities


def test_reset_uidvalidity_keeps_messages_under_new_uids(dovecot: DovecotServer) -> None:
    dovecot.append(BOT_USER, "Incoming", RAW % b"one", flags=[b"\\Seen"])
    dovecot.append(BOT_USER, "Incoming", RAW % b"two")
    old_validity = dovecot.uidvalidity(BOT_USER, "Incoming")
    old = dovecot.fetch_raw(BOT_USER, "Incoming")

    new_validity = dovecot.reset_uidvalidity(BOT_USER, "Incoming")

    assert new_validity != old_validity
    assert dovecot.uidvalidity(BOT_USER, "Incoming") == new_validity
    new = dovecot.fetch_raw(BOT_USER, "Incoming")
    assert sorted(new.values()) == sorted(old.values())
    assert min(new) > max(old)
    seen = {uid for uid, flags in dovecot.flags(BOT_USER, "Incoming").items() if b"\\Seen" in flags}
    assert [new[uid] for uid in seen] == [RAW % b"one"]


def test_add_user_while_running(dovecot: DovecotServer) -> None:
    dovecot.add_user("second", "pw2")
    dovecot.append("second", "INBOX", RAW % b"x")
    assert dovecot.uids("second", "INBOX") == [1]
    assert dovecot.uids(BOT_USER, "INBOX") == []


# --- SMTP ----------------------------------------------------------------------------------


def test_delivery_over_implicit_tls_with_auth(smtp_factory: Callable[..., SmtpServer]) -> None:
    smtp = smtp_factory(implicit_tls=True, username="mailer", password="s3cret")
    asyncio.run(
        aiosmtplib.send(
            _message("Implicit"),
            hostname="localhost",
            port=smtp.port,
            use_tls=True,
            tls_context=smtp.client_context(),
            username="mailer",
            password="s3cret",
            timeout=10,
        )
    )
    [captured] = smtp.wait_for(1)
    assert captured.mail_from == "bot@example.org"
    assert captured.rcpt_tos == ("applicant@example.org",)
    assert captured.message["Subject"] == "Implicit"
    assert captured.message.get_content() == "Grüße / 你好\n"
    assert captured.authenticated_as == "mailer"
    assert captured.tls


def test_delivery_over_starttls_with_auth(smtp_factory: Callable[..., SmtpServer]) -> None:
    smtp = smtp_factory(starttls=True, require_starttls=True, username="mailer", password="pw")
    asyncio.run(
        aiosmtplib.send(
            _message("StartTLS"),
            hostname="localhost",
            port=smtp.port,
            start_tls=True,
            tls_context=smtp.client_context(),
            username="mailer",
            password="pw",
            timeout=10,
        )
    )
    [captured] = smtp.wait_for(1)
    assert captured.message["Subject"] == "StartTLS"
    assert captured.tls
    assert captured.authenticated_as == "mailer"


def test_wrong_smtp_password_is_refused(smtp_factory: Callable[..., SmtpServer]) -> None:
    smtp = smtp_factory(implicit_tls=True, username="mailer", password="pw")
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        asyncio.run(
            aiosmtplib.send(
                _message(),
                hostname="localhost",
                port=smtp.port,
                use_tls=True,
                tls_context=smtp.client_context(),
                username="mailer",
                password="wrong",
                timeout=10,
            )
        )
    assert smtp.messages == []


def _send_plain(smtp: SmtpServer, message: EmailMessage, timeout: float = 10) -> None:
    asyncio.run(aiosmtplib.send(message, hostname=smtp.host, port=smtp.port, timeout=timeout))


def test_fail_next_gives_a_transient_error_then_recovers(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, code=451, message="4.7.1 Greylisted")
    with pytest.raises(aiosmtplib.SMTPResponseException) as error:
        _send_plain(smtp_server, _message("first"))
    assert error.value.code == 451
    assert smtp_server.messages == []
    _send_plain(smtp_server, _message("second"))
    assert [m.message["Subject"] for m in smtp_server.wait_for(1)] == ["second"]


def test_rejected_recipient_is_a_permanent_error(smtp_server: SmtpServer) -> None:
    smtp_server.reject_recipient("Gone@Example.org")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as error:
        _send_plain(smtp_server, _message(to="gone@example.org"))
    assert error.value.recipients[0].code == 550
    assert smtp_server.messages == []


def test_drop_after_data_stores_the_message_but_the_client_sees_a_disconnect(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.drop_after_data(1)
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        _send_plain(smtp_server, _message("ambiguous"))
    assert [m.message["Subject"] for m in smtp_server.wait_for(1)] == ["ambiguous"]
    _send_plain(smtp_server, _message("next"))
    assert len(smtp_server.wait_for(2)) == 2


def test_delay_makes_a_short_client_timeout_expire(smtp_server: SmtpServer) -> None:
    smtp_server.delay(1.0)
    with pytest.raises(aiosmtplib.SMTPTimeoutError):
        _send_plain(smtp_server, _message("slow"), timeout=0.3)


# --- PostgreSQL ----------------------------------------------------------------------------


def test_postgres_url_is_an_isolated_schema(postgres_url: str) -> None:
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("CREATE TABLE probe (id integer PRIMARY KEY)"))
        conn.execute(sqlalchemy.text("INSERT INTO probe VALUES (1)"))
        schema = conn.execute(sqlalchemy.text("SELECT current_schema()")).scalar_one()
        table_schema = (
            conn.execute(
                sqlalchemy.text(
                    "SELECT table_schema FROM information_schema.tables WHERE table_name = 'probe'"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert schema.startswith("lb_test_")
    assert table_schema == [schema]


def test_idle_reports_a_new_message_promptly(dovecot: DovecotServer) -> None:
    client = dovecot.client(BOT_USER)
    client.select_folder("INBOX")
    client.idle()
    uid = dovecot.append(BOT_USER, "INBOX", RAW % b"pushed")
    responses = client.idle_check(timeout=5)
    client.idle_done()
    client.logout()
    assert (1, b"EXISTS") in responses
    assert uid == 1
