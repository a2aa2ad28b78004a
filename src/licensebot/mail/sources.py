"""Where applications come from: an IMAP folder (production) or a local Maildir (a bot beside
the mail server, or the demo). Both are driven the same way by the intake.

    MailboxError            a mailbox could not be opened or used (the message says why)
"""

from __future__ import annotations

import mailbox as stdlib_mailbox
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

    def wait(self, timeout: float, stop: threading.Event) -> bool: ...

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
                msg = self.md[k]
            except KeyError:
                continue
            out[k] = Meta(message_id=(msg.get("Message-ID") or "").strip() or None, size=0)
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

    def wait(self, timeout: float, stop: threading.Event) -> bool:
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
