"""Named crash points for the kill-and-restart tests: `LICENSEBOT_FAULT=after_record:2` kills
the process with SIGKILL the second time it passes `after_record` (a kill from outside, at one
moment); `LICENSEBOT_FAULT=after_record=<id@host>` kills it every time it passes there with the
message of that Message-ID (a message that stops the worker, whichever run takes it up). Without
the variable every point is a no-op. Points: while_reading (between a message's MIME read and
its LA's read, before it is recorded), after_record, after_decision_commit, after_move,
after_claim, before_data, after_data."""

from __future__ import annotations

import os
import signal


class Faults:
    def __init__(self, spec: str | None = None) -> None:
        self._targets: dict[str, int] = {}
        self._poison: dict[str, str] = {}
        self._seen: dict[str, int] = {}
        for part in (spec or "").split(","):
            part = part.strip()
            name, eq, message_id = part.partition("=")
            if eq:
                self._poison[name] = message_id
                continue
            name, _, nth = part.partition(":")
            if name:
                self._targets[name] = int(nth or 1)

    @classmethod
    def from_env(cls) -> Faults:
        return cls(os.environ.get("LICENSEBOT_FAULT"))

    def point(self, name: str, *, message_id: str | None = None) -> None:
        poison = self._poison.get(name)
        if poison is not None and message_id == poison:
            os.kill(os.getpid(), signal.SIGKILL)
        if name not in self._targets:
            return
        self._seen[name] = self._seen.get(name, 0) + 1
        if self._seen[name] == self._targets[name]:
            os.kill(os.getpid(), signal.SIGKILL)
