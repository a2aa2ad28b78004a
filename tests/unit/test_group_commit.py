"""Concurrent SMTP sessions share commits, and each still waits for its own mark."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from licensebot.store.outbox import Claimed
from licensebot.worker import relay
from licensebot.worker.relay import GroupCommit


def claimed(i: int) -> Claimed:
    return Claimed(
        id=i, application_id=None, kind="k", message_id=f"<{i}@x>", recipient="r@x",
        envelope_from="e@x", raw=b"", attempts=1,
    )  # fmt: skip


def test_marks_from_concurrent_sessions_share_a_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[list[int], list[int]]] = []
    lock = threading.Lock()

    def advance(
        engine: Any, *, sent: Sequence[tuple[Claimed, str]], data_ids: Sequence[int]
    ) -> None:
        time.sleep(0.05)  # a slow commit: the others pile up behind it
        with lock:
            calls.append(([c.id for c, _ in sent], list(data_ids)))

    monkeypatch.setattr(relay.outbox, "advance", advance)

    async def main() -> list[int]:
        commits = GroupCommit(engine=None)  # type: ignore[arg-type]
        order: list[int] = []

        async def session(i: int) -> None:
            await commits.advance(sent=[(claimed(100 + i), "250")], data=i)
            order.append(i)  # only after its mark is written

        await asyncio.gather(*(session(i) for i in range(8)))
        return order

    order = asyncio.run(main())
    assert sorted(order) == list(range(8))
    assert sorted(d for _, ds in calls for d in ds) == list(range(8))
    assert sorted(s for ss, _ in calls for s in ss) == [100 + i for i in range(8)]
    assert len(calls) < 8  # shared: the first commit alone, the rest together


def test_a_failed_commit_fails_every_waiting_session(monkeypatch: pytest.MonkeyPatch) -> None:
    def advance(engine: Any, **kw: Any) -> None:
        raise RuntimeError("database is gone")

    monkeypatch.setattr(relay.outbox, "advance", advance)

    async def main() -> None:
        commits = GroupCommit(engine=None)  # type: ignore[arg-type]
        await commits.advance(sent=[], data=1)

    with pytest.raises(RuntimeError, match="database is gone"):
        asyncio.run(main())
