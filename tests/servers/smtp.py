"""A capturing SMTP server (aiosmtpd) for integration tests and bench scripts (no pytest needed).

    with SmtpServer() as smtp:                        # plain SMTP on 127.0.0.1:<free port>
        ...send to smtp.host / smtp.port...
        [message] = smtp.wait_for(1)

TLS: `implicit_tls=True` (port-465 style) or `starttls=True` (optionally `require_starttls`),
with a certificate from a throw-away CA (`smtp.ca_file` for clients). AUTH PLAIN/LOGIN with
`username`/`password`. Faults for retry logic: `fail_next`, `reject_recipient`,
`drop_after_data`, `delay`; `hangup` closes every open session (as a server does with idle
ones), `logins` counts the sessions that logged in.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import shutil
import socket
import ssl
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers.tls import TestCA

# aiosmtpd's own noise: AUTH over implicit TLS needs auth_require_tls=False (aiosmtpd only
# counts STARTTLS as TLS), and it uses its own deprecated Session.login_data internally.
for _pattern in ("Requiring AUTH while not requiring TLS", "Session.login_data is deprecated"):
    warnings.filterwarnings("ignore", message=_pattern)
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass(frozen=True)
class CapturedMessage:
    """One accepted message: the envelope, the exact bytes received (CRLF line ends) and the
    parsed `EmailMessage` (policy.default)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    authenticated_as: str | None
    tls: bool
    received_at: float = field(default_factory=time.time)


