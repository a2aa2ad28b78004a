"""Flushing the outbox: claim due replies, hand them to the transport, record each outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine

from licensebot.config import Outbox as OutboxSettings
from licensebot.mail.transport import Outcome, Transport
from licensebot.store import outbox
from licensebot.worker.faults import Faults

log = structlog.get_logger("licensebot.relay")


@dataclass
class FlushReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    ambiguous: int = 0
    recovered: int = 0


class Relay:
    def __init__(
        self,
        *,
        engine: Engine,
        settings: OutboxSettings,
        transport: Callable[[], Transport],
        faults: Faults | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.transport = transport
        self.faults = faults or Faults()

    def flush(self) -> FlushReport:
        return asyncio.run(self.flush_async())

    async def flush_async(self) -> FlushReport:
        report = FlushReport(recovered=outbox.recover_expired(self.engine, self.settings))
        while True:
            batch = outbox.claim(self.engine, self.settings, limit=self.settings.batch)
            if not batch:
                break
            self.faults.point("after_claim")
            async with self.transport() as t:
                for item in batch:

                    def on_data(row_id: int = item.id) -> None:
                        outbox.mark_data(self.engine, row_id)
                        self.faults.point("before_data")

                    result = await t.send(
                        envelope_from=item.envelope_from,
                        recipient=item.recipient,
                        raw=item.raw,
                        on_data=on_data,
                    )
                    self.faults.point("after_data")
                    if result.outcome is Outcome.SENT:
                        outbox.mark_sent(self.engine, item.id, result.detail)
                        report.sent += 1
                    elif result.outcome is Outcome.TRANSIENT:
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
            if report.retried or report.failed or report.ambiguous:
                # Something is wrong with the server: leave the rest for the next flush.
                break
        return report
