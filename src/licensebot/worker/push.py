"""Wake-ups pushed by the mail server: an HTTP listener on a local port that Dovecot's
push_notification plugin (its `ox` driver) PUTs to when mail is delivered. A push names a user
and a folder; the worker then syncs that mailbox at once instead of waiting for the server's
IDLE notice (Dovecot's comes 0.5 s after the delivery).

A push carries no trust: anyone who can reach the port can send one, and all it can do is make
a sync start early. Nothing in it (the sender, subject and snippet Dovecot adds) is read beyond
the user and folder, logged or stored: the sync fetches the mail itself, over IMAP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

from licensebot.config import Mailbox
from licensebot.config import Push as PushSettings

log = structlog.get_logger("licensebot.push")

#: Seconds a client has to send its request: a slow or silent one does not keep a thread.
REQUEST_SECONDS = 5.0
#: No IMAP user name or folder is longer (RFC 5321's address is 254 characters).
MAX_NAME = 1000


class BadPush(ValueError):
    """A request body that is not a push (the message says what is wrong)."""


@dataclass(frozen=True, slots=True)
class PushNote:
    """What a push says: mail arrived for `user` in `folder` ("" when it names none)."""

    user: str
    folder: str = ""


def read_push(body: bytes) -> PushNote:
    """The user and folder of a push: a JSON object with a string `user` (the IMAP login
    Dovecot's `ox` driver sends) and, optionally, a string `folder`; other fields are ignored."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPush(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadPush("not a JSON object")
    user, folder = data.get("user"), data.get("folder", "")
    if not isinstance(user, str) or not user.strip() or len(user) > MAX_NAME:
        raise BadPush("no user")
    if not isinstance(folder, str) or len(folder) > MAX_NAME:
        raise BadPush("folder is not a name")
    return PushNote(user.strip(), folder.strip())


def _folder_key(name: str) -> str:
    """A folder as the server or the config may spell it: `INBOX` in any case, `.` or `/`
    between levels (a push that wakes one mailbox too many only costs a sync)."""
    parts = name.replace(".", "/").split("/")
    if parts[0].upper() == "INBOX":
        parts[0] = "INBOX"
    return "/".join(parts)


def mailboxes_for(note: PushNote, mailboxes: Iterable[Mailbox]) -> list[str]:
    """The names of the IMAP mailboxes a push is about: the user's login (in any case, as
    servers that lower-case logins send it), and the folder watched, if the push names one."""
    user = note.user.casefold()
    folder = _folder_key(note.folder) if note.folder else None
    return [
        m.name
        for m in mailboxes
        if m.kind == "imap"
        and m.username.casefold() == user
        and (folder is None or _folder_key(m.folder) == folder)
    ]


def serve(
    settings: PushSettings,
    wake: Callable[[PushNote], bool],
    *,
    count: Callable[[str], None] = lambda _result: None,
) -> ThreadingHTTPServer:
    """Listen for pushes in a daemon thread; `shutdown()` stops it. A PUT or POST of a push
    to `settings.path` calls `wake` (True: it named a mailbox of ours) and is answered 204; a
    body over `max_body_bytes` 413 (not read), one that is not a push 400, another path 404,
    another method 405. `count` is told each request's result: woke, unmatched or refused."""
    cap = settings.max_body_bytes

    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1, so that a client asking `Expect: 100-continue` (Dovecot's Lua HTTP client
        # does) is answered at once instead of sending its body after its own timeout.
        protocol_version = "HTTP/1.1"
        timeout = REQUEST_SECONDS

        def do_PUT(self) -> None:
            self._push()

        def do_POST(self) -> None:
            self._push()

        def do_GET(self) -> None:
            count("refused")
            self._reply(405, b"PUT or POST a push\n", allow=True)

        def _push(self) -> None:
            if self.path.split("?", 1)[0] != settings.path:
                count("refused")
                self._reply(404, b"not here\n", close=True)
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                length = -1
            if length < 0 or self.headers.get("Transfer-Encoding"):
                count("refused")
                self._reply(400, b"a push needs a Content-Length\n", close=True)
                return
            if length > cap:
                count("refused")
                self._reply(413, b"too long for a push\n", close=True)
                return
            try:
                note = read_push(self.rfile.read(length))
            except BadPush as exc:
                count("refused")
                self._reply(400, f"not a push: {exc}\n".encode())
                return
            count("woke" if wake(note) else "unmatched")
            self._reply(204, b"")

        def _reply(
            self, code: int, body: bytes, *, close: bool = False, allow: bool = False
        ) -> None:
            self.send_response(code)
            if allow:
                self.send_header("Allow", "PUT, POST")
            if body:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a push is counted (`licensebot_pushes_total`), not logged

    server = ThreadingHTTPServer((settings.address, settings.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="push-http", daemon=True).start()
    log.info("push.listening", address=settings.address, port=server.server_address[1])
    return server
