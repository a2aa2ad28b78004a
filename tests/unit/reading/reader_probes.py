"""Functions a test hands to a sandboxed reader (module-level, so that the reader can unpickle
them by name): choices of the LA attachment that misbehave in the reader only (the parent makes
the same choice, unharmed), so that the reader crashes or hangs after it answered with the
message and before it read the PDF; and a MIME read that says which process read it."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import replace

from licensebot.core.assess import la_to_read
from licensebot.core.message import Attachment, IncomingMessage
from licensebot.reading.mime import read_message

PREFIX = "DFME_License_Agreement_"


def _confined() -> bool:
    """In a sandboxed reader (its address space is capped; the test process's is not)."""
    return resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY


def abort_in_reader(msg: IncomingMessage) -> Attachment | None:
    if _confined():
        os.abort()
    return la_to_read(msg, prefix=PREFIX)


def hang_in_reader(msg: IncomingMessage) -> Attachment | None:
    if _confined():
        time.sleep(3600)
    return la_to_read(msg, prefix=PREFIX)


def abort_reading_app_1(msg: IncomingMessage, *, prefix: str) -> Attachment | None:
    """`la_to_read`, but a reader aborts after it answered with message <app-1@uni1.edu>."""
    if _confined() and msg.message_id == "<app-1@uni1.edu>":
        os.abort()
    return la_to_read(msg, prefix=prefix)


def read_stamped(raw: bytes) -> IncomingMessage:
    """The message read, its subject the reading process's id."""
    msg = read_message(raw, trusted_authserv_ids=(), own_addresses=())
    return replace(msg, subject=str(os.getpid()))
