"""Flushing the outbox: claim due replies, hand them to the transport, record each outcome.

Replies go first. Kinds with a per-minute limit (the LA change notices) come after them, at most
`limits[kind]` in any minute, counted in the database so restarts and parallel workers share it.
With `connections` > 1 a flush keeps that many SMTP sessions busy at once, each sending one
claimed batch after another.

The worker's flushes (`flush(hold=True)`) keep their SMTP sessions open for the next flush, up
to `hold_seconds` idle: a reply then costs MAIL, RCPT and DATA, not a connection, TLS
handshake and login. A kept session the server has closed meanwhile is opened again before
anything of the message is handed over (`SmtpTransport.send`); `close` ends them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine

from licensebot.config import Outbox as OutboxSettings
from licensebot.mail.transport import Outcome, Transport
from licensebot.store import outbox
from licensebot.store.locks import exclusive
from licensebot.store.outbox import Claimed
from licensebot.worker.faults import Faults

log = structlog.get_logger("licensebot.relay")


@dataclass
class FlushReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    ambiguous: int = 0
    recovered: int = 0
    held_back: int = 0  # rate-limited kinds left for a later flush

    @property
    def troubled(self) -> bool:
        return bool(self.retried or self.failed or self.ambiguous)


class GroupCommit:
    """Marks from several concurrent SMTP sessions written in one transaction.

    Each session still waits until its own row is durably marked `data` (and what it sent
    before is recorded) before handing over the message, exactly as with one commit per
    message; sessions that arrive while a commit runs share the next one. The database work runs
    in a thread, so the other sessions' network I/O goes on meanwhile."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pending: list[tuple[list[tuple[Claimed, str]], int | None, asyncio.Future[None]]] = []
        self._running = False
        self._task: asyncio.Task[None] | None = None

    async def advance(self, *, sent: list[tuple[Claimed, str]], data: int | None = None) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((list(sent), data, fut))
        if not self._running:
            self._running = True
            self._task = asyncio.create_task(self._run())
        await fut

    async def _run(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                sent = [item for s, _, _ in batch for item in s]
                marks = [d for _, d, _ in batch if d is not None]
                try:
                    await asyncio.to_thread(outbox.advance, self.engine, sent=sent, data_ids=marks)
                except Exception as exc:
                    for _, _, f in batch:
                        f.set_exception(exc)
                else:
                    for _, _, f in batch:
                        f.set_result(None)
        finally:
            self._running = False


class Relay:
    def __init__(
        self,
        *,
        engine: Engine,
        settings: OutboxSettings,
        transport: Callable[[], Transport],
        faults: Faults | None = None,
        limits: Mapping[str, int] | None = None,
        on_result: Callable[[Outcome], None] = lambda _o: None,
    ) -> None:
        self.engine = engine
        self.on_result = on_result  # the metrics' count of sends by result
        self.settings = settings
        self.transport = transport
        self.faults = faults or Faults()
        # kind -> messages per minute; 0 or absent: unlimited.
        self.limits = {k: v for k, v in (limits or {}).items() if v > 0}
        # sessions kept open between flushes (`flush(hold=True)`), each with when it was
        # last used; they live on `_loop`, the relay's own event loop, while any is kept
        self._held: list[tuple[Transport, float]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def flush(self, *, hold: bool = False) -> FlushReport:
        """Send what is due. With `hold` (the worker's run loop) the SMTP sessions stay open
        for the next flush, up to `settings.hold_seconds` idle; without, they are closed at
        the end (a one-off flush: `poll --once`, the CLI)."""
        hold = hold and self.settings.hold_seconds > 0
        with self._lock:
            loop = self._loop = self._loop or asyncio.new_event_loop()
            try:
                return loop.run_until_complete(self._flush_held(hold))
            finally:
                if not self._held:
                    loop.close()
                    self._loop = None

    def close(self) -> None:
        """Close the sessions kept open (the worker's stop)."""
        with self._lock:
            loop, self._loop = self._loop, None
            if loop is not None:
                loop.run_until_complete(self._release(idle_over=-1.0))
                loop.close()

    async def _flush_held(self, hold: bool) -> FlushReport:
        # sessions idle too long are closed first (the server may have closed them already)
        await self._release(idle_over=self.settings.hold_seconds)
        try:
            return await self._flush(hold=hold)
        finally:
            if not hold:
                await self._release(idle_over=-1.0)

    async def _release(self, *, idle_over: float) -> None:
        """Close the kept sessions idle for more than `idle_over` seconds (-1: all)."""
        now = time.monotonic()
        held, self._held = self._held, []
        for t, used in held:
            if idle_over >= 0 and now - used <= idle_over:
                self._held.append((t, used))
                continue
            await t.__aexit__(None, None, None)

    async def _session(self) -> Transport:
        """A kept session (the one used last; `flush` on the relay's loop), or a new one."""
        if self._held and self._loop is asyncio.get_running_loop():
            return self._held.pop()[0]
        return await self.transport().__aenter__()

    async def flush_async(self) -> FlushReport:
        """One flush on the caller's event loop; its sessions are closed at the end."""
        return await self._flush(hold=False)

    async def _flush(self, *, hold: bool) -> FlushReport:
        report = FlushReport(recovered=outbox.recover_expired(self.engine, self.settings))
        limited = sorted(self.limits)
        await self._drain(report, lambda n: self._claim(n, exclude_kinds=limited), hold)
        for kind in limited:
            if report.troubled:
                break

            def budgeted(n: int, kind: str = kind) -> list[Claimed]:
                room = self.limits[kind] - outbox.sent_recently(self.engine, [kind])
                return self._claim(min(n, room), kinds=[kind])

            # One worker at a time spends a kind's per-minute budget (several workers on one
            # PostgreSQL would each see the same room); the others leave it to that one.
            with exclusive(self.engine, f"relay:{kind}", wait=False) as mine:
                if mine:
                    await self._drain(report, budgeted, hold)
        if limited:
            report.held_back = outbox.due_count(self.engine)
        return report

    def _claim(self, n: int, **kw: object) -> list[Claimed]:
        return outbox.claim(self.engine, self.settings, limit=n, **kw)  # type: ignore[arg-type]

    async def _drain(
        self, report: FlushReport, claim: Callable[[int], list[Claimed]], hold: bool = False
    ) -> None:
        """`connections` SMTP sessions, each claiming a batch, sending it and claiming the
        next over the same connection, until nothing is due or something went wrong (retries,
        failures, unsure sends: the server is in trouble, the rest waits for the next flush).
        Claims run one at a time, off the event loop."""
        commits = GroupCommit(self.engine)
        claiming = asyncio.Lock()
        failed = False

        async def next_batch() -> list[Claimed]:
            async with claiming:
                if report.troubled or failed:
                    return []
                batch = await asyncio.to_thread(claim, self.settings.batch)
            if batch:
                self.faults.point("after_claim")
            return batch

        async def session() -> None:
            nonlocal failed
            t: Transport | None = None
            done = False
            try:
                batch = await next_batch()
                if not batch:
                    return
                t = await self._session()
                while batch:
                    await self._send(t, batch, report, commits)
                    batch = await next_batch()
                done = True
            except BaseException:
                failed = True  # the other sessions finish their batch and claim no more
                raise
            finally:
                if t is not None and done and hold:
                    self._held.append((t, time.monotonic()))
                elif t is not None:
                    await t.__aexit__(None, None, None)

        outcomes = await asyncio.gather(
            *(session() for _ in range(self.settings.connections)), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _send(
        self, t: Transport, batch: list[Claimed], report: FlushReport, commits: GroupCommit
    ) -> None:
        accepted: list[tuple[Claimed, str]] = []  # sent, recorded with the next data mark
        try:
            await self._send_each(t, batch, accepted, report, commits)
        finally:
            await self._settle(accepted, commits)  # what the server took is recorded

    async def _settle(self, accepted: list[tuple[Claimed, str]], commits: GroupCommit) -> None:
        sent = list(accepted)
        accepted.clear()
        if sent:
            await commits.advance(sent=sent)

    async def _send_each(
        self,
        t: Transport,
        batch: list[Claimed],
        accepted: list[tuple[Claimed, str]],
        report: FlushReport,
        commits: GroupCommit,
    ) -> None:
        for item in batch:

            async def on_data(row_id: int = item.id) -> None:
                sent = list(accepted)
                accepted.clear()
                await commits.advance(sent=sent, data=row_id)
                self.faults.point("before_data")

            result = await t.send(
                envelope_from=item.envelope_from,
                recipient=item.recipient,
                raw=item.raw,
                body=item.body,
                on_data=on_data,
            )
            self.faults.point("after_data")
            self.on_result(result.outcome)
            if result.outcome is Outcome.SENT:
                accepted.append((item, result.detail))
                report.sent += 1
            else:
                await self._settle(accepted, commits)
                if result.outcome is Outcome.TRANSIENT:
                    outbox.mark_transient(self.engine, self.settings, item.id, result.detail)
                    report.retried += 1
                elif result.outcome is Outcome.PERMANENT:
                    outbox.mark_permanent(self.engine, item.id, result.detail)
                    report.failed += 1
                else:
                    outbox.mark_ambiguous(self.engine, self.settings, item.id, result.detail)
                    report.ambiguous += 1
            log.info(
                "reply." + result.outcome.value,
                outbox=item.id,
                application=item.application_id,
                kind=item.kind,
                recipient=item.recipient,
                attempt=item.attempts,
                detail=result.detail[:200],
            )
