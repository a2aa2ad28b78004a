"""Where applications come from: an IMAP folder (production) or a local Maildir (a bot beside
the mail server, or the demo). Both are driven the same way by the intake.

    MailboxError            a mailbox could not be opened or used (the message says why)
"""

from __future__ import annotations

import mailbox as stdlib_mailbox
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from licensebot.config import Mailbox
from licensebot.errors import LicensebotError


class MailboxError(LicensebotError):
    """A mailbox could not be opened or used; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Meta:
    message_id: str | None
    size: int


#: What is read of a Message-ID field (RFC 5322 caps a line at 998 characters): the IMAP fetch
#: of the field asks the server for no more than this, and the worker never reads more of it.
MESSAGE_ID_BYTES = 2048
#: What is read of a Maildir message for its Message-ID: twice the header block the MIME read
#: accepts (`reading.mime.HeaderLimits.max_block_bytes`, 128 kB); a Message-ID beyond that is
#: in a message over that cap anyway.
MAX_HEADER_READ = 256 * 1024
_FIELD = b"message-id:"
_MESSAGE_ID = re.compile(rb"\n[Mm][Ee][Ss][Ss][Aa][Gg][Ee]-[Ii][Dd]:")  # a literal-led scan


def message_id_of(raw: bytes) -> str | None:
    """The first Message-ID field's value in a message's raw header, unfolded, at most 998
    characters. Read in the worker, so without the email library: a scan of the bytes (tens
    of milliseconds for 30 MB) to the field, then at most `MESSAGE_ID_BYTES` of it (a hostile
    header of megabytes, or thousands of Message-ID fields, cost no more than a normal one)."""
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0]
    head = raw[: min(ends)] if ends else raw
    if head[: len(_FIELD)].lower() == _FIELD:
        start = len(_FIELD)
    else:
        found = _MESSAGE_ID.search(head)
        if found is None:
            return None
        start = found.end()
    lines = head[start : start + MESSAGE_ID_BYTES].replace(b"\r\n", b"\n").split(b"\n")
    value = lines[0]
    for cont in lines[1:]:
        if cont[:1] not in (b" ", b"\t"):
            break
        value += cont
    return value.decode("utf-8", "replace").strip()[:998] or None


class Wake:
    """A doorbell for a thread that waits on a socket: `ring()`, from any thread, makes
    `fileno()` readable until the waiter `take()`s the ring, so a `poll` on the socket and this
    together ends at once. Rings before a `take()` count as one."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._lock = threading.Lock()
        self._rung = False

    def fileno(self) -> int:
        return self._read

    def ring(self) -> None:
        with self._lock:
            if self._rung:
                return
            self._rung = True
            os.write(self._write, b"!")

    def take(self) -> bool:
        """Whether it rang since the last `take()` (and ready for the next ring)."""
        with self._lock:
            if not self._rung:
                return False
            self._rung = False
            while True:
                try:
                    if not os.read(self._read, 64):
                        break
                except BlockingIOError:
                    break
            return True

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


class MailSession(Protocol):
    """One open, selected mailbox folder. Keys are opaque strings (IMAP: the UID)."""

    box: Mailbox
    validity: str

    @property
    def supports_wait(self) -> bool: ...

    def ensure_folders(self) -> None: ...

    def candidates(self, last_uid: int) -> list[str]: ...

    def fetch_meta(self, keys: Sequence[str]) -> dict[str, Meta]: ...

    def fetch(self, keys: Sequence[str]) -> Iterator[tuple[str, bytes]]: ...

    def finish(self, keys: Sequence[str], *, failed: bool = False) -> None: ...

    def wait(self, timeout: float, stop: threading.Event, wake: Wake | None = None) -> bool: ...

    def watermark(self, key: str) -> int: ...

    def remove(self, folder: str, message_ids: Sequence[str]) -> int: ...


class MaildirSession:
    """A Maildir (new/ and cur/) as a mailbox: handled messages move to `.processed`/`.failed`
    sub-folders (Maildir++), so whatever is left in the inbox is still to be handled."""

    def __init__(self, box: Mailbox) -> None:
        self.box = box
        self.validity = "maildir"
        self.md = stdlib_mailbox.Maildir(Path(box.path), create=True)

    @property
    def supports_wait(self) -> bool:
        return False

    def _folder(self, name: str) -> stdlib_mailbox.Maildir:
        leaf = name.replace("/", ".")
        try:
            return self.md.get_folder(leaf)
        except stdlib_mailbox.NoSuchMailboxError:
            return self.md.add_folder(leaf)

    def ensure_folders(self) -> None:
        self._folder(self.box.processed_folder)
        self._folder(self.box.failed_folder)

    def candidates(self, last_uid: int) -> list[str]:
        return self.all_keys()

    def all_keys(self) -> list[str]:
        # Oldest first, by delivery time encoded in the unique name.
        return sorted(self.md.keys())

    def fetch_meta(self, keys: Sequence[str]) -> dict[str, Meta]:
        out = {}
        for k in keys:
            try:
                with self.md.get_file(k) as f:
                    head = f.read(MAX_HEADER_READ)
            except KeyError:
                continue
            out[k] = Meta(message_id=message_id_of(head), size=0)
        return out

    def fetch(self, keys: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        for k in keys:
            try:
                yield k, self.md.get_bytes(k)
            except KeyError:
                continue

    def finish(self, keys: Sequence[str], *, failed: bool = False) -> None:
        target = self._folder(self.box.failed_folder if failed else self.box.processed_folder)
        for k in keys:
            try:
                msg = self.md[k]
            except KeyError:
                continue
            target.add(msg)
            self.md.remove(k)

    def wait(self, timeout: float, stop: threading.Event, wake: Wake | None = None) -> bool:
        stop.wait(timeout)
        return False

    def watermark(self, key: str) -> int:
        return 0

    def remove(self, folder: str, message_ids: Sequence[str]) -> int:
        """Delete the messages of `folder` with these Message-IDs (the retention purge)."""
        wanted = set(message_ids)
        target = self._folder(folder)
        gone = 0
        for key in list(target.keys()):
            try:
                mid = (target[key].get("Message-ID") or "").strip()
            except KeyError:
                continue
            if mid in wanted:
                target.remove(key)
                gone += 1
        return gone


@contextmanager
def open_maildir(box: Mailbox) -> Iterator[MaildirSession]:
    yield MaildirSession(box)
