"""XOAUTH2 login against a real Dovecot whose oauth2 passdb asks a local token-introspection
endpoint (RFC 7662), the way an OAuth2-only provider checks the bot's access token."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from licensebot.mail.imap import open_imap
from licensebot.mail.sources import MailboxError
from licensebot.worker.runner import Worker
from tests.mailgen import build_application, tiny_pdf
from tests.servers.dovecot import DovecotServer
from tests.support import mailbox_block

TOKEN = "ya29.test-access-token"


class Introspection(BaseHTTPRequestHandler):
    seen: list[str] = []  # noqa: RUF012 - shared with the test

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        token = form.get("token", [""])[0]
        self.seen.append(token)
        body = {"active": "true", "username": "bot"} if token == TOKEN else {"active": "false"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def oauth_dovecot(dovecot_factory: Callable[..., DovecotServer]) -> Iterator[DovecotServer]:
    http = ThreadingHTTPServer(("127.0.0.1", 0), Introspection)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    Introspection.seen = []
    url = f"http://127.0.0.1:{http.server_address[1]}/introspect"
    yield dovecot_factory(oauth2_introspection_url=url)
    http.shutdown()


def test_xoauth2_login_reads_the_mailbox(
    oauth_dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    oauth_dovecot.append(
        "bot",
        "INBOX",
        build_application(
            client="outlook",
            sender="a@uni.edu",
            to=["sirui@dataset.test"],
            filename="x.pdf",
            pdf=tiny_pdf(),
            subject="LA",
            message_id="<x1@uni.edu>",
        ),
    )
    block = mailbox_block(oauth_dovecot, "bot", name="sirui", address="sirui@dataset.test")
    block = block.replace('security = "tls"', 'security = "tls"\nauth = "xoauth2"')
    box = make_worker(oauth_dovecot, boxes=[block]).settings.mailbox[0]
    assert box.auth == "xoauth2"
    with open_imap(box, TOKEN) as session:
        assert session.candidates(0) == ["1"]
    assert Introspection.seen == [TOKEN]  # the server checked exactly the bot's token


def test_a_refused_token_names_the_secret_to_check(
    oauth_dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    block = mailbox_block(oauth_dovecot, "bot", name="sirui", address="sirui@dataset.test")
    block = block.replace('security = "tls"', 'security = "tls"\nauth = "xoauth2"')
    box = make_worker(oauth_dovecot, boxes=[block]).settings.mailbox[0]
    with pytest.raises(MailboxError, match="LICENSEBOT_TEST_IMAP_SIRUI"), open_imap(box, "expired"):
        pass
