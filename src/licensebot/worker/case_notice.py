"""The maintainers' notice that a case needs a person (`maintainers.notify = "immediately"`):
one message per case and maintainer, queued in the transaction that records the decision, with
the digest's view of the case and its review actions. The outbox's idempotency key
`notice:case:<case>:<maintainer>` makes it once per case, across restarts and workers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import Session, select

from licensebot.config import Settings
from licensebot.mail.templates import Templates
from licensebot.store.models import Application, DecisionRecord, Event, OutboxMessage, utcnow
from licensebot.worker.digest import CaseRow, case_context
from licensebot.worker.replies import ReplyWriter

log = structlog.get_logger("licensebot.case_notice")

KIND = "maintainer.case_notice"


@dataclass
class CaseNotices:
    settings: Settings
    replies: ReplyWriter
    templates: Templates

    @property
    def immediately(self) -> bool:
        return self.settings.maintainers.notify == "immediately"

    def queue(self, s: Session, app: Application, record: DecisionRecord) -> int:
        """Queue the notice for a case that now waits for a person, in `s`'s transaction;
        how many were queued (0 when off, or already sent for this case)."""
        if not self.immediately:
            return 0
        app_id = app.id or 0
        context = notice_context(self.settings, _row(app, record), now=utcnow())
        text = self.templates.render(KIND, context)
        html = self.templates.render_one(f"{KIND}.html", context)
        queued = 0
        for recipient in self.settings.maintainers.addresses:
            key = f"notice:case:{app_id}:{recipient.lower()}"
            if s.exec(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).first():
                continue  # once per case: an earlier review of this case was already notified
            self.replies.queue_rendered(
                s,
                kind=KIND,
                recipient=recipient,
                subject=text.subject or f"[{self.settings.dataset.name} licensebot] case {app_id}",
                body=text.body,
                html=html.body,
                key=key,
                application_id=app_id,
            )
            queued += 1
        if queued:
            s.add(Event(kind="case.notice_queued", application_id=app_id, data={"to": queued}))
            log.info("case.notice_queued", application=app_id, recipients=queued)
        return queued


def notice_context(settings: Settings, row: CaseRow, *, now: datetime) -> dict[str, Any]:
    tz = ZoneInfo(settings.schedule.timezone)
    pdf = (
        f"{row.pdf_filename or 'PDF'} (see `licensebot review show {row.case_id}`)"
        if row.pdf_path
        else "none"
    )
    return {
        "dataset": settings.dataset.name,
        "timezone": settings.schedule.timezone,
        "case": case_context(settings, row, now=now, tz=tz, pdf=pdf),
    }


def sample_notice_context(settings: Settings) -> dict[str, Any]:
    from licensebot.worker.digest import sample_data

    data = sample_data()
    return notice_context(settings, data.queue[0], now=data.generated_at)


def _row(app: Application, record: DecisionRecord) -> CaseRow:
    fields: Mapping[str, Any] = dict(record.fields)
    return CaseRow(
        case_id=app.id or 0,
        received_at=_utc(app.created_at),
        sender=app.sender or "",
        subject=app.subject,
        decision=record.decision,
        reasons=tuple(record.reasons),
        fields=fields,
        decided_by=record.decided_by,
        decided_at=_utc(record.created_at),
        pdf_path=app.pdf_path,
        pdf_sha256=app.pdf_sha256,
        pdf_filename=app.pdf_filename,
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
