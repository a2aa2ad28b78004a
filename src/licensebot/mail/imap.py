"""An IMAP mailbox as the intake sees it (imapclient): TLS with certificate verification,
password or XOAUTH2 login, the `ID` command right after login when advertised (Coremail servers
such as mail.ustc.edu.cn refuse SELECT without it), UID-only access, BODY.PEEK fetches in
bounded batches, MOVE (or COPY + UID EXPUNGE, or a flag) after the database commit, and IDLE.
"""

from __future__ import annotations

import imaplib
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from licensebot import __version__
from licensebot.config import Mailbox
from licensebot.mail.sources import MESSAGE_ID_BYTES, MailboxError, Meta, Wake, message_id_of
from licensebot.mail.transport import tls_context

#: What a dropped or refused connection looks like; the worker reconnects with backoff.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    socket.timeout,
    ssl.SSLError,
    imaplib.IMAP4.abort,
    IMAPClientError,
    EOFError,
)


@contextmanager
def open_imap(box: Mailbox, secret: str) -> Iterator[ImapSession]:
    """A logged-in session with `box.folder` selected; logs out on exit."""
    where = f"{box.host}:{box.port}"
    try:
        client = IMAPClient(
            box.host,
            port=box.port,
            ssl=box.security == "tls",
            ssl_context=tls_context(box.ca_file),
            timeout=box.timeout_seconds,
        )
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError(
            f"IMAP {where}: the server's certificate is not trusted ({exc.verify_message}); "
            "set ca_file if it uses a private CA"
        ) from exc
    except OSError as exc:
        raise MailboxError(f"IMAP {where}: cannot connect ({exc})") from exc
    try:
        if box.security == "starttls":
            # imapclient raises when STARTTLS is not offered: no silent downgrade to clear text.
            client.starttls(tls_context(box.ca_file))
        try:
            if box.auth == "xoauth2":
                client.oauth2_login(box.username, secret)
            else:
                client.login(box.username, secret)
        except IMAPClientError as exc:
            raise MailboxError(
                f"IMAP login to {where} as {box.username} refused ({exc}): check {box.secret_env}"
            ) from exc
        if client.has_capability("ID"):
            client.id_(
                {
                    "name": "licensebot",
                    "version": __version__,
                    "vendor": "licensebot",
                }
            )
        session = ImapSession(client, box)
        session.select()
        yield session
    finally:
        try:
            client.logout()
        except CONNECTION_ERRORS:
            with suppress(*CONNECTION_ERRORS):
                client.shutdown()


