"""systemd's service notification (sd_notify(3)) for `Type=notify` with a watchdog: one
datagram to the socket `$NOTIFY_SOCKET` names; nothing at all when it is not set."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

import structlog

log = structlog.get_logger("licensebot.notify")


class Notifier:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        path = env.get("NOTIFY_SOCKET", "")
        # "@name" is an abstract socket (a leading NUL byte on the wire)
        self.address = "\0" + path[1:] if path.startswith("@") else path
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        #: How often systemd expects WATCHDOG=1 (half its timeout, as sd_watchdog_enabled says).
        self.watchdog_seconds = int(usec) / 2e6 if usec.isdigit() and mine else None

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *fields: str) -> bool:
        """Send `KEY=value` fields; False when there is no socket or it could not be reached
        (a notification must never stop the worker)."""
        if not self.address:
            return False
        try:
            # non-blocking: a listener that does not read must not stall the heartbeat
            kind = socket.SOCK_DGRAM | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK
            with socket.socket(socket.AF_UNIX, kind) as s:
                s.connect(self.address)
                s.sendall("\n".join(fields).encode())
        except OSError as exc:
            log.warning("notify.failed", socket=self.address, error=str(exc))
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", f"STATUS={status}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1", "STATUS=stopping")
