"""Handing finished messages to the world: SMTP submission (aiosmtplib) or a directory.

Every send ends in one of four outcomes, decided by the SMTP phase it reached:

    SENT        2xx after the message data
    TRANSIENT   4xx, or the connection failed / timed out before the data was handed over
    PERMANENT   5xx at MAIL, RCPT or DATA
    AMBIGUOUS   the connection died while the data was being handed over: the server may
                have the message (RFC 5321 4.5.3.2.6); the outbox decides what to do
"""

from __future__ import annotations

import functools
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Protocol

import aiosmtplib
from aiosmtplib.typing import SMTPStatus

from licensebot.config import Smtp
from licensebot.store.files import atomic_write


class Outcome(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    detail: str


class Transport(Protocol):
    """Sends many messages over one session; `open`/`close` bracket a batch."""

    async def __aenter__(self) -> Transport: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def send(
        self,
        *,
        envelope_from: str,
        recipient: str,
        raw: bytes,
        on_data: Callable[[], Awaitable[None]],
        body: bytes = b"",
    ) -> SendResult:
        """Send one message, `raw` followed by `body` (the part a broadcast's notices share:
        pass the same bytes object each time); `on_data` runs just before the data is
        handed over."""
        ...


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """Certificates and host names always verified; TLS 1.2 at least."""
    ctx = ssl.create_default_context(cafile=ca_file or None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _cached_tls_context(ca_file: str) -> ssl.SSLContext:
    """`tls_context`, built once per CA file version (loading the system's CA store takes tens
    of milliseconds, and every flush opens its connections anew)."""
    try:
        version = Path(ca_file).stat().st_mtime_ns if ca_file else 0
    except OSError:
        version = -1  # let `tls_context` say what is wrong with it
    return _tls_context_of(ca_file, version)


@functools.lru_cache(maxsize=4)
def _tls_context_of(ca_file: str, version: int) -> ssl.SSLContext:
    return tls_context(ca_file)


class SmtpTransport:
    """SMTP submission with implicit TLS (465) or required STARTTLS (587); never in clear."""

    def __init__(self, cfg: Smtp, secret: str | None) -> None:
        self.cfg = cfg
        self.secret = secret
        self._smtp: aiosmtplib.SMTP | None = None
        self._stuffed: dict[bytes, bytes] = {}  # shared bodies, ready for DATA

    async def __aenter__(self) -> SmtpTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _connect(self) -> aiosmtplib.SMTP:
        cfg = self.cfg
        smtp = aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            use_tls=cfg.security == "tls",
            # STARTTLS required (never opportunistic), or off for a loopback relay
            start_tls=cfg.security == "starttls",
            validate_certs=True,
            tls_context=_cached_tls_context(cfg.ca_file) if cfg.security != "none" else None,
            timeout=cfg.timeout_seconds,
        )
        await smtp.connect()
        if cfg.auth == "password" and self.secret is not None:
            await smtp.login(cfg.username, self.secret)
        elif cfg.auth == "xoauth2" and self.secret is not None:
            await smtp.auth_xoauth2(cfg.username, self.secret)
        return smtp

    async def probe(self) -> None:
        """Connect, verify TLS and log in, then quit (`config check --connect`)."""
        self._smtp = await self._connect()
        await self._close()

    async def _close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()

    async def send(
        self,
        *,
        envelope_from: str,
        recipient: str,
        raw: bytes,
        on_data: Callable[[], Awaitable[None]],
        body: bytes = b"",
    ) -> SendResult:
        while True:
            # a session opened earlier (for the message before, or kept open between
            # flushes) that the server has closed since is opened again, once: nothing of
            # this message was handed over before DATA
            reused = self._smtp is not None and self._smtp.is_connected
            try:
                if not reused:
                    self._smtp = await self._connect()
                smtp = self._smtp
                assert smtp is not None
                await smtp.mail(envelope_from)
                await smtp.rcpt(recipient)
                break
            except aiosmtplib.SMTPAuthenticationError as exc:
                await self._close()
                return SendResult(
                    Outcome.TRANSIENT,
                    f"SMTP login to {self.cfg.host}:{self.cfg.port} refused ({exc.code} "
                    f"{exc.message}): check {self.cfg.secret_env}",
                )
            except aiosmtplib.SMTPResponseException as exc:
                if reused and exc.code == SMTPStatus.domain_unavailable:  # 421: closing
                    await self._close()
                    continue
                await self._reset()
                return _by_code(exc.code, f"{exc.code} {exc.message}")
            except (aiosmtplib.SMTPException, OSError) as exc:
                await self._close()
                if reused:
                    continue
                return SendResult(Outcome.TRANSIENT, f"{type(exc).__name__}: {exc}")
        await on_data()
        try:
            response = await self._data(smtp, self._content(raw, body))
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            return _by_code(exc.code, f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self._close()
            return SendResult(Outcome.AMBIGUOUS, f"{type(exc).__name__}: {exc}")
        return SendResult(Outcome.SENT, f"{response.code} {response.message}")

    def _content(self, raw: bytes, body: bytes) -> list[bytes]:
        """The DATA content of `raw` + `body`: CRLF line endings, leading dots doubled (RFC
        5321 4.5.2), the end marker. A shared body is prepared once per transport, not once
        per message (82 kB of base64 takes about a millisecond)."""
        if not body:
            return [_stuffed(raw), b".\r\n"]
        if not raw.endswith(b"\r\n"):  # not split at a line boundary: prepare the whole
            return [_stuffed(raw + body), b".\r\n"]
        ready = self._stuffed.get(body)
        if ready is None:
            if len(self._stuffed) >= 8:
                self._stuffed.clear()
            ready = self._stuffed[body] = _stuffed(body)
        return [_stuffed(raw), ready, b".\r\n"]

    async def _data(self, smtp: aiosmtplib.SMTP, content: list[bytes]) -> aiosmtplib.SMTPResponse:
        """DATA with content already prepared (`_content`): what `SMTP.data` does, without
        normalising the same shared body again for every message."""
        start = await smtp.execute_command(b"DATA")
        if start.code != SMTPStatus.start_input:
            raise aiosmtplib.SMTPDataError(start.code, start.message)
        protocol = smtp.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        try:
            protocol.write(b"".join(content))
            # No await between the write and the read: the reply cannot arrive unawaited.
            response = await protocol.read_response(timeout=self.cfg.timeout_seconds)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError):
            smtp.close()
            raise
        if response.code != SMTPStatus.completed:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
        return response

    async def _reset(self) -> None:
        if self._smtp is None:
            return
        try:
            await self._smtp.rset()
        except (aiosmtplib.SMTPException, OSError):
            await self._close()


_LINE_END = re.compile(rb"\r\n|\n|\r(?!\n)")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _stuffed(data: bytes) -> bytes:
    """Message bytes as DATA carries them: CRLF line endings, ending with one, a dot at the
    start of a line doubled."""
    data = _LINE_END.sub(b"\r\n", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return _LEADING_DOT.sub(b"..", data)


def _by_code(code: int, detail: str) -> SendResult:
    return SendResult(Outcome.PERMANENT if 500 <= code < 600 else Outcome.TRANSIENT, detail)


def eml_name(message_id: str) -> str:
    """The file a `DirectoryTransport` writes a message with this Message-ID to."""
    return ("".join(c for c in message_id if c.isalnum() or c in "._-@") or "message") + ".eml"


class DirectoryTransport:
    """Writes each message as `<Message-ID>.eml` into a directory: the demo and dry runs."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def __aenter__(self) -> DirectoryTransport:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def send(
        self,
        *,
        envelope_from: str,
        recipient: str,
        raw: bytes,
        on_data: Callable[[], Awaitable[None]],
        body: bytes = b"",
    ) -> SendResult:
        import email
        import email.policy

        raw += body
        msg_id = email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"] or ""
        target = self.directory / eml_name(msg_id)
        await on_data()
        envelope = f"X-Envelope-From: {envelope_from}\r\nX-Envelope-To: {recipient}\r\n"
        atomic_write(target, envelope.encode() + raw)
        return SendResult(Outcome.SENT, f"written to {target}")