class SmtpServer:
    """aiosmtpd in a thread on 127.0.0.1; every accepted message is kept in `messages`."""

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        implicit_tls: bool = False,
        starttls: bool = False,
        require_starttls: bool = False,
        ca: TestCA | None = None,
        directory: Path | None = None,
    ) -> None:
        if implicit_tls and starttls:
            raise ValueError("choose implicit TLS or STARTTLS, not both")
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.username = username
        self.password = password
        self.implicit_tls = implicit_tls
        self.starttls = starttls or require_starttls
        self.require_starttls = require_starttls
        self.ca = ca
        self.directory = directory
        self._own_dir = directory is None
        self.host = "127.0.0.1"
        self.port = 0
        self._lock = threading.Condition()
        self._messages: list[CapturedMessage] = []
        self._fail_next: list[tuple[int, str]] = []
        self._rejected: dict[str, tuple[int, str]] = {}
        self._drop_after_data = 0
        self._delay = 0.0
        self._controller: Controller | None = None
        self._sessions: list[SMTP] = []
        self.logins = 0

    # --- TLS ---------------------------------------------------------------------------
    @property
    def ca_file(self) -> Path:
        assert self.ca is not None, "no TLS configured (or server not started)"
        return self.ca.ca_file

    def client_context(self) -> ssl.SSLContext:
        """An SSL context for clients, trusting the server's CA."""
        assert self.ca is not None, "no TLS configured (or server not started)"
        return self.ca.client_context()

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> SmtpServer:
        server_context: ssl.SSLContext | None = None
        if self.implicit_tls or self.starttls:
            directory = self.directory or Path(tempfile.mkdtemp(prefix="licensebot-smtp-"))
            self.directory = directory
            if self.ca is None:
                self.ca = TestCA.create(directory / "ca")
            server_context = self.ca.issue(directory / "tls").server_context()
        kwargs: dict[str, Any] = {
            # aiosmtpd only counts STARTTLS as TLS for auth_require_tls, not implicit TLS.
            "auth_require_tls": self.starttls,
            "require_starttls": self.require_starttls,
            "decode_data": False,
        }
        if self.username is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
        if self.starttls:
            kwargs["tls_context"] = server_context
        self.port = _free_port()
        controller = _Controller(
            self,
            _Handler(self),
            hostname=self.host,
            port=self.port,
            ssl_context=server_context if self.implicit_tls else None,
            server_hostname="localhost",
            ready_timeout=10.0,
            **kwargs,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()
        if self._own_dir and self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> SmtpServer:
        return self.start() if self._controller is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- captured mail -----------------------------------------------------------------
    @property
    def messages(self) -> list[CapturedMessage]:
        with self._lock:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[CapturedMessage]:
        """Blocks until at least `count` messages arrived; returns all of them."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} message(s) within {timeout}s, got {len(self._messages)}"
                )
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    # --- faults ------------------------------------------------------------------------
    def fail_next(
        self, n: int = 1, code: int = 451, message: str = "4.3.0 Try again later"
    ) -> None:
        """The next `n` messages get `code message` as the reply to DATA (not stored)."""
        with self._lock:
            self._fail_next.extend([(code, message)] * n)

    def reject_recipient(
        self, address: str, code: int = 550, message: str = "5.1.1 No such user"
    ) -> None:
        """RCPT TO:<address> is refused with `code message` (case-insensitive), until cleared."""
        with self._lock:
            self._rejected[address.lower()] = (code, message)

    def drop_after_data(self, n: int = 1) -> None:
        """For the next `n` messages: store the message, then close the connection without
        sending the reply to DATA (the client cannot know whether it was delivered)."""
        with self._lock:
            self._drop_after_data += n

    def delay(self, seconds: float) -> None:
        """Waits `seconds` before every reply to DATA from now on (0 to stop)."""
        with self._lock:
            self._delay = seconds

    def hangup(self) -> int:
        """Close every open session from the server's side (an idle timeout, a restart) and
        wait until they are closed; how many there were."""
        controller = self._controller
        assert controller is not None, "server not started"
        with self._lock:
            sessions, self._sessions = self._sessions, []
        open_ = [t for t in (s.transport for s in sessions) if t is not None and not t.is_closing()]
        done = threading.Event()

        def close_all() -> None:
            for t in open_:
                t.close()
            done.set()

        controller.loop.call_soon_threadsafe(close_all)
        done.wait(5)
        return len(open_)

    def reset_faults(self) -> None:
        with self._lock:
            self._fail_next.clear()
            self._rejected.clear()
            self._drop_after_data = 0
            self._delay = 0.0

    # --- called from the server thread -------------------------------------------------
    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (
            auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        if ok:
            with self._lock:
                self.logins += 1
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode())


class _Controller(Controller):
    """aiosmtpd's controller, keeping each session's server (for `SmtpServer.hangup`)."""

    def __init__(self, owner: SmtpServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner

    def factory(self) -> SMTP:
        server = super().factory()
        with self.owner._lock:
            self.owner._sessions.append(server)
        return server


class _Handler:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self.owner._lock:
            rejected = self.owner._rejected.get(address.lower())
        if rejected is not None:
            return f"{rejected[0]} {rejected[1]}"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        owner = self.owner
        with owner._lock:
            delay = owner._delay
            failure = owner._fail_next.pop(0) if owner._fail_next else None
            drop = failure is None and owner._drop_after_data > 0
            if drop:
                owner._drop_after_data -= 1
        if failure is not None:
            if delay:
                await asyncio.sleep(delay)
            return f"{failure[0]} {failure[1]}"
        raw = bytes(cast(bytes, envelope.original_content or envelope.content))
        captured = CapturedMessage(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            # Parsed with \n line ends so get_content() returns text as the sender wrote it.
            message=BytesParser(policy=email.policy.default).parsebytes(
                raw.replace(b"\r\n", b"\n")
            ),
            authenticated_as=(
                str(session.auth_data) if session.authenticated and session.auth_data else None
            ),
            tls=owner.implicit_tls or session.ssl is not None,
        )
        with owner._lock:
            owner._messages.append(captured)
            owner._lock.notify_all()
        if delay:
            await asyncio.sleep(delay)
        if drop:
            # abort() closes at once, so the "250" that aiosmtpd pushes next goes nowhere.
            cast(asyncio.Transport, server.transport).abort()
        return "250 2.0.0 OK: queued"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