class ImapSession:
    """One selected folder. Keys are UIDs as strings; `validity` is the folder's UIDVALIDITY."""

    def __init__(self, client: IMAPClient, box: Mailbox) -> None:
        self.client = client
        self.box = box
        self.validity = ""
        self._delimiter = self._find_delimiter()

    @property
    def supports_wait(self) -> bool:
        return self.box.idle and self.client.has_capability("IDLE")

    def _find_delimiter(self) -> str:
        try:
            folders = self.client.list_folders("", "")
            if folders and folders[0][1]:
                d = folders[0][1]
                return d.decode() if isinstance(d, bytes) else str(d)
        except IMAPClientError:
            pass
        return "/"

    def server_folder(self, name: str) -> str:
        """Config names use `/` between levels; the server may use `.`."""
        return name.replace("/", self._delimiter) if self._delimiter != "/" else name

    def select(self) -> None:
        info = self.client.select_folder(self.box.folder)
        uv = info.get(b"UIDVALIDITY")
        # Some servers omit UIDVALIDITY; "" then means "unknown" and the cursor only trusts UIDs
        # together with the recorded message identity.
        self.validity = str(uv) if uv is not None else ""

    def ensure_folders(self) -> None:
        targets = [self.box.failed_folder]
        if self.box.after == "move":
            targets.append(self.box.processed_folder)
        for name in targets:
            folder = self.server_folder(name)
            if not self.client.folder_exists(folder):
                try:
                    self.client.create_folder(folder)
                except IMAPClientError:
                    if not self.client.folder_exists(folder):  # created meanwhile by a peer
                        raise

    def candidates(self, last_uid: int) -> list[str]:
        """UIDs above the cursor (a UID range `n:*` also returns the highest existing UID)."""
        criteria: list[Any] = ["UID", f"{last_uid + 1}:*"]
        if self.box.after == "flag":
            criteria += ["NOT", "KEYWORD", self.box.processed_flag]
        uids = self.client.search(criteria)
        return [str(u) for u in sorted(u for u in uids if u > last_uid)]

    def fetch_meta(self, keys: Sequence[str]) -> dict[str, Meta]:
        out: dict[str, Meta] = {}
        if not keys:
            return out
        # a partial fetch: the server sends at most MESSAGE_ID_BYTES of the field(s) however
        # long or many they are, and the worker reads them without the email library
        want = [b"RFC822.SIZE", f"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]<0.{MESSAGE_ID_BYTES}>"]
        data = self.client.fetch([int(k) for k in keys], want)
        for uid, item in data.items():
            header = b""
            for k, v in item.items():
                if k.startswith(b"BODY[HEADER.FIELDS") and isinstance(v, bytes):
                    header = v[:MESSAGE_ID_BYTES]
            mid = message_id_of(header)
            out[str(uid)] = Meta(message_id=mid, size=int(item.get(b"RFC822.SIZE", 0)))
        return out

    def fetch(self, keys: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """Whole messages without touching \\Seen; keys that vanished are skipped."""
        if not keys:
            return
        data = self.client.fetch([int(k) for k in keys], [b"BODY.PEEK[]"])
        for key in keys:
            item = data.get(int(key))
            raw = item.get(b"BODY[]") if item else None
            if isinstance(raw, bytes) and raw:
                yield key, raw
            # An "OK but empty" answer (Exchange does that) is skipped; the next sync retries.

    def finish(self, keys: Sequence[str], *, failed: bool = False) -> None:
        """Move (or flag) messages whose outcome is committed."""
        if not keys:
            return
        uids = [int(k) for k in keys]
        if not failed and self.box.after == "flag":
            self.client.add_flags(uids, [self.box.processed_flag.encode()])
            return
        target = self.server_folder(self.box.failed_folder if failed else self.box.processed_folder)
        if self.client.has_capability("MOVE"):
            self.client.move(uids, target)
        else:
            self.client.copy(uids, target)
            self.client.add_flags(uids, [b"\\Deleted"])
            if self.client.has_capability("UIDPLUS"):
                self.client.uid_expunge(uids)
            else:
                self.client.expunge()

    def wait(self, timeout: float, stop: threading.Event, wake: Wake | None = None) -> bool:
        """IDLE up to `timeout` seconds; True when the server announced new mail, or when
        `wake` rang (a push from the mail server: the IDLE ends at once, not at its notice).

        Two things imapclient leaves to us: an EXISTS the server sends before its "+ idling"
        (mail that arrived since the last command) is kept by imaplib, not returned by
        `idle_check`; and a connection the server closed makes `idle_check` return nothing
        at once, again and again, instead of raising (it swallows the EOF)."""
        if wake is not None and wake.take():
            return True
        self.client.idle()
        try:
            if self.client._imap.untagged_responses.pop("EXISTS", None):
                return True
            poller = select.poll()
            server = self.client.socket().fileno()
            poller.register(server, select.POLLIN)
            if wake is not None:
                poller.register(wake.fileno(), select.POLLIN)
            deadline = time.monotonic() + timeout
            empty_at_once = 0
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                # slices of a second at most, so that a stop is noticed
                ready = {fd for fd, _ in poller.poll(1000 * min(1.0, left))}
                if wake is not None and wake.fileno() in ready and wake.take():
                    return True
                if server not in ready:
                    continue
                responses = self.client.idle_check(timeout=0)
                if not responses:
                    empty_at_once += 1  # readable, yet no line: the server hung up
                    if empty_at_once >= 2:
                        raise MailboxError(f"IMAP {self.box.host}: the server closed the IDLE")
                    continue
                empty_at_once = 0
                for resp in responses:
                    if isinstance(resp, tuple) and len(resp) >= 2 and resp[1] == b"EXISTS":
                        return True
                    if isinstance(resp, tuple) and resp and resp[0] == b"BYE":
                        raise MailboxError(f"IMAP {self.box.host}: server closed the IDLE")
            return False
        finally:
            self.client.idle_done()

    def watermark(self, key: str) -> int:
        return int(key)

    def remove(self, folder: str, message_ids: Sequence[str]) -> int:
        """Delete the messages of `folder` with these Message-IDs (the retention purge), then
        select the session's own folder again."""
        name = self.server_folder(folder)
        if not message_ids or not self.client.folder_exists(name):
            return 0
        self.client.select_folder(name)
        try:
            uids: set[int] = set()
            for mid in message_ids:
                uids.update(self.client.search(["HEADER", "Message-ID", mid]))
            if uids:
                self.client.add_flags(sorted(uids), [b"\\Deleted"])
                if self.client.has_capability("UIDPLUS"):
                    self.client.uid_expunge(sorted(uids))
                else:
                    self.client.expunge()
            return len(uids)
        finally:
            self.select()
