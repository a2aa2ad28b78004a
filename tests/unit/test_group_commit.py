"""Concurrent SMTP sessions share commits, and each still waits for its own mark; a session
that fails stops the others from claiming more."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import pytest

from licensebot.config import Outbox
from licensebot.mail.transport import Outcome, SendResult
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


class _Transport:
    """Accepts every message but the one to `broken@x`, where the database 'fails'."""

    async def __aenter__(self) -> _Transport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def send(self, *, recipient: str, on_data: Any, **kw: Any) -> SendResult:
        if recipient == "broken@x":
            raise RuntimeError("database is gone")
        await on_data()
        await asyncio.sleep(0.01)
        return SendResult(Outcome.SENT, "250 ok")


def test_a_failing_session_stops_every_session_from_claiming_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [claimed(i) for i in range(40)]
    rows[5] = Claimed(**{**asdict(rows[5]), "recipient": "broken@x"})
    claims: list[int] = []

    def claim(engine: Any, cfg: Any, *, limit: int, **kw: Any) -> list[Claimed]:
        batch = rows[len(claims) * limit : (len(claims) + 1) * limit]
        claims.append(len(batch))
        return batch

    monkeypatch.setattr(relay.outbox, "claim", claim)
    monkeypatch.setattr(relay.outbox, "recover_expired", lambda *a: 0)
    monkeypatch.setattr(relay.outbox, "advance", lambda *a, **kw: None)
    r = relay.Relay(
        engine=None,  # type: ignore[arg-type]
        settings=Outbox(batch=2, connections=3),
        transport=_Transport,
    )
    with pytest.raises(RuntimeError, match="database is gone"):
        r.flush()
    # Three sessions claimed two rows each, then one more batch each at most: the session that
    # failed (on the 6th row) stopped the others; 20 batches were there to claim.
    assert len(claims) <= 6
