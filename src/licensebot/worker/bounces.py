"""The bounce route: delivery reports. A permanent failure correlated to an LA notice marks it
bounced; a delay is noted; anything else is recorded. A bounce is never answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from sqlmodel import Session, col, select

from licensebot.core.message import IncomingMessage
from licensebot.reading.dsn import read_delivery_report_confined
from licensebot.reading.mime import MimeLimits
from licensebot.reading.sandbox import Failure
from licensebot.store.models import (
    Event,
    InboundMessage,
    InboundState,
    LaNotice,
    NoticeState,
    OutboxMessage,
    utcnow,
)
from licensebot.worker.la import LaDesk

log = structlog.get_logger("licensebot.la")


@dataclass
class BounceRoute:
    """Delivery reports: a permanent failure correlated to a notice marks it bounced; a delay
    is noted; anything else is recorded. A bounce is never answered."""

    desk: LaDesk
    name: str = "la.bounce"
    #: The delivery report is read in a sandboxed child under these (the MIME read's) limits.
    limits: MimeLimits = field(default_factory=MimeLimits)

    def claims(self, msg: IncomingMessage) -> bool:
        return msg.is_bounce

    def handle(self, inbound_id: int, msg: IncomingMessage) -> tuple[str, int | None]:
        with Session(self.desk.engine) as s:
            inbound = s.get(InboundMessage, inbound_id)
            assert inbound is not None
            # a message over the reader's caps is not parsed again (see reading/mime.py); any
            # other is, for its report, in a confined child as the MIME read was
            raw = b"" if msg.over_limits else Path(inbound.raw_path).read_bytes()
            read = read_delivery_report_confined(raw, limits=self.limits) if raw else None
            report = None if isinstance(read, Failure) else read
            ids = list(report.original_message_ids) if report else []
            refs = ids or [r for r in (msg.in_reply_to, *msg.references) if r]
            notice = (
                s.exec(select(LaNotice).where(col(LaNotice.message_id).in_(refs))).first()
                if refs
                else None
            )
            statuses = [
                {"action": r.action, "status": r.status}  # the outbox row names the recipient
                for r in (report.recipients if report else ())
            ]
            data: dict[str, Any] = {
                "inbound_id": inbound_id,
                "original_message_ids": ids[:5],
                "recipients": statuses[:10],
            }
            if isinstance(read, Failure):
                data["unread"] = f"{read.code} ({read.detail})"
            elif msg.over_limits:
                # the message itself was over the MIME read's caps: its report was not read
                data["unread"] = f"over_limits ({msg.over_limits})"
            app_id: int | None = None
            if notice is None:
                sent = (
                    s.exec(
                        select(OutboxMessage).where(col(OutboxMessage.message_id).in_(refs))
                    ).first()
                    if refs
                    else None
                )
                if sent is not None:
                    data |= {"outbox_id": sent.id, "kind": sent.kind}
                    app_id = sent.application_id
                s.add(Event(kind="bounce.received", application_id=app_id, data=data))
            elif report is not None and report.permanent:
                first = next(r for r in report.recipients if r.permanent)
                notice.state = NoticeState.BOUNCED
                notice.detail = f"{first.status} {first.diagnostic}".strip()[:500]
                notice.updated_at = utcnow()
                s.add(notice)
                s.add(
                    Event(
                        kind="la.notice_bounced",
                        data={**data, "notice_id": notice.id, "version": notice.version_id},
                    )
                )
            else:
                kind = "la.notice_delayed" if report and report.delayed else "bounce.received"
                s.add(Event(kind=kind, data={**data, "notice_id": notice.id}))
            inbound.state = InboundState.PROCESSED
            inbound.from_address = msg.from_address
            inbound.subject = msg.subject[:500]
            inbound.application_id = app_id
            s.add(inbound)
            notice_id = notice.id if notice is not None else None  # before commit expires it
            s.commit()
        log.info("bounce.recorded", inbound_id=inbound_id, notice=notice_id)
        return InboundState.PROCESSED, app_id
